/**
 * The fleet overview's counts, maintained at ingest (issue 19 §4: fleet overview p95 ≤ 50 ms with
 * 10,000 agents). SQLite triggers on the `agents` table keep one small table of counts up to date:
 * when an agent's retained status is inserted, changes or is deleted, the old row's contribution is
 * subtracted and the new row's added, in the writer's own transaction. The overview then reads tens
 * of rows instead of aggregating every stored status on each call (~70–115 ms at 10,000 agents).
 *
 * Why triggers and not code in the ingest path or a cache: every writer of the fleet database (the
 * controller's ingest, the CLI, another process sharing the file) goes through the table, so the
 * counts are exact whoever writes, with no invalidation and no staleness — a reader sees them in
 * the same snapshot as the statuses themselves. `last_seen` (touched by every metrics window) is not
 * a trigger column, so windows cost nothing extra.
 *
 * Counted (kind → key, a JSON array so that NULL and "" stay apart):
 *   channel       [channel]                                                 agents, online
 *   version       [channel, role, modelId, name, version, cohort, provider] online agents only
 *   agentVersion  [agentVersion]                                            agents, online
 *   label         [key, value]                                              agents, online
 * `recountSql` computes the same rows from the statuses (the first fill, and the tests' reference).
 */
import type Database from 'better-sqlite3';
import { ROLES } from '../../common/wire.js';

export const COUNTS_TABLE = 'console_overview_counts_v1';
const TRIGGER_PREFIX = 'console_overview_v1_';
/** every object an older layout may have left: dropped before this one is installed */
const OLD_PREFIX = 'console_overview_';

export type CountKind = 'channel' | 'version' | 'agentVersion' | 'label';

export interface CountRow {
  kind: CountKind;
  key: string;
  agents: number;
  online: number;
}

const ROLE_LIST = ROLES.map((r) => `'${r}'`).join(', ');

// The key expressions, per source row alias (NEW / OLD in triggers, a in the recount).
const channelKey = (x: string) => `json_array(${x}.channel)`;
const versionKey = (x: string) =>
  `json_array(${x}.channel, r.key, json_extract(r.value, '$.modelId'), json_extract(r.value, '$.name'), json_extract(r.value, '$.version'), json_extract(r.value, '$.cohort'), json_extract(r.value, '$.provider'))`;
const agentVersionKey = (x: string) => `json_array(json_extract(${x}.status_json, '$.agentVersion'))`;
const labelKey = 'json_array(l.key, l.value)';

const UPSERT = `ON CONFLICT (kind, key) DO UPDATE SET agents = agents + excluded.agents, online = online + excluded.online`;

/** The statements adding (sign 1) or subtracting (sign -1) one agents row's contribution. */
function contribution(x: 'NEW' | 'OLD', sign: 1 | -1): string {
  const s = sign === 1 ? '' : '-';
  return `
    INSERT INTO ${COUNTS_TABLE} (kind, key, agents, online) VALUES ('channel', ${channelKey(x)}, ${s}1, ${s}${x}.online) ${UPSERT};
    INSERT INTO ${COUNTS_TABLE} (kind, key, agents, online)
      SELECT 'version', ${versionKey(x)}, ${s}1, ${s}1 FROM json_each(${x}.status_json, '$.roles') r WHERE ${x}.online = 1 AND r.key IN (${ROLE_LIST}) ${UPSERT};
    INSERT INTO ${COUNTS_TABLE} (kind, key, agents, online) VALUES ('agentVersion', ${agentVersionKey(x)}, ${s}1, ${s}${x}.online) ${UPSERT};
    INSERT INTO ${COUNTS_TABLE} (kind, key, agents, online)
      SELECT 'label', ${labelKey}, ${s}1, ${s}${x}.online FROM json_each(${x}.labels_json) l WHERE ${x}.labels_json IS NOT NULL ${UPSERT};`;
}

/** Rows whose last agent left; the partial index keeps this delete from scanning the table. */
const PRUNE = `DELETE FROM ${COUNTS_TABLE} WHERE agents = 0;`;

