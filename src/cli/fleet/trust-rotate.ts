/**
 * `rpa-fleet trust rotate | revoke | show` (issue 20 §1; docs/SUPPLY-CHAIN.md): sign trust statement
 * N+1 with root keys and publish it retained on `{prefix}/trust/{N+1}`; agents accept it only when a
 * threshold of version N's root keys and of N+1's own root keys signed it. `show` walks the chain.
 */
import { AgentError } from '../../common/errors.js';
import type { TrustRoleKey } from '../../common/trust-chain.js';
import { loadSigningKey, readPublicKeyFile, type KeyRole } from '../../fleet/keys.js';
import { readTrustFile } from '../../fleet/trust.js';
import { buildNextStatement, describeRoles, publishTrustStatement, readTrustChain, signNextStatement, type RoleChange } from '../../fleet/trust-statements.js';
import { parseDuration, parseFlags, reportError, type Command, type CommandIO, type Parsed, type AnyCommand } from '../command.js';
import { auditHelp, auditOptions, parseAuditFlags, recordAction, withFleetDb, type AuditFlags } from './audit.js';
import { brokerHelp, brokerOptions, connectFromFlags, listValues, parseBrokerFlags, type BrokerFlags } from './connect.js';

const ROLE_FLAGS = ['root', 'models', 'releases', 'approvers'] as const;

export interface TrustChangeArgs {
  /** the keyid to revoke (trust revoke) */
  revoke?: string;
  trust: string;
  keys: string[];
  roles: Partial<Record<TrustRoleKey, { pubs: string[]; threshold?: number }>>;
  expiresInMs: number;
  note?: string;
  broker: BrokerFlags;
  json: boolean;
  audit: AuditFlags;
}

const changeOptions = {
  ...brokerOptions,
  trust: { type: 'string' },
  key: { type: 'string', multiple: true },
  ...Object.fromEntries(ROLE_FLAGS.flatMap((r) => [[r, { type: 'string', multiple: true }], [`${r}-threshold`, { type: 'string' }]])),
  expires: { type: 'string' },
  note: { type: 'string' },
  json: { type: 'boolean' },
  ...auditOptions,
  db: { type: 'string' },
} as const;

function parseChange(argv: string[], revoke: boolean): Parsed<TrustChangeArgs> {
  const r = parseFlags(argv, changeOptions as never, revoke);
  if (r.kind !== 'ok') return r;
  const v = r.values;
  let keyid: string | undefined;
  if (revoke) {
    if (r.positionals.length !== 1 || !/^[0-9a-f]{64}$/.test(r.positionals[0]!)) return { kind: 'error', message: 'give exactly one KEYID (64 lowercase hex), e.g. from `rpa-fleet trust show`' };
    keyid = r.positionals[0]!;
  }
  const trust = v['trust'];
  if (typeof trust !== 'string' || !trust) return { kind: 'error', message: '--trust FILE (the installed trust file, version 1) is required' };
  const keys = listValues(v['key']);
  if (keys.length === 0) return { kind: 'error', message: '--key ROOTKEY is required (root private keys: a threshold of the current root, and of the new one if it changes)' };
  const roles: TrustChangeArgs['roles'] = {};
  for (const role of ROLE_FLAGS) {
    const pubs = listValues(v[role]);
    const t = v[`${role}-threshold`];
    let threshold: number | undefined;
    if (t !== undefined) {
      threshold = Number(t);
      if (!Number.isInteger(threshold) || threshold < 1 || threshold > 16) return { kind: 'error', message: `--${role}-threshold must be an integer from 1 to 16` };
      if (pubs.length === 0) return { kind: 'error', message: `--${role}-threshold needs --${role} PUB,... (the role's full new key list)` };
    }
    if (pubs.length) roles[role] = { pubs, ...(threshold !== undefined ? { threshold } : {}) };
  }
  if (!revoke && Object.keys(roles).length === 0) return { kind: 'error', message: 'nothing to rotate: give at least one of --root, --models, --releases, --approvers' };
  const expiresInMs = parseDuration(typeof v['expires'] === 'string' ? v['expires'] : '365d');
  if (!expiresInMs) return { kind: 'error', message: '--expires: a duration like 365d or 12h' };
  const broker = parseBrokerFlags(v);
  if (!broker.ok) return { kind: 'error', message: broker.message };
  const audit = parseAuditFlags(v);
  if (!audit.ok) return { kind: 'error', message: audit.message };
  const note = typeof v['note'] === 'string' ? v['note'] : undefined;
  return { kind: 'ok', value: { ...(keyid ? { revoke: keyid } : {}), trust, keys, roles, expiresInMs, ...(note ? { note } : {}), broker: broker.value, json: v['json'] === true, audit: audit.value } };
}

