/**
 * The per-(cohort group, agent) sums of the windows received since a look-back, kept up to date
 * across calls (issue 19 §4: `GET /api/v1/fleet` summed ~50,000 windows on every call; even from the
 * bucket columns that is ~0.4 s at 10,000 agents). The set it holds is exactly "every role window with
 * rowid ≤ last and received ≥ watermark": each call moves the watermark to the new look-back (adding
 * or subtracting only the windows received in between, read through the receive-time index) and adds
 * the windows inserted since (rowid > last). Windows are never updated or deleted by the store, so
 * that is the same set a full query would read; as a guard, each call compares the number it holds
 * with `count(*)` over the look-back (a covering index, ~1 ms) and rebuilds from scratch on a
 * mismatch (another writer deleting rows, a VACUUM renumbering them).
 *
 * Per process and in memory: a restart (or the CLI's one-shot `status`) builds it once with one pass
 * over the look-back. The figures are those of `agentCohortTotals` (cohort-totals.ts), which is what
 * test/integration/fleet-aggregates.test.ts checks, through moving look-backs and new windows.
 */
import type Database from 'better-sqlite3';
import type { Histogram } from '../../common/metrics.js';
import type { AgentCohortTotal } from './cohort-totals.js';
import { BUCKET_COLUMNS, BUCKETS, bucketVector } from './latency-buckets.js';

interface Entry extends AgentCohortTotal {
  windows: number;
  /** rowids of its windows in the set (a few per agent); `first` is the smallest */
  rowids: number[];
}

// [rowid, received, role, cohort, model, provider, agent, count, errors, latency_json when not bucketed, lb0…]
const COLUMNS = `rowid, received, role, COALESCE(cohort, 'stable'), COALESCE(model_id, ''), COALESCE(provider, ''), agent_id, count, errors,
  CASE WHEN lb0 IS NULL THEN latency_json END, ${BUCKET_COLUMNS.join(', ')}`;
const LB = 10;

export class CohortWindow {
  readonly #db: Database.Database;
  readonly #q;
  /** look-back of the set; undefined before the first call */
  #watermark: number | undefined;
  #last = 0;
  #held = 0;
  readonly #entries = new Map<string, Entry>();
  /** full builds so far (tests see the guard and the first call) */
  rebuilds = 0;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = {
      since: db.prepare(`SELECT ${COLUMNS} FROM role_windows WHERE received >= ? AND rowid <= ?`).raw(true),
      between: db.prepare(`SELECT ${COLUMNS} FROM role_windows WHERE received >= ? AND received < ? AND rowid <= ?`).raw(true),
      after: db.prepare(`SELECT ${COLUMNS} FROM role_windows WHERE rowid > ?`).raw(true),
      last: db.prepare('SELECT max(rowid) FROM role_windows').pluck(),
      count: db.prepare('SELECT count(*) FROM role_windows WHERE received >= ?').pluck(),
    };
  }

  /** Per (group, agent) sums of the windows received since `since` (as agentCohortTotals); read-only, valid until the next call. */
  totals(since: number): AgentCohortTotal[] {
    return this.#db.transaction(() => {
      if (this.#watermark === undefined) this.#rebuild(since);
      else {
        this.#advance(this.#watermark, since);
        if (this.#q.count.get(since) !== this.#held) this.#rebuild(since);
      }
      return [...this.#entries.values()];
    })();
  }

  #rebuild(since: number): void {
    this.rebuilds++;
    this.#entries.clear();
    this.#held = 0;
    this.#last = (this.#q.last.get() as number | null) ?? 0;
    for (const r of this.#q.since.all(since, this.#last) as unknown[][]) this.#apply(r, 1);
    this.#watermark = since;
  }

  /** Moves the set from look-back `w` to `since`, then takes in the windows inserted since. */
  #advance(w: number, since: number): void {
    if (since > w) for (const r of this.#q.between.all(w, since, this.#last) as unknown[][]) this.#apply(r, -1);
    else if (since < w) for (const r of this.#q.between.all(since, w, this.#last) as unknown[][]) this.#apply(r, 1);
    this.#watermark = since;
    for (const r of this.#q.after.all(this.#last) as unknown[][]) {
      this.#last = Math.max(this.#last, r[0] as number);
      if ((r[1] as number) >= since) this.#apply(r, 1);
    }
  }

  #apply(r: unknown[], sign: 1 | -1): void {
    const [rowid, , role, cohort, modelId, provider, agentId] = r as [number, number, string, string, string, string, string];
    const key = JSON.stringify([role, cohort, modelId, provider, agentId]);
    let e = this.#entries.get(key);
    if (!e) {
      if (sign < 0) return; // not held: nothing to take away (the count guard rebuilds if the set is off)
      const groupKey = `${role}|${cohort}|${modelId}|${provider}`;
      this.#entries.set(key, (e = { role, cohort, modelId, provider, agentId, groupKey, first: rowid, windows: 0, count: 0, errors: 0, buckets: new Array<number>(BUCKETS).fill(0), rowids: [] }));
    }
    if (sign > 0) {
      e.rowids.push(rowid);
      if (rowid < e.first) e.first = rowid;
    } else {
      const i = e.rowids.indexOf(rowid);
      if (i < 0) return;
      e.rowids.splice(i, 1);
      if (rowid === e.first) e.first = Math.min(...e.rowids);
    }
    const json = r[LB - 1] as string | null;
    const buckets = json === null ? (r.slice(LB) as number[]) : bucketVector(JSON.parse(json) as Histogram);
    e.windows += sign;
    this.#held += sign;
    e.count += sign * (r[7] as number);
    e.errors += sign * (r[8] as number);
    for (let i = 0; i < BUCKETS; i++) e.buckets[i]! += sign * Number(buckets[i] ?? 0);
    if (e.windows === 0) this.#entries.delete(key);
  }
}
