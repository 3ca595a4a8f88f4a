/**
 * The gate evidence over time, for the console's chart (issue 19 §2: "canary vs stable error rate and
 * p95 with their confidence bounds over time"). The rollout's time is cut into intervals; in each, the
 * canary rows (candidate model, this rollout's population, not naming another rollout) and the stable
 * rows (stable model, same population) are merged as the judge merges them (cohortStats), with:
 *  - error rate bounds: the one-sided 95 % Clopper–Pearson bounds — the lower one is the gate's own
 *    test (errorRateLowerBound), the upper one is the same test on the successes;
 *  - p95 bounds: distribution-free bounds of a quantile (the ranks n·q ∓ 1.645·√(n·q·(1−q)) of the
 *    merged histogram, i.e. the binomial count of requests below the true p95), read off the histogram.
 * Rows are bucketed by the controller's receive time, which never changes once written, so an interval
 * that has closed is computed once and cached (10,000 agents' windows stay cheap: only the open
 * interval is merged on each request). Shadow phases are drawn by the served model, not the shadow one.
 */
import { createHistogram, errorRate, errorRateLowerBound, histogramQuantile, histogramTotal, type Histogram } from '../../common/metrics.js';
import { addBuckets, BUCKETED, bucketVector, SUM_BUCKETS_SQL, unbucketedFrom } from '../controller/latency-buckets.js';
import { SLOT_MS, SLOTS_TABLE } from '../controller/evidence-slots.js';
import { parseSelector, type Requirement } from '../../common/selector.js';
import { phasesOf } from '../controller/judge.js';
import { selectedBy } from '../controller/evidence.js';
import type { ControllerStore, RolloutRow } from '../controller/store.js';
import type { EvidenceSeries, SeriesBucket, SeriesPoint } from '../../common/console-views.js';

export type { EvidenceSeries, SeriesBucket, SeriesPoint } from '../../common/console-views.js';

/** Interval lengths tried in order; the first that gives at most MAX_BUCKETS intervals is used. */
const LADDER_MS = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 21_600_000, 86_400_000];
export const MAX_BUCKETS = 60;
/** z for one-sided 95 % */
const Z95 = 1.645;
/** an interval is closed (immutable) once it ended this long ago: ingest writes in batches every 100 ms */
const SETTLE_MS = 2_000;

export function bucketMsFor(spanMs: number): number {
  return LADDER_MS.find((b) => spanMs / b <= MAX_BUCKETS) ?? LADDER_MS[LADDER_MS.length - 1]!;
}

/** Upper one-sided 95 % bound of an error rate: the lower bound of the success rate, mirrored. */
export function errorRateUpperBound(count: number, errors: number): number {
  if (count <= 0) return 1;
  return 1 - errorRateLowerBound(count, count - Math.min(errors, count));
}

/** Quantile bounds from a histogram: the order statistics a binomial(n, q) count puts around rank n·q. */
export function quantileBounds(h: Histogram, q: number): { low: number; high: number } {
  const n = histogramTotal(h);
  if (n === 0) return { low: 0, high: 0 };
  const sd = Math.sqrt(n * q * (1 - q));
  return { low: histogramQuantile(h, Math.max(0, (n * q - Z95 * sd) / n)), high: histogramQuantile(h, Math.min(1, (n * q + Z95 * sd) / n)) };
}

export function pointOf(count: number, errors: number, latency: Histogram): SeriesPoint {
  const b = quantileBounds(latency, 0.95);
  return {
    count,
    errors,
    errorRate: errorRate(count, errors),
    errorLow: errorRateLowerBound(count, errors),
    errorHigh: errorRateUpperBound(count, errors),
    p95: histogramQuantile(latency, 0.95),
    p95Low: b.low,
    p95High: b.high,
  };
}

interface Acc {
  count: number;
  errors: number;
  latency: Histogram;
}

function endOf(r: RolloutRow, now: number): number {
  const res = r.result ?? {};
  const end = Number(res.rolledBackAt ?? res.completedAt ?? NaN);
  if (Number.isFinite(end)) return Math.min(now, end + 30_000); // a little after the end: the rollback reaching agents
  return ['completed', 'rolled_back', 'aborted', 'failed'].includes(r.state) ? Math.min(now, r.updatedAt + 30_000) : now;
}

