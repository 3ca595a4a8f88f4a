/**
 * Wave judging for rollouts (DESIGN.md "Fleet controller"; issue 6): gates evaluated on the canary
 * cohort against the stable cohort. Pure: the controller gathers the evidence from SQLite and calls
 * `judgeWave`; tests call it with hand-built evidence.
 */
import { createHistogram, errorRate, errorRateLowerBound, histogramQuantile, mergeInto, type Histogram } from '../../common/metrics.js';
import type { Role } from '../../common/wire.js';

export interface RolloutSpec {
  channel: string;
  role: Role;
  /** modelId of the candidate and of the stable model it may replace */
  candidate: string;
  stable: string;
  /** cumulative percentages, ascending, ending at 100 (e.g. 1,5,25,50,100) */
  waves: number[];
  waveMinDurationMs: number;
  minAgents: number;
  maxErrorRate: number;
  maxP95Ms: number;
  /** canary p95 may be at most this multiple of stable's p95 (relative gate); 0 disables */
  maxP95RatioToStable: number;
  minAgreement?: number;
  shadowFirst: boolean;
  /** cohort size of the shadow phase, percent (default: the first wave's) */
  shadowPercent?: number;
  approveEachWave: boolean;
  /** requests a cohort must have served before a gate can be judged either way */
  minRequests: number;
  /** breaches are looked for in windows received within this span (so an old healthy stretch cannot dilute a new fault) */
  breachLookbackMs: number;
  /** validity of each published release */
  releaseTtlMs: number;
  /** label selector within the channel (selector.ts); agents evaluate it themselves, like the bucket */
  selector?: string;
  /** maintenance windows (window.ts syntax, e.g. "Mon-Fri 22:00-05:00 UTC"): waves advance only inside one */
  windows?: string[];
}

export const DEFAULT_SPEC: Omit<RolloutSpec, 'channel' | 'role' | 'candidate' | 'stable'> = {
  waves: [1, 5, 25, 50, 100],
  waveMinDurationMs: 30 * 60_000,
  minAgents: 20,
  maxErrorRate: 0.01,
  maxP95Ms: 100,
  maxP95RatioToStable: 1.5,
  shadowFirst: false,
  approveEachWave: false,
  minRequests: 50,
  breachLookbackMs: 120_000,
  releaseTtlMs: 30 * 86_400_000,
};

export interface Phase {
  shadow: boolean;
  percent: number;
}

/** Shadow-first puts one shadow phase before the waves. */
export function phasesOf(spec: Pick<RolloutSpec, 'waves' | 'shadowFirst' | 'shadowPercent'>): Phase[] {
  const waves = spec.waves.map((p) => ({ shadow: false, percent: p }));
  return spec.shadowFirst ? [{ shadow: true, percent: spec.shadowPercent ?? spec.waves[0] ?? 100 }, ...waves] : waves;
}

export function validateWaves(waves: readonly number[]): string | undefined {
  if (waves.length === 0) return 'at least one wave';
  for (let i = 0; i < waves.length; i++) {
    const w = waves[i]!;
    if (!(w > 0 && w <= 100)) return `wave ${w}: percentages are in (0, 100]`;
    if (i > 0 && !(w > waves[i - 1]!)) return 'waves must be strictly ascending (raising percent only adds agents)';
  }
  if (waves[waves.length - 1] !== 100) return 'the last wave must be 100';
  return undefined;
}

/** One role's slice of one metrics window, as the controller stores it. */
export interface RoleWindowRow {
  agentId: string;
  /** the channel the window was reported on, and the rollout its model ran under (when the agent said) */
  channel?: string;
  rolloutId?: string;
  count: number;
  errors: number;
  latency: Histogram;
  shadow?: { samples: number; agreement: number; latencyP95: number; errors: number };
}

export interface CohortStats {
  agents: number;
  windows: number;
  count: number;
  errors: number;
  errorRate: number;
  p95: number;
  latency: Histogram;
}

