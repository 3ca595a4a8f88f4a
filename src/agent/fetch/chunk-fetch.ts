/**
 * Downloads one model's chunks from their retained topics (DESIGN.md "Wire protocol": an agent resumes
 * by subscribing to just the chunk topics it still lacks). At most `window` chunk topics are subscribed
 * at once, which bounds memory whatever the model size. Each chunk is checked against its sha256 from
 * the signed manifest as it arrives (DESIGN.md "Trust rules") and written at its offset. Durability is a
 * group commit: after `flushBytes` of new chunks (or `flushMs` of quiet) one fdatasync of the partial file
 * is followed by one registry transaction marking the batch, so after kill -9 the bitmap never claims
 * bytes that are not on disk, and a crash costs at most one batch of re-download. One fsync per chunk
 * made the fetch ~6× slower than a raw transfer (docs/BENCHMARKS.md).
 */
import { createHash } from 'node:crypto';
import { AgentError } from '../../common/errors.js';
import type { Topics } from '../../common/topics.js';
import type { ModelManifest } from '../../common/wire.js';
import type { BlobStore, PartialFile } from '../store/blob-store.js';
import { hasChunk, type Registry } from '../store/registry.js';

export interface ChunkSubscriber {
  subscribe(topics: string[]): void;
  unsubscribe(topics: string[]): void;
}

export interface ChunkFetchDeps {
  registry: Registry;
  blobs: BlobStore;
  subscriber: ChunkSubscriber;
  topics: Topics;
  window: number;
  now: () => string;
  /** group-commit size and quiet time (defaults 4 MiB, 50 ms) */
  flushBytes?: number;
  flushMs?: number;
  /** called after every durable chunk with the count held and the total */
  onProgress?: (have: number, total: number) => void;
}

export interface ChunkFetchResult {
  /** chunks already on disk when this fetch (re)started */
  resumedFrom: number;
  /** chunk messages that arrived during this run (including duplicates) */
  received: number;
  /** chunks written during this run */
  written: number;
}

export class ChunkFetch {
  private readonly total: number;
  private readonly inflight = new Set<number>();
  private cursor = 0;
  private have = 0;
  private resumedFrom = 0;
  private received = 0;
  private written = 0;
  private file: PartialFile | undefined;
  private bitmap: Uint8Array = new Uint8Array();
  private settle: { resolve: (r: ChunkFetchResult) => void; reject: (e: unknown) => void } | undefined;
  private done = false;
  /** written to the partial file, not yet fsynced nor marked */
  private pending: number[] = [];
  private pendingBytes = 0;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly manifest: ModelManifest,
    private readonly d: ChunkFetchDeps,
  ) {
    this.total = manifest.chunkSha256.length;
  }

  get modelId(): string {
    return this.manifest.sha256;
  }

  run(opts: { signal?: AbortSignal } = {}): Promise<ChunkFetchResult> {
    return new Promise<ChunkFetchResult>((resolve, reject) => {
      this.settle = { resolve, reject };
      if (opts.signal?.aborted) return this.finish(new AgentError('aborted', 'fetch cancelled'));
      opts.signal?.addEventListener('abort', () => this.finish(new AgentError('aborted', 'fetch cancelled')), { once: true });
      const rec = this.d.registry.beginFetch(this.manifest, this.d.now());
      this.bitmap = rec.bitmap;
      this.have = rec.have;
      this.resumedFrom = rec.have;
      this.file = this.d.blobs.openPartial(this.modelId);
      if (this.have >= this.total) return this.finish();
      this.fill();
    });
  }

  /** Subscribes to the next missing chunks until `window` are in flight. */
  private fill(): void {
    const add: string[] = [];
    while (this.inflight.size < this.d.window && this.cursor < this.total) {
      const i = this.cursor++;
      if (hasChunk(this.bitmap, i)) continue;
      this.inflight.add(i);
      add.push(this.d.topics.chunk(this.modelId, i));
    }
    if (add.length > 0) this.d.subscriber.subscribe(add);
  }

  /** A chunk message for this model (any index; the ones not asked for are ignored). */
  onChunk(index: number, data: Uint8Array): void {
    if (this.done) return;
    this.received++;
    if (index >= this.total) return; // a chunk the manifest does not list: never subscribed, never used
    if (!this.inflight.has(index)) return; // a duplicate (e.g. redelivered after a reconnect)
    const expected = this.manifest.chunkSha256[index]!;
    const actual = createHash('sha256').update(data).digest('hex');
    if (actual !== expected)
      return this.finish(new AgentError('chunk_hash_mismatch', `chunk ${index} has sha256 ${actual}, the manifest says ${expected}`, { index }));
    const last = index === this.total - 1;
    if ((!last && data.length !== this.manifest.chunkSize) || data.length > this.manifest.chunkSize)
      return this.finish(new AgentError('size_mismatch', `chunk ${index} is ${data.length} bytes, the chunk size is ${this.manifest.chunkSize}`, { index }));
    try {
      this.file!.writeChunk(index * this.manifest.chunkSize, data);
    } catch (e) {
      return this.finish(e);
    }
    this.inflight.delete(index);
    this.pending.push(index);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= (this.d.flushBytes ?? 4 << 20) || this.inflight.size === 0) this.flush();
    else if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), this.d.flushMs ?? 50);
    // Refill in half-window batches: one SUBSCRIBE for many topics instead of one per chunk.
    if (!this.done && this.inflight.size <= this.d.window >> 1) this.fill();
  }

  /** Group commit: fsync the partial file, then mark the batch durable in one transaction. */
  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.done || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      this.file!.sync();
      const r = this.d.registry.markChunks(this.modelId, batch, this.d.now());
      this.have = r.have;
    } catch (e) {
      return this.finish(e);
    }
    for (const index of batch) this.bitmap[index >> 3] = (this.bitmap[index >> 3] ?? 0) | (1 << (index & 7));
    this.written += batch.length;
    this.d.subscriber.unsubscribe(batch.map((i) => this.d.topics.chunk(this.modelId, i)));
    this.d.onProgress?.(this.have, this.total);
    if (this.have >= this.total) return this.finish();
  }

  private finish(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const topicList = [...this.inflight].map((i) => this.d.topics.chunk(this.modelId, i));
    this.inflight.clear();
    if (topicList.length) this.d.subscriber.unsubscribe(topicList);
    this.file?.close();
    this.file = undefined;
    if (error !== undefined) this.settle?.reject(error);
    else this.settle?.resolve({ resumedFrom: this.resumedFrom, received: this.received, written: this.written });
  }

  cancel(): void {
    this.finish(new AgentError('aborted', 'fetch cancelled'));
  }
}
