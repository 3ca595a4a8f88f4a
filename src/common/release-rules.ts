/**
 * The rules a release, a model manifest and a chunk must meet (DESIGN.md "Trust rules", "Release"), as pure
 * functions. The agent core, the fleet simulator and the publisher decide with these, so each rule lives in
 * one place. Signature checks (verify-then-parse) are not here: they come first, in the trust modules.
 */
import { AgentError } from './errors.js';
import { takesCandidate, type Labels } from './selector.js';
import type { Cohort, ModelManifest, Release, Role, RoleRelease } from './wire.js';

// ---------------------------------------------------------------------------------------------- releases

/** [Trust rules] a channel's seq only goes up: a release whose seq is not above the last accepted one is a replay. */
export function releaseSeqAdvances(seq: number, lastSeq: number | undefined): boolean {
  return lastSeq === undefined || seq > lastSeq;
}

/** [Trust rules, freeze attack] a release past its `expires` activates nothing. */
export function releaseExpired(release: Pick<Release, 'expires'>, now: number): boolean {
  return Date.parse(release.expires) <= now;
}

export type ReleaseVerdict =
  | { kind: 'accept' }
  /** the release accepted last, delivered again (retained, after a reconnect): nothing to do */
  | { kind: 'repeat' }
  | { kind: 'reject'; error: AgentError; expired: boolean };

/**
 * Whether a verified release is taken: its channel, then a repeat of the last accepted one (same seq and
 * digest), then the seq rule, then the expiry. `digest`: sha256 of the raw message.
 */
export function judgeRelease(release: Release, o: { channel: string; digest: string; last?: { seq: number; digest: string } | undefined; now: number }): ReleaseVerdict {
  const reject = (error: AgentError, expired = false): ReleaseVerdict => ({ kind: 'reject', error, expired });
  if (release.channel !== o.channel) return reject(new AgentError('release_wrong_channel', `release is for channel ${release.channel}, this agent follows ${o.channel}`));
  if (o.last && o.last.seq === release.seq && o.last.digest === o.digest) return { kind: 'repeat' };
  if (!releaseSeqAdvances(release.seq, o.last?.seq)) return reject(new AgentError('release_replayed', `release seq ${release.seq} is not above the last accepted ${o.last?.seq}`));
  if (releaseExpired(release, o.now)) return reject(new AgentError('release_expired', `release ${release.seq} expired at ${release.expires}; keeping the active models`), true);
  return { kind: 'accept' };
}

export interface RoleTarget {
  modelId: string;
  cohort: Extract<Cohort, 'stable' | 'candidate'>;
  rolloutId?: string;
  /** a shadow candidate this agent runs beside the stable model (the active slot stays stable) */
  shadow?: { modelId: string; rolloutId: string };
}

/**
 * Which model a role runs under a release (DESIGN.md bucket rule, issue 16 §6 selector): the candidate when
 * this agent is in its cohort (bucket AND label selector) and it is not a shadow one nor rolled back here;
 * else the stable model. A shadow candidate in cohort is named beside it.
 */
export function chooseRoleTarget(rr: RoleRelease, agentId: string, labels: Labels, rolledBack: (role: { modelId: string; rolloutId: string }) => boolean = () => false): RoleTarget {
  const c = rr.candidate;
  const inCohort = c !== undefined && takesCandidate(agentId, labels, c);
  if (!c || !inCohort) return { modelId: rr.stable, cohort: 'stable' };
  if (c.shadow) return { modelId: rr.stable, cohort: 'stable', shadow: { modelId: c.modelId, rolloutId: c.rolloutId } };
  if (rolledBack(c)) return { modelId: rr.stable, cohort: 'stable' };
  return { modelId: c.modelId, cohort: 'candidate', rolloutId: c.rolloutId };
}

/** Every model a release names for any role (stable and candidates): what downloads may keep going for. */
export function modelsNamed(release: Release): Set<string> {
  const out = new Set<string>();
  for (const rr of Object.values(release.roles) as (RoleRelease | undefined)[]) if (rr) out.add(rr.stable).add(rr.candidate?.modelId ?? rr.stable);
  return out;
}

// ---------------------------------------------------------------------------------------------- manifests

/** [Trust rules] the chunk layout a manifest must describe: ceil(size / chunkSize) chunks. */
export function checkManifestLayout(m: Pick<ModelManifest, 'size' | 'chunkSize' | 'chunkSha256'>): void {
  const expected = Math.ceil(m.size / m.chunkSize);
  if (m.chunkSha256.length !== expected) throw new AgentError('chunk_count_mismatch', `manifest lists ${m.chunkSha256.length} chunks, ceil(${m.size} / ${m.chunkSize}) = ${expected}`);
}

/**
 * [Trust rules] a verified manifest, before any chunk is fetched: it describes the model asked for (its sha256
 * is the modelId), in the role the release names (when known), within the size bound, with a sound layout.
 */
export function checkManifest(m: ModelManifest, o: { modelId: string; role?: Role; maxModelBytes: number }): void {
  if (m.sha256 !== o.modelId) throw new AgentError('sha256_mismatch', `manifest sha256 ${m.sha256} is not the modelId ${o.modelId}`);
  if (o.role !== undefined && m.role !== o.role) throw new AgentError('model_role_mismatch', `model ${o.modelId} is a ${m.role}, the release names it as ${o.role}`);
  if (m.size > o.maxModelBytes) throw new AgentError('model_too_large', `model is ${m.size} bytes, the maximum is ${o.maxModelBytes}`, { size: m.size, max: o.maxModelBytes });
  checkManifestLayout(m);
}

/** Bytes chunk `index` holds under the manifest's layout (the last one may be short). */
export function chunkLength(m: Pick<ModelManifest, 'size' | 'chunkSize'>, index: number): number {
  return Math.min(m.chunkSize, m.size - index * m.chunkSize);
}

/**
 * [Trust rules] a chunk is used only when it has the sha256 the signed manifest lists and its layout's length.
 * `sha256Hex`: the caller's bulk hash (node:crypto in agent/ and fleet/; common stays environment-free).
 */
export function chunkMismatch(m: Pick<ModelManifest, 'size' | 'chunkSize' | 'chunkSha256'>, index: number, data: Uint8Array, sha256Hex: (data: Uint8Array) => string): AgentError | undefined {
  const expected = m.chunkSha256[index];
  if (expected === undefined) return new AgentError('chunk_unexpected', `chunk ${index} is not in the manifest (${m.chunkSha256.length} chunks)`, { index });
  const actual = sha256Hex(data);
  if (actual !== expected) return new AgentError('chunk_hash_mismatch', `chunk ${index} has sha256 ${actual}, the manifest says ${expected}`, { index });
  if (data.length !== chunkLength(m, index)) return new AgentError('size_mismatch', `chunk ${index} is ${data.length} bytes, the manifest's layout says ${chunkLength(m, index)}`, { index });
  return undefined;
}
