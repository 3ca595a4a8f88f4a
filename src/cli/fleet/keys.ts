/** `rpa-fleet keys generate`: an Ed25519 signing key pair for the models, releases or approvers role. */
import { generateKeyFiles, KEY_ROLES, type KeyRole } from '../../fleet/keys.js';
import { parseFlags, reportError, type Command, type Parsed, type AnyCommand } from '../command.js';
import { auditHelp, auditOptions, parseAuditFlags, recordAction, withFleetDb, type AuditFlags } from './audit.js';

export interface KeysGenerateArgs {
  role: KeyRole;
  outDir: string;
  name?: string;
  json: boolean;
  audit: AuditFlags;
}

export function parseKeysGenerate(argv: string[]): Parsed<KeysGenerateArgs> {
  const r = parseFlags(argv, { role: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' }, ...auditOptions, db: { type: 'string' } });
  if (r.kind !== 'ok') return r;
  const role = r.values['role'];
  if (typeof role !== 'string' || !(KEY_ROLES as readonly string[]).includes(role)) return { kind: 'error', message: `--role must be one of ${KEY_ROLES.join(', ')}` };
  const out = r.values['out'];
  if (typeof out !== 'string' || !out) return { kind: 'error', message: '--out DIR is required' };
  const name = r.values['name'];
  if (name !== undefined && (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(name))) {
    return { kind: 'error', message: '--name: letters, digits, ".", "_" or "-" (1-64)' };
  }
  const audit = parseAuditFlags(r.values);
  if (!audit.ok) return { kind: 'error', message: audit.message };
  return { kind: 'ok', value: { role: role as KeyRole, outDir: out, ...(name ? { name } : {}), json: r.values['json'] === true, audit: audit.value } };
}

const generate: Command<KeysGenerateArgs> = {
  name: 'keys generate',
  summary: 'create an Ed25519 signing key pair (models, releases or approvers role)',
  help: `--role models|releases|approvers --out DIR [--name N] [--json]

Writes DIR/N.key (PKCS#8 PEM private key, mode 0600) and DIR/N.pub.json
({role, keyid, publicKey}: the public key to put in the agents' trust file).
N defaults to the role. Existing files are never overwritten. Prints the keyid.
Keep the .key file offline or in a secret manager; anyone holding it can sign.

Options:
  --role ROLE             what the key signs: models (manifests), releases (channel releases)
                          or approvers (approvals of gated rollout waves: one key per person)
  --out DIR               directory for the two files (created with mode 0700)
  --name N                file base name (default: the role)
  --json                  print {role, keyid, privateKeyPath, publicKeyPath}
${auditHelp}

Examples:
  rpa-fleet keys generate --role models --out ~/.rpa-keys
  rpa-fleet keys generate --role releases --out ~/.rpa-keys --name releases-2 --json`,
  parse: parseKeysGenerate,
  async run(a, io) {
    try {
      const g = await generateKeyFiles({ role: a.role, outDir: a.outDir, ...(a.name ? { name: a.name } : {}) });
      // the public half and where it went, never the private key
      await withFleetDb(a.audit.db, async (db) => void recordAction(db, a.audit, io, 'keys.generate', { role: g.role, keyid: g.keyid, publicKeyPath: g.publicKeyPath }));
      if (a.json) io.out(JSON.stringify({ ok: true, ...g }));
      else {
        io.out(g.keyid);
        io.err(`wrote ${g.privateKeyPath} (private, 0600) and ${g.publicKeyPath} (public, ${g.role} role)`);
      }
      return 0;
    } catch (e) {
      return reportError(e, io, a.json);
    }
  },
};

export const commands: AnyCommand[] = [generate];