export class EvidenceSeriesBuilder {
  readonly #store: ControllerStore;
  /** `${rolloutId}|${bucketMs}|${t}` → closed interval */
  readonly #closed = new Map<string, SeriesBucket>();
  #q;

  constructor(store: ControllerStore) {
    this.#store = store;
    // [issue 19 §4] summed by SQLite per (interval, canary): the first call merged every window of the
    // rollout from its JSON (~1 s at 10,000 agents). An untargeted rollout reads the per-second sums
    // (evidence-slots.ts) and, from role_windows, only what they leave out: windows without a channel
    // (the agent's counts), those of the last, unfinished second, and an older writer's (no bucket
    // columns, merged from JSON). A targeted one sums its windows from role_windows (bucket columns).
    // The filters are the judge's: the window's channel, else its agent's; the canary's windows not
    // naming another rollout; with a selector, not an agent the selector leaves out.
    const where = (selector: boolean) => `role = ? AND model_id IN (?, ?) AND received >= ? AND received < ?
      AND COALESCE(rw.channel, (SELECT a.channel FROM agents a WHERE a.agent_id = rw.agent_id)) = ?
      AND NOT (model_id = ? AND COALESCE(rollout_id, '') NOT IN ('', ?))${selector ? ' AND rw.agent_id NOT IN (SELECT value FROM json_each(?))' : ''}`;
    const interval = 'CAST(received / ? AS INTEGER) AS k, model_id = ? AS canary';
    const summed = (selector: boolean, rows: string) =>
      store.db.prepare(`SELECT ${interval}, SUM(count), SUM(errors), ${SUM_BUCKETS_SQL} FROM role_windows rw WHERE ${where(selector)} AND ${BUCKETED} AND ${rows} GROUP BY k, canary`).raw(true);
    const unbucketed = (selector: boolean) => store.db.prepare(`SELECT ${interval}, count, errors, latency_json FROM ${unbucketedFrom('rw')} WHERE ${where(selector)} AND lb0 IS NULL`).raw(true);
    this.#q = {
      slots: store.db
        .prepare(`SELECT CAST(slot / ? AS INTEGER) AS k, model_id = ? AS canary, SUM(count), SUM(errors), ${SUM_BUCKETS_SQL} FROM ${SLOTS_TABLE}
          WHERE role = ? AND model_id IN (?, ?) AND channel = ? AND slot >= ? AND slot < ? AND NOT (model_id = ? AND rollout_id NOT IN ('', ?)) GROUP BY k, canary`)
        .raw(true),
      noChannel: summed(false, 'rw.channel IS NULL'),
      lastSecond: summed(false, 'rw.channel IS NOT NULL'),
      summedSelected: summed(true, '1'),
      unbucketed: unbucketed(false),
      unbucketedSelected: unbucketed(true),
      scopes: store.db.prepare<[], { agent_id: string; labels_json: string | null }>('SELECT agent_id, labels_json FROM agents'),
    };
  }

  series(r: RolloutRow, now: number): EvidenceSeries {
    const spec = r.spec;
    const from = r.createdAt;
    const to = Math.max(from + 1, endOf(r, now));
    const bucketMs = bucketMsFor(to - from);
    const first = Math.floor(from / bucketMs) * bucketMs;
    const buckets: SeriesBucket[] = [];
    let openFrom: number | undefined;
    for (let t = first; t < to; t += bucketMs) {
      const cached = this.#closed.get(`${r.id}|${bucketMs}|${t}`);
      if (cached) buckets.push(cached);
      else {
        openFrom ??= t;
        buckets.push({ t, canary: null, stable: null });
      }
    }
    if (openFrom !== undefined) this.#fill(r, buckets, openFrom, to, bucketMs, now);
    return {
      rolloutId: r.id,
      bucketMs,
      from: first,
      to: first + buckets.length * bucketMs,
      gates: { maxErrorRate: spec.maxErrorRate, maxP95Ms: spec.maxP95Ms, maxP95RatioToStable: spec.maxP95RatioToStable },
      buckets,
      marks: this.#marks(r),
    };
  }

  /** Merges the rows of the intervals from `openFrom` on; caches those that have closed. */
  #fill(r: RolloutRow, buckets: SeriesBucket[], openFrom: number, to: number, bucketMs: number, now: number): void {
    const spec = r.spec;
    const reqs: readonly Requirement[] | undefined = spec.selector === undefined ? undefined : parseSelector(spec.selector);
    const args: unknown[] = [bucketMs, spec.candidate, spec.role, spec.candidate, spec.stable, openFrom, to, spec.channel, spec.candidate, r.id];
    if (reqs) {
      // labels matter only to a targeted rollout: without a selector every agent of the channel counts
      const unselected: string[] = [];
      for (const a of this.#q.scopes.all()) {
        const labels = a.labels_json ? (JSON.parse(a.labels_json) as Record<string, string>) : undefined;
        if (!selectedBy({ agentId: a.agent_id, labels }, reqs)) unselected.push(a.agent_id);
      }
      args.push(JSON.stringify(unselected));
    }
    const acc = new Map<number, { canary?: Acc; stable?: Acc }>();
    const add = (k: number, canary: boolean, count: number, errors: number, src: readonly unknown[], offset: number) => {
      const t = k * bucketMs;
      let slot = acc.get(t);
      if (!slot) acc.set(t, (slot = {}));
      const a = (slot[canary ? 'canary' : 'stable'] ??= { count: 0, errors: 0, latency: createHistogram() });
      a.count += count;
      a.errors += errors;
      addBuckets(a.latency.counts, src, offset);
    };
    const sums = (stmt: { all: (...a: unknown[]) => unknown[] }, a: unknown[]) => {
      for (const row of stmt.all(...a) as unknown[][]) add(Number(row[0]), row[1] === 1, Number(row[2]), Number(row[3]), row, 4);
    };
    if (reqs) sums(this.#q.summedSelected, args);
    else {
      // whole seconds from the sums (openFrom is a whole interval, so a whole second); the last second's rest from the windows
      const lastSecond = Math.max(openFrom, Math.floor(to / SLOT_MS) * SLOT_MS);
      sums(this.#q.slots, [bucketMs / SLOT_MS, spec.candidate, spec.role, spec.candidate, spec.stable, spec.channel, openFrom / SLOT_MS, lastSecond / SLOT_MS, spec.candidate, r.id]);
      sums(this.#q.noChannel, args);
      sums(this.#q.lastSecond, [...args.slice(0, 5), lastSecond, ...args.slice(6)]);
    }
    // windows an older controller wrote without the bucket columns: merged from their JSON
    for (const row of (reqs ? this.#q.unbucketedSelected : this.#q.unbucketed).all(...args) as unknown[][]) {
      add(Number(row[0]), row[1] === 1, Number(row[2]), Number(row[3]), bucketVector(JSON.parse(row[4] as string) as Histogram), 0);
    }
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      if (b.t < openFrom) continue;
      const slot = acc.get(b.t);
      const filled: SeriesBucket = {
        t: b.t,
        canary: slot?.canary && slot.canary.count > 0 ? pointOf(slot.canary.count, slot.canary.errors, slot.canary.latency) : null,
        stable: slot?.stable && slot.stable.count > 0 ? pointOf(slot.stable.count, slot.stable.errors, slot.stable.latency) : null,
      };
      buckets[i] = filled;
      if (b.t + bucketMs + SETTLE_MS <= now) this.#closed.set(`${r.id}|${bucketMs}|${b.t}`, filled);
    }
  }

  #marks(r: RolloutRow): EvidenceSeries['marks'] {
    const phases = phasesOf(r.spec);
    const marks: EvidenceSeries['marks'] = [];
    for (const l of this.#store.logOf(r.id)) {
      if (l.kind === 'phase_started') {
        const p = phases[Number(l.data.phase ?? 0)];
        marks.push({ t: l.ts, kind: 'wave', label: p ? (p.shadow ? 'shadow' : `${p.percent} %`) : 'wave' });
      } else if (l.kind === 'rolled_back' || l.kind === 'aborted' || l.kind === 'completed') {
        marks.push({ t: l.ts, kind: l.kind, label: l.kind.replace('_', ' ') });
      }
    }
    return marks;
  }
}
