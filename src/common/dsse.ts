/**
 * DSSE envelopes (DESIGN.md "Signed envelopes"; spec: secure-systems-lab/dsse, protocol.md).
 * Signatures are Ed25519 over PAE(payloadType, payload). The crypto itself is injected (Node's
 * node:crypto on the agent and in the fleet tools), so this file stays environment-free.
 */
import { z } from 'zod';
import { concatBytes, fromBase64, toHex, utf8 } from './bytes.js';
import { AgentError } from './errors.js';
import { sha256 } from './sha256.js';

export const PAYLOAD_TYPE_MODEL = 'application/vnd.rpa-edge.model+json';
export const PAYLOAD_TYPE_RELEASE = 'application/vnd.rpa-edge.release+json';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'standard base64');

export const DsseEnvelopeSchema = z
  .object({
    payloadType: z.string().min(1).max(256),
    payload: base64,
    signatures: z
      .array(z.object({ keyid: z.string().max(128).optional().default(''), sig: base64.max(256) }).strip())
      .min(1)
      .max(16),
  })
  .strip();
export type DsseEnvelope = z.infer<typeof DsseEnvelopeSchema>;

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal bytes. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8(payloadType);
  return concatBytes([utf8(`DSSEv1 ${type.length} `), type, utf8(` ${payload.length} `), payload]);
}

/** keyid = lowercase hex sha256 of the raw 32-byte Ed25519 public key (DESIGN.md). */
export function keyIdOf(rawPublicKey: Uint8Array): string {
  return toHex(sha256(rawPublicKey));
}

export interface Ed25519Verifier {
  verify(rawPublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

export interface TrustedKey {
  /** raw 32-byte Ed25519 public key */
  publicKey: Uint8Array;
}

export interface VerifiedPayload {
  payload: Uint8Array;
  /** keyids (recomputed locally) whose signatures verified */
  signedBy: string[];
}

/**
 * Verification order per DESIGN.md "Trust rules": signatures first, counted once per distinct
 * trusted key with keyids recomputed locally (the envelope's keyid is only a hint and is never
 * trusted), then payloadType; the caller parses the payload with its zod schema only after this.
 */
export function verifyEnvelope(
  input: unknown,
  expectedPayloadType: string,
  keys: readonly TrustedKey[],
  threshold: number,
  verifier: Ed25519Verifier,
): VerifiedPayload {
  const parsed = DsseEnvelopeSchema.safeParse(input);
  if (!parsed.success) throw new AgentError('bad_envelope', `not a DSSE envelope: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const env = parsed.data;
  let payload: Uint8Array;
  try {
    payload = fromBase64(env.payload);
  } catch {
    throw new AgentError('bad_envelope', 'payload is not valid base64');
  }
  const message = pae(env.payloadType, payload);
  const trusted = keys.map((k) => ({ id: keyIdOf(k.publicKey), key: k.publicKey }));
  const valid = new Set<string>();
  let anyBadSignature = false;
  for (const s of env.signatures) {
    let sig: Uint8Array;
    try {
      sig = fromBase64(s.sig);
    } catch {
      anyBadSignature = true;
      continue;
    }
    if (sig.length !== 64) {
      anyBadSignature = true;
      continue;
    }
    let matched = false;
    for (const k of trusted) {
      if (valid.has(k.id)) continue; // [DSSE] a key counts once however many times it signed
      if (verifier.verify(k.key, message, sig)) {
        valid.add(k.id);
        matched = true;
        break;
      }
    }
    if (!matched) anyBadSignature = true;
  }
  if (valid.size < threshold || threshold < 1) {
    if (valid.size > 0) {
      throw new AgentError('threshold_not_met', `${valid.size} valid signature(s) from trusted keys, threshold is ${threshold}`, {
        valid: valid.size,
        threshold,
      });
    }
    // Tell a forged signature by a trusted keyid apart from a signature by a key we do not know.
    const hintsTrusted = env.signatures.some((s) => trusted.some((k) => k.id === s.keyid));
    if (hintsTrusted || !anyBadSignature) throw new AgentError('bad_signature', 'no signature verifies against the trusted keys');
    throw new AgentError('untrusted_key', 'no signature is from a key in the trust file', {
      keyids: env.signatures.map((s) => s.keyid),
    });
  }
  if (env.payloadType !== expectedPayloadType) {
    throw new AgentError('wrong_payload_type', `payloadType is ${JSON.stringify(env.payloadType)}, expected ${expectedPayloadType}`);
  }
  return { payload, signedBy: [...valid] };
}
