/**
 * Release → manifest → chunks (DESIGN.md "Trust rules"): the signed manifest (or the one a resumed fetch
 * kept) and its checks (common/release-rules.ts), the chunks — from the manifest's HTTPS origins first, the
 * broker's retained chunks as fallback — each verified and sealed as it arrives, then the whole-file size +
 * sha256 before the file becomes a blob. Used for a role's own model and for a shadow candidate alike.
 * Also what the store keeps (keepVersions, the active and the pending models) and what it drops.
 * The manifest wait and the chunk fetch hold their own subscriptions on the transport and dispose them.
 */
import { AgentError, toAgentError } from '../common/errors.js';
import { checkManifest, modelsNamed } from '../common/release-rules.js';
import type { Topics } from '../common/topics.js';
import type { ModelManifest, Release, Role } from '../common/wire.js';
import type { AgentReporter } from './agent-status.js';
import type { AlertBoard } from './alerts.js';
import type { AgentConfig } from './config.js';
import { ChunkFetch, type ChunkFetchResult, type ChunkSubscriber, type OriginFallback } from './fetch/chunk-fetch.js';
import { createOriginClient } from './fetch/origin-client.js';
import { fetchProgressReporter } from './fetch/progress.js';
import type { Clock, Logger, Timers } from './runtime.js';
import type { BlobStore } from './store/blob-store.js';
import type { Registry } from './store/registry.js';
import type { MessageHandler } from './transport/mqtt-transport.js';
import type { EnvelopeVerifier } from './trust/trust-store.js';
import { variantRecord } from './role-status.js';
import { waitForManifest } from './wait.js';

/** The transport as downloads use it: owned subscriptions only. */
export interface DownloadTransport extends ChunkSubscriber {
  subscribe(filter: string, handler: MessageHandler): () => void;
}

export interface DownloadDeps {
  config: AgentConfig;
  topics: Topics;
  registry: Registry;
  blobs: BlobStore;
  transport: DownloadTransport;
  verifier: EnvelopeVerifier;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  alerts: AlertBoard;
  report: AgentReporter;
}

export interface DownloadHooks {
  shadow?: boolean;
  onProgress?: (p: number) => void;
  /** all chunks are held; the whole-file check comes next */
  onFetched?: () => void;
  /** the verified manifest when the caller holds it already (a variant's, derived from its signed base: variant-serving.ts) */
  manifest?: ModelManifest;
}

export class Downloads {
  /** fetches running now: a dropped connection switches them to per-topic resume */
  private readonly running = new Set<ChunkFetch>();
  /** shadow candidates kept in the store while the service runs them */
  private readonly shadowKeep = new Set<string>();
  /** one download per model at a time: a model has one partial file and one fetch record */
  private readonly inFlight = new Map<string, Promise<ModelManifest>>();

  constructor(private readonly d: DownloadDeps) {}

  /**
   * Downloads, verifies and stores one model; returns the stored manifest. A second caller for a model being
   * downloaded (a shadow candidate asked for twice, say) waits for that download and takes the stored model.
   */
  async download(role: Role, modelId: string, signal: AbortSignal, o: DownloadHooks = {}): Promise<ModelManifest> {
    for (let running = this.inFlight.get(modelId); running; running = this.inFlight.get(modelId)) {
      await untilSettledOrAborted(running, signal);
      const stored = this.d.registry.getModel(modelId);
      if (stored && this.d.blobs.hasBlob(modelId)) {
        checkManifest(stored.manifest, { modelId, role, maxModelBytes: this.d.config.limits.maxModelBytes });
        return stored.manifest;
      }
    }
    const run = this.downloadNow(role, modelId, signal, o);
    this.inFlight.set(modelId, run);
    try {
      return await run;
    } finally {
      if (this.inFlight.get(modelId) === run) this.inFlight.delete(modelId);
    }
  }

