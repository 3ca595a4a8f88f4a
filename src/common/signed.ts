/**
 * Verify-then-parse for signed documents, written once (issue 18): the agent's trust store, the
 * fleet publisher, the simulator and the trust statements all read envelopes through here.
 * Order per DESIGN.md "Trust rules": envelope shape, signatures (verifyEnvelope: distinct trusted keys,
 * keyids recomputed), payloadType, and only then JSON + the zod schema of the payload.
 */
import { fromUtf8 } from './bytes.js';
import { verifyEnvelope, type Ed25519Verifier, type TrustedKey } from './dsse.js';
import { AgentError } from './errors.js';

/** The keys and threshold of one role (from the trust file or a trust statement). */
export interface RoleKeys {
  keys: TrustedKey[];
  threshold: number;
}

/** What safeParse of any zod schema returns (kept structural so callers pass their schema as is). */
export interface PayloadSchema<T> {
  safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

export interface VerifiedValue<T> {
  value: T;
  /** keyids (recomputed locally) whose signatures verified */
  signedBy: string[];
}

/** Raw message bytes → JSON (the envelope, not yet trusted). */
export function envelopeJson(raw: Uint8Array): unknown {
  try {
    return JSON.parse(fromUtf8(raw));
  } catch {
    throw new AgentError('bad_envelope', 'the message is not JSON');
  }
}

/** Signed (or, for display only, unverified) payload bytes → the schema's value, or bad_payload. */
export function parsePayload<T>(payload: Uint8Array, schema: PayloadSchema<T>, what = 'signed payload'): T {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(payload));
  } catch {
    throw new AgentError('bad_payload', `${what} is not UTF-8 JSON`);
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new AgentError('bad_payload', `${what}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/**
 * Verifies `envelope` (raw bytes or already-parsed JSON) with `role`'s keys and threshold, then parses
 * the payload with `schema`. Nothing of the payload is looked at before the signatures verify.
 */
export function verifyThenParse<T>(
  envelope: Uint8Array | unknown,
  payloadType: string,
  role: RoleKeys,
  schema: PayloadSchema<T>,
  verifier: Ed25519Verifier,
  what = 'signed payload',
): VerifiedValue<T> {
  const json = envelope instanceof Uint8Array ? envelopeJson(envelope) : envelope;
  const { payload, signedBy } = verifyEnvelope(json, payloadType, role.keys, role.threshold, verifier);
  // Only now, with enough valid signatures and the right payloadType, is the payload parsed.
  return { value: parsePayload(payload, schema, what), signedBy };
}
