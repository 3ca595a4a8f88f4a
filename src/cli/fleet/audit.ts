/**
 * `rpa-fleet audit` (who did what, when, why) and `rpa-fleet audit verify` (the hash chain holds),
 * plus the flags and the one helper every audited verb uses to record its action (issue 16 §4).
 */
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { AgentError } from '../../common/errors.js';
import { resolveActor, ACTOR_ENV } from '../../fleet/audit/actor.js';
import { AuditLog } from '../../fleet/audit/audit-log.js';
import type { AuditEntry } from '../../fleet/audit/chain.js';
import { openFleetDb } from '../../fleet/fleet-db.js';
import { parseDuration, parseFlags, reportError, type Command, type CommandIO, type Parsed, type AnyCommand } from '../command.js';
import { dbHelp, dbOption, dbPath } from './controller.js';

// ---- what every audited verb shares ------------------------------------------------------------------

export const auditOptions = { actor: { type: 'string' as const }, reason: { type: 'string' as const } };
export const auditHelp = `Audit options (every admin action is recorded in the fleet database's audit log):
  --actor NAME            who acts (default $${ACTOR_ENV}, else your OS user@host)
  --reason TEXT           why; recorded with the action
${dbHelp}`;

export interface AuditFlags {
  actor?: string;
  reason?: string;
  db: string;
}

/** Pure: the audit flags, or a usage message. */
export function parseAuditFlags(v: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): { ok: true; value: AuditFlags } | { ok: false; message: string } {
  const actor = typeof v['actor'] === 'string' ? v['actor'] : undefined;
  const reason = typeof v['reason'] === 'string' ? v['reason'] : undefined;
  if (actor !== undefined && !/^[^\p{Cc}]{1,128}$/u.test(actor.trim())) return { ok: false, message: '--actor: 1-128 printable characters' };
  if (reason !== undefined && reason.length > 1024) return { ok: false, message: '--reason is at most 1024 characters' };
  return { ok: true, value: { ...(actor !== undefined ? { actor } : {}), ...(reason !== undefined ? { reason } : {}), db: dbPath(v, env) } };
}

export function actorOf(f: AuditFlags, io: CommandIO): string {
  return resolveActor(f.actor, io.env);
}

/** Records one admin action in the audit log of `db` (a connection to the fleet database). */
export function recordAction(db: Database.Database, f: AuditFlags, io: CommandIO, action: string, inputs: Record<string, unknown>, rolloutId?: string): AuditEntry {
  return new AuditLog(db).append({ actor: actorOf(f, io), action, ...(f.reason !== undefined ? { reason: f.reason } : {}), ...(rolloutId ? { rolloutId } : {}), inputs }, Date.now());
}

/**
 * Opens the fleet database for the duration of `fn`. A missing database is an error, never created
 * here: an audited action recorded into an empty file nobody reads would be as good as unrecorded
 * (issue 16 §5: only \`rpa-fleet init\` / \`controller --init\` create it).
 */
