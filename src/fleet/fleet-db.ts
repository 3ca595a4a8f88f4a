/**
 * Opens the fleet database (the controller's SQLite file) for the admin-side tables that live in
 * their own modules: the model registry (registry/) and the audit log (audit/). Same pragmas as
 * ControllerStore: the CLI and a running controller share the file.
 */
import Database from 'better-sqlite3';

export function openFleetDb(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}
