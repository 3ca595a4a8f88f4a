/**
 * The agent service: the ONE composition root of the agent process, used by both `rpa-agent run` and the
 * Electron main process (via src/desktop/agent-runtime.ts)
 * (DESIGN.md "One agent core serves both the Electron tray app and a headless mode"). It wires
 *
 *   InferenceHost (the activator, providers from config)  ←  Agent core (trust, store, MQTT, releases)
 *   CandidateGuard (the agent core's own: fed the host's runs, its verdicts inputs to the role state machine)
 *   VisionPipeline over the host (runnerFromHost, specs from the active models' signed manifests)
 *   Bot endpoint (createVisionBotServices; status/models/feedback from the agent; alarms → agent events)
 *   Telemetry (windows on agents/{id}/metrics through the SQLite outbox, over the agent's MQTT connection)
 *   Shadow runs (a second InferenceHost holding the shadow candidate, fed a sample of real detect requests)
 *   Local admin rollback (control files in the data dir, see local-admin.ts)
 *
 * Each concern is wired in its own file under ./service/. Lifetime (docs/ARCHITECTURE.md "Lifetimes"):
 * whatever this function creates goes into its DisposableStore as it is created; close() hands the store to
 * the one bounded shutdown runner (src/common/lifetime.ts), which closes in reverse order, each step under a
 * deadline, and logs the step that overran. A failure part-way through start-up closes what was made.
 *
 *   const svc = await startAgentService({ config, secretStore, logger });
 *   svc.snapshot(); await svc.close();
 */
import { toAgentError } from '../common/errors.js';
import { DisposableStore, runShutdown, systemTimers, type Timers } from '../common/lifetime.js';
import type { TrustFile } from '../common/trust-file.js';
import { ROLES, type MetricsWindow, type ModelManifest, type Role } from '../common/wire.js';
import { AGENT_VERSION, createAgent, type Agent, type AgentSnapshot } from './agent.js';
import type { AgentConfig } from './config.js';
import { defaultEndpointPath, getOrCreateEndpointSecret, startBotEndpoint, type BotEndpoint, type BotServices, type EndpointLimits } from './endpoint/index.js';
import { InferenceHost, resolveSessionHost, type CandidateGuard, type InferenceHostOptions, type InferenceHostStatus } from './inference/index.js';
import { watchRollbackRequests, writeAgentLock } from './local-admin.js';
import { silentLogger, type Logger } from './runtime.js';
import type { SecretStore } from './secrets/secret-store.js';
import { createServiceBotServices } from './service/bot-services.js';
import { createShadow, type ShadowState } from './service/shadow.js';
import { startServiceTelemetry } from './service/telemetry-wiring.js';
import type { Telemetry } from './telemetry/index.js';
import { createScreenCapturer, type ScreenCapturer } from './vision/capture.js';
import { runnerFromHost, specProviderFromManifests } from './vision/host-adapter.js';
import { VisionPipeline } from './vision/pipeline.js';
import { resolveProfile, type ProfileStatus } from '../common/profiles.js';

export { TELEMETRY_DB_FILE } from './service/telemetry-wiring.js';
export type { ShadowState } from './service/shadow.js';

/** Shutdown bounds (logoff, OS shutdown, service stop): one stuck component cannot keep the process alive. */
export const SERVICE_CLOSE_STEP_MS = 5000;
export const SERVICE_CLOSE_TOTAL_MS = 10_000;

export interface AgentServiceDeps {
  config: AgentConfig;
  secretStore: SecretStore;
  logger?: Logger;
  /** the clock and timers of everything the service makes (src/common/lifetime.ts); tests may pass FakeTimers */
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
  /** closes everything the service created, bounded (SERVICE_CLOSE_*); never throws */
  close(): Promise<void>;
}

