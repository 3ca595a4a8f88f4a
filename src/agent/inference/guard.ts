/**
 * The local guard for candidates (issue 3 §6, DESIGN.md "Release": gates hold the agent-local guard
 * limits). While a candidate is active it watches the candidate's own runs over a sliding window of
 * `guardWindowSec`; once at least `minSamples` runs are in the window, an error rate above
 * `maxErrorRate` (at 95 % confidence, exact binomial: not one unlucky error) or a latency p95 above
 * `maxLatencyP95Ms` is a breach: it reports rolled_back with the
 * numbers and calls the injected `revertToStable` at once (the agent core wires that to the store and
 * the host). A window that passes without a breach marks the candidate `passed`.
 */
import type { Gates, Role } from '../../common/wire.js';
import type { HostEventListener, RunObserver } from './host.js';
import { percentile } from './stats.js';
import { errorRateLowerBound } from '../../common/metrics.js';

export type GuardGates = Pick<Gates, 'maxErrorRate' | 'maxLatencyP95Ms' | 'guardWindowSec' | 'minSamples'>;

export interface GuardEvidence {
  role: Role;
  modelId: string;
  samples: number;
  errors: number;
  errorRate: number;
  latencyP95Ms: number;
  windowSec: number;
  gates: GuardGates;
  /** which gates were breached */
  breached: ('max_error_rate' | 'max_latency_p95')[];
}

export interface CandidateGuardOptions {
  revertToStable: (role: Role, evidence: GuardEvidence) => void | Promise<void>;
  onEvent?: HostEventListener;
  /** called once when a candidate has been watched for a whole window with enough samples and no breach */
  onPassed?: (role: Role, evidence: GuardEvidence) => void;
  /** ms clock, injectable for tests */
  clock?: () => number;
  /**
   * check every watched role this often, so a quiet window (no runs) also ends as passed. The timer runs
   * only while a candidate is watched: an agent with nothing to judge is not woken (issue 17 §2, idle CPU).
   */
  checkEveryMs?: number;
  /** for tests: injected timers */
  timers?: { setInterval(fn: () => void, ms: number): unknown; clearInterval(h: unknown): void };
}

export type GuardPhase = 'watching' | 'passed' | 'breached';

interface Watch {
  modelId: string;
  gates: GuardGates;
  since: number;
  phase: GuardPhase;
  // samples in arrival order (time-ordered); pruned from the front
  at: number[];
  ms: number[];
  ok: boolean[];
  head: number;
  errors: number;
  sinceEval: number;
}

export class CandidateGuard implements RunObserver {
  private readonly watches = new Map<Role, Watch>();
  private readonly clock: () => number;
  private ticker: unknown;

  constructor(private readonly opts: CandidateGuardOptions) {
    this.clock = opts.clock ?? (() => Date.now());
  }

  /** Starts watching `modelId` as the role's candidate (replacing any earlier watch for the role). */
  watch(role: Role, modelId: string, gates: GuardGates): void {
    this.watches.set(role, { modelId, gates, since: this.clock(), phase: 'watching', at: [], ms: [], ok: [], head: 0, errors: 0, sinceEval: 0 });
    this.tickWhileWatching();
  }

  unwatch(role: Role): void {
    this.watches.delete(role);
    this.tickWhileWatching();
  }

  /** Stops the check timer for good. */
  dispose(): void {
    this.watches.clear();
    this.tickWhileWatching();
  }

