/**
 * A run on a generation (issue 3 §3): the caller holds a lease on the generation serving when it asked, so
 * a swap meanwhile does not affect it; the result is routed back by run id; a run past `runTimeoutMs` fails
 * with `timeout` and the host ends the worker stuck in it (issue 17 §1).
 */
import { performance } from 'node:perf_hooks';
import { AgentError } from '../../common/errors.js';
import type { RunObserver, RunOptions } from './host-types.js';
import { lendFeeds, type InputPool } from './host-buffers.js';
import type { Feeds, Outputs } from './worker-messages.js';
import type { Generation, Pending } from './worker-pool.js';

export interface RunContext {
  readonly inputPool: InputPool;
  readonly observers: readonly RunObserver[];
  readonly runTimeoutMs: number;
  nextRunId(): number;
  /** a run past runTimeoutMs: the host ends the worker stuck in it */
  timedOut(gen: Generation, id: number, limit: number): void;
  releaseLease(gen: Generation): void;
}

/** Posts the run to the generation's worker; the lease is already taken (gen.leases). */
export function sendRun(ctx: RunContext, gen: Generation, feeds: Feeds, opts: RunOptions): Promise<Outputs> {
  const { signal } = opts;
  const id = ctx.nextRunId();
  return new Promise<Outputs>((resolve, reject) => {
    const p: Pending = { resolve, reject, t0: performance.now(), settled: false };
    if (signal) {
      // the native run cannot be interrupted; the caller stops waiting and the lease is released
      // when the worker answers
      const onAbort = () => {
        if (p.settled) return;
        p.settled = true;
        reject(new AgentError('aborted', 'run aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      p.resolve = (o) => {
        signal.removeEventListener('abort', onAbort);
        resolve(o);
      };
      p.reject = (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      };
    }
    gen.pending.set(id, p);
    const limit = ctx.runTimeoutMs;
    if (limit > 0) p.timer = setTimeout(() => ctx.timedOut(gen, id, limit), limit);
    const { sent, transfer, lent } = lendFeeds(ctx.inputPool, feeds, opts.transfer === true);
    try {
      gen.slot.worker.postMessage({ t: 'run', gid: gen.gid, id, feeds: sent, ...(lent ? { lent } : {}) }, transfer);
    } catch (e) {
      gen.pending.delete(id);
      if (p.timer) clearTimeout(p.timer);
      ctx.releaseLease(gen);
      p.settled = true;
      reject(new AgentError('internal', `could not send the run to the worker: ${e instanceof Error ? e.message : String(e)}`));
    }
  });
}

/** Settles a run (answered, failed, timed out, its worker gone), releases its lease and tells the observers. */
export function finishRun(ctx: RunContext, gen: Generation, id: number, ok: boolean, outputs?: Outputs, err?: AgentError): void {
  const p = gen.pending.get(id);
  if (!p) return;
  gen.pending.delete(id);
  if (p.timer) clearTimeout(p.timer);
  const ms = performance.now() - p.t0;
  ctx.releaseLease(gen);
  for (const o of ctx.observers) {
    try {
      o.onRun(gen.role, gen.modelId, ok, ms);
    } catch {
      // observers must not break inference
    }
  }
  if (p.settled) return;
  p.settled = true;
  if (ok && outputs) p.resolve(outputs);
  else p.reject(err ?? new AgentError('internal', 'run failed'));
}

/** Fails every run still waiting on the generation. */
export function failPending(ctx: RunContext, gen: Generation, err: AgentError): void {
  for (const id of [...gen.pending.keys()]) finishRun(ctx, gen, id, false, undefined, err);
}