export async function startAgentService(deps: AgentServiceDeps): Promise<AgentService> {
  const { config, secretStore } = deps;
  const logger = deps.logger ?? silentLogger;
  const timers = deps.timers ?? systemTimers;
  const agentVersion = deps.agentVersion ?? AGENT_VERSION;
  const store = new DisposableStore();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= runShutdown('agent service close', store.drainSteps(), { stepTimeoutMs: SERVICE_CLOSE_STEP_MS, totalTimeoutMs: SERVICE_CLOSE_TOTAL_MS, timers }).then((r) => {
      for (const s of r.steps) if (!s.ok) logger.warn('close step failed', { step: s.name, error: s.error, ...(s.overran ? { overran: true } : {}) });
    }));

  try {
    // 1. The inference host is THE activator (issue 3); providers from config, platform default otherwise.
    //    The service creates it, so the service closes it (after the agent that uses it: reverse order).
    //    With process isolation the sessions live in the native session host where it is built, else in a Node
    //    session process (config inference.host; a bad_config error when 'native' is asked for and missing).
    const sessionHost = config.inference.isolation === 'process' ? resolveSessionHost(config.inference.host) : undefined;
    if (sessionHost) logger.info('session host', { host: sessionHost.native ? 'native' : 'node', why: sessionHost.why });
    const hostOptions: InferenceHostOptions = {
      ...(config.inference.providers ? { providers: config.inference.providers } : {}),
      ...(config.inference.intraOpNumThreads ? { intraOpNumThreads: config.inference.intraOpNumThreads } : {}),
      isolation: config.inference.isolation,
      ...(sessionHost?.native ? { nativeHost: sessionHost.native } : {}),
      // a spare session process costs a whole process's memory; a spare thread is cheap
      prespawn: config.inference.isolation === 'thread',
      runTimeoutMs: config.inference.runTimeoutMs,
      loadTimeoutMs: config.inference.loadTimeoutMs,
      latencyBudgetMs: { detector: config.latencyBudgetMs },
      defaultLatencyBudgetMs: config.latencyBudgetMs,
      ...deps.host,
    };
    const host = store.add(new InferenceHost(hostOptions), 'inference host');
    store.add(host.on((e) => logger.info(`host ${e.type}`, { role: e.role, modelId: e.modelId, reason: e.reason, message: e.message })), 'host log listener');

    // 2. The agent core over the host. It owns the candidate guard (fed the host's runs; its verdicts are inputs
    //    to the role state machine, src/agent/guard-inputs.ts) and disposes it; the host is the service's.
    const agent = store.add(
      await createAgent({ config, secretStore, activator: host, logger, clock: timers, timers, agentVersion, ...(deps.trust ? { trust: deps.trust } : {}), ...(deps.guardCheckMs ? { guardCheckMs: deps.guardCheckMs } : {}) }),
      'agent (state saved, offline status published)',
    );
    const guard = agent.guard;

    // 3. Telemetry: windows in the SQLite outbox, published over the agent's MQTT connection; feedback outbox.
    // The profile's settings under the release followed now (issue 21 §2), read once per release seq.
    let profileMemo: { seq: number | undefined; profile: ProfileStatus } | undefined;
    const profileNow = (): ProfileStatus => {
      const r = agent.acceptedRelease();
      if (!profileMemo || profileMemo.seq !== r?.seq) profileMemo = { seq: r?.seq, profile: resolveProfile(r?.release.profiles, config.profile) };
      return profileMemo.profile;
    };
    const { telemetry, feedbackOutbox, syncRoleInfo } = startServiceTelemetry({ agent, host, config, logger, timers, store, profileNow, ...(deps.onMetricsWindow ? { onMetricsWindow: deps.onMetricsWindow } : {}) });

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
      // ours to close; a capturer passed in belongs to the caller
      const c = capturer;
      store.add(() => c.close?.(), 'screen capturer');
      logger.info('screen capture', { changeSignal: c.captureStats?.().changeSignal ?? 'none' });
    }
    const vision = store.add(new VisionPipeline({ runner: runnerFromHost(host), specs: specProviderFromManifests(activeManifest), cacheEntries: config.vision.cacheEntries, ...(capturer ? { capturer } : {}) }), 'vision pipeline');

    // 5. Shadow candidates: loaded in their own host, never in the active slot; fed a sample of detect requests.
    const shadow = store.add(createShadow({ agent, config, logger, hostOptions, telemetry, mainHost: host, activeManifest }), 'shadow candidates');

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
    store.add(
      agent.subscribe((c) => {
        if (c.kind === 'status') {
          syncRoleInfo();
          shadow.sync();
          return;
        }
        const e = c.event;
        if (e.type === 'activated' && (e.role === 'detector' || e.role === 'classifier')) warmVision();
      }),
      'role-info and warm-up listener',
    );

    // 7. Bot services: vision + the agent core (status, models, feedback), paused from the tray.
    const bot = createServiceBotServices({ agent, host, vision, telemetry, feedbackOutbox, shadow, config, clock: timers, profileNow, ...(deps.wrapServices ? { wrap: deps.wrapServices } : {}) });
    const services = bot.services;

    // 8. The endpoint: socket per user, secret from the credential store (created on first run).
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
          timers,
          ...(deps.endpointLimits ? { limits: deps.endpointLimits } : {}),
          observer: {
            alarm: (reason, message, details) => void agent.report({ type: 'endpoint_alarm', reason, message, ...(details ? { details } : {}) }),
            audit: (entry) => agent.auditLine({ source: 'endpoint', ...entry }),
          },
        });
        store.add(endpoint, 'bot endpoint');
      } catch (e) {
        const err = toAgentError(e);
        // A squatted or unsafe socket path is an alarm (already reported as endpoint_alarm by the endpoint),
        // never worked around; the agent keeps managing its models without an endpoint.
        if (err.code !== 'endpoint_in_use' && err.code !== 'endpoint_insecure') throw err;
        logger.error('bot endpoint not started', { code: err.code, error: err.message });
        endpoint = undefined;
      }
    }

    // 9. Local admin rollback: control files in the (user-private) data dir; a lock file says we run.
    const lock = writeAgentLock(config.dataDir, { pid: process.pid, agentId: config.agentId, ...(endpointPath ? { endpointPath } : {}) });
    store.add(() => lock.release(), 'agent lock file');
    store.add(
      watchRollbackRequests(config.dataDir, {
        pollMs: deps.controlPollMs ?? 500,
        handle: async (req) => {
          agent.auditLine({ ts: new Date(timers.now()).toISOString(), event: 'admin_rollback_requested', role: req.role, id: req.id });
          return agent.rollbackToPrevious(req.role);
        },
        onError: (e) => logger.warn('rollback control', { error: e.message }),
      }),
      'rollback control watcher',
    );

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
        return bot.paused;
      },
      setDetectionPaused(p) {
        if (bot.paused === p) return;
        bot.setPaused(p);
        agent.auditLine({ ts: new Date(timers.now()).toISOString(), event: p ? 'detection_paused' : 'detection_resumed' });
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
          detectionPaused: bot.paused,
        };
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
