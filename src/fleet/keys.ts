/**
 * Key files for the fleet tools (DESIGN.md "Signed envelopes", "Trust rules").
 * A key pair is two files: `<name>.key` (PKCS#8 PEM, mode 0600, never overwritten) and
 * `<name>.pub.json` = { role, keyid, publicKey } with the base64 raw 32-byte Ed25519 public key.
 * The role travels with the public key so a models key can never be installed as a releases key
 * (or used to sign a release) by mistake.
 */
import { constants, existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { fromBase64, toBase64 } from '../common/bytes.js';
import { keyIdOf } from '../common/dsse.js';
import { AgentError } from '../common/errors.js';
import { exportPrivateKeyPem, generateSigningKey, signingKeyFromPem, type SigningKey } from './signer.js';

/** approvers sign approval statements for gated rollout waves (issue 16 §4); root signs trust statements (issue 20 §1) */
export const KEY_ROLES = ['models', 'releases', 'approvers', 'root'] as const;
export const KeyRoleSchema = z.enum(KEY_ROLES);
export type KeyRole = z.infer<typeof KeyRoleSchema>;

export const PublicKeyFileSchema = z.object({
  role: KeyRoleSchema,
  keyid: z.string().regex(/^[0-9a-f]{64}$/),
  publicKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 of a raw 32-byte Ed25519 public key'),
  comment: z.string().max(256).optional(),
});
export type PublicKeyFile = z.infer<typeof PublicKeyFileSchema>;

export interface GeneratedKeyFiles {
  role: KeyRole;
  keyid: string;
  privateKeyPath: string;
  publicKeyPath: string;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function keyFilePaths(outDir: string, name: string): { privateKeyPath: string; publicKeyPath: string } {
  return { privateKeyPath: join(outDir, `${name}.key`), publicKeyPath: join(outDir, `${name}.pub.json`) };
}

/**
 * Generates an Ed25519 key pair and writes both files. Refuses to overwrite either file: losing a
 * signing key by a typo is worse than an error. The private key is created with O_EXCL and mode 0600
 * (no window where another user could read it).
 */
export async function generateKeyFiles(opts: { role: KeyRole; outDir: string; name?: string; key?: SigningKey }): Promise<GeneratedKeyFiles> {
  const name = opts.name ?? opts.role;
  if (!NAME.test(name)) throw new AgentError('bad_argument', `key name ${JSON.stringify(name)}: use letters, digits, ".", "_" or "-"`);
  const { privateKeyPath, publicKeyPath } = keyFilePaths(opts.outDir, name);
  for (const p of [privateKeyPath, publicKeyPath]) {
    if (existsSync(p)) throw new AgentError('bad_argument', `${p} already exists; refusing to overwrite a key file`);
  }
  await mkdir(opts.outDir, { recursive: true, mode: 0o700 });
  const key = opts.key ?? generateSigningKey();
  const pub: PublicKeyFile = { role: opts.role, keyid: key.keyid, publicKey: toBase64(key.publicKey) };
  await writeExclusive(privateKeyPath, exportPrivateKeyPem(key), 0o600);
  await chmod(privateKeyPath, 0o600); // the umask may have removed bits but never adds; be explicit
  await writeExclusive(publicKeyPath, JSON.stringify(pub, null, 2) + '\n', 0o644);
  return { role: opts.role, keyid: key.keyid, privateKeyPath, publicKeyPath };
}

async function writeExclusive(path: string, text: string, mode: number): Promise<void> {
  let fh;
  try {
    fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new AgentError('bad_argument', `${path} already exists; refusing to overwrite a key file`);
    throw e;
  }
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Parses a `<name>.pub.json` text; checks that keyid really is sha256 of the key it names. */
export function parsePublicKeyFile(text: string, source = 'public key file'): PublicKeyFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentError('bad_argument', `${source} is not JSON`);
  }
  const r = PublicKeyFileSchema.safeParse(json);
  if (!r.success) throw new AgentError('bad_argument', `${source}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const raw = fromBase64(r.data.publicKey);
  if (keyIdOf(raw) !== r.data.keyid) throw new AgentError('bad_argument', `${source}: keyid does not match the public key`);
  return r.data;
}

export async function readPublicKeyFile(path: string): Promise<PublicKeyFile> {
  return parsePublicKeyFile(await readText(path), path);
}

export function publicKeyBytes(pub: PublicKeyFile): Uint8Array {
  return fromBase64(pub.publicKey);
}

export interface LoadedSigningKey extends SigningKey {
  path: string;
  /** from the `<name>.pub.json` next to the key, when there is one */
  role: KeyRole | undefined;
}

/**
 * Loads a PEM private key. When the matching `<name>.pub.json` sits next to it, its role is checked
 * against `expectedRole` (a models key must not sign releases, and the reverse).
 */
export async function loadSigningKey(path: string, expectedRole?: KeyRole): Promise<LoadedSigningKey> {
  const pem = await readText(path);
  let key: SigningKey;
  try {
    key = signingKeyFromPem(pem);
  } catch (e) {
    throw new AgentError('bad_argument', `${path} is not an Ed25519 private key in PEM (${(e as Error).message})`);
  }
  const pubPath = join(dirname(path), basename(path).replace(/\.(key|pem)$/, '') + '.pub.json');
  let role: KeyRole | undefined;
  if (pubPath !== path && existsSync(pubPath)) {
    const pub = parsePublicKeyFile(await readText(pubPath), pubPath);
    if (pub.keyid !== key.keyid) throw new AgentError('bad_argument', `${pubPath} belongs to a different key than ${path}`);
    role = pub.role;
  }
  if (expectedRole && role && role !== expectedRole) {
    throw new AgentError('bad_argument', `${path} is a ${role} key; this operation needs a ${expectedRole} key`);
  }
  return { ...key, path, role };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentError('not_found', `${path}: no such file`);
    throw new AgentError('internal', `cannot read ${path}: ${(e as Error).message}`);
  }
}
