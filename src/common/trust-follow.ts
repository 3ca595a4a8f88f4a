/**
 * Following trust statements as they arrive (issue 20 §1): the ONE acceptance rule shared by the agent
 * (src/agent/trust/trust-updates.ts), the fleet controller (src/fleet/trust-follow.ts) and the fleet
 * simulator's agents (src/fleet/sim/sim-agent.ts), so a rotation behaves the same everywhere.
 *
 * Statements arrive on the retained `{prefix}/trust/{version}` topics in any order; they are buffered by
 * the version their topic names and walked from the trust in force with advanceTrust (trust-chain.ts:
 * TUF §5.3 — threshold of the old and the new root keys, exactly N+1, no revoked key listed, the newest
 * not expired). The trust in force never goes back: versions at or below it are ignored, and a refused
 * statement changes nothing. Pure apart from the injected verifier and clock.
 */
import type { Ed25519Verifier } from './dsse.js';
import { AgentError, toAgentError } from './errors.js';
import { envelopeJson, verifyThenParse, type PayloadSchema } from './signed.js';
import { advanceTrust, revokedSigner, roleKeysOf, type TrustRefusal, type TrustState } from './trust-chain.js';
import { MAX_TRUST_STATEMENT_BYTES, type TrustStatement } from './trust-file.js';

/** how far ahead of the trust in force a buffered statement may claim to be */
export const MAX_TRUST_AHEAD = 64;

export interface TrustStep {
  /** the trust in force before this offer */
  before: TrustState;
  /** the trust in force after it */
  state: TrustState;
  /** statements accepted by this offer, oldest first (persist their raw bytes to restore them) */
  accepted: { version: number; raw: Uint8Array; statement: TrustStatement }[];
  /** keyids revoked by the accepted statements */
  newlyRevoked: string[];
  /** why the walk stopped before a buffered statement, if it did */
  refused?: TrustRefusal;
}

export class TrustFollower {
  #state: TrustState;
  /** raw statements for versions above the trust in force, by the version their topic names */
  readonly #pending = new Map<number, Uint8Array>();

  constructor(
    readonly installed: TrustState,
    private readonly verifier: Ed25519Verifier,
  ) {
    this.#state = installed;
  }

  /** The trust in force (version 1 = the installed file). */
  get state(): TrustState {
    return this.#state;
  }

  /**
   * Re-verifies statements accepted before (e.g. persisted at an earlier run) from the installed trust,
   * without an expiry check (they were in force already). Never lowers the trust in force.
   */
  restore(stored: ReadonlyMap<number, Uint8Array>): TrustStep {
    const before = this.#state;
    const r = advanceTrust(this.installed, stored, undefined, this.verifier);
    if (r.state.version > this.#state.version) this.#state = r.state;
    return { before, state: this.#state, accepted: r.accepted.filter((a) => a.version > before.version), newlyRevoked: this.#state.revoked.filter((k) => !before.revoked.includes(k)), ...(r.refused ? { refused: r.refused } : {}) };
  }

  /**
   * One message on a trust topic (`version` = the version the topic names). Returns undefined when it
   * is history (at or below the trust in force), empty (a cleared retained topic), too large or too far
   * ahead; otherwise the walk's outcome.
   */
  offer(version: number, raw: Uint8Array, now: number): TrustStep | undefined {
    const current = this.#state.version;
    if (raw.length === 0 || version <= current || version > current + MAX_TRUST_AHEAD || raw.length > MAX_TRUST_STATEMENT_BYTES) return undefined;
    this.#pending.set(version, raw);
    const before = this.#state;
    const r = advanceTrust(before, this.#pending, now, this.verifier);
    this.#state = r.state;
    for (const v of [...this.#pending.keys()]) if (v <= r.state.version) this.#pending.delete(v);
    return { before, state: r.state, accepted: r.accepted, newlyRevoked: r.state.revoked.filter((k) => !before.revoked.includes(k)), ...(r.refused ? { refused: r.refused } : {}) };
  }

  /** The raw statement buffered for `version` (to tell two refusals of the same version apart). */
  pending(version: number): Uint8Array | undefined {
    return this.#pending.get(version);
  }
}

/**
 * Verify-then-parse under the trust in force (DESIGN.md "Trust rules": signatures with the role's keys
 * and threshold, revoked keys never counting, then payloadType, then the schema). A failure caused by a
 * revoked signer is reported as key_revoked rather than untrusted_key [issue 20 §1].
 */
export function verifyUnderTrust<T>(state: TrustState, role: 'models' | 'releases', raw: Uint8Array | unknown, payloadType: string, schema: PayloadSchema<T>, verifier: Ed25519Verifier, what?: string): { value: T; signedBy: string[] } {
  const json = raw instanceof Uint8Array ? envelopeJson(raw) : raw;
  try {
    return verifyThenParse(json, payloadType, roleKeysOf(state, role) ?? { keys: [], threshold: 1 }, schema, verifier, what);
  } catch (e) {
    const err = toAgentError(e);
    const revoked = err.code === 'untrusted_key' || err.code === 'bad_signature' || err.code === 'threshold_not_met' ? revokedSigner(state, json) : undefined;
    if (revoked) throw new AgentError('key_revoked', `${role} key ${revoked.slice(0, 16)}… was revoked by trust version ${state.version}: ${err.message}`, { keyid: revoked });
    throw err;
  }
}
