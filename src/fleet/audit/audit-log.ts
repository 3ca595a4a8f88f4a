/**
 * The append-only audit log in the fleet database (issue 16 §4). One row per admin action, chained
 * by hash (chain.ts). Append-only is enforced by SQLite itself: triggers refuse every UPDATE and
 * DELETE on the table, so a bug or a careless tool cannot rewrite history through SQL; whoever edits
 * the file by other means (or drops the triggers) is caught by `verify()`.
 */
import type Database from 'better-sqlite3';
import { AgentError } from '../../common/errors.js';
import { chainEntry, verifyChain, type AuditEntry, type AuditRecord, type ChainVerdict } from './chain.js';

export interface AuditQuery {
  /** epoch ms; entries at or after */
  since?: number;
  actor?: string;
  rolloutId?: string;
}

interface Row {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  reason: string | null;
  rollout_id: string | null;
  inputs_json: string;
  prev: string;
  hash: string;
}

export class AuditLog {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS audit_log (
        seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, reason TEXT,
        rollout_id TEXT, inputs_json TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS audit_log_rollout ON audit_log (rollout_id);
      CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
      CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;`);
  }

  /**
   * Appends one entry chained to the current head. IMMEDIATE takes the write lock before reading the
   * head, so two CLI processes appending at once cannot both chain to the same previous entry.
   */
  append(rec: AuditRecord, now: number): AuditEntry {
    if (!rec.actor.trim()) throw new AgentError('bad_argument', 'an audit entry needs an actor');
    const tx = this.#db.transaction(() => {
      const last = this.#db.prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1').get() as Row | undefined;
      const e = chainEntry(last ? toEntry(last) : undefined, rec, new Date(now).toISOString());
      this.#db
        .prepare('INSERT INTO audit_log (seq, ts, actor, action, reason, rollout_id, inputs_json, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(e.seq, e.ts, e.actor, e.action, e.reason ?? null, e.rolloutId ?? null, JSON.stringify(e.inputs), e.prev, e.hash);
      return e;
    });
    return tx.immediate();
  }

  entries(q: AuditQuery = {}): AuditEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.since !== undefined) (where.push('ts >= ?'), args.push(new Date(q.since).toISOString()));
    if (q.actor !== undefined) (where.push('actor = ?'), args.push(q.actor));
    if (q.rolloutId !== undefined) (where.push('rollout_id = ?'), args.push(q.rolloutId));
    const sql = `SELECT * FROM audit_log${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`;
    return (this.#db.prepare(sql).all(...args) as Row[]).map(toEntry);
  }

  verify(): ChainVerdict {
    return verifyChain(this.entries());
  }
}

function toEntry(r: Row): AuditEntry {
  let inputs: Record<string, unknown>;
  try {
    inputs = JSON.parse(r.inputs_json) as Record<string, unknown>;
  } catch {
    inputs = { unreadable: r.inputs_json }; // verify() then reports the entry as changed
  }
  return {
    seq: r.seq,
    ts: r.ts,
    actor: r.actor,
    action: r.action,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    ...(r.rollout_id !== null ? { rolloutId: r.rollout_id } : {}),
    inputs,
    prev: r.prev,
    hash: r.hash,
  };
}
