/**
 * The message contract between the inference host (main thread) and a session worker (one worker
 * thread per loaded model generation). One file for both sides, as for every boundary in this project.
 * Tensors cross as plain typed arrays: outputs are transferred (zero copy), inputs are structured-cloned
 * unless the caller hands them over (`transfer`) or they live in a SharedArrayBuffer (shared, no copy).
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
  /** onnxruntime log severity (0 verbose … 4 fatal); 3 keeps an unavailable provider's load error off stderr */
  logSeverityLevel: 0 | 1 | 2 | 3 | 4;
  /** check sha256(bytes) === manifest.sha256 === modelId before creating the session (issue 3 §7) */
  verifySha256: boolean;
}

export interface ProviderAttempt {
  provider: string;
  reason: string;
}

export type ToWorker =
  | { t: 'load'; modelId: string; manifest: ModelManifest; bytes: SharedArrayBuffer | ArrayBuffer; byteLength: number; options: LoadOptions }
  | { t: 'run'; id: number; feeds: Feeds }
  | { t: 'close' };

export type FromWorker =
  | { t: 'ready' }
  | {
      t: 'loaded';
      provider: string;
      failedProviders: ProviderAttempt[];
      warmupP95Ms: number;
      selfTestMaxDiff?: number;
      loadMs: number;
      /** when the host handed the bytes over (transferBytes), a shared copy made here for recycle() */
      retained?: SharedArrayBuffer;
    }
  | { t: 'load_failed'; step: LoadStep; code: ErrorCode; message: string; failedProviders: ProviderAttempt[]; details?: Record<string, unknown> }
  | { t: 'result'; id: number; outputs: Outputs; ms: number }
  | { t: 'run_error'; id: number; code: ErrorCode; message: string }
  | { t: 'closed' };
