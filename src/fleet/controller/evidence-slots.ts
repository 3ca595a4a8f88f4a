/**
 * Role windows summed per second of receive time (issue 19 §4: a rollout's evidence series, on its
 * first call after a start, merged every window of the rollout — ~1 s at 10,000 agents). One row per
 * (role, model, window channel, rollout named, second) with the sums of count, errors and the latency
 * bucket columns (latency-buckets.ts). The evidence intervals are whole multiples of a second, so an
 * interval is the sum of its seconds: the series reads a few thousand rows instead of every window.
 *
 * Kept by SQLite triggers on `role_windows` (as the overview's counts, web/overview-counts.ts): every
 * writer of the file keeps them, in its own transaction, exact by construction — an insert adds the
 * row's contribution, a delete subtracts it, an update (the bucket columns filled for an older row, or
 * refilled for new bounds) does both. Rows without a window channel (the series then takes the
 * agent's), without a model, or without bucket columns (an older writer) are left out here; the series
 * reads those from `role_windows` (evidence-series.ts).
 */
import type Database from 'better-sqlite3';
import { BUCKET_COLUMNS } from './latency-buckets.js';

export const SLOTS_TABLE = 'evidence_slots_v1';
const TRIGGER = 'evidence_slots_v1_';
export const SLOT_MS = 1000;

const SUMS = ['count', 'errors', ...BUCKET_COLUMNS];
const KEY = 'role, model_id, channel, slot, rollout_id';
const eligible = (x: 'NEW' | 'OLD') => `${x}.channel IS NOT NULL AND ${x}.model_id IS NOT NULL AND ${x}.lb0 IS NOT NULL`;

function contribution(x: 'NEW' | 'OLD', sign: 1 | -1): string {
  const s = sign === 1 ? '' : '-';
  return `INSERT INTO ${SLOTS_TABLE} (${KEY}, ${SUMS.join(', ')})
    SELECT ${x}.role, ${x}.model_id, ${x}.channel, CAST(${x}.received / ${SLOT_MS} AS INTEGER), COALESCE(${x}.rollout_id, ''), ${SUMS.map((c) => `${s}${x}.${c}`).join(', ')} WHERE ${eligible(x)}
    ON CONFLICT (${KEY}) DO UPDATE SET ${SUMS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')};`;
}

const TRIGGERS: Record<string, string> = {
  [`${TRIGGER}insert`]: `AFTER INSERT ON role_windows BEGIN ${contribution('NEW', 1)} END`,
  [`${TRIGGER}delete`]: `AFTER DELETE ON role_windows BEGIN ${contribution('OLD', -1)} END`,
  [`${TRIGGER}update`]: `AFTER UPDATE ON role_windows BEGIN ${contribution('OLD', -1)} ${contribution('NEW', 1)} END`,
};

/** The slots as the triggers keep them, computed from the windows (the first fill, and the tests' reference). */
export const recountSlotsSql = `SELECT role, model_id, channel, CAST(received / ${SLOT_MS} AS INTEGER) AS slot, COALESCE(rollout_id, '') AS rollout_id, ${SUMS.map((c) => `SUM(${c}) AS ${c}`).join(', ')}
  FROM role_windows WHERE channel IS NOT NULL AND model_id IS NOT NULL AND lb0 IS NOT NULL GROUP BY 1, 2, 3, 4, 5`;

/** Creates the table and its triggers once per file and fills it from the windows (idempotent). */
export function installEvidenceSlots(db: Database.Database): void {
  const have = () => (db.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'evidence_slots_v1%'`).all() as { name: string }[]).map((o) => o.name);
  const complete = (names: string[]) => [SLOTS_TABLE, ...Object.keys(TRIGGERS)].every((n) => names.includes(n));
  if (complete(have())) return;
  db.transaction(() => {
    const names = have();
    if (complete(names)) return;
    for (const t of Object.keys(TRIGGERS)) db.exec(`DROP TRIGGER IF EXISTS ${t}`);
    db.exec(`DROP TABLE IF EXISTS ${SLOTS_TABLE};
      CREATE TABLE ${SLOTS_TABLE} (role TEXT NOT NULL, model_id TEXT NOT NULL, channel TEXT NOT NULL, slot INTEGER NOT NULL, rollout_id TEXT NOT NULL,
        ${SUMS.map((c) => `${c} INTEGER NOT NULL`).join(', ')}, PRIMARY KEY (${KEY})) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS role_windows_no_channel ON role_windows (role, model_id, received) WHERE channel IS NULL;`);
    db.exec(`INSERT INTO ${SLOTS_TABLE} (${KEY}, ${SUMS.join(', ')}) SELECT ${KEY}, ${SUMS.join(', ')} FROM (${recountSlotsSql})`);
    for (const [name, body] of Object.entries(TRIGGERS)) db.exec(`CREATE TRIGGER ${name} ${body}`);
  }).immediate();
}