export async function withFleetDb<T>(path: string, fn: (db: Database.Database) => Promise<T>): Promise<T> {
  if (!existsSync(path)) {
    throw new AgentError('fleet_db_missing', `no fleet database at ${path}: admin actions are recorded there; create it with \`rpa-fleet init --db ${path}\` or point --db / RPA_FLEET_DB at the controller's database`, { path });
  }
  const db = openFleetDb(path);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

// ---- rpa-fleet audit ---------------------------------------------------------------------------------

export interface AuditListArgs {
  db: string;
  since?: number;
  actor?: string;
  rolloutId?: string;
  json: boolean;
}

/** `--since` is a look-back duration (24h) or an ISO date; `now` is injected for tests. */
export function parseAuditList(argv: string[], now = Date.now(), env: NodeJS.ProcessEnv = process.env): Parsed<AuditListArgs> {
  const r = parseFlags(argv, { ...dbOption, since: { type: 'string' }, actor: { type: 'string' }, rollout: { type: 'string' }, json: { type: 'boolean' } });
  if (r.kind !== 'ok') return r;
  const v = r.values;
  let since: number | undefined;
  if (typeof v['since'] === 'string') {
    const d = parseDuration(v['since']);
    since = d !== undefined ? now - d : Date.parse(v['since']);
    if (!Number.isFinite(since)) return { kind: 'error', message: `--since ${JSON.stringify(v['since'])}: a duration such as 24h or an ISO date such as 2026-12-01` };
  }
  return {
    kind: 'ok',
    value: {
      db: dbPath(v, env),
      ...(since !== undefined ? { since } : {}),
      ...(typeof v['actor'] === 'string' ? { actor: v['actor'] } : {}),
      ...(typeof v['rollout'] === 'string' ? { rolloutId: v['rollout'] } : {}),
      json: v['json'] === true,
    },
  };
}

export function describeEntry(e: AuditEntry): string {
  const inputs = Object.entries(e.inputs)
    .map(([k, x]) => `${k}=${typeof x === 'string' ? x : JSON.stringify(x)}`)
    .join(' ');
  return `#${e.seq} ${e.ts} ${e.actor} ${e.action}${e.rolloutId ? ` ${e.rolloutId}` : ''}${e.reason ? ` reason=${JSON.stringify(e.reason)}` : ''}${inputs ? `  ${inputs}` : ''}`;
}

const list: Command<AuditListArgs> = {
  name: 'audit',
  summary: 'show the audit log: every admin action with actor, time, reason and inputs',
  help: `[--since 24h|2026-12-01] [--actor NAME] [--rollout ID] [--db FILE] [--json]

Prints the entries of the fleet database's append-only audit log, oldest first. Filters combine.
Check that nobody changed or removed an entry with \`rpa-fleet audit verify\`.

Options:
  --since D|DATE          entries in the last D (e.g. 24h, 7d) or since an ISO date
  --actor NAME            one actor's entries
  --rollout ID            one rollout's entries (start, approvals, pause, resume, abort)
  --json                  print {ok, entries:[{seq, ts, actor, action, reason?, rolloutId?, inputs, prev, hash}]}
${dbHelp}`,
  parse: (argv) => parseAuditList(argv),
  async run(a, io) {
    return withFleetDb(a.db, async (db) => {
      const entries = new AuditLog(db).entries({ ...(a.since !== undefined ? { since: a.since } : {}), ...(a.actor ? { actor: a.actor } : {}), ...(a.rolloutId ? { rolloutId: a.rolloutId } : {}) });
      if (a.json) io.out(JSON.stringify({ ok: true, entries }));
      else if (entries.length === 0) io.out('no audit entries');
      else for (const e of entries) io.out(describeEntry(e));
      return 0;
    });
  },
};

interface VerifyArgs {
  db: string;
  json: boolean;
}

const verify: Command<VerifyArgs> = {
  name: 'audit verify',
  summary: 'check the audit log\'s hash chain; exit 1 naming the entry that breaks it',
  help: `[--db FILE] [--json]

Recomputes every entry's hash and its link to the previous entry. Exit 0 prints the number of
entries and the head hash (write it down elsewhere: only a head recorded outside the database shows
that the newest entries were cut off). Exit 1 with audit_chain_broken names the first entry that does
not verify and why.
${dbHelp}`,
  parse(argv) {
    const r = parseFlags(argv, { ...dbOption, json: { type: 'boolean' } });
    if (r.kind !== 'ok') return r;
    return { kind: 'ok', value: { db: dbPath(r.values), json: r.values['json'] === true } };
  },
  async run(a, io) {
    return withFleetDb(a.db, async (db) => {
      const v = new AuditLog(db).verify();
      if (!v.ok) return reportError(new AgentError('audit_chain_broken', `audit log broken at entry ${v.brokenAt} of ${v.entries}: ${v.problem}`, { brokenAt: v.brokenAt }), io, a.json);
      if (a.json) io.out(JSON.stringify({ ok: true, entries: v.entries, head: v.head }));
      else io.out(`audit log intact: ${v.entries} entr${v.entries === 1 ? 'y' : 'ies'}, head ${v.head}`);
      return 0;
    });
  },
};

export const commands: AnyCommand[] = [list, verify];