export const parseTrustRotate = (argv: string[]) => parseChange(argv, false);
export const parseTrustRevoke = (argv: string[]) => parseChange(argv, true);

async function runChange(a: TrustChangeArgs, io: CommandIO, action: 'trust.rotate' | 'trust.revoke'): Promise<number> {
  const installed = await readTrustFile(a.trust);
  const roles: Partial<Record<TrustRoleKey, RoleChange>> = {};
  for (const [role, c] of Object.entries(a.roles) as [TrustRoleKey, { pubs: string[]; threshold?: number }][]) {
    const pubs = await Promise.all(c.pubs.map(readPublicKeyFile));
    for (const p of pubs) if (p.role !== role) throw new AgentError('bad_argument', `${p.keyid.slice(0, 16)}… is a ${p.role} key, given as a ${role} key`);
    roles[role] = { keys: pubs.map((p) => ({ publicKey: p.publicKey, keyid: p.keyid })), ...(c.threshold !== undefined ? { threshold: c.threshold } : {}) };
  }
  const keys = await Promise.all(a.keys.map((k) => loadSigningKey(k, 'root' as KeyRole)));
  // the fleet database first: an admin action that cannot be recorded is not taken
  return withFleetDb(a.audit.db, async (db) => {
    const client = await connectFromFlags(a.broker, io);
    try {
      const chain = await readTrustChain(client, installed, { prefix: a.broker.prefix });
      if (chain.refused) io.err(`note: retained trust statement ${chain.refused.version} is refused (${chain.refused.code}); it will be replaced`);
      const issued = new Date();
      const statement = buildNextStatement(chain.state, { roles, ...(a.revoke ? { revoke: [a.revoke] } : {}), issued, expires: new Date(issued.getTime() + a.expiresInMs), ...(a.note ? { note: a.note } : {}) });
      // checked exactly as agents will check it before anything is published
      const envelope = signNextStatement(chain.state, statement, keys);
      const topic = await publishTrustStatement(client, envelope, statement.version, a.broker.prefix);
      const summary = { version: statement.version, from: chain.state.version, topic, expires: statement.expires, roles: describeRoles(statement.roles), revoked: statement.revoked };
      await recordAction(db, a.audit, io, action, summary);
      if (a.json) io.out(JSON.stringify({ ok: true, ...summary }));
      else {
        io.out(`published trust version ${statement.version} (was ${chain.state.version}) on ${topic}, expires ${statement.expires}`);
        for (const [role, r] of Object.entries(summary.roles)) io.out(`  ${role.padEnd(9)} ${r.threshold} of ${r.keyids.length}: ${r.keyids.map((k) => k.slice(0, 16)).join(', ')}`);
        if (a.revoke) io.out(`  revoked   ${a.revoke}`);
      }
      return 0;
    } finally {
      await client.endAsync().catch(() => {});
    }
  });
}

const roleHelp = `  --root PUB,... [--root-threshold N]          new root keys (sign the next statements)
  --models PUB,... [--models-threshold N]      new models keys (sign manifests and provenance)
  --releases PUB,... [--releases-threshold N]  new releases keys (sign channel releases)
  --approvers PUB,...                          new approvers keys (read by the controller)
  A role not named keeps its keys. PUB is a .pub.json from \`rpa-fleet keys generate\`.`;

const rotate: Command<TrustChangeArgs> = {
  name: 'trust rotate',
  summary: 'sign and publish trust version N+1 with new keys for a role (root-signed)',
  help: `--trust FILE --key ROOTKEY[,...] [--root|--models|--releases|--approvers PUB,...] [--expires 365d] --broker URL [--json]

Reads the retained trust statements, walks them from the installed trust file (FILE) to the trust in
force (version N), and publishes version N+1 retained on {prefix}/trust/{N+1}. Agents accept it only
when it is signed by a threshold of version N's root keys AND a threshold of its own root keys (TUF
§5.3.4): when the root itself rotates, pass the old and the new root keys. The statement is checked
exactly as agents check it before it is published.

Options:
  --trust FILE            the installed trust file (version 1)
  --key ROOTKEY,...       root private keys to sign with (repeatable)
${roleHelp}
  --expires DUR           expiry of the statement (default 365d); agents refuse an expired one
  --note TEXT             a note kept in the statement
  --json                  print {version, from, topic, expires, roles, revoked}
${auditHelp}
${brokerHelp}

Examples:
  rpa-fleet trust rotate --trust trust.json --key keys/root.key --releases keys/releases-2.pub.json --broker mqtt://localhost:1883
  rpa-fleet trust rotate --trust trust.json --key keys/root.key,keys/root-2.key --root keys/root-2.pub.json --broker mqtt://localhost:1883`,
  parse: parseTrustRotate,
  async run(a, io) {
    try {
      return await runChange(a, io, 'trust.rotate');
    } catch (e) {
      return reportError(e, io, a.json);
    }
  },
};

