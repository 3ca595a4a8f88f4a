/**
 * Publishing models and releases to the broker, and reading them back (DESIGN.md "Wire protocol").
 * Used by the `rpa-fleet` CLI, the demo, the rollout controller and tests.
 *
 *   rpa/v1/models/{modelId}/chunks/{n}   retained, QoS 1, raw bytes
 *   rpa/v1/models/{modelId}/manifest     retained, QoS 1, DSSE(ModelManifest)  — published LAST
 *   rpa/v1/channels/{channel}/release    retained, QoS 1, DSSE(Release)
 */
import type { Profiles } from '../common/profiles.js';
import type { MqttClient } from 'mqtt';
import { DsseEnvelopeSchema, PAYLOAD_TYPE_MODEL, PAYLOAD_TYPE_RELEASE, type DsseEnvelope, type TrustedKey } from '../common/dsse.js';
import { envelopeJson, parsePayload, verifyThenParse, type PayloadSchema } from '../common/signed.js';
import { AgentError, toAgentError, type ErrorCode } from '../common/errors.js';
import { checkManifestLayout, chunkMismatch, releaseSeqAdvances } from '../common/release-rules.js';
import { DEFAULT_TOPIC_PREFIX, topics } from '../common/topics.js';
import { MAX_MANIFEST_BYTES, ModelManifestSchema, ReleaseSchema, ROLES, type ModelManifest, type Release, type Role, type RoleRelease } from '../common/wire.js';
import { readRetained } from './mqtt.js';
import { variantChunkJobs } from './variants.js';
import { nodeEd25519Verifier, signJson, type SigningKey } from './signer.js';
import type { RoleTrust } from './trust.js';

export const DEFAULT_MAX_IN_FLIGHT = 16;

export interface PublishProgress {
  modelId: string;
  chunksSent: number;
  chunksTotal: number;
  bytesSent: number;
  bytesTotal: number;
  /** true once the manifest (the last message) is acknowledged */
  done: boolean;
}

export interface PublishModelInput {
  manifestEnvelope: DsseEnvelope;
  chunks: readonly Uint8Array[];
  prefix?: string;
  /** bounded number of unacknowledged QoS 1 chunk publishes (default 16) */
  maxInFlight?: number;
  onProgress?: (p: PublishProgress) => void;
  signal?: AbortSignal;
  /** each variant's chunks by its sha256 (issue 21 §1, fleet/variants.ts): published before the manifest too */
  variantChunks?: ReadonlyMap<string, readonly Uint8Array[]>;
}

export interface PublishModelResult {
  modelId: string;
  chunks: number;
  bytes: number;
  elapsedMs: number;
  manifestTopic: string;
}

/** Decodes (without verifying) the manifest inside an envelope we are about to publish. */
export function manifestOfEnvelope(env: DsseEnvelope): ModelManifest {
  if (env.payloadType !== PAYLOAD_TYPE_MODEL) throw new AgentError('wrong_payload_type', `envelope payloadType is ${env.payloadType}`);
  return parsePayload(Buffer.from(env.payload, 'base64'), ModelManifestSchema, 'manifest');
}

/**
 * Publishes the chunks (retained, QoS 1, at most `maxInFlight` unacknowledged), then the signed
 * manifest. Manifest last: an agent that sees a manifest can always fetch every chunk it lists.
 * The chunks are checked against the manifest first so a mismatched pair is never published.
 */
