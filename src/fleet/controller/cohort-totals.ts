/**
 * Per-cohort figures over a look-back (the status view `GET /api/v1/fleet` and /metrics), summed by
 * SQLite from the bucket columns (latency-buckets.ts) instead of parsing every window's histogram in
 * JavaScript (issue 19 §4: ~0.5–1.1 s at 10,000 agents, 50,000 windows in 5 minutes).
 *
 * Exactly what `cohortStats` over the former `store.cohortRows(since)` (now the reference in test/integration/fleet-aggregates.test.ts) gives, split the same way: one SQL row per
 * (role, cohort, model, provider, agent) with its sums, merged here by whatever the caller keys on
 * (the agent's channel for the status view, nothing for /metrics). Groups come in the order of their
 * first window (lowest rowid), as the row scan gave them.
 */
import type Database from 'better-sqlite3';
import { errorRate, histogramQuantile, type Histogram } from '../../common/metrics.js';
import { addBuckets, BUCKETED, BUCKETS, bucketVector, histogramOfBuckets, SUM_BUCKETS_SQL, unbucketedFrom } from './latency-buckets.js';

/** One agent's windows of one cohort group since the look-back. */
export interface AgentCohortTotal {
  role: string;
  cohort: string;
  modelId: string;
  provider: string;
  agentId: string;
  /** rowid of its first window (orders the groups as the scan did) */
  first: number;
  count: number;
  errors: number;
  buckets: number[];
  /** `${role}|${cohort}|${modelId}|${provider}` when the source computed it already */
  groupKey?: string;
}

export interface CohortFigures {
  role: string;
  cohort: string;
  modelId: string;
  provider: string;
  /** the caller's split key ('' when not split) */
  split: string;
  agents: number;
  count: number;
  errors: number;
  errorRate: number;
  p95: number;
  latency: Histogram;
}

// NULL cohort reads as 'stable', NULL model and provider as '' (as cohortRows groups them)
const GROUP = "role, COALESCE(cohort, 'stable'), COALESCE(model_id, ''), COALESCE(provider, ''), agent_id";

const statements = new WeakMap<Database.Database, { summed: Database.Statement; unbucketed: Database.Statement }>();

function prepared(db: Database.Database) {
  let s = statements.get(db);
  if (!s) {
    s = {
      summed: db
        .prepare(`SELECT ${GROUP}, MIN(rowid), SUM(count), SUM(errors), ${SUM_BUCKETS_SQL} FROM role_windows WHERE received >= ? AND ${BUCKETED} GROUP BY ${GROUP}`)
        .raw(true),
      unbucketed: db.prepare(`SELECT ${GROUP}, rowid, count, errors, latency_json FROM ${unbucketedFrom()} WHERE received >= ? AND lb0 IS NULL`).raw(true),
    };
    statements.set(db, s);
  }
  return s;
}

/** Per (group, agent) sums of the windows received since `since`. */
export function agentCohortTotals(db: Database.Database, since: number): AgentCohortTotal[] {
  const s = prepared(db);
  const out = new Map<string, AgentCohortTotal>();
  const add = (r: unknown[], count: number, errors: number, buckets: readonly unknown[], offset: number) => {
    const [role, cohort, modelId, provider, agentId, first] = r as [string, string, string, string, string, number];
    const key = JSON.stringify([role, cohort, modelId, provider, agentId]);
    let t = out.get(key);
    if (!t) out.set(key, (t = { role, cohort, modelId, provider, agentId, first, count: 0, errors: 0, buckets: new Array<number>(BUCKETS).fill(0) }));
    t.first = Math.min(t.first, first);
    t.count += count;
    t.errors += errors;
    addBuckets(t.buckets, buckets, offset);
  };
  for (const r of s.summed.all(since) as unknown[][]) add(r, Number(r[6]), Number(r[7]), r, 8);
  // windows an older controller wrote without the bucket columns: merged from their JSON
  for (const r of s.unbucketed.all(since) as unknown[][]) add(r, Number(r[6]), Number(r[7]), bucketVector(JSON.parse(r[8] as string) as Histogram), 0);
  return [...out.values()];
}

/**
 * The cohort figures split by `splitOf(agentId)`, in the order cohortRows' groups and their splits
 * came: groups by first window, within a group the splits by their first window.
 */
export function cohortFigures(totals: readonly AgentCohortTotal[], splitOf: (agentId: string) => string = () => ''): CohortFigures[] {
  const groups = new Map<string, { first: number; splits: Map<string, { first: number; agents: Set<string>; count: number; errors: number; buckets: number[] }>; t: AgentCohortTotal }>();
  for (const t of totals) {
    // the key cohortRows grouped by (a '|' inside a name merges groups there, and so here)
    const gk = t.groupKey ?? `${t.role}|${t.cohort}|${t.modelId}|${t.provider}`;
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = { first: t.first, splits: new Map(), t }));
    if (t.first < g.first) (g.first = t.first), (g.t = t);
    const split = splitOf(t.agentId);
    let sp = g.splits.get(split);
    if (!sp) g.splits.set(split, (sp = { first: t.first, agents: new Set(), count: 0, errors: 0, buckets: new Array<number>(BUCKETS).fill(0) }));
    sp.first = Math.min(sp.first, t.first);
    sp.agents.add(t.agentId);
    sp.count += t.count;
    sp.errors += t.errors;
    addBuckets(sp.buckets, t.buckets);
  }
  const out: CohortFigures[] = [];
  for (const g of [...groups.values()].sort((a, b) => a.first - b.first)) {
    for (const [split, sp] of [...g.splits.entries()].sort((a, b) => a[1].first - b[1].first)) {
      const latency = histogramOfBuckets(sp.buckets);
      out.push({
        role: g.t.role, cohort: g.t.cohort, modelId: g.t.modelId, provider: g.t.provider, split,
        agents: sp.agents.size, count: sp.count, errors: sp.errors, errorRate: errorRate(sp.count, sp.errors), p95: histogramQuantile(latency, 0.95), latency,
      });
    }
  }
  return out;
}
