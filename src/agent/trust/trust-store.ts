/**
 * The agent's trust decisions for signed envelopes (DESIGN.md "Trust rules").
 * Keys and thresholds come only from the installed trust file, never from the wire. Order per DSSE:
 * signatures (common/dsse.ts verifyEnvelope), then payloadType, and only then the zod parse.
 */
import { readFileSync } from 'node:fs';
import { PAYLOAD_TYPE_MODEL, PAYLOAD_TYPE_RELEASE, type Ed25519Verifier } from '../../common/dsse.js';
import { nodeEd25519Verifier } from '../../common/node/ed25519.js';
import type { PayloadSchema, RoleKeys } from '../../common/signed.js';
import { initialTrustState, roleKeysOf, type TrustState } from '../../common/trust-chain.js';
import { verifyUnderTrust } from '../../common/trust-follow.js';
import { AgentError } from '../../common/errors.js';
import { TrustFileSchema, type TrustFile, type TrustRoleName } from '../../common/trust-file.js';
import { ModelManifestSchema, ReleaseSchema, type ModelManifest, type Release } from '../../common/wire.js';

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

/**
 * Verifies releases and manifests under the trust in force: the installed trust file, or the last trust
 * statement accepted over the wire (trust-updates.ts calls setTrust). Revoked keys never count.
 */
export class EnvelopeVerifier {
  private state: TrustState;
  private keys!: Record<TrustRoleName, RoleKeys>;
  /** the installed trust (the start of every walk through trust statements) */
  readonly installed: TrustState;
  constructor(
    trust: TrustFile | TrustState,
    private readonly verifier: Ed25519Verifier = nodeEd25519Verifier,
  ) {
    this.installed = 'revoked' in trust ? trust : initialTrustState(trust);
    this.state = this.installed;
    this.setTrust(this.state);
  }

  /** The trust in force (version 1 = the installed file). */
  trust(): TrustState {
    return this.state;
  }

  setTrust(state: TrustState): void {
    this.state = state;
    this.keys = { models: roleKeysOf(state, 'models')!, releases: roleKeysOf(state, 'releases')! };
  }

  /** Verifies a release envelope (raw MQTT payload bytes) with the `releases` keys and threshold. */
  verifyRelease(raw: Uint8Array): Verified<Release> {
    return this.verify(raw, 'releases', PAYLOAD_TYPE_RELEASE, ReleaseSchema);
  }

  /**
   * Verifies a manifest envelope with the `models` keys. The size bound is checked on the raw bytes
   * before any parsing (endless-data attack: manifest ≤ 1 MiB).
   */
  verifyManifest(raw: Uint8Array, maxBytes: number): Verified<ModelManifest> {
    if (raw.length > maxBytes) throw new AgentError('manifest_too_large', `manifest is ${raw.length} bytes, the maximum is ${maxBytes}`, { bytes: raw.length, max: maxBytes });
    return this.verify(raw, 'models', PAYLOAD_TYPE_MODEL, ModelManifestSchema);
  }

  private verify<T>(raw: Uint8Array, role: TrustRoleName, payloadType: string, schema: PayloadSchema<T>): Verified<T> {
    // the shared rule (common/trust-follow.ts): revoked keys never count and are reported as key_revoked
    return verifyUnderTrust(this.state, role, raw, payloadType, schema, this.verifier);
  }
}
