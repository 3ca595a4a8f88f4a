/**
 * The rollout's own evidence (issue 16 §1; DESIGN.md "Fleet controller"): the canary and stable
 * cohorts are the agents of the rollout's channel and target selector only. Windows are picked by
 * membership — the channel the window was reported on (or, for a window without one, the agent's
 * channel), the agent's reported labels against the selector, and for canary rows the rollout id the
 * window names — never by model alone: agents of another channel running the same model are not this
 * rollout's canary.
 */
import { inCandidateCohort } from '../../common/bucket.js';
import { matchesRequirements, parseSelector, type Labels, type Requirement } from '../../common/selector.js';
import { phasesOf, type Phase, type RoleWindowRow, type RolloutSpec, type WaveEvidence } from './judge.js';
import type { AgentRow, ControllerStore, RolloutRow } from './store.js';
import { waveElapsedMs } from './wave-clock.js';

/** What the controller knows of an agent for targeting: channel and labels as last reported. */
export interface AgentScope {
  agentId: string;
  channel?: string | undefined;
  /** absent: an agent older than selectors, which ignores them (it takes a candidate by bucket alone) */
  labels?: Labels | undefined;
}

export function scopeOf(a: AgentRow): AgentScope {
  return { agentId: a.agentId, channel: a.channel ?? a.status.channel, labels: a.labels ?? a.status.labels };
}

/**
 * Does the agent act on this rollout's selector? An agent that reports labels evaluates the selector
 * like the controller does (same matcher); one that reports none predates selectors and takes the
 * candidate by bucket alone, so it is counted (and judged) as the bucket says.
 */
export function selectedBy(a: AgentScope, selector: string | undefined | readonly Requirement[]): boolean {
  if (a.labels === undefined || selector === undefined) return true;
  try {
    return matchesRequirements(typeof selector === 'string' ? parseSelector(selector) : selector, a.labels);
  } catch {
    return false; // a selector that does not parse selects nobody, as on the agent
  }
}

/** The selector parsed once per judgement (startRollout has validated it). */
function requirementsOf(spec: Pick<RolloutSpec, 'selector'>): readonly Requirement[] | undefined {
  return spec.selector === undefined ? undefined : parseSelector(spec.selector);
}

/** In the rollout's population: on its channel and selected. */
export function inRolloutScope(a: AgentScope, spec: Pick<RolloutSpec, 'channel' | 'selector'>): boolean {
  return a.channel === spec.channel && selectedBy(a, spec.selector);
}

/** In the phase's cohort: in scope and bucket below the phase's percent (what the agent itself decides). */
export function inPhaseCohort(a: AgentScope, rolloutId: string, spec: Pick<RolloutSpec, 'channel' | 'selector'>, phase: Phase): boolean {
  return inRolloutScope(a, spec) && inCandidateCohort(a.agentId, rolloutId, phase.percent);
}

/**
 * Keeps the rows that are this rollout's evidence: reported on its channel by an agent its selector
 * targets; canary rows must not name another rollout.
 */
export function ownRows(rows: readonly RoleWindowRow[], spec: Pick<RolloutSpec, 'channel' | 'selector'>, agents: ReadonlyMap<string, AgentScope>, rolloutId?: string): RoleWindowRow[] {
  const reqs = requirementsOf(spec);
  const selected = new Map<string, boolean>();
  return rows.filter((r) => {
    const a = agents.get(r.agentId) ?? { agentId: r.agentId };
    const channel = r.channel ?? a.channel;
    if (channel !== spec.channel) return false;
    let sel = selected.get(r.agentId);
    if (sel === undefined) selected.set(r.agentId, (sel = selectedBy(a, reqs)));
    if (!sel) return false;
    return rolloutId === undefined || r.rolloutId === undefined || r.rolloutId === rolloutId;
  });
}

/** Gathers the evidence for the rollout's current phase from SQLite (the judge is pure). */
export function gatherEvidence(store: ControllerStore, r: RolloutRow, now: number): WaveEvidence {
  const spec = r.spec;
  const phase = phasesOf(spec)[r.phase]!;
  const since = r.phaseStartedAt;
  const recentSince = Math.max(since, now - spec.breachLookbackMs);
  const all = store.agents();
  const agents = new Map(all.map((a) => [a.agentId, scopeOf(a)]));
  const canaryOf = (from: number) => ownRows(phase.shadow ? store.shadowRows(spec.role, spec.candidate, from) : store.roleRows(spec.role, spec.candidate, from), spec, agents, r.id);
  const reqs = requirementsOf(spec);
  let channelAgents = 0;
  let expected = 0;
  let activated = 0;
  for (const a of all) {
    if (!a.online) continue;
    const s = agents.get(a.agentId)!;
    if (s.channel !== spec.channel || !selectedBy(s, reqs)) continue;
    channelAgents++;
    if (!inCandidateCohort(a.agentId, r.id, phase.percent)) continue;
    expected++;
    const rs = a.status.roles[spec.role];
    if (phase.shadow ? rs?.cohort === 'shadow' : rs?.modelId === spec.candidate) activated++;
  }
  return {
    phase,
    elapsedMs: waveElapsedMs(store.db, r.id, since, now), // paused time does not count (issue 16 §5)
    channelAgents,
    expectedCanary: expected,
    activated,
    canary: canaryOf(since),
    canaryRecent: canaryOf(recentSince),
    stable: ownRows(store.roleRows(spec.role, spec.stable, since), spec, agents),
  };
}
