/**
 * The inference host's public types (DESIGN.md "Inference host"): its options, events, observers and status.
 */
import type { SessionProcessSpawner } from './session-spawner.js';
import type { NativeHostPaths } from './native-host.js';
import type { AgentEvent, Role } from '../../common/wire.js';

/** What the host reports; the agent core adds agentId, ts and seq and publishes it (wire.ts AgentEvent). */
export interface HostEvent {
  /** `worker_lost`: the worker serving a role ended (crashed, killed, a run past runTimeoutMs); the agent decides what to load */
  type: AgentEvent['type'] | 'worker_lost';
  role?: Role;
  modelId?: string;
  reason?: string;
  message?: string;
  details?: Record<string, unknown>;
}
export type HostEventListener = (e: HostEvent) => void;

/** Sees every completed run (the candidate guard, telemetry). Must be cheap: it runs on the hot path. */
export interface RunObserver {
  onRun(role: Role, modelId: string, ok: boolean, latencyMs: number): void;
}

export interface InferenceHostOptions {
  /** ordered provider list from config; filtered by platform (providers.ts) */
  providers?: string[];
  platform?: string;
  /** config latency budgets per role; a manifest's latencyBudgetMs takes precedence */
  latencyBudgetMs?: Partial<Record<Role, number>>;
  /** when neither manifest nor config names a budget (fleet default for the detector: 100 ms) */
  defaultLatencyBudgetMs?: number;
  warmupRuns?: number;
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  /** onnxruntime intra/inter-op threads spin-wait between ops (onnxruntime's default; here default false, see LoadOptions) */
  allowSpinning?: boolean;
  /** re-hash the bytes against modelId before loading (default true; issue 3 §7) */
  verifySha256?: boolean;
  /** share of its thread a load's self-test and warm-up runs may take (default 0.5, host-load.ts WARMUP_SHARE; 1 = back to back) */
  warmupShare?: number;
  /** give up on a load after this long (default 120 s); its worker is ended */
  loadTimeoutMs?: number;
  /**
   * a run not answered within this long fails with `timeout` and its worker is ended and replaced (issue 17
   * §1: a model whose run never ends); the role's model is then reported lost (`worker_lost`). 0 = never (default).
   */
  runTimeoutMs?: number;
  /**
   * where sessions live: 'thread' (worker threads, two per role, the default here) or 'process' (ONE
   * session process serving every role — the only kind that can be ended while onnxruntime is inside a
   * native call, session-process.ts — and new models loaded and warmed first in a warming process at lower
   * OS priority; worker-pool.ts, warming.ts)
   */
  isolation?: 'thread' | 'process';
  /** onnxruntime's CPU arena and memory patterns (default false: they hold every run's peak; providers.ts) */
  cpuMemArena?: boolean;
  /** keep one started worker ready so a new or recycled worker does not pay for thread start-up (default true) */
  prespawn?: boolean;
  /** recycle a session worker after it has loaded this many models (default 50; 0 = never) */
  recycleAfterLoads?: number;
  /**
   * recycle the worker that just released a session when process RSS (sampled after each release) has
   * grown by more than this since the lowest sample after the last recycle (default 256 MiB; 0 = off)
   */
  recycleRssGrowthBytes?: number;
  /**
   * hand the activation bytes' buffer to the worker instead of copying it on this thread (the
   * caller's `bytes` are detached afterwards). Default false; a request can also ask with `transferBytes`.
   */
  transferActivationBytes?: boolean;
  /** keep the previous generation loaded after a swap so rollback(role) is instant (default false) */
  keepPrevious?: boolean;
  onEvent?: HostEventListener;
  observers?: RunObserver[];
  /**
   * how a session process is started (isolation 'process'): Node's fork by default; the packaged desktop
   * app injects Electron's utilityProcess (its runAsNode fuse is off; issue 17 §3, session-spawner.ts)
   */
  sessionSpawner?: SessionProcessSpawner;
  /**
   * isolation 'process': the native session host to serve sessions in (native-host.ts, issue 17 §2); absent = a Node
   * session process (or `sessionSpawner`'s)
   */
  nativeHost?: NativeHostPaths;
  /** for tests: a different worker entry */
  workerUrl?: URL;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** hand the input buffers to the worker instead of copying them (they are detached here afterwards) */
  transfer?: boolean;
}

export interface RoleHostStatus {
  modelId: string;
  name: string;
  version: string;
  provider: string;
  leases: number;
  warmupP95Ms: number;
  activatedAt: number;
  /** generations still draining leases after a swap */
  draining: { modelId: string; leases: number }[];
  previous?: string;
}
export interface InferenceHostStatus {
  roles: Partial<Record<Role, RoleHostStatus>>;
  /** session workers alive (not counting the pre-started spare nor a warming process) */
  workers: number;
  /** per role: thread ids of its workers, or the pid of the session process serving it (a recycled worker shows up as a new id) */
  threads: Partial<Record<Role, number[]>>;
  /** sessions loaded or loading across all workers */
  sessions: number;
  /** workers ended and replaced so far (recycleAfterLoads, recycleRssGrowthBytes, recycle()) */
  recycledWorkers: number;
  /** false on Linux when glibc's mmap threshold is not fixed where the sessions live: RSS then grows over swaps (malloc.ts) */
  mallocTuned: boolean;
}
