/**
 * Approval policies and submitted approval statements, in the fleet database (issue 16 §4).
 * A rollout's policy (N signatures per gated wave, two-person rule, who started it) is written once
 * at `rollout start`; statements are appended by `rollout approve`. Both tables are append-only
 * (triggers), and the controller re-verifies every statement before counting it (statement.ts).
 */
import type Database from 'better-sqlite3';
import type { DsseEnvelope } from '../../common/dsse.js';
import { AgentError } from '../../common/errors.js';
import type { RolloutRow } from '../controller/store.js';
import type { ApprovalContext, CheckedApproval } from './statement.js';

export interface ApprovalPolicy {
  rolloutId: string;
  /** distinct valid approver signatures each gated wave needs */
  required: number;
  twoPerson: boolean;
  startedBy: string;
}

export interface StoredApproval {
  phase: number;
  keyid: string;
  approver: string;
  submittedBy: string;
  ts: string;
  envelope: DsseEnvelope;
}

export class ApprovalStore {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    const appendOnly = (t: string) => `
      CREATE TRIGGER IF NOT EXISTS ${t}_no_update BEFORE UPDATE ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only: UPDATE refused'); END;
      CREATE TRIGGER IF NOT EXISTS ${t}_no_delete BEFORE DELETE ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only: DELETE refused'); END;`;
    db.exec(`
      CREATE TABLE IF NOT EXISTS approval_policies (rollout_id TEXT PRIMARY KEY, required INTEGER NOT NULL, two_person INTEGER NOT NULL, started_by TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS approvals (
        nonce TEXT PRIMARY KEY, rollout_id TEXT NOT NULL, phase INTEGER NOT NULL, keyid TEXT NOT NULL, approver TEXT NOT NULL,
        submitted_by TEXT NOT NULL, ts TEXT NOT NULL, envelope_json TEXT NOT NULL, UNIQUE (rollout_id, phase, keyid));
      ${appendOnly('approval_policies')}
      ${appendOnly('approvals')}`);
  }

  setPolicy(p: ApprovalPolicy): void {
    this.#db.prepare('INSERT INTO approval_policies (rollout_id, required, two_person, started_by) VALUES (?, ?, ?, ?)').run(p.rolloutId, p.required, p.twoPerson ? 1 : 0, p.startedBy);
  }

  policy(rolloutId: string): ApprovalPolicy | undefined {
    const r = this.#db.prepare('SELECT * FROM approval_policies WHERE rollout_id = ?').get(rolloutId) as { rollout_id: string; required: number; two_person: number; started_by: string } | undefined;
    return r ? { rolloutId: r.rollout_id, required: r.required, twoPerson: r.two_person === 1, startedBy: r.started_by } : undefined;
  }

  /**
   * Stores a checked approval. The same statement again is `approval_replayed` (its nonce is
   * known); another statement by the same key for the same wave is `approval_duplicate`.
   */
  add(c: CheckedApproval, envelope: DsseEnvelope, submittedBy: string, now: number): void {
    const s = c.statement;
    if (this.#db.prepare('SELECT 1 FROM approvals WHERE nonce = ?').get(s.nonce)) {
      throw new AgentError('approval_replayed', `approval refused: statement ${s.nonce.slice(0, 12)}… was already submitted`);
    }
    if (this.#db.prepare('SELECT 1 FROM approvals WHERE rollout_id = ? AND phase = ? AND keyid = ?').get(s.rolloutId, s.phase, c.keyid)) {
      throw new AgentError('approval_duplicate', `approval refused: key ${c.keyid.slice(0, 12)}… already approved wave ${s.phase + 1} of ${s.rolloutId}; a key counts once`);
    }
    this.#db
      .prepare('INSERT INTO approvals (nonce, rollout_id, phase, keyid, approver, submitted_by, ts, envelope_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(s.nonce, s.rolloutId, s.phase, c.keyid, s.approver, submittedBy, new Date(now).toISOString(), JSON.stringify(envelope));
  }

  approvals(rolloutId: string, phase?: number): StoredApproval[] {
    const rows = (phase === undefined
      ? this.#db.prepare('SELECT * FROM approvals WHERE rollout_id = ? ORDER BY rowid').all(rolloutId)
      : this.#db.prepare('SELECT * FROM approvals WHERE rollout_id = ? AND phase = ? ORDER BY rowid').all(rolloutId, phase)) as {
      phase: number; keyid: string; approver: string; submitted_by: string; ts: string; envelope_json: string;
    }[];
    return rows.map((r) => ({ phase: r.phase, keyid: r.keyid, approver: r.approver, submittedBy: r.submitted_by, ts: r.ts, envelope: JSON.parse(r.envelope_json) as DsseEnvelope }));
  }
}

/** What an approval of rollout `r`'s current wave must match. */
export function approvalContext(r: RolloutRow, policy: ApprovalPolicy | undefined): ApprovalContext {
  return {
    rolloutId: r.id,
    channel: r.spec.channel,
    role: r.spec.role,
    candidate: r.spec.candidate,
    phase: r.phase,
    ...(policy ? { startedBy: policy.startedBy } : {}),
    twoPerson: policy?.twoPerson ?? false,
  };
}
