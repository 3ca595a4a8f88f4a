/**
 * Bearer tokens of the controller's HTTP API (issue 19 §1). A token is `rpaf_<id>_<secret>`: the id
 * (12 hex) finds the row, the secret (32 random bytes, base64url) is never stored — only its sha256,
 * compared in constant time. Tokens are created, listed and revoked on the controller's machine
 * (`rpa-fleet tokens …`, which needs the fleet database), never over the API. Revocation is a row
 * update that takes effect on the next request (every request reads the row).
 *
 * A token may instead (or also) be bound to a client certificate (its sha256 fingerprint): with
 * `--api-client-ca`, a request without a bearer token that presents a certificate verified against
 * that CA acts as the token bound to it (same name, role, audit actor and revocation).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import { AgentError } from '../../common/errors.js';
import type { ApiRole } from './schemas.js';

export interface TokenRow {
  id: string;
  name: string;
  role: ApiRole;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
  revokedBy?: string;
  /** sha256 fingerprint (hex) of the client certificate bound to this token */
  certSha256?: string;
}

export interface Caller {
  tokenId: string;
  name: string;
  role: ApiRole;
}

const TOKEN = /^rpaf_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
/** compared against when the id is unknown, so a miss costs the same as a wrong secret */
const DUMMY = sha256('rpaf-no-such-token');

interface Row {
  id: string;
  name: string;
  role: ApiRole;
  secret_sha256: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
  cert_sha256: string | null;
}

/** Pure: a certificate fingerprint as Node prints it (AB:CD:…) or plain hex → lowercase hex. */
export function normalFingerprint(fp: string): string {
  const hex = fp.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new AgentError('bad_argument', `not a sha256 certificate fingerprint: ${fp}`);
  return hex;
}

export class TokenStore {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS api_tokens (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'approver')),
      secret_sha256 TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked_at TEXT, revoked_by TEXT);
      CREATE TRIGGER IF NOT EXISTS api_tokens_no_delete BEFORE DELETE ON api_tokens
        BEGIN SELECT RAISE(ABORT, 'api_tokens rows are kept (revoke instead): DELETE refused'); END;`);
    if (!(db.prepare('PRAGMA table_info(api_tokens)').all() as { name: string }[]).some((c) => c.name === 'cert_sha256')) db.exec('ALTER TABLE api_tokens ADD COLUMN cert_sha256 TEXT');
  }

  /** Creates a token; the returned secret is shown once and never stored. */
  create(name: string, role: ApiRole, createdBy: string, now: number, certFingerprint?: string): { token: string; row: TokenRow } {
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const cert = certFingerprint === undefined ? null : normalFingerprint(certFingerprint);
    if (cert && this.#db.prepare('SELECT 1 FROM api_tokens WHERE cert_sha256 = ? AND revoked_at IS NULL').get(cert)) {
      throw new AgentError('bad_argument', 'this client certificate is already bound to a token that is not revoked');
    }
    this.#db
      .prepare('INSERT INTO api_tokens (id, name, role, secret_sha256, created_at, created_by, cert_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, name, role, sha256(secret).toString('hex'), new Date(now).toISOString(), createdBy, cert);
    return { token: `rpaf_${id}_${secret}`, row: this.get(id)! };
  }

  get(id: string): TokenRow | undefined {
    const r = this.#db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(id) as Row | undefined;
    return r ? toRow(r) : undefined;
  }

  list(): TokenRow[] {
    return (this.#db.prepare('SELECT * FROM api_tokens ORDER BY created_at, id').all() as Row[]).map(toRow);
  }

  revoke(id: string, by: string, now: number): TokenRow {
    const cur = this.get(id);
    if (!cur) throw new AgentError('not_found', `no token ${id}`);
    if (cur.revokedAt) throw new AgentError('bad_argument', `token ${id} (${cur.name}) was already revoked at ${cur.revokedAt}`);
    this.#db.prepare('UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL').run(new Date(now).toISOString(), by, id);
    return this.get(id)!;
  }

  /** The caller a verified client certificate (its sha256 fingerprint) stands for. */
  authenticateCert(fingerprint: string): Caller {
    const fp = normalFingerprint(fingerprint);
    const rows = this.#db.prepare('SELECT * FROM api_tokens WHERE cert_sha256 = ? ORDER BY revoked_at IS NULL DESC').all(fp) as Row[];
    const live = rows.find((r) => !r.revoked_at);
    if (live) return { tokenId: live.id, name: live.name, role: live.role };
    if (rows[0]) throw new AgentError('token_revoked', `the token bound to this client certificate (${rows[0].id}, ${rows[0].name}) was revoked at ${rows[0].revoked_at}`);
    throw new AgentError('unauthenticated', 'this client certificate is not bound to a token (rpa-fleet tokens create --client-cert FILE)');
  }

  /**
   * The caller a bearer token stands for. Throws `unauthenticated` (malformed, unknown id or wrong
   * secret: one message, so a caller learns nothing about which) or `token_revoked`.
   */
  authenticate(token: string): Caller {
    const m = TOKEN.exec(token);
    const r = m ? (this.#db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(m[1]!) as Row | undefined) : undefined;
    const presented = sha256(m ? m[2]! : token);
    const expected = r ? Buffer.from(r.secret_sha256, 'hex') : DUMMY;
    const match = timingSafeEqual(presented, expected) && r !== undefined;
    if (!match || !r) throw new AgentError('unauthenticated', 'a valid bearer token is required (Authorization: Bearer rpaf_…)');
    if (r.revoked_at) throw new AgentError('token_revoked', `token ${r.id} (${r.name}) was revoked at ${r.revoked_at}`);
    return { tokenId: r.id, name: r.name, role: r.role };
  }
}

function toRow(r: Row): TokenRow {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    createdAt: r.created_at,
    createdBy: r.created_by,
    ...(r.revoked_at ? { revokedAt: r.revoked_at } : {}),
    ...(r.revoked_by ? { revokedBy: r.revoked_by } : {}),
    ...(r.cert_sha256 ? { certSha256: r.cert_sha256 } : {}),
  };
}
