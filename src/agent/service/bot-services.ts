/**
 * The bot services the agent service offers its endpoint (docs/BOT-API.md): the vision pipeline's calls
 * with telemetry recorded around them (and a sample mirrored to a shadow candidate), the agent core's
 * status, models and feedback, and the tray's "pause detection". Split out of service.ts (issue 18 §4).
 */
import { randomUUID } from 'node:crypto';
import type { FeedbackSubmitResult, ModelInfo } from '../../common/bot-protocol.js';
import { AgentError } from '../../common/errors.js';
import type { Clock } from '../../common/lifetime.js';
import { topics as topicsFor } from '../../common/topics.js';
import { FeedbackSchema, ROLES, type AgentStatus, type Feedback } from '../../common/wire.js';
import type { ProfileStatus } from '../../common/profiles.js';
import { withProfileClassifier, withProfileClassifierFind, withProfileDetector } from '../vision-profile.js';
import type { Agent, AgentSnapshot } from '../agent.js';
import type { AgentConfig } from '../config.js';
import { createVisionBotServices } from '../endpoint/vision-services.js';
import type { BotServices } from '../endpoint/index.js';
import type { InferenceHost } from '../inference/index.js';
import type { Outbox, Telemetry } from '../telemetry/index.js';
import type { DetectResponse, VisionPipeline } from '../vision/pipeline.js';
import type { Shadow } from './shadow.js';

/** The vision pipeline's calls, with what telemetry needs recorded around them. */
type VisionCalls = Pick<VisionPipeline, 'detect' | 'classifySource' | 'embedSource' | 'findElement' | 'spec'>;

/** What "pause detection" stops; status, models and feedback keep answering. */
const PAUSABLE = ['detect', 'classify', 'findElement', 'embed'] as const;

export interface ServiceBotDeps {
  /** the industry profile applied now (issue 21 §2): its thresholds apply where the bot names none */
  profileNow?: () => ProfileStatus;
  agent: Agent;
  host: InferenceHost;
  vision: VisionPipeline;
  telemetry: Telemetry;
  feedbackOutbox: Outbox;
  shadow: Pick<Shadow, 'offer'>;
  config: AgentConfig;
  clock: Clock;
  /** wraps the bot services before the endpoint serves them (the desktop counts requests) */
  wrap?: (s: BotServices) => BotServices;
}

export interface ServiceBotServices {
  services: BotServices;
  readonly paused: boolean;
  setPaused(paused: boolean): void;
}

export function createServiceBotServices(d: ServiceBotDeps): ServiceBotServices {
  const { agent, host, vision, telemetry, config } = d;
  const t = topicsFor(config.topicPrefix);
  const recordVision = (r: DetectResponse) => {
    const fc = vision.takeFrameCacheCounts();
    for (let i = 0; i < fc.hits; i++) telemetry.recorder.recordFrameCache(true);
    for (let i = 0; i < fc.misses; i++) telemetry.recorder.recordFrameCache(false);
    if (r.cached) return; // no model ran
    telemetry.recorder.recordConfidences('detector', r.elements.map((e) => e.score));
    const top = r.elements.map((e) => e.typeScore).filter((s): s is number => s !== undefined);
    if (top.length) telemetry.recorder.recordConfidences('classifier', top);
  };
  const observedVision: VisionCalls = {
    detect: async (req, opts) => {
      const settings = d.profileNow?.().settings;
      const r = withProfileClassifier(await vision.detect(withProfileDetector(req, settings), opts), settings);
      recordVision(r);
      d.shadow.offer(req, r);
      return r;
    },
    // a crop as a PNG or a screen region (captured by the same capturer as detect, grown by the crop rule)
    classifySource: async (source, opts) => {
      const r = await vision.classifySource(source, opts);
      telemetry.recorder.recordConfidences('classifier', [r.score]);
      return r;
    },
    embedSource: (source, opts) => vision.embedSource(source, opts),
    spec: (role) => vision.spec(role),
    findElement: async (q, opts) => {
      const settings = d.profileNow?.().settings;
      const r = withProfileClassifierFind(await vision.findElement(withProfileDetector(q, settings), opts), settings);
      recordVision(r.detect);
      return r;
    },
  };

  const statusOf = (s: AgentSnapshot): AgentStatus => {
    const { connected: _c, recentEvents: _e, ...status } = s;
    return status;
  };
  const modelsList = (): ModelInfo[] => {
    const s = agent.snapshot();
    const out: ModelInfo[] = [];
    for (const role of ROLES) {
      const rs = s.roles[role];
      if (!rs) continue;
      const m = rs.modelId ? agent.storedManifest(rs.modelId) : undefined;
      out.push({
        role,
        state: rs.state,
        ...(rs.modelId ? { modelId: rs.modelId } : {}),
        ...(rs.name ? { name: rs.name } : {}),
        ...(rs.version ? { version: rs.version } : {}),
        ...(rs.provider ? { provider: rs.provider } : {}),
        ...(m ? { labels: m.labels } : {}),
      });
    }
    return out;
  };
  const submitFeedback: BotServices['submitFeedback'] = async (fb): Promise<FeedbackSubmitResult> => {
    const id = randomUUID();
    const detectorId = host.status().roles.detector?.modelId;
    const feedback: Feedback = FeedbackSchema.parse({
      agentId: config.agentId,
      id,
      ts: new Date(d.clock.now()).toISOString(),
      kind: fb.kind,
      ...(detectorId ? { role: 'detector', modelId: detectorId } : {}),
      ...(fb.box ? { box: fb.box } : {}),
      ...(fb.expectedType ? { expectedType: fb.expectedType } : {}),
      ...(fb.detectedType ? { detectedType: fb.detectedType } : {}),
      ...(fb.note ? { note: fb.note } : {}),
      ...(fb.png ? { imagePng: fb.png.toString('base64') } : {}),
    });
    d.feedbackOutbox.enqueue(() => ({ topic: t.agentFeedback(config.agentId), payload: JSON.stringify(feedback) }));
    agent.auditLine({ ts: feedback.ts, event: 'feedback_stored', id, kind: feedback.kind });
    return { id, stored: true };
  };
  const base = createVisionBotServices({
    vision: observedVision,
    core: {
      status: () => statusOf(agent.snapshot()),
      modelsList,
      submitFeedback,
      onStatusChange: (l) =>
        agent.subscribe((c) => {
          if (c.kind === 'status') l(statusOf(c.status));
        }),
    },
  });
  let paused = false;
  const pausable = Object.create(base) as BotServices;
  for (const name of PAUSABLE) {
    const original = (base[name] as (...a: unknown[]) => Promise<unknown>).bind(base);
    (pausable as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      // "busy" tells a bot to retry later, which is what it should do while a person has paused detection.
      if (paused) return Promise.reject(new AgentError('busy', 'detection is paused by the user at this workstation; retry later'));
      return original(...args);
    };
  }
  return {
    services: d.wrap ? d.wrap(pausable) : pausable,
    get paused() {
      return paused;
    },
    setPaused(p) {
      paused = p;
    },
  };
}
