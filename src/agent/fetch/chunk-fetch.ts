/**
 * Downloads one model's chunks (DESIGN.md "Wire protocol") into a sealed partial file (blob format v2,
 * src/agent/store/blob-store.ts), then verifies and stores it. HTTPS origins from the signed manifest first
 * (origin-ranges.ts, DESIGN.md "Scale path"), the broker's retained chunks for the rest; every chunk, however
 * it came, takes the same path: checked against the signed manifest (common/release-rules.ts chunkMismatch),
 * sealed, written, hashed in order (in-order-hash.ts), group-committed. A bad chunk is never a fallback
 * reason: it is chunk_hash_mismatch.
 *
 * Subscriptions are the fetch's own (a group on the transport, disposed when it ends). With nothing held yet,
 * one SUBSCRIBE to the chunk wildcard `models/{id}/chunks/+` and the broker streams every retained chunk.
 * Memory stays bounded: each chunk is verified, sealed and written synchronously in the message handler, so
 * MQTT.js reads the socket no faster than we store (TCP back-pressure). Resuming, or after the connection
 * drops, it subscribes to just the chunk topics it still lacks (DESIGN.md resume rule), `window` at a time.
 *
 * Durability is a group commit: after `flushBytes` of new chunks (or `flushMs` of quiet) one fdatasync
 * (on the libuv pool: chunks keep arriving meanwhile) is followed by one registry transaction marking
 * exactly the chunks written before that fsync started, so after kill -9 the bitmap never claims bytes
 * that are not on disk, and a crash costs at most one batch of re-download.
 */
import { createHash } from 'node:crypto';
import { AgentError } from '../../common/errors.js';
import { chunkLength, chunkMismatch } from '../../common/release-rules.js';
import type { Topics } from '../../common/topics.js';
import type { ModelManifest } from '../../common/wire.js';
import type { BlobStore, SealedPartial } from '../store/blob-store.js';
import { hasChunk, type Registry } from '../store/registry.js';
import type { MessageHandler, SubscriptionGroup } from '../transport/mqtt-transport.js';
import { InOrderHash } from './in-order-hash.js';
import type { OriginClient } from './origin-client.js';
import { fetchFromOrigins, type OriginFallback } from './origin-ranges.js';
import type { ChunkFetchResult } from './fetch-result.js';
import { StallWatch, type StallOptions } from './stall-watch.js';
import { fetchPacer } from '../fetch-pacing.js';

export type { OriginFallback } from './origin-ranges.js';
export type { ChunkFetchResult } from './fetch-result.js';

/** Where the fetch holds its own chunk subscriptions (the agent's transport); it disposes them when done. */
export interface ChunkSubscriber {
  group(handler: MessageHandler): SubscriptionGroup;
}

const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export interface ChunkFetchDeps {
  registry: Registry;
  blobs: BlobStore;
  subscriber: ChunkSubscriber;
  topics: Topics;
  /** chunk topics subscribed at once in per-topic mode (resume) */
  window: number;
  now: () => string;
  /** subscribe to the chunk wildcard when nothing is held yet (default true) */
  wildcard?: boolean;
  /** group-commit size and quiet time (defaults 16 MiB, 50 ms) */
  flushBytes?: number;
  flushMs?: number;
  /** bytes of chunks held in memory while they wait for the in-order whole-file hash (default 16 MiB) */
  hashBufferBytes?: number;
  /** broker downloads: re-subscribe with backoff and report when no chunk arrives for stall.stallMs */
  stall?: StallOptions;
  /** called after every durable batch with the count held and the total */
  onProgress?: (have: number, total: number) => void;
  /** HTTPS origins from the signed manifest, tried in order before the broker */
  origin?: {
    urls: readonly string[];
    client: OriginClient;
    /** range requests per origin that may restart after a failure, as long as each one made progress */
    retries?: number;
    /** every origin failed: the rest comes from the broker (report it) */
    onFallback?: (f: OriginFallback) => void;
  };
}

