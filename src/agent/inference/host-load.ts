/**
 * One load of the activation pipeline in a session worker (issue 3 §2): the options it runs with, waiting
 * for its answer (bounded by loadTimeoutMs, abortable), and how a failed answer is reported
 * (`activation_failed` with the step, `provider_fallback`) and thrown.
 */
import { AgentError, type ErrorCode } from '../../common/errors.js';
import type { Role } from '../../common/wire.js';
import type { HostEvent, InferenceHostOptions } from './host-types.js';
import type { LoadOptions, LoadStep, ProviderAttempt, ToWorker } from './worker-messages.js';
import type { LoadAnswer } from './warming.js';
import type { Generation, Slot } from './worker-pool.js';

type Emit = (e: HostEvent) => void;

/** default share of its thread a load's self-test and warm-up runs may take (issue 17 §2) */
export const WARMUP_SHARE = 0.5;

export function loadOptions(opts: InferenceHostOptions, providers: string[], latencyBudgetMs: number): LoadOptions {
  return {
    providers,
    latencyBudgetMs,
    warmupRuns: opts.warmupRuns ?? 10,
    logSeverityLevel: 3,
    allowSpinning: opts.allowSpinning ?? false,
    verifySha256: opts.verifySha256 ?? true,
    // a load's self-test and warm-up runs take at most half of the thread they run on (session-worker.ts dutyCycle)
    warmupShare: opts.warmupShare ?? WARMUP_SHARE,
    ...(opts.cpuMemArena ? { cpuMemArena: true } : {}),
    ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
    ...(opts.interOpNumThreads ? { interOpNumThreads: opts.interOpNumThreads } : {}),
  };
}

/** Posts the load to the generation's worker and waits for its answer, the timeout or the abort. */
export function awaitLoad(gen: Generation, load: Extract<ToWorker, { t: 'load' }>, timeoutMs: number, signal?: AbortSignal): Promise<LoadAnswer> {
  return new Promise<LoadAnswer>((resolve) => {
    // every way out clears the timer: an aborted load once left a 120 s timer holding the process open
    const settle = (m: LoadAnswer) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(m);
    };
    const timer = setTimeout(() => settle({ t: 'timeout' }), timeoutMs);
    const onAbort = () => settle({ t: 'aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort(); // aborted while the worker was being picked: the listener never fires
    gen.loadWaiter = settle;
    try {
      gen.slot.worker.postMessage(load, load.bytes instanceof ArrayBuffer ? [load.bytes] : []);
    } catch (e) {
      gen.loadWaiter({ t: 'exit', message: `could not send the load to the worker: ${e instanceof Error ? e.message : String(e)}` });
    }
  });
}

/** Reports `activation_failed` with the step and returns the error to throw. */
export function fail(emit: Emit, role: Role, modelId: string, step: LoadStep, code: ErrorCode, message: string, details: Record<string, unknown> = {}): AgentError {
  emit({ type: 'activation_failed', role, modelId, reason: code, message, details: { step, ...details } });
  return new AgentError(code, message, { step, ...details });
}

/** An answer other than `loaded`, as the activation's error (the active model keeps serving). */
export function failed(emit: Emit, providers: string[], role: Role, modelId: string, answer: Exclude<LoadAnswer, { t: 'loaded' }>): AgentError {
  if (answer.t === 'aborted') return new AgentError('aborted', 'activation aborted');
  if (answer.t === 'timeout') return fail(emit, role, modelId, 'create', 'timeout', 'model load timed out');
  if (answer.t === 'exit') return fail(emit, role, modelId, 'create', 'load_failed', answer.message);
  if (answer.t === 'load_failed') {
    reportFallbacks(emit, providers, role, modelId, answer.failedProviders, undefined);
    return fail(emit, role, modelId, answer.step, answer.code, answer.message, answer.details);
  }
  return fail(emit, role, modelId, 'create', 'internal', `unexpected worker answer ${answer.t}`);
}

/** Providers that failed before the one used (or before giving up): `provider_fallback` (issue 17 §1). */
export function reportFallbacks(emit: Emit, providers: string[], role: Role, modelId: string, failedProviders: ProviderAttempt[], used: string | undefined): void {
  if (failedProviders.length === 0) return;
  emit({
    type: 'provider_fallback',
    role,
    modelId,
    reason: used ? 'provider_unavailable' : 'load_failed',
    message: used ? `using ${used}: ${failedProviders.map((f) => f.provider).join(', ')} unavailable` : `no provider could load the model`,
    details: { provider: used ?? null, tried: providers, failed: failedProviders },
  });
}

/** Asks the worker to release one session and waits for its answer (at most 5 s). */
export function awaitRelease(slot: Slot, gid: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      slot.released.delete(gid);
      resolve();
    }, 5000);
    slot.released.set(gid, () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      slot.worker.postMessage({ t: 'release', gid });
    } catch {
      slot.released.delete(gid);
      clearTimeout(timer);
      resolve();
    }
  });
}