export interface ShadowStats {
  agents: number;
  samples: number;
  errors: number;
  errorRate: number;
  /** sample-weighted mean agreement */
  agreement: number;
  /** sample-weighted mean of per-window p95s (a window reports only its p95 for the shadow model) */
  p95: number;
}

export function cohortStats(rows: readonly RoleWindowRow[]): CohortStats {
  const agents = new Set<string>();
  const latency = createHistogram();
  let count = 0;
  let errors = 0;
  for (const r of rows) {
    agents.add(r.agentId);
    count += r.count;
    errors += r.errors;
    mergeInto(latency, r.latency);
  }
  return { agents: agents.size, windows: rows.length, count, errors, errorRate: errorRate(count, errors), p95: histogramQuantile(latency, 0.95), latency };
}

export function shadowStats(rows: readonly RoleWindowRow[]): ShadowStats {
  const agents = new Set<string>();
  let samples = 0;
  let errors = 0;
  let agreeSum = 0;
  let p95Sum = 0;
  for (const r of rows) {
    if (!r.shadow) continue;
    agents.add(r.agentId);
    samples += r.shadow.samples;
    errors += r.shadow.errors;
    agreeSum += r.shadow.agreement * r.shadow.samples;
    p95Sum += r.shadow.latencyP95 * r.shadow.samples;
  }
  return {
    agents: agents.size,
    samples,
    errors,
    errorRate: errorRate(samples + errors, errors),
    agreement: samples > 0 ? agreeSum / samples : 0,
    p95: samples > 0 ? p95Sum / samples : 0,
  };
}

export interface WaveEvidence {
  phase: Phase;
  elapsedMs: number;
  /** online agents of the rollout's channel and selector (the population the waves split) */
  channelAgents: number;
  /** online agents on the channel whose bucket puts them in this phase's cohort */
  expectedCanary: number;
  /** of those, how many report the candidate active (or, in shadow, report shadow samples) */
  activated: number;
  /** canary windows since the wave started, and the recent ones (breach lookback) */
  canary: RoleWindowRow[];
  canaryRecent: RoleWindowRow[];
  stable: RoleWindowRow[];
}

export type Breach = 'error_rate' | 'p95' | 'p95_vs_stable' | 'agreement' | 'shadow_error_rate' | 'shadow_p95';

/**
 * Why a wave holds: too little of the rollout's own evidence (issue 16 §1), an error rate over the
 * maximum that is not yet significant, the wave's minimum duration, or (set by the controller) outside
 * every maintenance window.
 */
/**
 * quality_gate: the candidate's signed evidence no longer passes the channel's quality gate (raised mid-rollout; the
 * rollout is paused); gate_unreadable: the evidence could not be read this tick (the step is retried)
 */
export type HoldCode = 'insufficient_evidence' | 'not_significant' | 'min_duration' | 'outside_window' | 'quality_gate' | 'gate_unreadable';

export type Verdict =
  | { kind: 'wait'; code: HoldCode; reasons: string[]; summary: EvidenceSummary }
  | { kind: 'pass'; reasons: string[]; summary: EvidenceSummary }
  | { kind: 'fail'; breach: Breach; reasons: string[]; summary: EvidenceSummary };

export interface EvidenceSummary {
  phase: Phase;
  elapsedMs: number;
  channelAgents: number;
  expectedCanary: number;
  activated: number;
  canary: Omit<CohortStats, 'latency'>;
  canaryRecent: Omit<CohortStats, 'latency'>;
  stable: Omit<CohortStats, 'latency'>;
  shadow?: ShadowStats;
}

const strip = ({ latency: _l, ...rest }: CohortStats) => rest;
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const ms = (x: number) => `${x.toFixed(1)} ms`;

