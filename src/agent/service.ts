/**
 * The agent service: the ONE composition root that both `rpa-agent run` and the Electron main process use
 * (DESIGN.md "One agent core serves both the Electron tray app and a headless mode"). It wires
 *
 *   InferenceHost (the activator, providers from config)  ←  Agent core (trust, store, MQTT, releases)
 *   CandidateGuard (the agent core's own: fed the host's runs, its verdicts inputs to the role state machine)
 *   VisionPipeline over the host (runnerFromHost, specs from the active models' signed manifests)
 *   Bot endpoint (createVisionBotServices; status/models/feedback from the agent; alarms → agent events)
 *   Telemetry (windows on agents/{id}/metrics through the SQLite outbox, over the agent's MQTT connection)
 *   Shadow runs (a second InferenceHost holding the shadow candidate, fed a sample of real detect requests)
 *   Local admin rollback (control files in the data dir, see rollback-control.ts)
 *
 *   const svc = await startAgentService({ config, secretStore, logger });
 *   svc.snapshot(); await svc.close();
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FeedbackSubmitResult, ModelInfo } from '../common/bot-protocol.js';
import { takesCandidate } from '../common/selector.js';
import { AgentError, toAgentError } from '../common/errors.js';
import type { LabelledBox } from '../common/metrics.js';
import { topics as topicsFor } from '../common/topics.js';
import type { TrustFile } from '../common/trust-file.js';
import { FeedbackSchema, ROLES, type AgentStatus, type Feedback, type MetricsWindow, type ModelManifest, type Role } from '../common/wire.js';
import { AGENT_VERSION, createAgent, type Agent, type AgentSnapshot } from './agent.js';
import type { AgentConfig } from './config.js';
import { defaultEndpointPath, getOrCreateEndpointSecret, startBotEndpoint, type BotEndpoint, type BotServices, type EndpointLimits } from './endpoint/index.js';
import { createVisionBotServices } from './endpoint/vision-services.js';
import { InferenceHost, type CandidateGuard, type InferenceHostOptions, type InferenceHostStatus } from './inference/index.js';
import { watchRollbackRequests, writeAgentLock, type RollbackWatcher } from './rollback-control.js';
import { silentLogger, systemClock, systemTimers, type Clock, type Logger, type Timers } from './runtime.js';
import type { SecretStore } from './secrets/secret-store.js';
import { detectionAgreement, Outbox, startTelemetry, type Telemetry } from './telemetry/index.js';
import { createScreenCapturer, type ScreenCapturer } from './vision/capture.js';
import { runnerFromHost, specProviderFromManifests } from './vision/host-adapter.js';
import { resolveProfile, type ProfileStatus } from '../common/profiles.js';
import { withProfileClassifier, withProfileClassifierFind, withProfileDetector } from './vision-profile.js';
import { VisionPipeline, type DetectRequest, type DetectResponse } from './vision/pipeline.js';
import type { ModelRunner } from './vision/types.js';

export const TELEMETRY_DB_FILE = 'telemetry.sqlite';

export interface AgentServiceDeps {
  config: AgentConfig;
  secretStore: SecretStore;
  logger?: Logger;
  clock?: Clock;
  timers?: Timers;
  agentVersion?: string;
  /** overrides reading config.trustFile (tests) */
  trust?: TrustFile;
  /** extra InferenceHost options (tests: fewer warm-up runs, a latency budget) */
  host?: Partial<InferenceHostOptions>;
  /** a screen capturer; null = none (PNG sources only); default: node-screenshots when config.vision.capture */
  capturer?: ScreenCapturer | null;
  /** wraps the bot services before the endpoint serves them (the desktop counts requests) */
  wrapServices?: (s: BotServices) => BotServices;
  endpointLimits?: Partial<EndpointLimits>;
  /** every telemetry window as it is stored (the status window's chart) */
  onMetricsWindow?: (w: MetricsWindow) => void;
  /** how often the candidate guard re-judges its window without new runs (default 1 s) */
  guardCheckMs?: number;
  /** how often the data dir's control folder is polled for rollback requests (default 500 ms) */
  controlPollMs?: number;
}

