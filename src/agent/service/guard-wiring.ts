/**
 * The candidate guard's wiring in the agent service (DESIGN.md "local guard"; issue 4): a candidate
 * activation starts a watch with the release's gates, anything else ends it; a breach rolls the candidate
 * back, a clean window commits it. Split out of service.ts (issue 18 §4).
 * Lifetime: `watchCandidates` returns the one disposer of what it set up (its agent subscription and the
 * re-judge interval, on the injected timers).
 */
import { unrefTimers, type Disposable, type Timers } from '../../common/lifetime.js';
import { ROLES, type Role } from '../../common/wire.js';
import type { Agent } from '../agent.js';
import { CandidateGuard, type GuardEvidence } from '../inference/index.js';
import type { Logger } from '../runtime.js';

/**
 * The guard, created before the agent so that no run of a restored candidate is missed; its hooks reach
 * the agent through `agent()` once it exists (undefined until then: nothing to roll back yet).
 */
export function createServiceGuard(timers: Timers, agent: () => Agent | undefined): CandidateGuard {
  return new CandidateGuard({
    clock: () => timers.now(),
    revertToStable: async (role, ev) => {
      await agent()?.rollbackCandidate(role, { reason: 'guard_breach', message: guardMessage(ev), details: guardDetails(ev) });
    },
    onPassed: (role) => agent()?.commitCandidate(role),
  });
}

export interface GuardWiringDeps {
  agent: Agent;
  guard: CandidateGuard;
  logger: Logger;
  timers: Timers;
  /** how often the guard re-judges its window without new runs (default 1 s) */
  checkMs?: number;
}

/** Starts watching the candidates the agent activates (and one already active at start). */
export function watchCandidates(d: GuardWiringDeps): Disposable {
  const { agent, guard, logger } = d;
  const watchCandidate = (role: Role, modelId: string) => {
    const cand = agent.acceptedRelease()?.release.roles[role]?.candidate;
    if (!cand || cand.modelId !== modelId) return;
    guard.watch(role, modelId, { maxErrorRate: cand.gates.maxErrorRate, maxLatencyP95Ms: cand.gates.maxLatencyP95Ms, guardWindowSec: cand.gates.guardWindowSec, minSamples: cand.gates.minSamples });
    logger.info('guard watching candidate', { role, modelId, gates: cand.gates });
  };
  for (const role of ROLES) {
    const rs = agent.snapshot().roles[role];
    if (rs?.modelId && rs.cohort === 'candidate' && rs.state === 'active') watchCandidate(role, rs.modelId);
  }
  const unsubscribe = agent.subscribe((c) => {
    if (c.kind !== 'event') return;
    const e = c.event;
    if (!e.role) return;
    if (e.type === 'activated') {
      if (e.details?.cohort === 'candidate' && e.modelId) watchCandidate(e.role, e.modelId);
      else guard.unwatch(e.role);
    } else if (e.type === 'rolled_back' || e.type === 'committed') {
      guard.unwatch(e.role);
    }
  });
  // The guard judges on every run; this also ends a quiet window (no runs) as passed. Unref'd as before:
  // it alone must not keep a process alive, and dispose clears it.
  const timers = unrefTimers(d.timers);
  const interval = timers.setInterval(() => {
    for (const role of ROLES) guard.check(role);
  }, d.checkMs ?? 1000);
  return {
    dispose() {
      timers.clearInterval(interval);
      unsubscribe();
    },
  };
}

function guardMessage(ev: GuardEvidence): string {
  return `candidate breached ${ev.breached.join(' and ')}: error rate ${(ev.errorRate * 100).toFixed(1)}% (max ${(ev.gates.maxErrorRate * 100).toFixed(1)}%), p95 ${ev.latencyP95Ms.toFixed(1)} ms (max ${ev.gates.maxLatencyP95Ms} ms) over ${ev.samples} runs in ${ev.windowSec} s`;
}

function guardDetails(ev: GuardEvidence): Record<string, unknown> {
  return { samples: ev.samples, errors: ev.errors, errorRate: ev.errorRate, latencyP95Ms: ev.latencyP95Ms, windowSec: ev.windowSec, gates: ev.gates, breached: ev.breached };
}
