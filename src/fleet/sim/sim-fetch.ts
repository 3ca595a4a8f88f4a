/**
 * The simulated agent's model fetch (issue 6 "Fleet simulator"): the signed manifest from its retained topic,
 * checked with the agent's own rules (common/release-rules.ts), then every chunk — from the manifest's HTTPS
 * origins first, the broker's retained chunks for the rest — checked against the signed manifest as it comes.
 * Each wait holds its own subscription and disposes it; close() of the simulated agent ends every wait.
 */
import { createHash } from 'node:crypto';
import type { Agent as HttpsAgent } from 'node:https';
import { PAYLOAD_TYPE_MODEL } from '../../common/dsse.js';
import { verifyThenParse, type RoleKeys } from '../../common/signed.js';
import { nodeEd25519Verifier } from '../../common/node/ed25519.js';
import { AgentError, type ErrorCode } from '../../common/errors.js';
import { checkManifest, chunkMismatch } from '../../common/release-rules.js';
import type { Topics } from '../../common/topics.js';
import { ModelManifestSchema, type AgentEvent, type ModelManifest, type Role } from '../../common/wire.js';
import { fetchOriginChunks } from './origin-fetch.js';
import { checkVariants, chooseVariant, variantManifest, type VariantContext } from '../../common/variants.js';

const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export interface SimCounters {
  windows: number;
  releasesAccepted: number;
  releasesRejected: number;
  chunksVerified: number;
  bytesFetched: number;
  bytesFromOrigin: number;
  originFallbacks: number;
  activations: number;
}

export interface SimFetchDeps {
  topics: Topics;
  trust: RoleKeys;
  maxModelBytes: number;
  /** false = trust the manifest alone (no chunk bytes) */
  fetchModels: boolean;
  useOrigins: boolean;
  originCa?: string | Buffer;
  originAgent?: HttpsAgent;
  counters: SimCounters;
  event(e: Omit<AgentEvent, 'agentId' | 'ts' | 'seq'>): void;
  /** holds `filter` for `handler` (SUBSCRIBE QoS 1) until the disposer runs; `onError`: the SUBSCRIBE failed */
  subscribe(filter: string, handler: (topic: string, payload: Buffer) => void, onError: (e: Error) => void): () => void;
  /** waits in progress; the simulated agent's close() ends them */
  waits: Set<(err: Error) => void>;
  closed(): boolean;
  /** the variant rule's inputs (issue 21 §1, common/variants.ts); absent: the base file only */
  variants?: Omit<VariantContext, 'failed'> & { chosen: Map<string, string> };
}

/** chunks held so far by one model fetch (origin first, then the broker) */
interface FetchState {
  have: Uint8Array;
  got: number;
  bytes: number;
}

/** Fetches and verifies one model; returns its verified manifest. */
export async function fetchSimModel(d: SimFetchDeps, modelId: string, role: Role): Promise<ModelManifest> {
  d.event({ type: 'download_started', modelId });
  const raw = await receiveOne(d, d.topics.manifest(modelId), 30_000, 'manifest_missing');
  // the one verify-then-parse (src/common/signed.ts), as the agent and the publisher use it
  const manifest = verifyThenParse(raw, PAYLOAD_TYPE_MODEL, d.trust, ModelManifestSchema, nodeEd25519Verifier, 'manifest').value;
  checkManifest(manifest, { modelId, role, maxModelBytes: d.maxModelBytes });
  checkVariants(manifest, d.maxModelBytes);
  // [issue 21 §1] the agent's own choice rule; only the chosen file's chunks are fetched, a failed variant falls back to fp32
  const { variant } = d.variants ? chooseVariant(manifest, d.variants) : { variant: undefined };
  if (variant && d.fetchModels) {
    try {
      await fromBroker(d, variant.sha256, variantManifest(manifest, variant), { have: new Uint8Array(variant.chunkSha256.length), got: 0, bytes: 0 });
      d.variants!.chosen.set(modelId, variant.name);
      d.event({ type: 'model_verified', modelId, details: { variant: variant.name } });
      return manifest;
    } catch (e) {
      const err = e instanceof AgentError ? e : new AgentError('internal', String(e));
      d.event({ type: 'variant_fallback', modelId, reason: err.code, message: err.message, details: { variant: variant.name, sha256: variant.sha256 } });
    }
  } else if (variant) d.variants!.chosen.set(modelId, variant.name);
  if (d.fetchModels) {
    const st: FetchState = { have: new Uint8Array(manifest.chunkSha256.length), got: 0, bytes: 0 };
    if (manifest.origins?.length && d.useOrigins) {
      const failures = await fromOrigins(d, modelId, manifest, st);
      if (st.got < st.have.length) {
        // every origin failed: the broker's retained chunks carry the rest (reported, like the agent does)
        d.counters.originFallbacks++;
        d.event({ type: 'origin_fallback', modelId, reason: 'origin_unavailable', message: failures.join('; ').slice(0, 2000) });
      }
    }
    if (st.got < st.have.length) await fromBroker(d, modelId, manifest, st);
  }
  d.event({ type: 'model_verified', modelId });
  return manifest;
}

