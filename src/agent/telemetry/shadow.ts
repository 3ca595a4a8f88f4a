/**
 * Shadow mode (issue 6): an agent in a shadow cohort runs the candidate beside stable on a sample of
 * real requests, never returns the candidate's answer, and reports agreement and the candidate's
 * latency. Work is bounded two ways: a concurrency cap, and a CPU-share token bucket (wall time of
 * shadow runs, a conservative proxy for their CPU time, may use at most `maxCpuShare` of elapsed time).
 */
import { classifierAgreement, detectionAgreementF1, type LabelledBox } from '../../common/metrics.js';
import type { Role } from '../../common/wire.js';
import type { TelemetryRecorder } from './recorder.js';

export interface ShadowRunnerOptions {
  recorder: TelemetryRecorder;
  /** fraction of requests mirrored to the candidate, 0..1 */
  sampleRate?: number;
  maxConcurrent?: number;
  /** share of wall time shadow runs may occupy, 0..1 */
  maxCpuShare?: number;
  /** largest burst of shadow time saved up, ms */
  burstMs?: number;
  clock?: () => number;
  random?: () => number;
}

export class ShadowRunner {
  readonly #o: Required<Omit<ShadowRunnerOptions, 'recorder'>> & { recorder: TelemetryRecorder };
  #running = 0;
  #budgetMs: number;
  #lastRefill: number;
  #closed = false;
  readonly #pending = new Set<Promise<void>>();
  /** requests skipped because of sampling, concurrency or CPU budget (for tests and status) */
  skipped = { sampled: 0, concurrency: 0, cpu: 0 };

  constructor(opts: ShadowRunnerOptions) {
    this.#o = {
      recorder: opts.recorder,
      sampleRate: opts.sampleRate ?? 0.1,
      maxConcurrent: opts.maxConcurrent ?? 1,
      maxCpuShare: opts.maxCpuShare ?? 0.25,
      burstMs: opts.burstMs ?? 1000,
      clock: opts.clock ?? Date.now,
      random: opts.random ?? Math.random,
    };
    this.#budgetMs = this.#o.burstMs;
    this.#lastRefill = this.#o.clock();
  }

  #refill(): void {
    const now = this.#o.clock();
    this.#budgetMs = Math.min(this.#o.burstMs, this.#budgetMs + (now - this.#lastRefill) * this.#o.maxCpuShare);
    this.#lastRefill = now;
  }

  /**
   * Maybe mirrors one request to the candidate. `stable` is the answer already returned to the bot;
   * `runCandidate` produces the candidate's answer, which only feeds `agreement`. Returns whether a
   * shadow run started. Never throws and never delays the caller.
   */
  offer<R>(role: Role, candidateModelId: string, stable: R, runCandidate: () => Promise<R>, agreement: (stable: R, candidate: R) => number): boolean {
    if (this.#closed) return false;
    if (this.#o.random() >= this.#o.sampleRate) {
      this.skipped.sampled++;
      return false;
    }
    if (this.#running >= this.#o.maxConcurrent) {
      this.skipped.concurrency++;
      return false;
    }
    this.#refill();
    if (this.#budgetMs <= 0) {
      this.skipped.cpu++;
      return false;
    }
    this.#running++;
    const t0 = this.#o.clock();
    const p = (async () => {
      let ok = true;
      let agree = 0;
      try {
        const cand = await runCandidate();
        agree = agreement(stable, cand);
      } catch {
        ok = false;
      }
      const latencyMs = this.#o.clock() - t0;
      this.#refill();
      this.#budgetMs -= latencyMs;
      this.#running--;
      this.#o.recorder.recordShadow(role, { modelId: candidateModelId, agreement: agree, latencyMs, ok });
    })();
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
    return true;
  }

  get running(): number {
    return this.#running;
  }

  /** Waits for shadow runs in progress, then refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
  }
}

/** Agreement of two detectors' outputs: IoU-matched F1 at IoU 0.5 (class-aware when labelled). */
export function detectionAgreement(stable: readonly LabelledBox[], candidate: readonly LabelledBox[]): number {
  return detectionAgreementF1(stable, candidate, 0.5);
}

/** Agreement of two classifiers' top-1 labels over the same crops. */
export function classificationAgreement(stable: readonly (number | string)[], candidate: readonly (number | string)[]): number {
  return classifierAgreement(stable, candidate);
}
