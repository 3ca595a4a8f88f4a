/** Keys, trust files and trust statements for the trust rotation tests (issue 20 §1). Real Ed25519 keys. */
import { toBase64 } from '../../src/common/bytes.js';
import { PAYLOAD_TYPE_TRUST, type TrustFile, type TrustStatement } from '../../src/common/trust-file.js';
import { generateSigningKey, signJson, type SigningKey } from '../../src/fleet/signer.js';

export interface RoleSet {
  root: SigningKey[];
  models: SigningKey[];
  releases: SigningKey[];
}

export const newKeys = (n = 1): SigningKey[] => Array.from({ length: n }, () => generateSigningKey());

export function roleOf(keys: readonly SigningKey[], threshold = 1) {
  return { threshold, keys: keys.map((k) => ({ publicKey: toBase64(k.publicKey) })) };
}

export function trustFileOf(k: RoleSet, rootThreshold = 1): TrustFile {
  return { version: 1, roles: { root: roleOf(k.root, rootThreshold), models: roleOf(k.models), releases: roleOf(k.releases) } };
}

export function statementOf(version: number, k: RoleSet, opts: { rootThreshold?: number; revoked?: string[]; issued?: Date; expiresInMs?: number } = {}): TrustStatement {
  const issued = opts.issued ?? new Date();
  return {
    schemaVersion: 1,
    version,
    issued: issued.toISOString(),
    expires: new Date(issued.getTime() + (opts.expiresInMs ?? 3_600_000)).toISOString(),
    roles: { root: roleOf(k.root, opts.rootThreshold ?? 1), models: roleOf(k.models), releases: roleOf(k.releases) },
    revoked: opts.revoked ?? [],
  };
}

/** the raw bytes of a signed trust statement, as published on {prefix}/trust/{version} */
export function signedStatement(s: TrustStatement | Record<string, unknown>, keys: readonly SigningKey[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(signJson(PAYLOAD_TYPE_TRUST, s, keys)));
}
