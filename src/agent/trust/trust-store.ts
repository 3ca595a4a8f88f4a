/**
 * The agent's trust decisions for signed envelopes (DESIGN.md "Trust rules").
 * Keys and thresholds come only from the installed trust file, never from the wire. Order per DSSE:
 * signatures (common/dsse.ts verifyEnvelope), then payloadType, and only then the zod parse.
 */
import { readFileSync } from 'node:fs';
import { fromBase64, fromUtf8 } from '../../common/bytes.js';
import { PAYLOAD_TYPE_MODEL, PAYLOAD_TYPE_RELEASE, verifyEnvelope, type Ed25519Verifier, type TrustedKey } from '../../common/dsse.js';
import { AgentError } from '../../common/errors.js';
import { TrustFileSchema, type TrustFile, type TrustRoleName } from '../../common/trust-file.js';
import { ModelManifestSchema, ReleaseSchema, type ModelManifest, type Release } from '../../common/wire.js';
import { nodeEd25519Verifier } from './ed25519.js';

export function parseTrustFile(value: unknown): TrustFile {
  const r = TrustFileSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new AgentError('bad_config', `trust file ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

export function loadTrustFile(path: string): TrustFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new AgentError('bad_config', `cannot read trust file ${path}: ${(e as Error).message}`);
  }
  return parseTrustFile(json);
}

export interface Verified<T> {
  value: T;
  signedBy: string[];
}

export class EnvelopeVerifier {
  private readonly keys: Record<TrustRoleName, { keys: TrustedKey[]; threshold: number }>;
  constructor(
    trust: TrustFile,
    private readonly verifier: Ed25519Verifier = nodeEd25519Verifier,
  ) {
    const role = (name: TrustRoleName) => ({
      keys: trust.roles[name].keys.map((k) => ({ publicKey: fromBase64(k.publicKey) })),
      threshold: trust.roles[name].threshold,
    });
    this.keys = { models: role('models'), releases: role('releases') };
  }

  /** Verifies a release envelope (raw MQTT payload bytes) with the `releases` keys and threshold. */
  verifyRelease(raw: Uint8Array): Verified<Release> {
    return this.verify(raw, 'releases', PAYLOAD_TYPE_RELEASE, (j) => ReleaseSchema.safeParse(j));
  }

  /**
   * Verifies a manifest envelope with the `models` keys. The size bound is checked on the raw bytes
   * before any parsing (endless-data attack: manifest ≤ 1 MiB).
   */
  verifyManifest(raw: Uint8Array, maxBytes: number): Verified<ModelManifest> {
    if (raw.length > maxBytes) throw new AgentError('manifest_too_large', `manifest is ${raw.length} bytes, the maximum is ${maxBytes}`, { bytes: raw.length, max: maxBytes });
    return this.verify(raw, 'models', PAYLOAD_TYPE_MODEL, (j) => ModelManifestSchema.safeParse(j));
  }

  private verify<T>(
    raw: Uint8Array,
    role: TrustRoleName,
    payloadType: string,
    parse: (json: unknown) => { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } },
  ): Verified<T> {
    let envelope: unknown;
    try {
      envelope = JSON.parse(fromUtf8(raw));
    } catch {
      throw new AgentError('bad_envelope', 'the message is not JSON');
    }
    const { keys, threshold } = this.keys[role];
    const { payload, signedBy } = verifyEnvelope(envelope, payloadType, keys, threshold, this.verifier);
    // Only now, with enough valid signatures and the right payloadType, is the payload parsed.
    let json: unknown;
    try {
      json = JSON.parse(fromUtf8(payload));
    } catch {
      throw new AgentError('bad_payload', 'the signed payload is not JSON');
    }
    const r = parse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new AgentError('bad_payload', `signed payload ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    return { value: r.data, signedBy };
  }
}
