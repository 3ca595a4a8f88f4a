/**
 * Ed25519 keys and DSSE signing for the fleet tools (DESIGN.md "Signed envelopes").
 * Private keys are PKCS#8 PEM files (mode 0600); public keys travel as base64 of the raw 32 bytes.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { fromBase64, toBase64 } from '../common/bytes.js';
import { keyIdOf, pae, type DsseEnvelope } from '../common/dsse.js';
import { nodeEd25519Verifier, publicKeyFromRaw } from '../common/node/ed25519.js';

export interface SigningKey {
  privateKey: KeyObject;
  /** raw 32-byte public key */
  publicKey: Uint8Array;
  keyid: string;
}

export function rawPublicKey(key: KeyObject): Uint8Array {
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signingKeyFrom(privateKey);
}

export function signingKeyFrom(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 private key');
  const publicKey = rawPublicKey(privateKey);
  return { privateKey, publicKey, keyid: keyIdOf(publicKey) };
}

export function signingKeyFromPem(pem: string): SigningKey {
  return signingKeyFrom(createPrivateKey(pem));
}

export function exportPrivateKeyPem(key: SigningKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** Signs `payload` as a DSSE envelope with one or more keys (threshold signing = several keys). */
export function signEnvelope(payloadType: string, payload: Uint8Array, keys: readonly SigningKey[]): DsseEnvelope {
  const message = pae(payloadType, payload);
  return {
    payloadType,
    payload: toBase64(payload),
    signatures: keys.map((k) => ({ keyid: k.keyid, sig: toBase64(new Uint8Array(sign(null, message, k.privateKey))) })),
  };
}

export function signJson(payloadType: string, value: unknown, keys: readonly SigningKey[]): DsseEnvelope {
  return signEnvelope(payloadType, new TextEncoder().encode(JSON.stringify(value)), keys);
}

// the one Ed25519 verifier (src/common/node/ed25519.ts), re-exported for the fleet tools
export { nodeEd25519Verifier, publicKeyFromRaw };

export { fromBase64, toBase64 };
