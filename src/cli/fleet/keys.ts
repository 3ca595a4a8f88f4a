/** `rpa-fleet keys generate`: an Ed25519 signing key pair for the models or releases role. */
import { generateKeyFiles, KEY_ROLES, type KeyRole } from '../../fleet/keys.js';
import { parseFlags, reportError, type Command, type Parsed } from '../command.js';

export interface KeysGenerateArgs {
  role: KeyRole;
  outDir: string;
  name?: string;
  json: boolean;
}

export function parseKeysGenerate(argv: string[]): Parsed<KeysGenerateArgs> {
  const r = parseFlags(argv, { role: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } });
  if (r.kind !== 'ok') return r;
  const role = r.values['role'];
  if (typeof role !== 'string' || !(KEY_ROLES as readonly string[]).includes(role)) return { kind: 'error', message: '--role must be models or releases' };
  const out = r.values['out'];
  if (typeof out !== 'string' || !out) return { kind: 'error', message: '--out DIR is required' };
  const name = r.values['name'];
  if (name !== undefined && (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(name))) {
    return { kind: 'error', message: '--name: letters, digits, ".", "_" or "-" (1-64)' };
  }
  return { kind: 'ok', value: { role: role as KeyRole, outDir: out, ...(name ? { name } : {}), json: r.values['json'] === true } };
}

const generate: Command<KeysGenerateArgs> = {
  name: 'keys generate',
  summary: 'create an Ed25519 signing key pair (models or releases role)',
  help: `--role models|releases --out DIR [--name N] [--json]

Writes DIR/N.key (PKCS#8 PEM private key, mode 0600) and DIR/N.pub.json
({role, keyid, publicKey}: the public key to put in the agents' trust file).
N defaults to the role. Existing files are never overwritten. Prints the keyid.
Keep the .key file offline or in a secret manager; anyone holding it can sign.

Options:
  --role models|releases  what the key signs: model manifests or channel releases
  --out DIR               directory for the two files (created with mode 0700)
  --name N                file base name (default: the role)
  --json                  print {role, keyid, privateKeyPath, publicKeyPath}

Examples:
  rpa-fleet keys generate --role models --out ~/.rpa-keys
  rpa-fleet keys generate --role releases --out ~/.rpa-keys --name releases-2 --json`,
  parse: parseKeysGenerate,
  async run(a, io) {
    try {
      const g = await generateKeyFiles({ role: a.role, outDir: a.outDir, ...(a.name ? { name: a.name } : {}) });
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

export const commands: Command<any>[] = [generate];
