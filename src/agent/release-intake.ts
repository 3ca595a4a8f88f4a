/**
 * The channel's release messages in (DESIGN.md "Trust rules"): size bound, signatures and schema (the trust
 * store), then the acceptance rules (common/release-rules.ts: channel, repeat, seq, expiry). An accepted
 * release is stored and handed to the role state machine; every rejection is an event, once per message (a
 * retained bad release redelivered on every reconnect is reported once). The intake holds its own
 * subscription to the release topic.
 */
import { createHash } from 'node:crypto';
import { AgentError, toAgentError } from '../common/errors.js';
import { releaseForProfile } from '../common/profiles.js';
import { judgeRelease } from '../common/release-rules.js';
import { MAX_MANIFEST_BYTES, type AgentEvent, type Release } from '../common/wire.js';
import type { AgentReporter } from './agent-status.js';
import type { Clock } from './runtime.js';
import type { Registry } from './store/registry.js';
import type { EnvelopeVerifier } from './trust/trust-store.js';

export interface ReleaseIntakeDeps {
  channel: string;
  registry: Registry;
  verifier: EnvelopeVerifier;
  clock: Clock;
  report: AgentReporter;
  /** the agent's industry profile: its models and guard gates are what the roles follow (common/profiles.ts) */
  profile?: string;
  /** an expired release arrived (freeze attack): reported as release_expired */
  expired(seq: number, expires: string): void;
  /** a release was accepted and stored */
  accepted(release: Release, seq: number): void;
}

/** Returns the handler for the release topic's messages. */
export function releaseIntake(d: ReleaseIntakeDeps): (raw: Buffer) => void {
  /** digests of release messages already rejected */
  const rejected = new Set<string>();
  return (raw) => {
    if (raw.length === 0) return; // a cleared retained message
    const digest = createHash('sha256').update(raw).digest('hex');
    if (rejected.has(digest)) return;
    const reject = (err: AgentError, extra: Partial<AgentEvent> = {}) => {
      if (rejected.size >= 256) rejected.clear();
      rejected.add(digest);
      d.report.emit({ type: 'release_rejected', channel: d.channel, reason: err.code, message: err.message, ...extra });
    };
    if (raw.length > MAX_MANIFEST_BYTES) return reject(new AgentError('bad_envelope', `release message is ${raw.length} bytes, over the 1 MiB bound`));
    let release: Release;
    try {
      release = d.verifier.verifyRelease(raw).value;
    } catch (e) {
      return reject(toAgentError(e, 'bad_envelope'));
    }
    const verdict = judgeRelease(release, { channel: d.channel, digest, last: d.registry.getAcceptedRelease(d.channel), now: d.clock.now() });
    if (verdict.kind === 'repeat') return;
    if (verdict.kind === 'reject') {
      reject(verdict.error, { releaseSeq: release.seq });
      if (verdict.expired) d.expired(release.seq, release.expires);
      return;
    }
    // the release as this agent's profile reads it (its `profiles` kept, for the status)
    if (d.profile !== undefined) release = releaseForProfile(release, d.profile);
    try {
      d.registry.acceptRelease(d.channel, release.seq, digest, release, d.report.nowIso());
    } catch (e) {
      return reject(toAgentError(e), { releaseSeq: release.seq });
    }
    d.report.emit({ type: 'release_accepted', channel: d.channel, releaseSeq: release.seq, details: { expires: release.expires } });
    d.accepted(release, release.seq);
  };
}