export interface ShadowState {
  role: Role;
  modelId: string;
  rolloutId: string;
  state: 'fetching' | 'loading' | 'active' | 'failed';
  error?: string;
}

export interface AgentServiceSnapshot {
  agent: AgentSnapshot;
  host: InferenceHostStatus;
  vision: ReturnType<VisionPipeline['stats']>;
  endpoint: { listening: boolean; path?: string; connections: number; queued: number; running: number };
  telemetry: { pendingMetrics: number; pendingFeedback: number };
  guard: Partial<Record<Role, { modelId: string; phase: string }>>;
  shadow: ShadowState[];
  detectionPaused: boolean;
}

export interface AgentService {
  readonly agent: Agent;
  readonly host: InferenceHost;
  readonly vision: VisionPipeline;
  readonly services: BotServices;
  readonly endpoint: BotEndpoint | undefined;
  readonly endpointPath: string | undefined;
  readonly telemetry: Telemetry;
  readonly guard: CandidateGuard;
  readonly config: AgentConfig;
  snapshot(): AgentServiceSnapshot;
  /** the tray's "pause detection": detect/classify/findElement/embed answer `busy` meanwhile */
  setDetectionPaused(paused: boolean): void;
  readonly detectionPaused: boolean;
  /** manual rollback (rpa-agent rollback): see Agent.rollbackToPrevious */
  rollback(role: Role): Promise<{ from: string; to: string }>;
  close(): Promise<void>;
}

/** The vision pipeline's calls, with what telemetry needs recorded around them. */
type VisionCalls = Pick<VisionPipeline, 'detect' | 'classifySource' | 'embedSource' | 'findElement' | 'spec'>;

const PAUSABLE = ['detect', 'classify', 'findElement', 'embed'] as const;

