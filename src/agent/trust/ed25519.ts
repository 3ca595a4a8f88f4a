/**
 * Ed25519 signature check with node:crypto for DSSE verification (DESIGN.md "Signed envelopes").
 * The agent has its own copy (a few lines) because src/agent may not import src/fleet.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { Ed25519Verifier } from '../../common/dsse.js';

/** SPKI DER header of an Ed25519 public key (RFC 8410): the raw 32 bytes follow it. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const nodeEd25519Verifier: Ed25519Verifier = {
  verify(rawPublicKey, message, signature) {
    if (rawPublicKey.length !== 32 || signature.length !== 64) return false;
    try {
      const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, rawPublicKey]), format: 'der', type: 'spki' });
      return verify(null, message, key, signature);
    } catch {
      return false; // a malformed key or signature is simply not a valid signature
    }
  },
};
