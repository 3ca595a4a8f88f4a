/**
 * The agent follows trust statements (issue 20 §1; DESIGN.md "Roles and rotation"): it subscribes to the
 * retained `{prefix}/trust/+` topics (one per version, so an agent offline across several rotations finds
 * every intermediate statement), walks them from the trust in force with common/trust-chain.ts and hands
 * the result to the EnvelopeVerifier. A refused statement changes nothing: the old trust keeps verifying
 * and the active models keep serving.
 *
 * Accepted statements are kept as `<dataDir>/trust/<version>.json` (TUF clients persist root.json the
 * same way) and re-verified from the installed trust file at every start, so the agent never goes back.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeEd25519Verifier } from '../../common/node/ed25519.js';
import type { Ed25519Verifier } from '../../common/dsse.js';
import type { TrustRefusal } from '../../common/trust-chain.js';
import { TrustFollower } from '../../common/trust-follow.js';
import { topics as topicsFor, type Topics } from '../../common/topics.js';
import type { AgentEvent } from '../../common/wire.js';
import type { EnvelopeVerifier } from './trust-store.js';

export interface TrustUpdatesOptions {
  verifier: EnvelopeVerifier;
  dataDir: string;
  prefix: string;
  now: () => number;
  emit: (e: Omit<AgentEvent, 'agentId' | 'ts' | 'seq'>) => void;
  ed25519?: Ed25519Verifier;
}

export class TrustUpdates {
  readonly #o: TrustUpdatesOptions;
  readonly #t: Topics;
  readonly #dir: string;
  /** the acceptance rule shared with the controller and the simulator (common/trust-follow.ts) */
  readonly #follower: TrustFollower;
  /** refusals already reported (a retained statement is redelivered on every reconnect) */
  readonly #reported = new Set<string>();

  constructor(o: TrustUpdatesOptions) {
    this.#o = o;
    this.#t = topicsFor(o.prefix);
    this.#dir = join(o.dataDir, 'trust');
    this.#follower = new TrustFollower(o.verifier.installed, o.ed25519 ?? nodeEd25519Verifier);
  }

  get filter(): string {
    return this.#t.allTrust();
  }

  /** Re-verifies the statements accepted before (no expiry check: they were in force already). */
  restore(): void {
    const stored = new Map<number, Uint8Array>();
    let names: string[] = [];
    try {
      names = readdirSync(this.#dir);
    } catch {
      return; // none accepted yet
    }
    for (const n of names) {
      const m = /^(\d{1,10})\.json$/.exec(n);
      if (m) stored.set(Number(m[1]), new Uint8Array(readFileSync(join(this.#dir, n))));
    }
    const r = this.#follower.restore(stored);
    this.#o.verifier.setTrust(r.state);
    if (r.refused) this.#report(r.refused, 'stored');
  }

  /** Handles a message on the trust topics; false when the topic is not one of them. */
  onMessage(topic: string, payload: Uint8Array): boolean {
    const version = this.#t.parseTrustTopic(topic);
    if (version === undefined) return false;
    const r = this.#follower.offer(version, payload, this.#o.now());
    if (!r) return true; // history (retained for agents still catching up), empty, too large or too far ahead
    for (const a of r.accepted) this.#persist(a.version, a.raw);
    if (r.accepted.length > 0) {
      this.#o.verifier.setTrust(r.state);
      this.#o.emit({
        type: 'trust_updated',
        message: `trust version ${r.before.version} → ${r.state.version}${r.newlyRevoked.length ? `; revoked ${r.newlyRevoked.map((k) => k.slice(0, 16) + '…').join(', ')}` : ''}`,
        details: { from: r.before.version, version: r.state.version, expires: r.state.expires, revoked: r.newlyRevoked },
      });
    }
    if (r.refused) this.#report(r.refused, 'received', this.#follower.pending(r.refused.version));
    return true;
  }

  #report(refused: TrustRefusal, source: 'stored' | 'received', raw?: Uint8Array): void {
    const key = `${refused.version}:${refused.code}:${raw ? createHash('sha256').update(raw).digest('hex') : source}`;
    if (this.#reported.has(key)) return;
    if (this.#reported.size >= 256) this.#reported.clear();
    this.#reported.add(key);
    const inForce = this.#o.verifier.trust().version;
    this.#o.emit({
      type: 'trust_rejected',
      reason: refused.code,
      message: `${source === 'stored' ? 'stored ' : ''}trust statement ${refused.version} refused: ${refused.message}; trust version ${inForce} stays in force`,
      details: { version: refused.version, inForce },
    });
  }

  #persist(version: number, raw: Uint8Array): void {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const path = join(this.#dir, `${version}.json`);
    writeFileSync(`${path}.tmp`, raw);
    renameSync(`${path}.tmp`, path);
  }
}
