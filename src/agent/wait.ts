/**
 * Waiting for a condition on a change stream (the agent's snapshot or events), with a timeout on the injected
 * timers and an optional AbortSignal; and waiting for a model's retained manifest on its topic.
 */
import { AgentError } from '../common/errors.js';
import type { Timers } from './runtime.js';

/** Resolves with the first non-undefined `probe()` (checked now and on every change `subscribe` reports). */
export function waitUntil<T>(
  subscribe: (onChange: () => void) => () => void,
  timers: Timers,
  probe: () => T | undefined,
  opts: { timeoutMs?: number; signal?: AbortSignal },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const first = probe();
    if (first !== undefined) return resolve(first);
    let timer: unknown;
    const done = () => {
      off();
      if (timer !== undefined) timers.clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(new AgentError('aborted', 'wait cancelled'));
    };
    const off = subscribe(() => {
      const v = probe();
      if (v !== undefined) {
        done();
        resolve(v);
      }
    });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    timer = timers.setTimeout(() => {
      done();
      reject(new AgentError('timeout', `condition not reached within ${opts.timeoutMs ?? 30_000} ms`));
    }, opts.timeoutMs ?? 30_000);
  });
}

export interface ManifestWaitDeps<M> {
  modelId: string;
  topic: string;
  signal: AbortSignal;
  timers: Timers;
  timeoutMs: number;
  /** holds the topic for this wait alone (the transport's owned subscription); returns its disposer */
  subscribe(topic: string, handler: (topic: string, payload: Buffer) => void): () => void;
  /** size bound, DSSE, then zod: the verified manifest or a throw */
  verify(raw: Buffer): M;
}

/** Subscribes to a model's retained manifest and verifies it; manifest_missing after `timeoutMs`. */
export function waitForManifest<M>(d: ManifestWaitDeps<M>): Promise<M> {
  return new Promise<M>((resolve, reject) => {
    let timer: unknown;
    let unsubscribe: (() => void) | undefined;
    const finish = () => {
      d.timers.clearTimeout(timer);
      unsubscribe?.();
      unsubscribe = undefined;
      d.signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      reject(new AgentError('aborted', 'superseded'));
    };
    if (d.signal.aborted) return reject(new AgentError('aborted', 'superseded'));
    d.signal.addEventListener('abort', onAbort, { once: true });
    timer = d.timers.setTimeout(() => {
      finish();
      reject(new AgentError('manifest_missing', `no manifest for model ${d.modelId} within ${d.timeoutMs} ms`));
    }, d.timeoutMs);
    unsubscribe = d.subscribe(d.topic, (_topic, raw) => {
      if (raw.length === 0) return; // a cleared retained manifest: keep waiting
      finish();
      try {
        resolve(d.verify(raw));
      } catch (e) {
        reject(e);
      }
    });
  });
}