export class ChunkFetch {
  private readonly total: number;
  private readonly size: number;
  private readonly chunkSize: number;
  private readonly inflight = new Set<number>();
  private mode: 'origin' | 'wildcard' | 'window' = 'window';
  private startMode: 'origin' | 'wildcard' | 'window' = 'window';
  private fromOrigin = 0;
  private fellBack = false;
  private signal: AbortSignal | undefined;
  private cursor = 0;
  private have = 0;
  private resumedFrom = 0;
  private received = 0;
  private written = 0;
  private file: SealedPartial | undefined;
  private bitmap: Uint8Array = new Uint8Array();
  /** chunks verified and written (durable or not) */
  private got: Uint8Array = new Uint8Array();
  private gotCount = 0;
  private settle: { resolve: (r: ChunkFetchResult) => void; reject: (e: unknown) => void } | undefined;
  private done = false;
  private succeeded = false;
  /** written to the partial file, not yet fsynced nor marked */
  private pending: number[] = [];
  private pendingBytes = 0;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private syncing: Promise<void> | undefined;
  private flushAgain = false;
  /** whole-file hash, in order */
  private readonly hash: InOrderHash;
  private stall: StallWatch | undefined;
  /** this fetch's own chunk subscriptions (broker mode), disposed when it ends */
  private subs: SubscriptionGroup | undefined;

  constructor(
    readonly manifest: ModelManifest,
    private readonly d: ChunkFetchDeps,
  ) {
    this.total = manifest.chunkSha256.length;
    this.size = manifest.size;
    this.chunkSize = manifest.chunkSize;
    this.hash = new InOrderHash(this.total, d.hashBufferBytes ?? 16 << 20, (i) => this.got[i] === 1, (i) => this.file!.readChunk(i));
  }

  get modelId(): string {
    return this.manifest.sha256;
  }

  private get layout() {
    return { size: this.size, chunkSize: this.chunkSize };
  }

  private lengthOf(index: number): number {
    return chunkLength(this.manifest, index);
  }

  /** The chunk topics of this model, held by this fetch: each message goes to onChunk. */
  private chunkSubs(): SubscriptionGroup {
    this.subs ??= this.d.subscriber.group((topic, payload) => {
      const c = this.d.topics.parseChunkTopic(topic);
      if (c && c.modelId === this.modelId) this.onChunk(c.index, payload);
    });
    return this.subs;
  }