export async function startAgentService(deps: AgentServiceDeps): Promise<AgentService> {
  const { config, secretStore } = deps;
  const logger = deps.logger ?? silentLogger;
  const clock = deps.clock ?? systemClock;
  const timers = deps.timers ?? systemTimers;
  const agentVersion = deps.agentVersion ?? AGENT_VERSION;
  const t = topicsFor(config.topicPrefix);
  const disposers: (() => unknown)[] = [];
  // Shutdown is bounded (logoff, OS shutdown, service stop): a step that does not finish in time is
  // logged by its position and skipped, so one stuck component cannot keep the process alive.
  const closeAll = async () => {
    const steps = disposers.splice(0).reverse();
    for (const [i, d] of steps.entries()) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(d),
          new Promise<void>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`close step ${steps.length - i} of ${steps.length} did not finish in 5 s`)), 5000);
            timer.unref?.();
          }),
        ]);
      } catch (e) {
        logger.warn('close step failed', { error: (e as Error).message });
      } finally {
        if (timer) clearTimeout(timer);
      }
    }
  };

  // 1. The inference host is THE activator (issue 3); providers from config, platform default otherwise.
  const hostOptions: InferenceHostOptions = {
    ...(config.inference.providers ? { providers: config.inference.providers } : {}),
    ...(config.inference.intraOpNumThreads ? { intraOpNumThreads: config.inference.intraOpNumThreads } : {}),
    isolation: config.inference.isolation,
    // a spare session process costs a whole process's memory; a spare thread is cheap
    prespawn: config.inference.isolation === 'thread',
    runTimeoutMs: config.inference.runTimeoutMs,
    loadTimeoutMs: config.inference.loadTimeoutMs,
    latencyBudgetMs: { detector: config.latencyBudgetMs },
    defaultLatencyBudgetMs: config.latencyBudgetMs,
    ...deps.host,
  };
  const host = new InferenceHost(hostOptions);
  host.on((e) => logger.info(`host ${e.type}`, { role: e.role, modelId: e.modelId, reason: e.reason, message: e.message }));

  // 2. The agent core over the host; it owns the candidate guard (fed the host's runs). Whoever creates a
  //    resource disposes it: the host is closed here, after the agent.
  let agent: Agent;
  try {
    agent = await createAgent({ config, secretStore, activator: host, logger, clock, timers, agentVersion, ...(deps.trust ? { trust: deps.trust } : {}), ...(deps.guardCheckMs ? { guardCheckMs: deps.guardCheckMs } : {}) });
  } catch (e) {
    await host.close().catch(() => {});
    throw e;
  }
  disposers.push(() => host.close());
  disposers.push(() => agent.close());
  const guard = agent.guard;

  try {
    // 3. Telemetry: windows in the SQLite outbox, published over the agent's MQTT connection.
    const db = new Database(join(config.dataDir, TELEMETRY_DB_FILE));
    db.pragma('journal_mode = WAL');
    disposers.push(() => db.close());
    // The profile's settings under the release followed now (issue 21 §2), read once per release seq.
    let profileMemo: { seq: number | undefined; profile: ProfileStatus } | undefined;
    const profileNow = (): ProfileStatus => {
      const r = agent.acceptedRelease();
      if (!profileMemo || profileMemo.seq !== r?.seq) profileMemo = { seq: r?.seq, profile: resolveProfile(r?.release.profiles, config.profile) };
      return profileMemo.profile;
    };
    const telemetry = startTelemetry({
      client: agent.outboxClient(),
      db,
      agentId: config.agentId,
      clock: () => clock.now(),
      windowMs: config.telemetry.windowSec * 1000,
      topicPrefix: config.topicPrefix,
      releaseInfo: () => {
        const r = agent.acceptedRelease();
        return { channel: config.channel, ...(r ? { releaseSeq: r.seq } : {}), profile: profileNow().applied };
      },
      shadow: { sampleRate: config.telemetry.shadowSampleRate, maxCpuShare: config.telemetry.shadowMaxCpuShare },
      onError: (e) => logger.warn('telemetry', { error: e.message }),
      ...(deps.onMetricsWindow ? { onWindow: deps.onMetricsWindow } : {}),
    });
    disposers.push(() => telemetry.close());
    // every completed run: count, errors, latency (the host is the only place that sees them all)
    disposers.push(host.addObserver({ onRun: (role, _modelId, ok, latencyMs) => telemetry.recorder.record(role, { latencyMs, ok }) }));

    // Feedback from bots: FeedbackSchema on agents/{id}/feedback, kept in the same SQLite outbox while offline.
    const feedbackOutbox = new Outbox({ db, client: agent.outboxClient(), stream: 'feedback', onError: (e) => logger.warn('feedback outbox', { error: e.message }) });
    disposers.push(() => feedbackOutbox.close());
    feedbackOutbox.flush();

    // 4. Vision pipeline over the host; specs from the signed manifests of the models the host serves now.
    const activeManifest = (role: Role): ModelManifest | undefined => {
      const id = host.status().roles[role]?.modelId;
      return id ? agent.storedManifest(id) : undefined;
    };
    let capturer: ScreenCapturer | undefined = deps.capturer ?? undefined;
    if (deps.capturer === undefined && config.vision.capture && (process.platform === 'win32' || process.platform === 'darwin' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY)) {
      capturer = await createScreenCapturer().catch((e: unknown) => {
        logger.warn('screen capture unavailable; PNG sources only', { error: (e as Error).message });
        return undefined;
      });
    }
    if (capturer && capturer !== deps.capturer) {
      const c = capturer;
      disposers.push(() => c.close?.());
      logger.info('screen capture', { changeSignal: c.captureStats?.().changeSignal ?? 'none' });
    }
    const vision = new VisionPipeline({ runner: runnerFromHost(host), specs: specProviderFromManifests(activeManifest), cacheEntries: config.vision.cacheEntries, ...(capturer ? { capturer } : {}) });
    disposers.push(() => vision.close());

    // 5. Shadow candidates: loaded in their own host, never in the active slot; fed a sample of detect requests.
    const shadow = createShadow({ agent, config, logger, hostOptions, telemetry, mainHost: host, activeManifest });
    disposers.push(() => shadow.close());

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
        const r = withProfileClassifier(await vision.detect(withProfileDetector(req, profileNow().settings), opts), profileNow().settings);
        recordVision(r);
        shadow.offer(req, r);
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
        const r = withProfileClassifierFind(await vision.findElement(withProfileDetector(q, profileNow().settings), opts), profileNow().settings);
        recordVision(r.detect);
        return r;
      },
    };

    // Role info on each window (model, version, provider, cohort, baseline for drift).
    const syncRoleInfo = () => {
      const s = agent.snapshot();
      for (const role of ROLES) {
        const rs = s.roles[role];
        if (!rs?.modelId) {
          telemetry.setRoleInfo(role, undefined);
          continue;
        }
        const m = agent.storedManifest(rs.modelId);
        telemetry.setRoleInfo(role, {
          modelId: rs.modelId,
          ...(rs.version ? { version: rs.version } : {}),
          ...(rs.provider ? { provider: rs.provider } : {}),
          ...(rs.cohort ? { cohort: rs.cohort } : {}),
          ...(rs.rolloutId ? { rolloutId: rs.rolloutId } : {}),
          ...(m?.baseline ? { baselineConfidence: m.baseline.confidenceHistogram } : {}),
        });
      }
    };

    syncRoleInfo();
    shadow.sync();
    // the first detect of a process would pay JIT and buffer set-up; do it now, off any bot's call
    // (the primary monitor's size, so the buffers kept for reuse fit the frames to come; 1920x1080 without a screen)
    const warmVision = () => {
      let size: { width: number; height: number } | undefined;
      try {
        const m = capturer?.monitors().find((x) => x.isPrimary);
        if (m && m.width > 0 && m.height > 0) size = { width: m.width, height: m.height };
      } catch {
        // no monitor list: the default size warms the same code
      }
      void vision.warmUp(size).catch((e: unknown) => logger.warn('vision warm-up', { error: (e as Error).message }));
    };
    warmVision();
    disposers.push(
      agent.subscribe((c) => {
        if (c.kind === 'status') {
          syncRoleInfo();
          shadow.sync();
          return;
        }
        const e = c.event;
        if (e.type === 'activated' && (e.role === 'detector' || e.role === 'classifier')) warmVision();
      }),
    );

    // 6. Bot services: vision + the agent core (status, models, feedback), paused from the tray.
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
        ts: new Date(clock.now()).toISOString(),
        kind: fb.kind,
        ...(detectorId ? { role: 'detector', modelId: detectorId } : {}),
        ...(fb.box ? { box: fb.box } : {}),
        ...(fb.expectedType ? { expectedType: fb.expectedType } : {}),
        ...(fb.detectedType ? { detectedType: fb.detectedType } : {}),
        ...(fb.note ? { note: fb.note } : {}),
        ...(fb.png ? { imagePng: fb.png.toString('base64') } : {}),
      });
      feedbackOutbox.enqueue(() => ({ topic: t.agentFeedback(config.agentId), payload: JSON.stringify(feedback) }));
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
    const services = deps.wrapServices ? deps.wrapServices(pausable) : pausable;

    // 7. The endpoint: socket per user, secret from the credential store (created on first run).
    let endpoint: BotEndpoint | undefined;
    let endpointPath: string | undefined;
    if (config.endpoint.enabled) {
      endpointPath = config.endpoint.path ?? defaultEndpointPath();
      const secret = await getOrCreateEndpointSecret(secretStore);
      try {
        endpoint = await startBotEndpoint({
          path: endpointPath,
          secret,
          services,
          agentVersion,
          ...(deps.endpointLimits ? { limits: deps.endpointLimits } : {}),
          observer: {
            alarm: (reason, message, details) => void agent.report({ type: 'endpoint_alarm', reason, message, ...(details ? { details } : {}) }),
            audit: (entry) => agent.auditLine({ source: 'endpoint', ...entry }),
          },
        });
      } catch (e) {
        const err = toAgentError(e);
        // A squatted or unsafe socket path is an alarm (already reported as endpoint_alarm by the endpoint),
        // never worked around; the agent keeps managing its models without an endpoint.
        if (err.code !== 'endpoint_in_use' && err.code !== 'endpoint_insecure') throw err;
        logger.error('bot endpoint not started', { code: err.code, error: err.message });
        endpoint = undefined;
      }
      if (endpoint) {
        const ep = endpoint;
        disposers.push(() => ep.close());
      }
    }

    // 8. Local admin rollback: control files in the (user-private) data dir; a lock file says we run.
    const lock = writeAgentLock(config.dataDir, { pid: process.pid, agentId: config.agentId, ...(endpointPath ? { endpointPath } : {}) });
    disposers.push(() => lock.release());
    const rollbackWatcher: RollbackWatcher = watchRollbackRequests(config.dataDir, {
      pollMs: deps.controlPollMs ?? 500,
      handle: async (req) => {
        agent.auditLine({ ts: new Date(clock.now()).toISOString(), event: 'admin_rollback_requested', role: req.role, id: req.id });
        return agent.rollbackToPrevious(req.role);
      },
      onError: (e) => logger.warn('rollback control', { error: e.message }),
    });
    disposers.push(() => rollbackWatcher.close());

    return {
      agent,
      host,
      vision,
      services,
      endpoint,
      endpointPath,
      telemetry,
      guard,
      config,
      get detectionPaused() {
        return paused;
      },
      setDetectionPaused(p) {
        if (paused === p) return;
        paused = p;
        agent.auditLine({ ts: new Date(clock.now()).toISOString(), event: p ? 'detection_paused' : 'detection_resumed' });
      },
      rollback: (role) => agent.rollbackToPrevious(role),
      snapshot(): AgentServiceSnapshot {
        const g: AgentServiceSnapshot['guard'] = {};
        const s = agent.snapshot();
        for (const role of ROLES) {
          const phase = guard.phase(role);
          const id = s.roles[role]?.modelId;
          if (phase && id) g[role] = { modelId: id, phase };
        }
        return {
          agent: s,
          host: host.status(),
          vision: vision.stats(),
          endpoint: { listening: endpoint !== undefined, ...(endpointPath ? { path: endpointPath } : {}), ...(endpoint?.stats ?? { connections: 0, queued: 0, running: 0 }) },
          telemetry: { pendingMetrics: telemetry.outbox.pending(), pendingFeedback: feedbackOutbox.pending() },
          guard: g,
          shadow: shadow.states(),
          detectionPaused: paused,
        };
      },
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------- shadow

interface ShadowDeps {
  agent: Agent;
  config: AgentConfig;
  logger: Logger;
  hostOptions: InferenceHostOptions;
  telemetry: Telemetry;
  mainHost: InferenceHost;
  activeManifest: (role: Role) => ModelManifest | undefined;
}

interface Shadow {
  /** re-reads the release: loads, swaps or drops shadow candidates */
  sync(): void;
  /** maybe mirrors one detect request to the shadow candidate (never delays or changes the answer) */
  offer(req: DetectRequest, stable: DetectResponse): void;
  states(): ShadowState[];
  close(): Promise<void>;
}

/**
 * Shadow mode (issue 6): when the release marks a role's candidate `shadow: true` and this agent is in the
 * cohort, the candidate is fetched over the same trust path as any model (signed manifest, chunk hashes,
 * whole-file sha256; Agent.fetchShadowModel) and loaded in a second InferenceHost, so the active slot keeps
 * serving stable. A sample of detect requests is re-run with the candidate in that role (ShadowRunner:
 * sampled, concurrency- and CPU-bounded); only the agreement and latency are reported, in the metrics window.
 */
function createShadow(d: ShadowDeps): Shadow {
  let shadowHost: InferenceHost | undefined;
  let current: (ShadowState & { manifest?: ModelManifest; abort: AbortController }) | undefined;
  let pipeline: VisionPipeline | undefined;
  let closed = false;

  const drop = async () => {
    const c = current;
    current = undefined;
    pipeline?.close();
    pipeline = undefined;
    c?.abort.abort();
    if (shadowHost) await shadowHost.deactivate(c?.role ?? 'detector').catch(() => {});
  };

  const load = async (st: NonNullable<typeof current>) => {
    try {
      const { manifest, bytes } = await d.agent.fetchShadowModel(st.role, st.modelId, { signal: st.abort.signal });
      if (current !== st || closed) return;
      st.state = 'loading';
      shadowHost ??= new InferenceHost({ ...d.hostOptions, prespawn: false });
      await shadowHost.activate({ role: st.role, modelId: st.modelId, manifest, bytes, signal: st.abort.signal });
      if (current !== st || closed) return;
      st.manifest = manifest;
      st.state = 'active';
      const sh = shadowHost;
      const runner: ModelRunner = (role, feeds, opts) => (role === st.role ? runnerFromHost(sh) : runnerFromHost(d.mainHost))(role, feeds, opts);
      const specOf = specProviderFromManifests((role) => (role === st.role ? manifest : d.activeManifest(role)));
      pipeline = new VisionPipeline({ runner, specs: specOf, cacheEntries: 0 });
      d.logger.info('shadow candidate loaded', { role: st.role, modelId: st.modelId });
    } catch (e) {
      if (current !== st) return;
      const err = toAgentError(e);
      st.state = 'failed';
      st.error = `${err.code}: ${err.message}`;
      d.logger.warn('shadow candidate failed', { role: st.role, modelId: st.modelId, error: st.error });
    }
  };

  return {
    sync() {
      if (closed) return;
      const rel = d.agent.acceptedRelease()?.release;
      let want: { role: Role; modelId: string; rolloutId: string } | undefined;
      for (const role of ROLES) {
        const c = rel?.roles[role]?.candidate;
        // only detector and classifier answers are compared (what a detect request produces)
        if (c?.shadow && role !== 'similarity' && takesCandidate(d.config.agentId, d.config.labels, c)) {
          want = { role, modelId: c.modelId, rolloutId: c.rolloutId };
          break;
        }
      }
      if (current && want && current.modelId === want.modelId && current.role === want.role) return;
      if (!want && !current) return;
      void drop().then(() => {
        if (!want || closed) return;
        const st = { ...want, state: 'fetching' as const, abort: new AbortController() } as NonNullable<typeof current>;
        current = st;
        void load(st);
      });
    },
    offer(req, stable) {
      const st = current;
      const p = pipeline;
      if (!st || st.state !== 'active' || !p || stable.cached) return;
      d.telemetry.shadow.offer<LabelledBox[]>(
        st.role,
        st.modelId,
        labelled(stable),
        async () => labelled(await p.detect({ ...req, classify: true })),
        (a, b) => detectionAgreement(a, b),
      );
    },
    states: () => (current ? [{ role: current.role, modelId: current.modelId, rolloutId: current.rolloutId, state: current.state, ...(current.error ? { error: current.error } : {}) }] : []),
    async close() {
      closed = true;
      await drop();
      await shadowHost?.close();
    },
  };
}

/** Elements as labelled boxes: the classifier's label when it ran (a classifier shadow), else the type. */
function labelled(r: DetectResponse): LabelledBox[] {
  return r.elements.map((e) => ({ box: e.box, classId: e.label ?? e.type }));
}
