/**
 * The one Ed25519 signature check (node:crypto) behind every DSSE verification: the agent's trust
 * store, the fleet tools (publisher, simulator, approvals, trust statements). It lives in
 * src/common/node — VS Code's `base/node` idea: shared by agent and fleet, but node-only, so the pure
 * src/common and the renderer may not import it (test/unit/layering.test.ts).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Ed25519Verifier } from '../dsse.js';

/** SPKI DER header of an Ed25519 public key (RFC 8410): the raw 32 bytes follow it. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

export const nodeEd25519Verifier: Ed25519Verifier = {
  verify(rawPublicKey, message, signature) {
    if (rawPublicKey.length !== 32 || signature.length !== 64) return false;
    try {
      return verify(null, message, publicKeyFromRaw(rawPublicKey), signature);
    } catch {
      return false; // a malformed key or signature is simply not a valid signature
    }
  },
};
