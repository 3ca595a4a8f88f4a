/**
 * The candidate guard, owned by the agent core (issue 18 §1): created with it, fed the activator's runs, judged
 * on the agent's timers, disposed with it. Its verdicts are inputs to the role state machine (roles.ts):
 * a breach → `guard_breach` (revert to stable), a quiet or good window → `guard_passed` (commit). The machine
 * tells it which candidate to watch when one is activated, and to stop when the role moves on.
 */
import type { Release, Role } from '../common/wire.js';
import { ROLES } from '../common/wire.js';
import type { ModelActivator } from './activation.js';
import { CandidateGuard, type GuardEvidence } from './inference/index.js';
import type { Clock, Logger, Timers } from './runtime.js';

export type GuardVerdict = { kind: 'guard_breach'; role: Role; evidence: GuardEvidence } | { kind: 'guard_passed'; role: Role };

export interface GuardInputDeps {
  activator: ModelActivator;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** how often the window is re-judged without new runs (a quiet window ends as passed); default 1 s */
  checkMs?: number;
  verdict(v: GuardVerdict): void | Promise<void>;
}

export class GuardInputs {
  readonly guard: CandidateGuard;
  /** the guard judges only what it can see: an activator that reports its runs (the inference host) */
  private readonly offRuns: (() => void) | undefined;
  private timer: unknown;
  private disposed = false;

  constructor(private readonly d: GuardInputDeps) {
    this.guard = new CandidateGuard({
      clock: () => d.clock.now(),
      revertToStable: (role, evidence) => d.verdict({ kind: 'guard_breach', role, evidence }),
      onPassed: (role) => d.verdict({ kind: 'guard_passed', role }),
    });
    this.offRuns = d.activator.addObserver?.(this.guard);
  }

  private watching(): boolean {
    return ROLES.some((role) => this.guard.phase(role) === 'watching');
  }

  /** The re-judge timer exists exactly while a candidate is watched: an agent with nothing to judge is not woken (issue 17 §2, idle CPU). */
  private arm(): void {
    if (this.timer !== undefined || this.disposed || !this.watching()) return;
    this.timer = this.d.timers.setTimeout(() => {
      this.timer = undefined;
      if (this.disposed) return;
      for (const role of ROLES) this.guard.check(role);
      this.arm();
    }, this.d.checkMs ?? 1000);
  }

  /**
   * A candidate became active for `role`: watch it with the release's gates (if the release still names it).
   * `modelId` is the file that runs; `releaseModelId` the release's (they differ when a variant serves, issue 21 §1).
   */
  watch(role: Role, modelId: string, release: Release | undefined, releaseModelId: string = modelId): void {
    if (!this.offRuns) return;
    const cand = release?.roles[role]?.candidate;
    if (!cand || cand.modelId !== releaseModelId) return;
    const { maxErrorRate, maxLatencyP95Ms, guardWindowSec, minSamples } = cand.gates;
    this.guard.watch(role, modelId, { maxErrorRate, maxLatencyP95Ms, guardWindowSec, minSamples });
    this.d.logger.info('guard watching candidate', { role, modelId, gates: cand.gates });
    this.arm();
  }

  unwatch(role: Role): void {
    this.guard.unwatch(role);
    if (!this.watching() && this.timer !== undefined) {
      this.d.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.d.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.offRuns?.();
  }
}

export function guardMessage(ev: GuardEvidence): string {
  return `candidate breached ${ev.breached.join(' and ')}: error rate ${(ev.errorRate * 100).toFixed(1)}% (max ${(ev.gates.maxErrorRate * 100).toFixed(1)}%), p95 ${ev.latencyP95Ms.toFixed(1)} ms (max ${ev.gates.maxLatencyP95Ms} ms) over ${ev.samples} runs in ${ev.windowSec} s`;
}

export function guardDetails(ev: GuardEvidence): Record<string, unknown> {
  return { samples: ev.samples, errors: ev.errors, errorRate: ev.errorRate, latencyP95Ms: ev.latencyP95Ms, windowSec: ev.windowSec, gates: ev.gates, breached: ev.breached };
}