function breachOf(spec: RolloutSpec, c: CohortStats, stable: CohortStats, label: string): { breach: Breach; reason: string } | undefined {
  if (c.count < spec.minRequests) return undefined;
  const lower = errorRateLowerBound(c.count, c.errors);
  if (lower > spec.maxErrorRate) {
    return { breach: 'error_rate', reason: `${label} error rate ${pct(c.errorRate)} > max ${pct(spec.maxErrorRate)} (${c.errors}/${c.count} requests, ${c.agents} agents; ≥ ${pct(lower)} at 95 % confidence)` };
  }
  if (c.p95 > spec.maxP95Ms) return { breach: 'p95', reason: `${label} p95 ${ms(c.p95)} > max ${ms(spec.maxP95Ms)}` };
  if (spec.maxP95RatioToStable > 0 && stable.count >= spec.minRequests && stable.p95 > 0 && c.p95 > spec.maxP95RatioToStable * stable.p95) {
    return { breach: 'p95_vs_stable', reason: `${label} p95 ${ms(c.p95)} > ${spec.maxP95RatioToStable}× stable p95 ${ms(stable.p95)}` };
  }
  return undefined;
}

/**
 * Judges the current phase:
 *  - fail as soon as the canary breaks a gate with at least `minRequests` behind it, judged on the
 *    recent windows and on the whole wave (so neither a new fault nor a slow one is averaged away);
 *    the error-rate gate fails only when the rate is over the maximum at 95 % confidence (exact binomial),
 *    and a rate over the maximum that is not yet significant waits for more requests;
 *  - pass once the wave has run `waveMinDuration`, enough canary agents reported and activated
 *    (min(minAgents, cohort size), at least 1), enough requests were seen, and no gate is broken;
 *  - otherwise wait, with a code and the reasons: an empty channel or an empty wave cohort holds
 *    with `insufficient_evidence` (issue 16 §1: nothing passes by default).
 */
