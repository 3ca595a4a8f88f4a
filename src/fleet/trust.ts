/**
 * Builds and reads the agent trust file (src/common/trust-file.ts; DESIGN.md "Trust rules"):
 * trusted public keys and a threshold per role, installed read-only on the agent.
 */
import { readFile } from 'node:fs/promises';
import { fromBase64 } from '../common/bytes.js';
import type { RoleKeys } from '../common/signed.js';
import { AgentError } from '../common/errors.js';
import { TrustFileSchema, type TrustFile } from '../common/trust-file.js';
import type { PublicKeyFile } from './keys.js';

export interface TrustInitInput {
  models: PublicKeyFile[];
  modelsThreshold?: number;
  releases: PublicKeyFile[];
  releasesThreshold?: number;
  /** approver keys for signed rollout approvals; the per-rollout --approvals N is what counts */
  approvers?: PublicKeyFile[];
  /** root keys sign trust statements (key rotation over the wire); without them the trust never rotates */
  root?: PublicKeyFile[];
  rootThreshold?: number;
}

/** Refuses a key whose file says another role, duplicate keys and a threshold above the key count. */
export function buildTrustFile(input: TrustInitInput): TrustFile {
  const role = (name: 'models' | 'releases' | 'approvers' | 'root', keys: PublicKeyFile[], threshold = 1) => {
    if (keys.length === 0) throw new AgentError('bad_argument', `at least one ${name} public key is required`);
    const seen = new Set<string>();
    for (const k of keys) {
      if (k.role !== name) throw new AgentError('bad_argument', `key ${k.keyid.slice(0, 16)}… is a ${k.role} key, given as a ${name} key`);
      if (seen.has(k.keyid)) throw new AgentError('bad_argument', `key ${k.keyid.slice(0, 16)}… is listed twice for ${name}`);
      seen.add(k.keyid);
    }
    // [DSSE threshold] distinct keys only: a threshold above the key count could never be met.
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > keys.length) {
      throw new AgentError('bad_argument', `${name} threshold ${threshold} must be between 1 and the number of ${name} keys (${keys.length})`);
    }
    return { threshold, keys: keys.map((k) => ({ publicKey: k.publicKey, comment: `keyid ${k.keyid}` })) };
  };
  const trust = {
    version: 1 as const,
    roles: {
      models: role('models', input.models, input.modelsThreshold),
      releases: role('releases', input.releases, input.releasesThreshold),
      ...(input.approvers?.length ? { approvers: role('approvers', input.approvers, 1) } : {}),
      ...(input.root?.length ? { root: role('root', input.root, input.rootThreshold) } : {}),
    },
  };
  return parseTrustFile(trust);
}

export function parseTrustFile(json: unknown, source = 'trust file'): TrustFile {
  const r = TrustFileSchema.safeParse(json);
  if (!r.success) throw new AgentError('bad_config', `${source}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export async function readTrustFile(path: string): Promise<TrustFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentError('not_found', `${path}: no such file`);
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentError('bad_config', `${path} is not JSON`);
  }
  return parseTrustFile(json, path);
}

/** The keys and threshold of one role, in the shape verifyEnvelope takes. */
export type RoleTrust = RoleKeys;

export function roleTrust(trust: TrustFile, role: 'models' | 'releases'): RoleTrust {
  const r = trust.roles[role];
  return { keys: r.keys.map((k) => ({ publicKey: fromBase64(k.publicKey) })), threshold: r.threshold };
}

/** The approvers role (optional in a trust file): undefined when the file lists no approver keys. */
export function approversTrust(trust: TrustFile): RoleTrust | undefined {
  const r = trust.roles.approvers;
  return r ? { keys: r.keys.map((k) => ({ publicKey: fromBase64(k.publicKey) })), threshold: 1 } : undefined;
}