const revoke: Command<TrustChangeArgs> = {
  name: 'trust revoke',
  summary: 'revoke a key for good (trust version N+1, root-signed); its signatures count for nothing',
  help: `KEYID --trust FILE --key ROOTKEY[,...] [--releases PUB,... etc.] [--expires 365d] --broker URL [--json]

Publishes trust version N+1 without KEYID in any role and with KEYID in the revoked list: agents refuse
what it signed from then on (key_revoked), and no later statement may list it again. A role that would
be left without a key needs its replacement in the same command (e.g. --releases new.pub.json).

Options:
  --trust FILE            the installed trust file (version 1)
  --key ROOTKEY,...       root private keys to sign with (repeatable)
${roleHelp}
  --expires DUR           expiry of the statement (default 365d)
  --json                  print {version, from, topic, expires, roles, revoked}
${auditHelp}
${brokerHelp}

Example:
  rpa-fleet trust revoke 3f1c…(64 hex) --trust trust.json --key keys/root.key --releases keys/releases-2.pub.json --broker mqtt://localhost:1883`,
  parse: parseTrustRevoke,
  async run(a, io) {
    try {
      return await runChange(a, io, 'trust.revoke');
    } catch (e) {
      return reportError(e, io, a.json);
    }
  },
};

export interface TrustShowArgs {
  trust: string;
  broker: BrokerFlags;
  json: boolean;
}

export function parseTrustShow(argv: string[]): Parsed<TrustShowArgs> {
  const r = parseFlags(argv, { ...brokerOptions, trust: { type: 'string' }, json: { type: 'boolean' } });
  if (r.kind !== 'ok') return r;
  const trust = r.values['trust'];
  if (typeof trust !== 'string' || !trust) return { kind: 'error', message: '--trust FILE (the installed trust file) is required' };
  const broker = parseBrokerFlags(r.values);
  if (!broker.ok) return { kind: 'error', message: broker.message };
  return { kind: 'ok', value: { trust, broker: broker.value, json: r.values['json'] === true } };
}

const show: Command<TrustShowArgs> = {
  name: 'trust show',
  summary: 'the trust in force: walk the retained trust statements from the installed trust file',
  help: `--trust FILE --broker URL [--json]

Prints the version agents following this broker arrive at, its roles (threshold, keyids), revoked keys,
the versions retained on the broker and, if the walk stopped early, why (the same codes agents report).

${brokerHelp}`,
  parse: parseTrustShow,
  async run(a, io) {
    try {
      const installed = await readTrustFile(a.trust);
      const client = await connectFromFlags(a.broker, io);
      try {
        const chain = await readTrustChain(client, installed, { prefix: a.broker.prefix });
        const out = { version: chain.state.version, expires: chain.state.expires, roles: describeRoles(chain.state.roles), revoked: chain.state.revoked, published: chain.published, ...(chain.refused ? { refused: chain.refused } : {}) };
        if (a.json) io.out(JSON.stringify({ ok: true, ...out }));
        else {
          io.out(`trust version ${out.version}${out.expires ? `, expires ${out.expires}` : ' (the installed file)'}; retained statements: ${out.published.join(', ') || 'none'}`);
          for (const [role, r] of Object.entries(out.roles)) io.out(`  ${role.padEnd(9)} ${r.threshold} of ${r.keyids.length}: ${r.keyids.join(', ')}`);
          if (out.revoked.length) io.out(`  revoked   ${out.revoked.join(', ')}`);
          if (chain.refused) io.out(`  statement ${chain.refused.version} refused: [${chain.refused.code}] ${chain.refused.message}`);
        }
        return 0;
      } finally {
        await client.endAsync().catch(() => {});
      }
    } catch (e) {
      return reportError(e, io, a.json);
    }
  },
};

export const commands: AnyCommand[] = [rotate, revoke, show];
