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

export type Verdict =
  | { kind: 'wait'; reasons: string[]; summary: EvidenceSummary }
  | { kind: 'pass'; reasons: string[]; summary: EvidenceSummary }
  | { kind: 'fail'; breach: Breach; reasons: string[]; summary: EvidenceSummary };

export interface EvidenceSummary {
  phase: Phase;
  elapsedMs: number;
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
 *    (min(minAgents, cohort size)), enough requests were seen, and no gate is broken;
 *  - otherwise wait, with the reasons.
 */
export function judgeWave(spec: RolloutSpec, ev: WaveEvidence): Verdict {
  const canary = cohortStats(ev.canary);
  const recent = cohortStats(ev.canaryRecent);
  const stable = cohortStats(ev.stable);
  const summary: EvidenceSummary = {
    phase: ev.phase,
    elapsedMs: ev.elapsedMs,
    expectedCanary: ev.expectedCanary,
    activated: ev.activated,
    canary: strip(canary),
    canaryRecent: strip(recent),
    stable: strip(stable),
  };
  const required = Math.min(spec.minAgents, ev.expectedCanary);
  const waits: string[] = [];

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
    if (ev.elapsedMs < spec.waveMinDurationMs) waits.push(`wave has run ${Math.round(ev.elapsedMs / 1000)} s of ${Math.round(spec.waveMinDurationMs / 1000)} s`);
    if (ev.expectedCanary > 0) {
      if (sh.agents < required) waits.push(`${sh.agents} of ${required} agents reported shadow samples`);
      if (sh.samples < spec.minRequests) waits.push(`${sh.samples} of ${spec.minRequests} shadow samples`);
      if (sh.samples + sh.errors >= spec.minRequests && sh.errorRate > spec.maxErrorRate) waits.push(`shadow error rate ${pct(sh.errorRate)} is over max ${pct(spec.maxErrorRate)} but not yet significant`);
    }
    if (waits.length) return { kind: 'wait', reasons: waits, summary };
    const agreeNote = spec.minAgreement !== undefined ? `agreement ${sh.agreement.toFixed(3)} ≥ ${spec.minAgreement}` : `agreement ${sh.agreement.toFixed(3)}`;
    return { kind: 'pass', reasons: [ev.expectedCanary === 0 ? 'no agent in the shadow cohort' : `${agreeNote}, shadow p95 ${ms(sh.p95)}, ${sh.samples} samples on ${sh.agents} agents`], summary };
  }

  const b = breachOf(spec, recent, stable, 'canary (recent)') ?? breachOf(spec, canary, stable, 'canary');
  if (b) return { kind: 'fail', breach: b.breach, reasons: [b.reason], summary };
  if (ev.elapsedMs < spec.waveMinDurationMs) waits.push(`wave has run ${Math.round(ev.elapsedMs / 1000)} s of ${Math.round(spec.waveMinDurationMs / 1000)} s`);
  // over the maximum, but not yet significantly: neither fail nor pass, wait for more requests
  if (canary.count >= spec.minRequests && canary.errorRate > spec.maxErrorRate) {
    waits.push(`canary error rate ${pct(canary.errorRate)} is over max ${pct(spec.maxErrorRate)} but not yet significant (${canary.errors}/${canary.count} requests)`);
  }
  if (ev.expectedCanary > 0) {
    if (ev.activated < required) waits.push(`${ev.activated} of ${required} canary agents activated the candidate`);
    if (canary.agents < required) waits.push(`${canary.agents} of ${required} canary agents reported metrics`);
    if (canary.count < spec.minRequests) waits.push(`${canary.count} of ${spec.minRequests} canary requests`);
  }
  if (waits.length) return { kind: 'wait', reasons: waits, summary };
  return {
    kind: 'pass',
    reasons: [
      ev.expectedCanary === 0
        ? `no agent in the ${ev.phase.percent} % cohort`
        : `canary error rate ${pct(canary.errorRate)} ≤ ${pct(spec.maxErrorRate)}, p95 ${ms(canary.p95)} ≤ ${ms(spec.maxP95Ms)} (stable ${ms(stable.p95)}), ${canary.agents} agents, ${canary.count} requests`,
    ],
    summary,
  };
}
