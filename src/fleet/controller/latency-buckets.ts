/**
 * Each stored role window's latency histogram, also kept re-bucketed onto the fleet's default bounds in
 * integer columns `lb0…lbN` of `role_windows` (issue 19 §4: `GET /api/v1/fleet` and a rollout's first
 * evidence call parsed every stored histogram's JSON, ~0.5–1.3 s at 10,000 agents). Every reader merges
 * histograms into `createHistogram()` (the default bounds) with `mergeInto`, and that merge is a sum of
 * one fixed vector per row (the row's counts, re-bucketed when its bounds differ), so SQLite can add the
 * columns (`SUM(lb0)…`) and give the very same integers without any JSON parsing.
 *
 * The layout (the bounds the columns stand for) is recorded in `latency_bucket_layout`; a file written
 * before these columns, or under other default bounds, is filled when it is opened. Rows written later
 * by an older controller sharing the file have NULL columns: readers merge those few from their JSON
 * (`unbucketedSql`, a partial index keeps that lookup cheap).
 */
import type Database from 'better-sqlite3';
import { createHistogram, DEFAULT_LATENCY_BOUNDS_MS, mergeInto, type Histogram } from '../../common/metrics.js';
import { hasColumn } from './store-schema.js';

export const BUCKETS = DEFAULT_LATENCY_BOUNDS_MS.length + 1;
export const BUCKET_COLUMNS: readonly string[] = Array.from({ length: BUCKETS }, (_, i) => `lb${i}`);
/** `SUM(lb0), SUM(lb1), …` (one per bucket, in order) */
export const SUM_BUCKETS_SQL = BUCKET_COLUMNS.map((c) => `SUM(${c})`).join(', ');
/** rows whose columns were written; the others (an older writer's) are merged from latency_json */
export const BUCKETED = 'lb0 IS NOT NULL';
/** `FROM` for the rows without columns: through their partial index (the planner would take a larger one) */
export const unbucketedFrom = (alias = ''): string => `role_windows ${alias} INDEXED BY role_windows_unbucketed`;

/** What `mergeInto(createHistogram(), h)` adds for this histogram: its counts on the default bounds. */
export function bucketVector(h: Pick<Histogram, 'boundsMs' | 'counts'>): number[] {
  return mergeInto(createHistogram(), { boundsMs: h.boundsMs, counts: h.counts }).counts;
}

/** Adds `src` (a bucket vector, or the SUM columns of a raw row from `offset`) into `into`. */
export function addBuckets(into: number[], src: readonly unknown[], offset = 0): void {
  for (let i = 0; i < BUCKETS; i++) into[i]! += Number(src[offset + i] ?? 0);
}

/** A histogram on the default bounds holding these bucket counts. */
export function histogramOfBuckets(counts: number[]): Histogram {
  return { boundsMs: [...DEFAULT_LATENCY_BOUNDS_MS], counts };
}

/**
 * Adds the columns (and the receive-time index the look-back queries use) and fills every row that
 * lacks them; idempotent. Runs inside the store's opening, after the window tables exist. Nothing is
 * written when nothing is missing, and the work runs in an IMMEDIATE transaction: the CLI and the
 * controller open the file side by side (a deferred transaction that read first could not take the
 * write lock while the other writes, and busy_timeout does not help there).
 */
export function migrateLatencyBuckets(db: Database.Database): void {
  const layout = JSON.stringify(DEFAULT_LATENCY_BOUNDS_MS);
  const exists = (type: string, name: string) => db.prepare('SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?').get(type, name) !== undefined;
  const layoutNow = () => (exists('table', 'latency_bucket_layout') ? (db.prepare('SELECT bounds_json FROM latency_bucket_layout WHERE id = 1').get() as { bounds_json: string } | undefined)?.bounds_json : undefined);
  const needed = () =>
    BUCKET_COLUMNS.some((c) => !hasColumn(db, 'role_windows', c)) ||
    !exists('index', 'role_windows_received') ||
    !exists('index', 'role_windows_unbucketed') ||
    layoutNow() !== layout ||
    db.prepare(`SELECT 1 FROM ${unbucketedFrom()} WHERE lb0 IS NULL LIMIT 1`).get() !== undefined;
  if (!needed()) return;
  db.transaction(() => {
    for (const c of BUCKET_COLUMNS) if (!hasColumn(db, 'role_windows', c)) db.exec(`ALTER TABLE role_windows ADD COLUMN ${c} INTEGER`);
    db.exec(`CREATE TABLE IF NOT EXISTS latency_bucket_layout (id INTEGER PRIMARY KEY CHECK (id = 1), bounds_json TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS role_windows_received ON role_windows (received);
      CREATE INDEX IF NOT EXISTS role_windows_unbucketed ON role_windows (received) WHERE lb0 IS NULL;`);
    const had = layoutNow();
    // other bounds than the ones the columns were written for: every row is filled again
    const stale = had !== undefined && had !== layout;
    const rows = db.prepare<[], { id: number; latency_json: string }>(`SELECT rowid AS id, latency_json FROM role_windows${stale ? '' : ' WHERE lb0 IS NULL'}`).all();
    const fill = db.prepare(`UPDATE role_windows SET ${BUCKET_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE rowid = ?`);
    for (const r of rows) fill.run(...bucketVector(JSON.parse(r.latency_json) as Histogram), r.id);
    if (had !== layout) db.prepare('INSERT INTO latency_bucket_layout (id, bounds_json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET bounds_json = excluded.bounds_json').run(layout);
  }).immediate();
}
