/**
 * The warming process (issue 17 §2, process isolation): a new model is loaded, verified, self-tested and
 * warmed in a separate session process started at a lower OS priority (os.setPriority, +10) and with one
 * intra-op thread, before the serving process — the one process that serves every role — creates its
 * own session of it. So:
 * - the expensive, untrusted part of a load (sha256 of the bytes, a first session create, the self-test,
 *   one run beyond it) takes CPU only when the bots' detects leave some (lower priority, one core at most);
 * - a model that hangs or crashes onnxruntime during its load takes down the warming process, never the
 *   process serving every role (its timeout kills the warming process only).
 * The process exists only while loads are under way (no resident process at idle); concurrent loads
 * (the three roles at start-up) share it.
 */
import type { FromWorker, ToWorker } from './worker-messages.js';
import type { SessionWorker } from './session-process.js';

/** nice value the warming process runs at, relative to the agent (Windows: below normal priority) */
export const WARMING_NICE_DELTA = 10;

/**
 * warm-up runs of a proof after its self-test: one proves the graph runs (and that it ends: the load timeout kills
 * this process, never the serving one). The serving process warms the model and judges its latency budget.
 */
export const PROOF_WARMUP_RUNS = 1;

export type LoadAnswer = FromWorker | { t: 'exit'; message: string } | { t: 'aborted' } | { t: 'timeout' };

export class WarmingProcess {
  private proc: Promise<SessionWorker> | undefined;
  private users = 0;
  private closed = false;

  constructor(
    private readonly start: () => Promise<SessionWorker>,
    private readonly stop: (w: SessionWorker, force: boolean) => Promise<void>,
  ) {}

  /** Runs the load pipeline in the warming process and releases the session there again; answers how it went. */
  async prove(load: Extract<ToWorker, { t: 'load' }>, timeoutMs: number, signal?: AbortSignal): Promise<LoadAnswer> {
    if (this.closed) return { t: 'exit', message: 'inference host is closed' };
    this.users++;
    let w: SessionWorker;
    try {
      w = await (this.proc ??= this.start());
    } catch (e) {
      this.proc = undefined;
      this.done();
      return { t: 'exit', message: `could not start the warming process: ${e instanceof Error ? e.message : String(e)}` };
    }
    const answer = await new Promise<LoadAnswer>((resolve) => {
      const settle = (a: LoadAnswer) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        w.off('message', onMessage);
        w.off('exit', onExit);
        resolve(a);
      };
      const onMessage = (m: FromWorker) => {
        if ((m.t === 'loaded' || m.t === 'load_failed') && m.gid === load.gid) settle(m);
      };
      const onExit = (code: number) => settle({ t: 'exit', message: `the warming process exited (code ${code})` });
      const onAbort = () => settle({ t: 'aborted' });
      const timer = setTimeout(() => settle({ t: 'timeout' }), timeoutMs);
      w.on('message', onMessage);
      w.on('exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
      try {
        w.postMessage(load);
      } catch (e) {
        settle({ t: 'exit', message: `could not send the load to the warming process: ${e instanceof Error ? e.message : String(e)}` });
      }
    });
    if (answer.t === 'loaded') {
      try {
        w.postMessage({ t: 'release', gid: load.gid });
      } catch {
        // gone meanwhile: nothing to release
      }
    }
    if (answer.t === 'timeout') {
      // stuck in a native call: kill it (every other load in it fails with 'exit')
      if (this.proc && (await this.proc.catch(() => undefined)) === w) this.proc = undefined;
      void this.stop(w, true);
    }
    this.done();
    return answer;
  }

  /** the last load is done: end the process (gracefully: a load still finishing after an abort stops at its next step) */
  private done(): void {
    this.users--;
    if (this.users > 0 || !this.proc) return;
    const p = this.proc;
    this.proc = undefined;
    void p.then((w) => this.stop(w, false)).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const p = this.proc;
    this.proc = undefined;
    const w = await p?.catch(() => undefined);
    if (w) await this.stop(w, false);
  }
}
