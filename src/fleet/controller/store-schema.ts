/**
 * The window and event tables of the controller's store and their migrations (moved from store.ts,
 * which opens the file; issue 19 §4 added the latency bucket columns, latency-buckets.ts).
 */
import type Database from 'better-sqlite3';

const WINDOWS_DDL = `
  CREATE TABLE IF NOT EXISTS windows (agent_id TEXT NOT NULL, epoch TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL, received INTEGER NOT NULL, channel TEXT, json TEXT NOT NULL,
    PRIMARY KEY (agent_id, epoch, seq));
  CREATE TABLE IF NOT EXISTS role_windows (
    agent_id TEXT NOT NULL, epoch TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL, role TEXT NOT NULL, channel TEXT, model_id TEXT, rollout_id TEXT, cohort TEXT, provider TEXT,
    count INTEGER NOT NULL, errors INTEGER NOT NULL, latency_json TEXT NOT NULL, shadow_model TEXT, shadow_json TEXT, received INTEGER NOT NULL,
    PRIMARY KEY (agent_id, epoch, seq, role));
  CREATE INDEX IF NOT EXISTS role_windows_model ON role_windows (role, model_id, received);
  CREATE INDEX IF NOT EXISTS role_windows_shadow ON role_windows (role, shadow_model, received);`;
const EVENTS_DDL = `CREATE TABLE IF NOT EXISTS events (agent_id TEXT NOT NULL, epoch TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL, ts TEXT NOT NULL, type TEXT NOT NULL,
  role TEXT, model_id TEXT, received INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (agent_id, epoch, seq));`;

export const hasColumn = (db: Database.Database, table: string, column: string) =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === column);

/**
 * Windows and events are keyed (agent, epoch, seq) since issue 16; a file written before keeps its
 * rows, moved to the epoch "" (what an agent without epoch sends), and agents gain a labels column.
 */
export function migrateWindowTables(db: Database.Database): void {
  db.transaction(() => {
    const old = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'windows'").get() as { name: string } | undefined) && !hasColumn(db, 'windows', 'epoch');
    if (old) {
      db.exec(`DROP INDEX IF EXISTS role_windows_model; DROP INDEX IF EXISTS role_windows_shadow;
        ALTER TABLE windows RENAME TO windows_v1; ALTER TABLE role_windows RENAME TO role_windows_v1;`);
      db.exec(WINDOWS_DDL);
      db.exec(`INSERT INTO windows (agent_id, epoch, seq, received, channel, json) SELECT agent_id, '', seq, received, channel, json FROM windows_v1;
        INSERT INTO role_windows (agent_id, epoch, seq, role, channel, model_id, rollout_id, cohort, provider, count, errors, latency_json, shadow_model, shadow_json, received)
          SELECT r.agent_id, '', r.seq, r.role, w.channel, r.model_id, r.rollout_id, r.cohort, r.provider, r.count, r.errors, r.latency_json, r.shadow_model, r.shadow_json, r.received
          FROM role_windows_v1 r LEFT JOIN windows_v1 w ON w.agent_id = r.agent_id AND w.seq = r.seq;
        DROP TABLE windows_v1; DROP TABLE role_windows_v1;`);
    } else db.exec(WINDOWS_DDL);
    if (!hasColumn(db, 'agents', 'labels_json')) db.exec('ALTER TABLE agents ADD COLUMN labels_json TEXT');
    const oldEvents = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'events'").get() as { name: string } | undefined) && !hasColumn(db, 'events', 'epoch');
    if (oldEvents) {
      db.exec('ALTER TABLE events RENAME TO events_v1');
      db.exec(EVENTS_DDL);
      db.exec("INSERT INTO events (agent_id, epoch, seq, ts, type, role, model_id, received, json) SELECT agent_id, '', seq, ts, type, role, model_id, received, json FROM events_v1; DROP TABLE events_v1;");
    } else db.exec(EVENTS_DDL);
  })();
}