/** The counts computed from the stored statuses, in one pass per kind (the same keys as the triggers). */
export const recountSql = `
  SELECT 'channel' AS kind, ${channelKey('a')} AS key, count(*) AS agents, sum(a.online) AS online FROM agents a GROUP BY 2
  UNION ALL
  SELECT 'version', ${versionKey('a')}, count(*), count(*) FROM agents a, json_each(a.status_json, '$.roles') r WHERE a.online = 1 AND r.key IN (${ROLE_LIST}) GROUP BY 2
  UNION ALL
  SELECT 'agentVersion', ${agentVersionKey('a')}, count(*), sum(a.online) FROM agents a GROUP BY 2
  UNION ALL
  SELECT 'label', ${labelKey}, count(*), sum(a.online) FROM agents a, json_each(a.labels_json) l WHERE a.labels_json IS NOT NULL GROUP BY 2`;

const TRIGGERS: Record<string, string> = {
  [`${TRIGGER_PREFIX}insert`]: `AFTER INSERT ON agents BEGIN ${contribution('NEW', 1)} END`,
  // [issue 19 §4] not on last_seen: every metrics window touches it, and it is no part of the overview
  [`${TRIGGER_PREFIX}update`]: `AFTER UPDATE OF online, channel, labels_json, status_json ON agents
    WHEN OLD.online IS NOT NEW.online OR OLD.channel IS NOT NEW.channel OR OLD.labels_json IS NOT NEW.labels_json OR OLD.status_json IS NOT NEW.status_json
    BEGIN ${contribution('OLD', -1)} ${contribution('NEW', 1)} ${PRUNE} END`,
  [`${TRIGGER_PREFIX}delete`]: `AFTER DELETE ON agents BEGIN ${contribution('OLD', -1)} ${PRUNE} END`,
};

/**
 * Installs the counts table and its triggers once per database file (idempotent; a later layout
 * under a new name replaces an older one) and fills it from the statuses, in one IMMEDIATE
 * transaction so no other writer's status can slip between the fill and the triggers.
 */
export function installOverviewCounts(db: Database.Database): void {
  const objects = () => db.prepare("SELECT type, name FROM sqlite_master WHERE name LIKE 'console_overview_%'").all() as { type: string; name: string }[];
  const complete = (have: { name: string }[]) => [COUNTS_TABLE, ...Object.keys(TRIGGERS)].every((n) => have.some((o) => o.name === n));
  if (complete(objects())) return;
  db.transaction(() => {
    const have = objects();
    if (complete(have)) return;
    for (const o of have) if (o.name.startsWith(OLD_PREFIX) && (o.type === 'trigger' || o.type === 'table')) db.exec(`DROP ${o.type === 'trigger' ? 'TRIGGER' : 'TABLE'} IF EXISTS "${o.name}"`);
    db.exec(`CREATE TABLE ${COUNTS_TABLE} (kind TEXT NOT NULL, key TEXT NOT NULL, agents INTEGER NOT NULL, online INTEGER NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID;
      CREATE INDEX ${COUNTS_TABLE}_empty ON ${COUNTS_TABLE} (kind) WHERE agents = 0;`);
    db.exec(`INSERT INTO ${COUNTS_TABLE} (kind, key, agents, online) ${recountSql}`);
    for (const [name, body] of Object.entries(TRIGGERS)) db.exec(`CREATE TRIGGER ${name} ${body}`);
  }).immediate();
}

/** The maintained counts (what the overview reads). */
export function maintainedCounts(db: Database.Database): CountRow[] {
  return db.prepare(`SELECT kind, key, agents, online FROM ${COUNTS_TABLE} ORDER BY kind, key`).all() as CountRow[];
}

/** The counts recomputed from the statuses now (for checks: equal to maintainedCounts at any time). */
export function recountedCounts(db: Database.Database): CountRow[] {
  return db.prepare(`SELECT kind, key, agents, online FROM (${recountSql}) ORDER BY kind, key`).all() as CountRow[];
}