/** One chunk in: checked against the signed manifest, counted. */
function take(d: SimFetchDeps, manifest: ModelManifest, st: FetchState, i: number, data: Uint8Array): AgentError | undefined {
  const bad = chunkMismatch(manifest, i, data, sha256Hex);
  if (bad) return bad;
  st.have[i] = 1;
  st.got++;
  st.bytes += data.length;
  d.counters.chunksVerified++;
  d.counters.bytesFetched += data.length;
  return undefined;
}

/**
 * Streams the missing chunks from the manifest's HTTPS origins in order (one range GET each, resumed from the
 * first missing chunk while an origin makes progress). A bad chunk rejects the model. Returns the failures.
 */
async function fromOrigins(d: SimFetchDeps, modelId: string, manifest: ModelManifest, st: FetchState): Promise<string[]> {
  const n = manifest.chunkSha256.length;
  const failures: string[] = [];
  let bad: AgentError | undefined;
  for (const url of manifest.origins ?? []) {
    let retries = 3;
    let blindRetry = 1; // a kept-alive connection the origin closed just as it was reused
    while (st.got < n && !d.closed()) {
      let from = 0;
      while (st.have[from]) from++;
      const before = st.got;
      try {
        await fetchOriginChunks(
          url,
          { start: from * manifest.chunkSize, end: manifest.size, firstIndex: from, chunkSize: manifest.chunkSize },
          (i, data) => {
            if (st.have[i]) return true;
            bad = take(d, manifest, st, i, data);
            if (bad) bad = new AgentError(bad.code, `${bad.message} (model ${modelId} from ${url})`, bad.details);
            else d.counters.bytesFromOrigin += data.length;
            return !bad;
          },
          { ...(d.originCa ? { ca: d.originCa } : {}), ...(d.originAgent ? { agent: d.originAgent } : {}) },
        );
      } catch (e) {
        if (st.got > before ? retries-- > 0 : blindRetry-- > 0) continue;
        failures.push((e as Error).message);
        break;
      }
      if (bad) throw bad;
    }
    if (st.got >= n) break;
  }
  if (bad) throw bad;
  return failures;
}

/** Subscribes to the chunk wildcard and checks each chunk against the signed manifest as it arrives. */
async function fromBroker(d: SimFetchDeps, modelId: string, manifest: ModelManifest, st: FetchState): Promise<void> {
  const n = manifest.chunkSha256.length;
  await new Promise<void>((resolve, reject) => {
    let off: (() => void) | undefined;
    const timer = setTimeout(() => done(new AgentError('timeout', `timed out with ${st.got}/${n} chunks`)), 600_000);
    const done = (err?: Error) => {
      clearTimeout(timer);
      d.waits.delete(done);
      off?.();
      off = undefined;
      if (err) reject(err);
      else resolve();
    };
    d.waits.add(done);
    off = d.subscribe(
      d.topics.chunksWildcard(modelId),
      (topic, payload) => {
        const c = d.topics.parseChunkTopic(topic);
        if (!c || c.modelId !== modelId || st.have[c.index]) return;
        const bad = take(d, manifest, st, c.index, payload);
        if (bad) return done(bad);
        if (st.got === n) done();
      },
      done,
    );
  });
}

/** The first non-empty message on `topic` (a retained one), or `code` after `timeoutMs`. */
function receiveOne(d: SimFetchDeps, topic: string, timeoutMs: number, code: ErrorCode): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let off: (() => void) | undefined;
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const finish = (p: Buffer | undefined, err: Error = new AgentError(code, `nothing on ${topic}`)) => {
      clearTimeout(timer);
      d.waits.delete(cancel);
      off?.();
      off = undefined;
      if (p) resolve(p);
      else reject(err);
    };
    const cancel = (err: Error) => finish(undefined, err);
    d.waits.add(cancel);
    off = d.subscribe(topic, (_t, p) => p.length > 0 && finish(p), cancel);
  });
}