export async function publishModel(client: MqttClient, input: PublishModelInput): Promise<PublishModelResult> {
  const t = topics(input.prefix ?? DEFAULT_TOPIC_PREFIX);
  const manifest = manifestOfEnvelope(input.manifestEnvelope);
  const modelId = manifest.sha256;
  const { createHash } = await import('node:crypto');
  checkManifestLayout(manifest);
  if (input.chunks.length !== manifest.chunkSha256.length) {
    throw new AgentError('chunk_count_mismatch', `${input.chunks.length} chunks given, manifest lists ${manifest.chunkSha256.length}`);
  }
  const whole = createHash('sha256');
  let bytesTotal = 0;
  input.chunks.forEach((c, i) => {
    // the agents' own chunk rule (sha256 and layout length): a pair they would refuse is never published
    const bad = chunkMismatch(manifest, i, c, (d) => createHash('sha256').update(d).digest('hex'));
    if (bad) throw bad;
    whole.update(c);
    bytesTotal += c.length;
  });
  if (bytesTotal !== manifest.size) throw new AgentError('size_mismatch', `chunks hold ${bytesTotal} bytes, manifest says ${manifest.size}`);
  if (whole.digest('hex') !== modelId) throw new AgentError('sha256_mismatch', 'chunks do not hash to the manifest sha256');
  const envelopeText = JSON.stringify(input.manifestEnvelope);
  if (Buffer.byteLength(envelopeText) > MAX_MANIFEST_BYTES + 64 * 1024) {
    throw new AgentError('manifest_too_large', 'signed manifest envelope is over the 1 MiB limit');
  }

  // base chunks, then every variant's at its own model topics; the manifest (listing them all) last
  const jobs = [...input.chunks.map((chunk, n) => ({ topic: t.chunk(modelId, n), chunk })), ...variantChunkJobs(manifest, input.variantChunks).map((j) => ({ topic: t.chunk(j.sha256, j.index), chunk: j.chunk }))];
  const bytesAll = jobs.reduce((n, j) => n + j.chunk.length, 0);
  const started = performance.now();
  const maxInFlight = Math.max(1, input.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  let next = 0;
  let chunksSent = 0;
  let bytesSent = 0;
  const report = (done: boolean) =>
    input.onProgress?.({ modelId, chunksSent, chunksTotal: jobs.length, bytesSent, bytesTotal: bytesAll, done });
  const checkAbort = () => {
    if (input.signal?.aborted) throw new AgentError('aborted', 'publish cancelled');
  };
  // A fixed pool of workers, each with one publish outstanding: at most maxInFlight unacknowledged.
  const worker = async () => {
    for (;;) {
      checkAbort();
      const n = next++;
      if (n >= jobs.length) return;
      const { topic, chunk } = jobs[n]!;
      await publishOrThrow(client, topic, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      chunksSent++;
      bytesSent += chunk.length;
      report(false);
    }
  };
  await Promise.all(Array.from({ length: Math.min(maxInFlight, jobs.length) }, worker));
  checkAbort();
  await publishOrThrow(client, t.manifest(modelId), Buffer.from(envelopeText));
  report(true);
  return { modelId, chunks: input.chunks.length, bytes: bytesTotal, elapsedMs: performance.now() - started, manifestTopic: t.manifest(modelId) };
}

async function publishOrThrow(client: MqttClient, topic: string, payload: Buffer | string): Promise<void> {
  try {
    await client.publishAsync(topic, payload as Buffer, { qos: 1, retain: true });
  } catch (e) {
    throw new AgentError('broker_unreachable', `publish to ${topic} failed: ${(e as Error).message}`, undefined, { cause: e });
  }
}


// ---------------------------------------------------------------------------------------------
// Reading signed documents back

export type SignatureStatus = 'valid' | 'invalid' | 'unverified';

export interface VerifiedDocument<T> {
  topic: string;
  envelope: DsseEnvelope | undefined;
  /** the parsed payload; present whenever it decodes and matches its schema (even if unverified) */
  value: T | undefined;
  signature: SignatureStatus;
  /** keyids that verified, when signature = valid */
  signedBy: string[];
  /** why signature is invalid or value is missing */
  error?: { code: ErrorCode; message: string };
}

/**
 * Decodes one retained message. With `trust`, signatures are verified first and the payload parsed
 * only after (DESIGN.md "Trust rules" order); without, the payload is parsed and marked unverified.
 */
export function decodeSigned<T>(
  topic: string,
  raw: Buffer,
  payloadType: string,
  schema: PayloadSchema<T>,
  what: string,
  trust: RoleTrust | undefined,
): VerifiedDocument<T> {
  const doc: VerifiedDocument<T> = { topic, envelope: undefined, value: undefined, signature: 'unverified', signedBy: [] };
  let json: unknown;
  try {
    json = envelopeJson(raw);
  } catch {
    return { ...doc, signature: 'invalid', error: { code: 'bad_envelope', message: `${what} message is not JSON` } };
  }
  const env = DsseEnvelopeSchema.safeParse(json);
  if (!env.success) return { ...doc, signature: 'invalid', error: { code: 'bad_envelope', message: `${what} message is not a DSSE envelope` } };
  doc.envelope = env.data;
  if (trust) {
    try {
      const v = verifyThenParse(env.data, payloadType, trust, schema, nodeEd25519Verifier, what);
      return { ...doc, value: v.value, signedBy: v.signedBy, signature: 'valid' };
    } catch (e) {
      const err = toAgentError(e);
      doc.signature = 'invalid';
      doc.error = { code: err.code, message: err.message };
      // a bad signature: the payload is still decoded below, for display only (never 'valid')
    }
  } else if (env.data.payloadType !== payloadType) {
    return { ...doc, signature: 'invalid', error: { code: 'wrong_payload_type', message: `payloadType is ${env.data.payloadType}` } };
  }
  try {
    doc.value = parsePayload(Buffer.from(env.data.payload, 'base64'), schema, what);
  } catch (e) {
    const err = toAgentError(e);
    doc.error ??= { code: err.code, message: err.message };
  }
  return doc;
}

export interface ModelEntry extends VerifiedDocument<ModelManifest> {
  modelId: string;
}

export interface ReadOptions {
  prefix?: string;
  /** keys and threshold to verify with (the trust file's role); omitted → signature 'unverified' */
  trust?: RoleTrust;
  /** wait for retained messages (see readRetained) */
  idleMs?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** All retained manifests on the broker, verified when `trust` (models role) is given. */
export async function listModels(client: MqttClient, opts: ReadOptions = {}): Promise<ModelEntry[]> {
  const t = topics(opts.prefix ?? DEFAULT_TOPIC_PREFIX);
  const msgs = await readRetained(client, t.allManifests(), { idleMs: opts.idleMs ?? 400, timeoutMs: opts.timeoutMs ?? 5000, signal: opts.signal });
  const out: ModelEntry[] = [];
  for (const [topic, raw] of msgs) {
    const modelId = topic.split('/').at(-2) ?? '';
    const doc = decodeSigned(topic, raw, PAYLOAD_TYPE_MODEL, ModelManifestSchema, 'manifest', opts.trust);
    // A manifest must sit under its own content address; anything else is not that model.
    if (doc.value && doc.value.sha256 !== modelId) {
      doc.signature = 'invalid';
      doc.error = { code: 'sha256_mismatch', message: `manifest sha256 ${doc.value.sha256.slice(0, 12)}… is published under ${modelId.slice(0, 12)}…` };
    }
    out.push({ ...doc, modelId });
  }
  return out.sort((a, b) => (a.value?.role ?? '').localeCompare(b.value?.role ?? '') || (a.value?.name ?? '').localeCompare(b.value?.name ?? '') || (a.value?.created ?? '').localeCompare(b.value?.created ?? ''));
}

/** Reads one model's retained manifest; undefined when none is published. */
export async function readManifest(client: MqttClient, modelId: string, opts: ReadOptions = {}): Promise<ModelEntry | undefined> {
  const t = topics(opts.prefix ?? DEFAULT_TOPIC_PREFIX);
  const topic = t.manifest(modelId);
  const msgs = await readRetained(client, topic, { expect: 1, idleMs: opts.idleMs ?? 1000, timeoutMs: opts.timeoutMs ?? 1500, signal: opts.signal });
  const raw = msgs.get(topic);
  if (!raw) return undefined;
  const doc = decodeSigned(topic, raw, PAYLOAD_TYPE_MODEL, ModelManifestSchema, 'manifest', opts.trust);
  if (doc.value && doc.value.sha256 !== modelId) {
    doc.signature = 'invalid';
    doc.error = { code: 'sha256_mismatch', message: 'manifest sha256 differs from the modelId it is published under' };
  }
  return { ...doc, modelId };
}

export type ReleaseEntry = VerifiedDocument<Release>;

/** Reads a channel's retained release; undefined when the channel has none. */
export async function showRelease(client: MqttClient, channel: string, opts: ReadOptions = {}): Promise<ReleaseEntry | undefined> {
  const t = topics(opts.prefix ?? DEFAULT_TOPIC_PREFIX);
  const topic = t.release(channel);
  const msgs = await readRetained(client, topic, { expect: 1, idleMs: opts.idleMs ?? 1500, timeoutMs: opts.timeoutMs ?? 1500, signal: opts.signal });
  const raw = msgs.get(topic);
  if (!raw) return undefined;
  return decodeSigned(topic, raw, PAYLOAD_TYPE_RELEASE, ReleaseSchema, 'release', opts.trust);
}

/**
 * Resolves `<modelId>` or `<name>@<version>` to a published manifest, checking it serves `role`.
 * A name@version that matches several modelIds (republished with other bytes) is ambiguous.
 */
export async function resolveModelRef(client: MqttClient, ref: string, role: Role | undefined, opts: ReadOptions = {}): Promise<ModelEntry> {
  let entry: ModelEntry | undefined;
  if (/^[0-9a-f]{64}$/.test(ref)) {
    entry = await readManifest(client, ref, opts);
    if (!entry) throw new AgentError('manifest_missing', `no manifest is published for model ${ref}`);
  } else {
    const m = /^([A-Za-z0-9._-]{1,128})@(.+)$/.exec(ref);
    if (!m) throw new AgentError('bad_argument', `model reference ${JSON.stringify(ref)}: use a 64-hex modelId or name@version`);
    const all = (await listModels(client, opts)).filter((e) => e.value?.name === m[1] && e.value?.version === m[2] && (!role || e.value?.role === role));
    const usable = opts.trust ? all.filter((e) => e.signature === 'valid') : all;
    if (usable.length === 0) throw new AgentError('manifest_missing', `no${opts.trust ? ' validly signed' : ''} ${role ?? ''} manifest named ${ref} on the broker`.replace(/ {2}/g, ' '));
    if (usable.length > 1) throw new AgentError('bad_argument', `${ref} is ambiguous: ${usable.map((e) => e.modelId.slice(0, 12)).join(', ')}; give the modelId`);
    entry = usable[0]!;
  }
  if (!entry.value) throw new AgentError(entry.error?.code ?? 'bad_payload', `manifest for ${ref}: ${entry.error?.message ?? 'unreadable'}`);
  if (opts.trust && entry.signature !== 'valid') throw new AgentError(entry.error?.code ?? 'bad_signature', `manifest for ${ref}: ${entry.error?.message ?? 'signature invalid'}`);
  if (role && entry.value.role !== role) {
    throw new AgentError('model_role_mismatch', `${ref} is a ${entry.value.role} model, not a ${role}`);
  }
  return entry;
}

// ---------------------------------------------------------------------------------------------
// Releases

export type ReleaseRoles = Partial<Record<Role, RoleRelease>>;

export interface BuildReleaseInput {
  channel: string;
  seq: number;
  roles: ReleaseRoles;
  issued: Date;
  expires: Date;
  note?: string;
  /** industry profiles (common/profiles.ts, issue 21 §2) */
  profiles?: Profiles;
}

/** Validates a release with ReleaseSchema (schema defaults applied). */
export function buildRelease(input: BuildReleaseInput): Release {
  const roles: ReleaseRoles = {};
  for (const r of ROLES) if (input.roles[r]) roles[r] = input.roles[r];
  if (Object.keys(roles).length === 0) throw new AgentError('bad_argument', 'a release names at least one role');
  const r = ReleaseSchema.safeParse({
    schemaVersion: 1,
    channel: input.channel,
    seq: input.seq,
    issued: input.issued.toISOString(),
    expires: input.expires.toISOString(),
    roles,
    ...(input.note !== undefined ? { note: input.note } : {}),
    ...(input.profiles !== undefined ? { profiles: input.profiles } : {}),
  });
  if (!r.success) throw new AgentError('bad_argument', `release invalid: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export function signRelease(release: Release, keys: readonly SigningKey[]): DsseEnvelope {
  if (keys.length === 0) throw new AgentError('bad_argument', 'at least one signing key is required');
  return signJson(PAYLOAD_TYPE_RELEASE, release, keys);
}

export interface PublishReleaseInput {
  channel: string;
  /**
   * The roles of the new release, or a function of the current (verified) release, e.g. the
   * controller raising a candidate's percent: `(cur) => ({ ...cur?.roles, detector: {...} })`.
   */
  roles: ReleaseRoles | ((current: Release | undefined) => ReleaseRoles);
  /** copy roles this release does not name from the current verified release (default false) */
  keepOtherRoles?: boolean;
  expiresInMs: number;
  keys: readonly SigningKey[];
  note?: string;
  /** industry profiles; absent: the current verified release's are carried over */
  profiles?: Profiles;
  /** explicit seq; default = current retained seq + 1 (or 1 for a new channel) */
  seq?: number;
  /**
   * keys that may have signed the current release (the trust file's releases role). Default: the
   * signing keys themselves, threshold 1. A current release that fails verification stops the
   * publish unless `seq` is given: a forged retained release must not steer our seq.
   */
  trust?: RoleTrust;
  prefix?: string;
  now?: () => Date;
  /** how long to wait for the retained release (default 1500 ms) */
  readTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface PublishReleaseResult {
  release: Release;
  envelope: DsseEnvelope;
  topic: string;
  previousSeq: number | undefined;
  /** roles copied from the current release (keepOtherRoles) */
  keptRoles: Role[];
}

export async function publishRelease(client: MqttClient, input: PublishReleaseInput): Promise<PublishReleaseResult> {
  if (input.keys.length === 0) throw new AgentError('bad_argument', 'at least one releases key is required');
  const prefix = input.prefix ?? DEFAULT_TOPIC_PREFIX;
  const trust: RoleTrust = input.trust ?? { keys: input.keys.map((k): TrustedKey => ({ publicKey: k.publicKey })), threshold: 1 };
  const current = await showRelease(client, input.channel, { prefix, trust, timeoutMs: input.readTimeoutMs, idleMs: input.readTimeoutMs, signal: input.signal });
  let previousSeq: number | undefined;
  const currentVerified = current?.signature === 'valid' ? current.value : undefined;
  if (current) {
    if (currentVerified) previousSeq = currentVerified.seq;
    else if (input.seq === undefined) {
      throw new AgentError(
        current.error?.code ?? 'bad_signature',
        `the current release on channel ${input.channel} does not verify (${current.error?.message ?? 'invalid'}); pass an explicit seq to replace it`,
      );
    } else if (current.value) previousSeq = current.value.seq;
  }
  const seq = input.seq ?? (previousSeq ?? 0) + 1;
  if (!releaseSeqAdvances(seq, previousSeq)) {
    // [DESIGN.md Trust rules] agents drop a release whose seq is not above the last accepted one.
    throw new AgentError('release_replayed', `seq ${seq} is not above the current release's seq ${previousSeq}; agents would ignore it`);
  }
  const issued = (input.now ?? (() => new Date()))();
  if (!(input.expiresInMs > 0)) throw new AgentError('bad_argument', 'expiry must be in the future');
  const named = typeof input.roles === 'function' ? input.roles(currentVerified) : input.roles;
  const roles: ReleaseRoles = { ...named };
  const keptRoles: Role[] = [];
  if (input.keepOtherRoles && currentVerified) {
    for (const r of ROLES) {
      const cur = currentVerified.roles[r];
      if (cur && !roles[r]) {
        roles[r] = cur;
        keptRoles.push(r);
      }
    }
  }
  // industry profiles (issue 21 §2) are carried over unless given: a controller raising a percent keeps them
  const profiles = input.profiles ?? currentVerified?.profiles;
  const release = buildRelease({ channel: input.channel, seq, roles, issued, expires: new Date(issued.getTime() + input.expiresInMs), note: input.note, ...(profiles ? { profiles } : {}) });
  const envelope = signRelease(release, input.keys);
  const topic = topics(prefix).release(input.channel);
  if (input.signal?.aborted) throw new AgentError('aborted', 'publish cancelled');
  await publishOrThrow(client, topic, JSON.stringify(envelope));
  return { release, envelope, topic, previousSeq, keptRoles };
}
