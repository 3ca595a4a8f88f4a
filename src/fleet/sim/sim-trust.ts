/**
 * A simulated agent's trust (issue 20 §1): the keys it verifies releases and manifests with. Given the
 * installed trust file (SimTrust.installed) it follows trust statements on `{prefix}/trust/+` with the
 * agents' own acceptance rule (common/trust-follow.ts), so a rotation in a simulated fleet behaves as in
 * a real one: a revoked releases key's releases are refused with key_revoked, a refused statement
 * changes nothing, and the events are the real agent's (trust_updated, trust_rejected).
 */
import { PAYLOAD_TYPE_RELEASE, type Ed25519Verifier } from '../../common/dsse.js';
import { nodeEd25519Verifier } from '../../common/node/ed25519.js';
import { verifyThenParse, type RoleKeys } from '../../common/signed.js';
import { initialTrustState, roleKeysOf } from '../../common/trust-chain.js';
import { TrustFollower, verifyUnderTrust } from '../../common/trust-follow.js';
import type { TrustFile } from '../../common/trust-file.js';
import type { Topics } from '../../common/topics.js';
import { ReleaseSchema, type AgentEvent, type Release } from '../../common/wire.js';

export interface SimTrust {
  releases: RoleKeys;
  models: RoleKeys;
  /** the installed trust file: when given, the agent follows trust statements from it (and its keys replace the two above) */
  installed?: TrustFile;
}

type SimEvent = Omit<AgentEvent, 'agentId' | 'ts' | 'seq'>;

export class SimAgentTrust {
  readonly #static: SimTrust;
  readonly #follower: TrustFollower | undefined;
  readonly #verifier: Ed25519Verifier;

  constructor(trust: SimTrust, verifier: Ed25519Verifier = nodeEd25519Verifier) {
    this.#static = trust;
    this.#verifier = verifier;
    this.#follower = trust.installed ? new TrustFollower(initialTrustState(trust.installed), verifier) : undefined;
  }

  /** the trust version in force (1 without statements, or when not following) */
  get version(): number {
    return this.#follower?.state.version ?? 1;
  }

  /** whether this agent follows trust statements (subscribe to the trust topics) */
  get follows(): boolean {
    return this.#follower !== undefined;
  }

  models(): RoleKeys {
    return this.#follower ? (roleKeysOf(this.#follower.state, 'models') ?? { keys: [], threshold: 1 }) : this.#static.models;
  }

  /** Verifies a release (raw bytes) under the trust in force: revoked keys count for nothing (key_revoked). */
  verifyRelease(raw: Uint8Array): Release {
    if (this.#follower) return verifyUnderTrust(this.#follower.state, 'releases', raw, PAYLOAD_TYPE_RELEASE, ReleaseSchema, this.#verifier, 'release').value;
    return verifyThenParse(raw, PAYLOAD_TYPE_RELEASE, this.#static.releases, ReleaseSchema, this.#verifier, 'release').value;
  }

  /**
   * A message on `topic`: when it is a trust statement, applies it with the shared rule and returns the
   * events a real agent would report (none for history or a repeated refusal); undefined otherwise.
   */
  onMessage(t: Topics, topic: string, payload: Uint8Array, now: number): SimEvent[] | undefined {
    const version = t.parseTrustTopic(topic);
    if (version === undefined || !this.#follower) return undefined;
    const r = this.#follower.offer(version, payload, now);
    if (!r) return [];
    const events: SimEvent[] = [];
    if (r.accepted.length) events.push({ type: 'trust_updated', message: `trust version ${r.before.version} → ${r.state.version}`, details: { from: r.before.version, version: r.state.version, expires: r.state.expires, revoked: r.newlyRevoked } });
    if (r.refused) events.push({ type: 'trust_rejected', reason: r.refused.code, message: `trust statement ${r.refused.version} refused: ${r.refused.message}; trust version ${r.state.version} stays in force`, details: { version: r.refused.version, inForce: r.state.version } });
    return events;
  }
}