  /** The periodic check exists exactly while some candidate is being watched. */
  private tickWhileWatching(): void {
    const every = this.opts.checkEveryMs ?? 0;
    const timers = this.opts.timers ?? { setInterval: (fn: () => void, ms: number) => setInterval(fn, ms).unref(), clearInterval: (h: unknown) => clearInterval(h as NodeJS.Timeout) };
    const watching = [...this.watches.values()].some((w) => w.phase === 'watching');
    if (watching && every > 0 && this.ticker === undefined) {
      this.ticker = timers.setInterval(() => {
        for (const role of [...this.watches.keys()]) this.check(role);
        this.tickWhileWatching();
      }, every);
    } else if (!watching && this.ticker !== undefined) {
      timers.clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  phase(role: Role): GuardPhase | undefined {
    return this.watches.get(role)?.phase;
  }

  /** RunObserver: the host calls this for every completed run; only the watched candidate's runs count. */
  onRun(role: Role, modelId: string, ok: boolean, latencyMs: number): void {
    const w = this.watches.get(role);
    if (!w || w.phase !== 'watching' || w.modelId !== modelId) return;
    w.at.push(this.clock());
    w.ms.push(latencyMs);
    w.ok.push(ok);
    if (!ok) w.errors++;
    // judging sorts the window: do it on every run while the window is small, then every n/64 runs
    const n = w.at.length - w.head;
    w.sinceEval++;
    if (w.sinceEval >= Math.max(1, Math.floor(n / 64)) || !ok) this.check(role);
  }

  /** Judges the role's window now (also called on each run). Returns the evidence when it breached. */
  check(role: Role): GuardEvidence | undefined {
    const w = this.watches.get(role);
    if (!w || w.phase !== 'watching') return undefined;
    w.sinceEval = 0;
    const now = this.clock();
    const windowMs = w.gates.guardWindowSec * 1000;
    while (w.head < w.at.length && w.at[w.head]! < now - windowMs) {
      if (!w.ok[w.head]) w.errors--;
      w.head++;
    }
    if (w.head > 4096 && w.head * 2 > w.at.length) {
      w.at = w.at.slice(w.head);
      w.ms = w.ms.slice(w.head);
      w.ok = w.ok.slice(w.head);
      w.head = 0;
    }
    const samples = w.at.length - w.head;
    const evidence = (): GuardEvidence => {
      const errorRate = samples > 0 ? w.errors / samples : 0;
      const latencyP95Ms = percentile(w.ms.slice(w.head), 95);
      const breached: GuardEvidence['breached'] = [];
      // over the maximum at 95 % confidence (exact binomial), the same test as the fleet's wave gate: one
      // error in the first 20 runs of a 0.1 %-error model must not roll a thousand agents back
      if (errorRateLowerBound(samples, w.errors) > w.gates.maxErrorRate) breached.push('max_error_rate');
      if (latencyP95Ms > w.gates.maxLatencyP95Ms) breached.push('max_latency_p95');
      return { role, modelId: w.modelId, samples, errors: w.errors, errorRate, latencyP95Ms, windowSec: w.gates.guardWindowSec, gates: w.gates, breached };
    };
    if (samples < w.gates.minSamples) return undefined;
    const ev = evidence();
    if (ev.breached.length > 0) {
      w.phase = 'breached';
      this.opts.onEvent?.({
        type: 'rolled_back',
        role,
        modelId: w.modelId,
        reason: ev.breached[0],
        message: `candidate breached ${ev.breached.join(' and ')}: error rate ${(ev.errorRate * 100).toFixed(1)}% (max ${(w.gates.maxErrorRate * 100).toFixed(1)}%), p95 ${ev.latencyP95Ms.toFixed(1)} ms (max ${w.gates.maxLatencyP95Ms} ms) over ${samples} runs`,
        details: { ...ev },
      });
      // revert at once; a failing revert is reported, the guard does not retry on its own
      void Promise.resolve()
        .then(() => this.opts.revertToStable(role, ev))
        .catch((e: unknown) =>
          this.opts.onEvent?.({ type: 'activation_failed', role, modelId: w.modelId, reason: 'internal', message: `revert to stable failed: ${e instanceof Error ? e.message : String(e)}`, details: { step: 'revert' } }),
        );
      return ev;
    }
    if (now - w.since >= windowMs) {
      w.phase = 'passed';
      this.opts.onPassed?.(role, ev);
    }
    return undefined;
  }
}
