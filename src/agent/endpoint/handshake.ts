/**
 * The mutual challenge-response (docs/BOT-API.md "Handshake"; issue 5 §2). Both sides prove knowledge of
 * the per-install secret over both nonces, the server first, so a squatting server learns nothing and a
 * client never sends its proof to a server that has not proven itself.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { clientProofMessage, serverProofMessage } from '../../common/bot-protocol.js';

export function newNonce(): string {
  return randomBytes(32).toString('base64');
}

function hmac(secret: string, message: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(message, 'utf8').digest('base64');
}

export function serverProof(secret: string, clientNonce: string, serverNonce: string): string {
  return hmac(secret, serverProofMessage(clientNonce, serverNonce));
}

export function clientProof(secret: string, serverNonce: string, clientNonce: string): string {
  return hmac(secret, clientProofMessage(serverNonce, clientNonce));
}

/** Constant-time compare of two base64 proofs (a length mismatch is answered without comparing). */
export function proofsEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A new per-install secret: 32 random bytes, base64url (no padding) so it is a plain token everywhere. */
export function newEndpointSecret(): string {
  return randomBytes(32).toString('base64url');
}