  private async downloadNow(role: Role, modelId: string, signal: AbortSignal, o: DownloadHooks): Promise<ModelManifest> {
    const { config, registry, report } = this.d;
    const resumed = registry.getFetch(modelId);
    const manifest = resumed && resumed.role === role ? resumed.manifest : (o.manifest ?? (await this.fetchManifest(modelId, signal)));
    checkManifest(manifest, { modelId, role, maxModelBytes: config.limits.maxModelBytes });
    const origins = manifest.origins?.length ? createOriginClient({ ...(config.fetch.originCa ? { caFile: config.fetch.originCa } : {}), idleMs: config.fetch.originIdleMs }) : undefined;
    const shadow = o.shadow ? { shadow: true } : {};
    const fetch = new ChunkFetch(manifest, {
      registry,
      blobs: this.d.blobs,
      subscriber: this.d.transport,
      topics: this.d.topics,
      // bounded in topics and in bytes: window × chunkSize stays ≤ windowBytes (at least one chunk)
      window: Math.max(1, Math.min(config.fetch.window, Math.floor(config.fetch.windowBytes / manifest.chunkSize))),
      stall: { stallMs: config.fetch.stallMs, onStall: (st) => this.stalled(role, modelId, st) },
      now: () => report.nowIso(),
      ...(o.onProgress ? { onProgress: fetchProgressReporter(manifest.chunkSha256.length, () => this.d.clock.now(), o.onProgress) } : {}),
      // DESIGN.md "Scale path": the signed manifest's HTTPS origins first, the broker's chunks as fallback
      ...(origins && manifest.origins
        ? {
            origin: {
              urls: manifest.origins,
              client: origins,
              onFallback: (f: OriginFallback) =>
                report.emit({ type: 'origin_fallback', role, modelId, reason: 'origin_unavailable', message: f.message, details: { ...shadow, failures: f.failures, chunksFromOrigin: f.chunksFromOrigin } }),
            },
          }
        : {}),
    });
    const before = registry.getFetch(modelId);
    report.emit({
      type: 'download_started',
      role,
      modelId,
      details: { ...shadow, chunks: manifest.chunkSha256.length, have: before?.have ?? 0, size: manifest.size, name: manifest.name, version: manifest.version },
    });
    this.running.add(fetch);
    let result: ChunkFetchResult;
    try {
      result = await fetch.run({ signal });
    } finally {
      this.running.delete(fetch);
      if (this.d.alerts.clear('fetch_stalled', role)) report.changed();
      origins?.close();
    }
    o.onFetched?.();
    try {
      await fetch.commit({ signal }); // whole-file size + sha256, then the sealed partial becomes the blob
    } catch (e) {
      const err = toAgentError(e);
      // The assembled file is wrong as a whole: nothing of it can be reused.
      if (err.code === 'size_mismatch' || err.code === 'sha256_mismatch') this.discardFetch(modelId);
      throw err;
    }
    registry.putModel(manifest, report.nowIso());
    const rec = registry.getFetch(modelId);
    this.discardFetch(modelId);
    report.emit({
      type: 'model_verified',
      role,
      modelId,
      details: { ...shadow, ...result, chunks: manifest.chunkSha256.length, chunksWrittenTotal: rec?.chunksWritten ?? result.written, size: manifest.size },
    });
    return manifest;
  }

  /** A model's verified manifest without its bytes (the variant choice reads its `variants`): a resumed fetch's, else the retained one. */
  async verifiedManifest(role: Role, modelId: string, signal: AbortSignal): Promise<ModelManifest> {
    const resumed = this.d.registry.getFetch(modelId);
    const manifest = resumed && resumed.role === role ? resumed.manifest : await this.fetchManifest(modelId, signal);
    checkManifest(manifest, { modelId, role, maxModelBytes: this.d.config.limits.maxModelBytes });
    return manifest;
  }

  /** Transport input: the broker connection dropped (a wildcard fetch would be replayed whole on reconnect). */
  connectionLost(): void {
    for (const f of this.running) f.onConnectionLost();
  }

  /** Subscribes to the retained manifest (its own subscription) and verifies it (size bound, DSSE, zod). */
  private fetchManifest(modelId: string, signal: AbortSignal): Promise<ModelManifest> {
    return waitForManifest<ModelManifest>({
      modelId,
      topic: this.d.topics.manifest(modelId),
      signal,
      timers: this.d.timers,
      timeoutMs: this.d.config.timeouts.manifestMs,
      subscribe: (topic, handler) => this.d.transport.subscribe(topic, handler),
      verify: (raw) => this.d.verifier.verifyManifest(raw, this.d.config.limits.maxManifestBytes).value,
    });
  }

  /** A download got no chunk for a while and re-subscribed: event each time (backoff bounds them), alert until it ends. */
  private stalled(role: Role, modelId: string, st: { attempt: number; waitedMs: number; have: number; total: number }): void {
    const message = `no chunk of ${modelId.slice(0, 12)} for ${st.waitedMs} ms (${st.have}/${st.total} held); re-subscribed (try ${st.attempt})`;
    this.d.alerts.raise('fetch_stalled', message, role);
    this.d.report.emit({ type: 'fetch_stalled', role, modelId, reason: 'fetch_stalled', message, details: st });
  }

