/**
 * `rpa-fleet tokens create|list|revoke` (issue 19 §1): bearer tokens of the controller's HTTP API,
 * made on the controller's machine in its fleet database (never over the API). The token is printed
 * once; only the sha256 of its secret is stored. Each change is recorded in the audit log.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AgentError } from '../../common/errors.js';
import { TokenCreateSchema } from '../../fleet/api/schemas.js';
import { TokenStore } from '../../fleet/api/tokens.js';
import { parseFlags, type Command, type Parsed, type AnyCommand } from '../command.js';
import { actorOf, auditHelp, auditOptions, parseAuditFlags, recordAction, withFleetDb, type AuditFlags } from './audit.js';
import { dbHelp, dbOption, dbPath } from './db.js';

interface CreateArgs {
  name: string;
  role: 'viewer' | 'operator' | 'approver';
  /** bind the token to this client certificate (PEM file) */
  clientCert?: string;
  audit: AuditFlags;
  json: boolean;
}

export function parseTokensCreate(argv: string[]): Parsed<CreateArgs> {
  const r = parseFlags(argv, { ...dbOption, ...auditOptions, name: { type: 'string' }, role: { type: 'string' }, 'client-cert': { type: 'string' }, json: { type: 'boolean' } });
  if (r.kind !== 'ok') return r;
  const v = r.values;
  const parsed = TokenCreateSchema.safeParse({ name: v['name'], role: v['role'] });
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return { kind: 'error', message: i.path[0] === 'role' ? '--role is one of viewer, operator, approver' : `--name NAME is required (${i.message}): the token's name is the actor in the audit log` };
  }
  const audit = parseAuditFlags(v);
  if (!audit.ok) return { kind: 'error', message: audit.message };
  const clientCert = typeof v['client-cert'] === 'string' ? v['client-cert'] : undefined;
  return { kind: 'ok', value: { ...parsed.data, ...(clientCert ? { clientCert } : {}), audit: audit.value, json: v['json'] === true } };
}

const create: Command<CreateArgs> = {
  name: 'tokens create',
  summary: 'create a bearer token for the controller API (printed once)',
  help: `--name NAME --role viewer|operator|approver [--client-cert CERT.pem] [--db FILE] [--json]

Creates a token in the fleet database and prints it ONCE (only the sha256 of its secret is kept).
The name is the actor the audit log records for every call made with it: one token per person or
pipeline. Roles: viewer reads; operator also publishes releases, starts, pauses, resumes and aborts
rollouts, deprecates and yanks models; approver also approves waves (signed approvals still need
an approver key). Give it to its holder, who stores it with:
  rpa-fleet login --controller https://controller:8443 --token-stdin
With --client-cert the token is also bound to that client certificate (its sha256 fingerprint): a
controller started with --api-client-ca accepts the certificate instead of the bearer token.
${auditHelp}`,
  parse: parseTokensCreate,
  async run(a, io) {
    return withFleetDb(a.audit.db, async (db) => {
      let fingerprint: string | undefined;
      if (a.clientCert) {
        try {
          fingerprint = new X509Certificate(await readFile(a.clientCert)).fingerprint256;
        } catch (e) {
          throw new AgentError('bad_argument', `--client-cert ${a.clientCert}: ${(e as Error).message}`);
        }
      }
      const { token, row } = new TokenStore(db).create(a.name, a.role, actorOf(a.audit, io), Date.now(), fingerprint);
      recordAction(db, a.audit, io, 'token.create', { tokenId: row.id, name: row.name, role: row.role, ...(row.certSha256 ? { certSha256: row.certSha256 } : {}) });
      io.out(a.json ? JSON.stringify({ ok: true, token, ...row }) : `token ${row.id} for ${row.name} (${row.role}):\n${token}\nit is shown only now; store it with: rpa-fleet login --controller URL --token-stdin`);
      return 0;
    });
  },
};

interface ListArgs {
  db: string;
  json: boolean;
}

const list: Command<ListArgs> = {
  name: 'tokens list',
  summary: 'list API tokens (id, name, role, created, revoked) — never their secrets',
  help: `[--db FILE] [--json]\n${dbHelp}`,
  parse(argv) {
    const r = parseFlags(argv, { ...dbOption, json: { type: 'boolean' } });
    if (r.kind !== 'ok') return r;
    return { kind: 'ok', value: { db: dbPath(r.values), json: r.values['json'] === true } };
  },
  async run(a, io) {
    return withFleetDb(a.db, async (db) => {
      const rows = new TokenStore(db).list();
      if (a.json) io.out(JSON.stringify({ ok: true, tokens: rows }));
      else if (!rows.length) io.out('no tokens');
      else for (const t of rows) io.out(`${t.id}  ${t.role.padEnd(8)}  ${t.name}  created ${t.createdAt} by ${t.createdBy}${t.certSha256 ? `  cert ${t.certSha256.slice(0, 16)}…` : ''}${t.revokedAt ? `  REVOKED ${t.revokedAt} by ${t.revokedBy}` : ''}`);
      return 0;
    });
  },
};

interface RevokeArgs {
  id: string;
  audit: AuditFlags;
  json: boolean;
}

const revoke: Command<RevokeArgs> = {
  name: 'tokens revoke',
  summary: 'revoke an API token (refused from its next request on)',
  help: `TOKEN_ID [--reason TEXT] [--db FILE] [--json]\n${auditHelp}`,
  parse(argv) {
    const r = parseFlags(argv, { ...dbOption, ...auditOptions, json: { type: 'boolean' } }, true);
    if (r.kind !== 'ok') return r;
    if (r.positionals.length !== 1 || !/^[0-9a-f]{12}$/.test(r.positionals[0]!)) return { kind: 'error', message: 'one TOKEN_ID (12 hex, from `tokens list`) is required' };
    const audit = parseAuditFlags(r.values);
    if (!audit.ok) return { kind: 'error', message: audit.message };
    return { kind: 'ok', value: { id: r.positionals[0]!, audit: audit.value, json: r.values['json'] === true } };
  },
  async run(a, io) {
    return withFleetDb(a.audit.db, async (db) => {
      const store = new TokenStore(db);
      if (!store.get(a.id)) throw new AgentError('not_found', `no token ${a.id}`);
      const row = store.revoke(a.id, actorOf(a.audit, io), Date.now());
      recordAction(db, a.audit, io, 'token.revoke', { tokenId: row.id, name: row.name, role: row.role });
      io.out(a.json ? JSON.stringify({ ok: true, ...row }) : `token ${row.id} (${row.name}, ${row.role}) revoked`);
      return 0;
    });
  },
};

export const commands: AnyCommand[] = [create, list, revoke];
