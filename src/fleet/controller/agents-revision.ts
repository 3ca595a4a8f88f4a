/**
 * A revision of the agents' retained statuses (issue 19 §4): a counter that SQLite triggers on the
 * `agents` table bump whenever an agent is added or removed or its online flag, channel, labels or
 * status change — by any writer of the file, in its own transaction. `last_seen` (touched by every
 * metrics window) is not a trigger column. A reader that kept what it parsed at revision N knows,
 * from one row, that nothing it parsed changed (api/agents-cache.ts).
 */
import type Database from 'better-sqlite3';

const COUNTER = 'agents_status_rev';
const BUMP = `INSERT INTO counters (name, value) VALUES ('${COUNTER}', 1) ON CONFLICT (name) DO UPDATE SET value = value + 1;`;
const TRIGGERS: Record<string, string> = {
  agents_rev_v1_insert: `AFTER INSERT ON agents BEGIN ${BUMP} END`,
  agents_rev_v1_delete: `AFTER DELETE ON agents BEGIN ${BUMP} END`,
  agents_rev_v1_update: `AFTER UPDATE OF online, channel, labels_json, status_json ON agents
    WHEN OLD.online IS NOT NEW.online OR OLD.channel IS NOT NEW.channel OR OLD.labels_json IS NOT NEW.labels_json OR OLD.status_json IS NOT NEW.status_json
    BEGIN ${BUMP} END`,
};

/** Creates the triggers once per file (idempotent; after the agents and counters tables exist). */
export function installAgentsRevision(db: Database.Database): void {
  const have = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'agents_rev_v1_%'").all() as { name: string }[]).map((t) => t.name);
  if (Object.keys(TRIGGERS).every((n) => have.includes(n))) return;
  db.transaction(() => {
    for (const [name, body] of Object.entries(TRIGGERS)) db.exec(`DROP TRIGGER IF EXISTS ${name}; CREATE TRIGGER ${name} ${body}`);
    db.exec(BUMP); // whatever a reader kept before the triggers existed is not trusted
  }).immediate();
}

/** The statement reading the revision (0 before any change). */
export function agentsRevisionQuery(db: Database.Database): () => number {
  const q = db.prepare(`SELECT value FROM counters WHERE name = '${COUNTER}'`).pluck();
  return () => (q.get() as number | undefined) ?? 0;
}