  // --- what the store keeps ---------------------------------------------------------------------------

  /** The release's modelId a stored or fetched file serves (a variant's base; variant-serving.ts keeps the record). */
  private baseOf(modelId: string): string {
    return variantRecord(this.d.registry, modelId)?.baseModelId ?? modelId;
  }

  discardFetch(modelId: string): void {
    this.d.registry.deleteFetch(modelId);
    this.d.blobs.removePartial(modelId);
  }

  /** Downloads no role of `release` wants any more are dropped with their partial files (`busy`: models jobs still run for). */
  dropUnnamed(release: Release, busy: ReadonlySet<string>): void {
    const wanted = modelsNamed(release);
    for (const f of this.d.registry.listFetches()) if (!wanted.has(this.baseOf(f.modelId)) && !busy.has(this.baseOf(f.modelId))) this.discardFetch(f.modelId);
  }

  /** A superseded download whose model the accepted release no longer names (nor another job) is dropped. */
  dropIfUnwanted(modelId: string, busy: ReadonlySet<string>): void {
    const release = this.d.registry.getAcceptedRelease(this.d.config.channel)?.release;
    const fetching = [modelId, ...this.d.registry.listFetches().map((f) => f.modelId).filter((id) => id !== modelId && this.baseOf(id) === modelId)];
    if ((release && modelsNamed(release).has(modelId)) || busy.has(modelId)) return;
    for (const id of fetching) this.discardFetch(id);
  }

  /** Keeps the last `keepVersions` models per role (the active one always), for instant rollback; `busy`: models jobs need. */
  collectGarbage(role: Role, busy: ReadonlySet<string>): void {
    const { registry, blobs } = this.d;
    const row = registry.getRole(role);
    const models = registry.listModels(role);
    const keep = new Set<string>();
    if (row?.activeModelId) keep.add(row.activeModelId);
    for (const m of models) {
      if (keep.size >= this.d.config.keepVersions) break;
      if (m.lastActiveAt) keep.add(m.modelId);
    }
    for (const id of busy) keep.add(id);
    // a job's model is kept in whichever file serves it (a variant's, issue 21 §1)
    for (const m of models) if (busy.has(this.baseOf(m.modelId))) keep.add(m.modelId);
    for (const id of this.shadowKeep) keep.add(id);
    for (const m of models) {
      if (keep.has(m.modelId)) continue;
      registry.deleteModel(m.modelId);
      blobs.removeBlob(m.modelId);
      this.d.logger.info('model removed from store', { role, modelId: m.modelId });
    }
  }

  // --- shadow candidates ------------------------------------------------------------------------------

  /**
   * A shadow candidate (release `shadow: true`): fetched and verified over the same trust path as every model,
   * kept in the store, never put in the role's active slot. Returns the manifest and the decrypted bytes.
   */
  async fetchShadowModel(role: Role, modelId: string, signal: AbortSignal): Promise<{ manifest: ModelManifest; bytes: Uint8Array }> {
    const { registry, blobs } = this.d;
    this.shadowKeep.add(modelId);
    let stored = registry.getModel(modelId);
    if (!stored || !blobs.hasBlob(modelId)) {
      try {
        await this.download(role, modelId, signal, { shadow: true });
      } catch (e) {
        const err = toAgentError(e);
        if (err.code !== 'aborted') this.d.report.emit({ type: 'model_rejected', role, modelId, reason: err.code, message: `shadow candidate: ${err.message}`, details: { shadow: true } });
        throw err;
      }
      stored = registry.getModel(modelId);
    }
    if (!stored) throw new AgentError('not_found', `shadow model ${modelId} is not in the store`);
    if (stored.role !== role) throw new AgentError('model_role_mismatch', `model ${modelId} is a ${stored.role}, the release names it as ${role}`);
    return { manifest: stored.manifest, bytes: await blobs.read(modelId) };
  }

  /** The service no longer runs this shadow model: the store may drop it again. */
  releaseShadowModel(modelId: string): void {
    this.shadowKeep.delete(modelId);
  }
}

/** Waits for `p` to settle (either way); rejects `aborted` at once when `signal` aborts first. */
function untilSettledOrAborted(p: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new AgentError('aborted', 'superseded'));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(new AgentError('aborted', 'superseded'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