export function judgeWave(spec: RolloutSpec, ev: WaveEvidence): Verdict {
  const canary = cohortStats(ev.canary);
  const recent = cohortStats(ev.canaryRecent);
  const stable = cohortStats(ev.stable);
  const summary: EvidenceSummary = {
    phase: ev.phase,
    elapsedMs: ev.elapsedMs,
    channelAgents: ev.channelAgents,
    expectedCanary: ev.expectedCanary,
    activated: ev.activated,
    canary: strip(canary),
    canaryRecent: strip(recent),
    stable: strip(stable),
  };
  // at least one agent, whatever --min-agents says: no wave passes on nobody's evidence
  const required = Math.max(1, Math.min(spec.minAgents, ev.expectedCanary));

  if (ev.phase.shadow) {
    const sh = shadowStats(ev.canary);
    const shRecent = shadowStats(ev.canaryRecent);
    summary.shadow = sh;
    for (const [s, label] of [
      [shRecent, 'shadow candidate (recent)'],
      [sh, 'shadow candidate'],
    ] as const) {
      if (s.samples + s.errors < spec.minRequests) continue;
      const lower = errorRateLowerBound(s.samples + s.errors, s.errors);
      if (lower > spec.maxErrorRate) {
        return { kind: 'fail', breach: 'shadow_error_rate', reasons: [`${label} error rate ${pct(s.errorRate)} > max ${pct(spec.maxErrorRate)} (${s.errors}/${s.samples + s.errors}; ≥ ${pct(lower)} at 95 % confidence)`], summary };
      }
      if (s.p95 > spec.maxP95Ms) return { kind: 'fail', breach: 'shadow_p95', reasons: [`${label} p95 ${ms(s.p95)} > max ${ms(spec.maxP95Ms)}`], summary };
      if (spec.minAgreement !== undefined && s.agreement < spec.minAgreement) {
        return { kind: 'fail', breach: 'agreement', reasons: [`${label} agreement ${s.agreement.toFixed(3)} < min ${spec.minAgreement} over ${s.samples} samples`], summary };
      }
    }
    const short = emptyCohort(spec, ev) ?? [];
    if (ev.expectedCanary > 0) {
      if (sh.agents < required) short.push(`waiting for ${required - sh.agents} more shadow agents to report samples (${sh.agents} of ${required})`);
      if (sh.samples < spec.minRequests) short.push(`waiting for ${spec.minRequests - sh.samples} more shadow samples (${sh.samples} of ${spec.minRequests})`);
    }
    const noisy = sh.samples + sh.errors >= spec.minRequests && sh.errorRate > spec.maxErrorRate ? [`shadow error rate ${pct(sh.errorRate)} is over max ${pct(spec.maxErrorRate)} but not yet significant`] : [];
    const hold = holdOf(spec, ev, short, noisy, summary);
    if (hold) return hold;
    const agreeNote = spec.minAgreement !== undefined ? `agreement ${sh.agreement.toFixed(3)} ≥ ${spec.minAgreement}` : `agreement ${sh.agreement.toFixed(3)}`;
    return { kind: 'pass', reasons: [`${agreeNote}, shadow p95 ${ms(sh.p95)}, ${sh.samples} samples on ${sh.agents} agents`], summary };
  }

  const b = breachOf(spec, recent, stable, 'canary (recent)') ?? breachOf(spec, canary, stable, 'canary');
  if (b) return { kind: 'fail', breach: b.breach, reasons: [b.reason], summary };
  // over the maximum, but not yet significantly: neither fail nor pass, wait for more requests
  const noisy =
    canary.count >= spec.minRequests && canary.errorRate > spec.maxErrorRate
      ? [`canary error rate ${pct(canary.errorRate)} is over max ${pct(spec.maxErrorRate)} but not yet significant (${canary.errors}/${canary.count} requests)`]
      : [];
  // [issue 16 §1] a wave passes only on enough of its own evidence: min(minAgents, cohort) agents
  // activated and reporting, and minRequests requests; an empty cohort is never enough.
  const short = emptyCohort(spec, ev) ?? [];
  if (ev.expectedCanary > 0) {
    if (ev.activated < required) short.push(`waiting for ${required - ev.activated} more canary agents to activate the candidate (${ev.activated} of ${required})`);
    if (canary.agents < required) short.push(`waiting for ${required - canary.agents} more canary agents to report metrics (${canary.agents} of ${required})`);
    if (canary.count < spec.minRequests) short.push(`waiting for ${spec.minRequests - canary.count} more canary requests (${canary.count} of ${spec.minRequests})`);
  }
  const hold = holdOf(spec, ev, short, noisy, summary);
  if (hold) return hold;
  return {
    kind: 'pass',
    reasons: [`canary error rate ${pct(canary.errorRate)} ≤ ${pct(spec.maxErrorRate)}, p95 ${ms(canary.p95)} ≤ ${ms(spec.maxP95Ms)} (stable ${ms(stable.p95)}), ${canary.agents} agents, ${canary.count} requests`],
    summary,
  };
}

/** Reasons why there is no canary to judge at all: an empty channel (or selector), or an empty wave. */
function emptyCohort(spec: RolloutSpec, ev: WaveEvidence): string[] | undefined {
  const scope = `channel ${spec.channel}${spec.selector ? ` matching ${spec.selector}` : ''}`;
  if (ev.channelAgents === 0) return [`no online agent on ${scope}: waiting for agents (an empty channel never completes a rollout)`];
  if (ev.expectedCanary === 0) {
    return [`no online agent falls in the ${ev.phase.percent} % cohort (0 of ${ev.channelAgents} on ${scope}): waiting for one — or abort and start again with a larger first wave`];
  }
  return undefined;
}

function holdOf(spec: RolloutSpec, ev: WaveEvidence, short: string[], noisy: string[], summary: EvidenceSummary): Verdict | undefined {
  const early = ev.elapsedMs < spec.waveMinDurationMs ? [`wave has run ${Math.round(ev.elapsedMs / 1000)} s of ${Math.round(spec.waveMinDurationMs / 1000)} s`] : [];
  const reasons = [...short, ...noisy, ...early];
  if (reasons.length === 0) return undefined;
  const code: HoldCode = short.length ? 'insufficient_evidence' : noisy.length ? 'not_significant' : 'min_duration';
  return { kind: 'wait', code, reasons, summary };
}