  run(opts: { signal?: AbortSignal } = {}): Promise<ChunkFetchResult> {
    return new Promise<ChunkFetchResult>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.signal = opts.signal;
      if (opts.signal?.aborted) return this.finish(new AgentError('aborted', 'fetch cancelled'));
      opts.signal?.addEventListener('abort', () => this.finish(new AgentError('aborted', 'fetch cancelled')), { once: true });
      try {
        let rec = this.d.registry.beginFetch(this.manifest, this.d.now());
        const opened = this.d.blobs.openSealedPartial(this.modelId, this.layout);
        this.file = opened.file;
        if (opened.fresh && rec.have > 0) {
          // The file was (re)created, so whatever the registry says is held is not on disk.
          this.d.registry.deleteFetch(this.modelId);
          rec = this.d.registry.beginFetch(this.manifest, this.d.now());
        }
        this.bitmap = rec.bitmap;
        this.have = rec.have;
        this.resumedFrom = rec.have;
        this.got = new Uint8Array(this.total);
        for (let i = 0; i < this.total; i++) if (hasChunk(this.bitmap, i)) this.got[i] = 1;
        this.gotCount = rec.have;
      } catch (e) {
        return this.finish(e);
      }
      if (this.have >= this.total) return this.finish();
      if (this.d.origin && this.d.origin.urls.length > 0) {
        this.mode = this.startMode = 'origin';
        void this.fromOrigins(this.d.origin);
      } else this.startBroker();
      this.startMode = this.mode;
    });
  }

  /** Asks the broker for whatever is still missing. */
  private startBroker(): void {
    const so = this.d.stall;
    if (so && !this.stall) {
      this.stall = new StallWatch(so, (attempt, waitedMs) => {
        if (this.done) return;
        this.resubscribe();
        so.onStall({ attempt, waitedMs, have: this.gotCount, total: this.total });
      });
      this.stall.progress();
    }
    if (this.gotCount === 0 && this.d.wildcard !== false) {
      this.mode = 'wildcard';
      this.chunkSubs().add([this.d.topics.chunksWildcard(this.modelId)]);
    } else {
      this.mode = 'window';
      this.cursor = 0;
      this.fill();
    }
  }

  private async fromOrigins(o: NonNullable<ChunkFetchDeps['origin']>): Promise<void> {
    const failures = await fetchFromOrigins(
      {
        total: this.total,
        size: this.size,
        chunkSize: this.chunkSize,
        signal: this.signal,
        done: () => this.done,
        held: (i) => this.got[i] === 1,
        heldCount: () => this.gotCount,
        lengthOf: (i) => this.lengthOf(i),
        onChunk: (i, data) => {
          this.fromOrigin++;
          this.onChunk(i, data);
        },
      },
      o.client,
      o.urls,
      o.retries,
    );
    if (!failures || this.done) return;
    this.fellBack = true;
    const message = `${failures.map((f) => f.message).join('; ')}; fetching the remaining ${this.total - this.gotCount} chunks from the broker`;
    try {
      o.onFallback?.({ failures, chunksFromOrigin: this.fromOrigin, message });
    } catch {
      // reporting must not stop the download
    }
    if (!this.done) this.startBroker();
  }

  /**
   * The broker connection dropped: on reconnect the wildcard would replay every retained chunk, so from
   * now on ask for just the missing chunk topics (DESIGN.md resume rule).
   */
  onConnectionLost(): void {
    if (this.done || this.mode !== 'wildcard') return;
    this.mode = 'window';
    this.chunkSubs().remove([this.d.topics.chunksWildcard(this.modelId)]);
    this.cursor = 0;
    this.fill();
  }

  /** A stall: subscribe again to what is awaited, so the broker delivers its retained chunks anew. */
  private resubscribe(): void {
    const topicList = this.mode === 'wildcard' ? [this.d.topics.chunksWildcard(this.modelId)] : [...this.inflight].map((i) => this.d.topics.chunk(this.modelId, i));
    if (topicList.length === 0) return;
    this.chunkSubs().renew(topicList);
  }

  /** Subscribes to the next missing chunks until `window` are in flight. */
  private fill(): void {
    const add: string[] = [];
    while (this.inflight.size < this.d.window && this.cursor < this.total) {
      const i = this.cursor++;
      if (this.got[i]) continue;
      this.inflight.add(i);
      add.push(this.d.topics.chunk(this.modelId, i));
    }
    if (add.length > 0) this.chunkSubs().add(add);
  }

  /** A chunk message for this model (any index; the ones not asked for are ignored). */
  onChunk(index: number, data: Uint8Array): void {
    if (this.done) return;
    this.received++;
    if (index >= this.total || index < 0) return; // a chunk the manifest does not list: never used
    if (this.got[index]) return; // a duplicate (e.g. redelivered after a reconnect)
    if (this.mode === 'window' && !this.inflight.has(index)) return; // not asked for (a late wildcard delivery)
    const bad = chunkMismatch(this.manifest, index, data, sha256Hex);
    if (bad) return this.finish(bad);
    try {
      this.file!.writeChunk(index, data);
      this.got[index] = 1;
      this.gotCount++;
      this.hash.feed(index, data);
    } catch (e) {
      return this.finish(e);
    }
    this.inflight.delete(index);
    fetchPacer.afterChunk(this.d.subscriber); // the download's share of this thread is bounded (issue 17 §2, fetch-pacing.ts)
    this.stall?.progress();
    this.pending.push(index);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= (this.d.flushBytes ?? 16 << 20) || this.gotCount >= this.total || (this.mode === 'window' && this.inflight.size === 0)) this.flush();
    else if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), this.d.flushMs ?? 50);
    // Refill in half-window batches: one SUBSCRIBE for many topics instead of one per chunk.
    if (!this.done && this.mode === 'window' && this.inflight.size <= this.d.window >> 1) this.fill();
  }

  /** Group commit: fsync the partial file, then mark the batch durable in one transaction. */
  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.done || this.pending.length === 0) return;
    if (this.syncing) {
      this.flushAgain = true; // one fsync at a time; the next one covers everything written meanwhile
      return;
    }
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    let sync: Promise<void>;
    try {
      sync = this.file!.sync();
    } catch (e) {
      return this.finish(e);
    }
    this.syncing = sync;
    sync.then(
      () => {
        this.syncing = undefined;
        if (this.done) return;
        try {
          const r = this.d.registry.markChunksRelaxed(this.modelId, batch, this.d.now());
          this.have = r.have;
        } catch (e) {
          return this.finish(e);
        }
        for (const index of batch) this.bitmap[index >> 3] = (this.bitmap[index >> 3] ?? 0) | (1 << (index & 7));
        this.written += batch.length;
        if (this.mode === 'window') this.subs?.remove(batch.map((i) => this.d.topics.chunk(this.modelId, i)));
        this.d.onProgress?.(this.have, this.total);
        if (this.have >= this.total) return this.finish();
        if (this.pending.length === 0) return;
        if (this.flushAgain || this.pendingBytes >= (this.d.flushBytes ?? 16 << 20) || this.gotCount >= this.total) {
          this.flushAgain = false;
          this.flush();
        } else if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), this.d.flushMs ?? 50);
      },
      (e: unknown) => {
        this.syncing = undefined;
        this.finish(e);
      },
    );
  }

  private finish(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.stall?.stop();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.inflight.clear();
    this.subs?.dispose();
    const settle = () => {
      if (error !== undefined) {
        this.closeFile();
        this.settle?.reject(error);
      } else {
        this.succeeded = true;
        this.settle?.resolve({
          resumedFrom: this.resumedFrom,
          received: this.received,
          written: this.written,
          mode: this.startMode,
          hashReadBack: this.hash.readBack,
          fromOrigin: this.fromOrigin,
          fellBack: this.fellBack,
        });
      }
    };
    // The fd stays open until an fsync still running on it is over.
    if (this.syncing) this.syncing.then(settle, settle);
    else settle();
  }

  private closeFile(): void {
    this.file?.close();
    this.file = undefined;
    this.hash.clear();
  }

  /**
   * After `run()` resolved: finishes the whole-file sha256 (re-reading what was not hashed on the way),
   * checks size and sha256 against the manifest (DESIGN.md "Trust rules"), then makes the sealed file the
   * blob. size_mismatch / sha256_mismatch mean the assembled file is wrong as a whole.
   */
  async commit(opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (!this.succeeded || !this.file) throw new AgentError('internal', 'commit() before a completed fetch');
    try {
      const whole = await this.hash.finish(opts.signal, () => fetchPacer.step()); // a resume's read-back, paced (issue 17 §2)
      if (!whole.complete || whole.bytes !== this.size)
        throw new AgentError('size_mismatch', `assembled model is ${whole.bytes} bytes, the manifest says ${this.size}`, { size: whole.bytes, expected: this.size });
      const digest = whole.sha256;
      if (digest !== this.manifest.sha256) throw new AgentError('sha256_mismatch', `assembled model sha256 is ${digest}, the manifest says ${this.manifest.sha256}`, { sha256: digest });
    } finally {
      this.closeFile();
    }
    await this.d.blobs.commitSealedPartial(this.modelId, this.layout);
  }

  cancel(): void {
    this.finish(new AgentError('aborted', 'fetch cancelled'));
  }
}

