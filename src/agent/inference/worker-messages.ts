/**
 * The message contract between the inference host (main thread) and a session worker (a long-lived
 * worker thread that holds the sessions of one role: the serving one, one loading, one draining, the
 * kept previous). Every session message names its generation (`gid`). One file for both sides, as for
 * every boundary in this project.
 * Tensors cross as plain typed arrays: outputs are transferred (zero copy). Big inputs cross in a pooled
 * ArrayBuffer the host transfers and the worker hands back with the result (one copy, on the host), or
 * in the caller's own buffer (`transfer`), or in a SharedArrayBuffer (copied once into worker scratch).
 */
import type { ErrorCode } from '../../common/errors.js';
import type { ModelManifest } from '../../common/wire.js';

export type TensorData =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | BigInt64Array
  | BigUint64Array
  | Uint32Array;

/** A tensor as it crosses the worker boundary and the host API. */
export interface TensorPayload {
  type: string;
  data: TensorData;
  dims: readonly number[];
}
export type Feeds = Record<string, TensorPayload>;
export type Outputs = Record<string, TensorPayload>;

/** Steps of the loading pipeline (issue 3 §2), reported with every failure. */
export type LoadStep = 'verify' | 'create' | 'contract' | 'self_test' | 'warmup' | 'latency';

export interface LoadOptions {
  /** ordered, already filtered by platform */
  providers: string[];
  latencyBudgetMs: number;
  warmupRuns: number;
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  /**
   * let onnxruntime's intra-op threads spin-wait for work between ops (its default). Off by default
   * here: on a machine whose cores are shared (the agent runs beside the user's applications) spinning
   * threads take CPU from the event loop and from the other session while a model loads.
   */
  allowSpinning: boolean;
  /** onnxruntime log severity (0 verbose … 4 fatal); 3 keeps an unavailable provider's load error off stderr */
  logSeverityLevel: 0 | 1 | 2 | 3 | 4;
  /** check sha256(bytes) === manifest.sha256 === modelId before creating the session (issue 3 §7) */
  verifySha256: boolean;
  /** onnxruntime's CPU arena and memory patterns (default off: they hold each run's peak memory; providers.ts leanSessionOptions) */
  cpuMemArena?: boolean;
  /**
   * the share of the loading thread the self-test and warm-up runs may take (0 < share ≤ 1, default 1): after a run
   * of t ms the load waits t × (1/share − 1) ms, so a load beside serving sessions leaves them the cores (issue 17 §2)
   */
  warmupShare?: number;
}

export interface ProviderAttempt {
  provider: string;
  reason: string;
}

export type ToWorker =
  /**
   * `fromShared`: the bytes are a copy of the host's own (a session process, a load thread in it): the worker
   * uses them in place and keeps no copy for the host (`retained`)
   */
  | { t: 'load'; gid: number; modelId: string; manifest: ModelManifest; bytes: SharedArrayBuffer | ArrayBuffer; byteLength: number; options: LoadOptions; fromShared?: boolean; parts?: boolean }
  /** `lent`: input buffers the host lent for this run (pooled); the worker hands them back in `result` */
  | { t: 'run'; gid: number; id: number; feeds: Feeds; lent?: boolean }
  /** release one session once its queued runs are done; answers `released` */
  | { t: 'release'; gid: number }
  | { t: 'close' };

/**
 * Over a session process's channel only (session-process.ts sendInParts, worker-port.ts): a big load's bytes
 * arrive first in parts, then the load itself with `parts: true` and empty `bytes`.
 */
export interface LoadPart {
  t: 'load_part';
  gid: number;
  offset: number;
  total: number;
  data: Uint8Array;
}

/** Over a Node session process's channel (session-process.ts sendBulk): the next `total` bytes on the bulk pipe are load `gid`'s. */
export interface LoadBulk {
  t: 'load_bulk';
  gid: number;
  total: number;
}

export type FromWorker =
  | { t: 'ready' }
  | {
      t: 'loaded';
      gid: number;
      provider: string;
      failedProviders: ProviderAttempt[];
      warmupP95Ms: number;
      selfTestMaxDiff?: number;
      loadMs: number;
      /** how many times the load ran the model (the self-test's run plus the warm-up runs) */
      runs: number;
      /** when the host handed the bytes over (transferBytes), a shared copy made here for recycle() */
      retained?: SharedArrayBuffer;
    }
  | { t: 'load_failed'; gid: number; step: LoadStep; code: ErrorCode; message: string; failedProviders: ProviderAttempt[]; details?: Record<string, unknown> }
  | { t: 'result'; gid: number; id: number; outputs: Outputs; ms: number; lent?: ArrayBuffer[] }
  | { t: 'run_error'; gid: number; id: number; code: ErrorCode; message: string; lent?: ArrayBuffer[] }
  | { t: 'released'; gid: number }
  | { t: 'closed' };
