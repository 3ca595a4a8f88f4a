/**
 * Downloads one model's chunks from their retained topics (DESIGN.md "Wire protocol") into a sealed
 * partial file (blob format v2, src/agent/store/blob-store.ts), and verifies and stores it.
 *
 * Origins first (DESIGN.md "Scale path"). When the signed manifest lists HTTPS origins, the missing
 * chunks are asked for as byte ranges (one streaming GET per run of missing chunks) from the first origin
 * that answers, cut at chunk boundaries and handed to the very same per-chunk path as MQTT chunks
 * (verify, seal, group commit), so resume and durability are identical. An origin that fails (after
 * retrying from where it stopped while it makes progress) is reported and the next one tried; when none
 * is left, the rest comes from the broker's retained chunks. A chunk that fails its sha256 is never a
 * fallback reason: it is chunk_hash_mismatch, whichever way it came.
 *
 * Subscriptions. With nothing held yet, one SUBSCRIBE to the chunk wildcard `models/{id}/chunks/+` and
 * the broker streams every retained chunk: no subscribe round-trips while the bytes flow. Memory stays
 * bounded because every chunk is verified, sealed and written synchronously in the message handler,
 * so MQTT.js reads the socket no faster than we store (TCP back-pressure); nothing queues in JS except
 * the bounded out-of-order buffer of the whole-file hash. Resuming (some chunks held), or after the
 * connection drops, it subscribes to just the chunk topics it still lacks (DESIGN.md: "an agent resumes
 * by subscribing to just the chunk topics it still lacks"), at most `window` at once.
 *
 * Trust (DESIGN.md "Trust rules"): each chunk is checked against its sha256 from the signed manifest and
 * its exact length as it arrives, before it is written. The whole-file sha256 is computed in order while
 * the contiguous prefix grows (chunks arriving ahead of it wait in a bounded buffer or are read back
 * from the sealed file); `commit()` checks size and sha256 before the file becomes a blob.
 *
 * Durability is a group commit: after `flushBytes` of new chunks (or `flushMs` of quiet) one fdatasync
 * (on the libuv pool: chunks keep arriving meanwhile) is followed by one registry transaction marking
 * exactly the chunks written before that fsync started, so after kill -9 the bitmap never claims bytes
 * that are not on disk, and a crash costs at most one batch of re-download.
 */
import { createHash, type Hash } from 'node:crypto';
import { AgentError, toAgentError } from '../../common/errors.js';
import type { Topics } from '../../common/topics.js';
import type { ModelManifest } from '../../common/wire.js';
import type { BlobStore, SealedPartial } from '../store/blob-store.js';
import { hasChunk, type Registry } from '../store/registry.js';
import { redact, type OriginClient } from './origin-client.js';
import { StallWatch, type StallOptions } from './stall-watch.js';
import { fetchPacer } from '../fetch-pacing.js';

export interface ChunkSubscriber {
  subscribe(topics: string[]): void;
  unsubscribe(topics: string[]): void;
}

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

export interface OriginFallback {
  failures: { origin: string; code: string; message: string }[];
  /** chunks the origins delivered before giving up */
  chunksFromOrigin: number;
  message: string;
}

export interface ChunkFetchResult {
  /** chunks already on disk when this fetch (re)started */
  resumedFrom: number;
  /** chunk messages that arrived during this run (including duplicates) */
  received: number;
  /** chunks written during this run */
  written: number;
  /** how the chunks were asked for at the start */
  mode: 'origin' | 'wildcard' | 'window';
  /** chunks that came from an HTTPS origin */
  fromOrigin: number;
  /** the broker's chunks were used after the origins failed */
  fellBack: boolean;
  /** chunks read back from disk for the whole-file hash (0 on an in-order fresh download) */
  hashReadBack: number;
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
  // whole-file hash, in order
  private readonly hash: Hash = createHash('sha256');
  private nextToHash = 0;
  private hashedBytes = 0;
  private hashReadBack = 0;
  private readonly ahead = new Map<number, Uint8Array>();
  private stall: StallWatch | undefined;
  private aheadBytes = 0;

  constructor(
    readonly manifest: ModelManifest,
    private readonly d: ChunkFetchDeps,
  ) {
    this.total = manifest.chunkSha256.length;
    this.size = manifest.size;
    this.chunkSize = manifest.chunkSize;
  }

  get modelId(): string {
    return this.manifest.sha256;
  }

  private get layout() {
    return { size: this.size, chunkSize: this.chunkSize };
  }

  private lengthOf(index: number): number {
    return Math.min(this.chunkSize, this.size - index * this.chunkSize);
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
        void this.fetchFromOrigins(this.d.origin);
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
      this.d.subscriber.subscribe([this.d.topics.chunksWildcard(this.modelId)]);
    } else {
      this.mode = 'window';
      this.cursor = 0;
      this.fill();
    }
  }

  /** First run [from, to) of chunks not held, or undefined when none is missing. */
  private firstMissingRun(): { from: number; to: number } | undefined {
    let from = 0;
    while (from < this.total && this.got[from]) from++;
    if (from >= this.total) return undefined;
    let to = from;
    while (to < this.total && !this.got[to]) to++;
    return { from, to };
  }

  private async fetchFromOrigins(o: NonNullable<ChunkFetchDeps['origin']>): Promise<void> {
    const failures: OriginFallback['failures'] = [];
    for (const url of o.urls) {
      let retries = o.retries ?? 3;
      // one retry without progress: a kept-alive connection the origin closed just as it was reused
      let blindRetry = 1;
      for (;;) {
        if (this.done) return;
        const run = this.firstMissingRun();
        if (!run) return; // everything is here; the last group commit finishes the fetch
        const before = this.gotCount;
        try {
          await this.fetchRange(o.client, url, run.from, run.to);
        } catch (e) {
          if (this.done) return; // the fetch failed or was cancelled on its own account
          const err = toAgentError(e, 'origin_unavailable');
          // resumable by range: a failure after progress restarts from the first missing chunk
          if (this.gotCount > before ? retries-- > 0 : blindRetry-- > 0) continue;
          failures.push({ origin: redact(url), code: err.code, message: err.message });
          break;
        }
      }
    }
    if (this.done || this.gotCount >= this.total) return;
    this.fellBack = true;
    const message = `${failures.map((f) => f.message).join('; ')}; fetching the remaining ${this.total - this.gotCount} chunks from the broker`;
    try {
      o.onFallback?.({ failures, chunksFromOrigin: this.fromOrigin, message });
    } catch {
      // reporting must not stop the download
    }
    if (!this.done) this.startBroker();
  }

  /** One streaming GET of chunks [from, to), cut at chunk boundaries into the per-chunk path. */
  private fetchRange(client: OriginClient, url: string, from: number, to: number): Promise<void> {
    let index = from;
    let buf = Buffer.allocUnsafe(this.lengthOf(index));
    let fill = 0;
    const end = Math.min(to * this.chunkSize, this.size);
    return client.getRange(
      url,
      from * this.chunkSize,
      end,
      (piece) => {
        let off = 0;
        while (off < piece.length) {
          const n = Math.min(buf.length - fill, piece.length - off);
          piece.copy(buf, fill, off, off + n);
          fill += n;
          off += n;
          if (fill === buf.length) {
            const chunk = buf;
            const i = index++;
            if (index < to) buf = Buffer.allocUnsafe(this.lengthOf(index));
            fill = 0;
            this.fromOrigin++;
            this.onChunk(i, chunk);
            if (this.done) return false;
          }
        }
        return true;
      },
      { ...(this.signal ? { signal: this.signal } : {}), totalSize: this.size },
    );
  }

  /**
   * The broker connection dropped: on reconnect the wildcard would replay every retained chunk, so from
   * now on ask for just the missing chunk topics (DESIGN.md resume rule).
   */
  onConnectionLost(): void {
    if (this.done || this.mode !== 'wildcard') return;
    this.mode = 'window';
    this.d.subscriber.unsubscribe([this.d.topics.chunksWildcard(this.modelId)]);
    this.cursor = 0;
    this.fill();
  }

  /** A stall: subscribe again to what is awaited, so the broker delivers its retained chunks anew. */
  private resubscribe(): void {
    const topicList = this.mode === 'wildcard' ? [this.d.topics.chunksWildcard(this.modelId)] : [...this.inflight].map((i) => this.d.topics.chunk(this.modelId, i));
    if (topicList.length === 0) return;
    this.d.subscriber.unsubscribe(topicList);
    this.d.subscriber.subscribe(topicList);
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
    if (add.length > 0) this.d.subscriber.subscribe(add);
  }

  /** A chunk message for this model (any index; the ones not asked for are ignored). */
  onChunk(index: number, data: Uint8Array): void {
    if (this.done) return;
    this.received++;
    if (index >= this.total || index < 0) return; // a chunk the manifest does not list: never used
    if (this.got[index]) return; // a duplicate (e.g. redelivered after a reconnect)
    if (this.mode === 'window' && !this.inflight.has(index)) return; // not asked for (a late wildcard delivery)
    const expected = this.manifest.chunkSha256[index]!;
    const actual = createHash('sha256').update(data).digest('hex');
    if (actual !== expected)
      return this.finish(new AgentError('chunk_hash_mismatch', `chunk ${index} has sha256 ${actual}, the manifest says ${expected}`, { index }));
    if (data.length !== this.lengthOf(index))
      return this.finish(new AgentError('size_mismatch', `chunk ${index} is ${data.length} bytes, the manifest's layout says ${this.lengthOf(index)}`, { index }));
    try {
      this.file!.writeChunk(index, data);
      this.got[index] = 1;
      this.gotCount++;
      this.feedHash(index, data);
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

  /** Whole-file sha256 in order: the next chunk goes straight in; later ones wait (bounded) or are re-read. */
  private feedHash(index: number, data: Uint8Array): void {
    if (index === this.nextToHash) {
      this.hash.update(data);
      this.hashedBytes += data.length;
      this.nextToHash++;
      this.advanceHash();
    } else if (index > this.nextToHash && this.aheadBytes + data.length <= (this.d.hashBufferBytes ?? 16 << 20)) {
      this.ahead.set(index, data);
      this.aheadBytes += data.length;
    } // else: read back from the sealed file when the prefix reaches it
  }

  private advanceHash(signal?: AbortSignal): void {
    while (this.nextToHash < this.total && this.got[this.nextToHash]) {
      if (signal?.aborted) throw new AgentError('aborted', 'model verification cancelled');
      const i = this.nextToHash;
      let piece = this.ahead.get(i);
      if (piece) {
        this.ahead.delete(i);
        this.aheadBytes -= piece.length;
      } else {
        piece = this.file!.readChunk(i); // resumed chunks, or ones that arrived too far ahead
        this.hashReadBack++;
      }
      this.hash.update(piece);
      this.hashedBytes += piece.length;
      this.nextToHash++;
    }
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
        if (this.mode === 'window') this.d.subscriber.unsubscribe(batch.map((i) => this.d.topics.chunk(this.modelId, i)));
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
    const topicList = [...this.inflight].map((i) => this.d.topics.chunk(this.modelId, i));
    if (this.mode === 'wildcard') topicList.push(this.d.topics.chunksWildcard(this.modelId));
    this.inflight.clear();
    if (topicList.length) this.d.subscriber.unsubscribe(topicList);
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
          hashReadBack: this.hashReadBack,
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
    this.ahead.clear();
    this.aheadBytes = 0;
  }

  /**
   * After `run()` resolved: finishes the whole-file sha256 (re-reading what was not hashed on the way),
   * checks size and sha256 against the manifest (DESIGN.md "Trust rules"), then makes the sealed file the
   * blob. size_mismatch / sha256_mismatch mean the assembled file is wrong as a whole.
   */
  async commit(opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (!this.succeeded || !this.file) throw new AgentError('internal', 'commit() before a completed fetch');
    try {
      this.advanceHash(opts.signal);
      if (this.nextToHash !== this.total || this.hashedBytes !== this.size)
        throw new AgentError('size_mismatch', `assembled model is ${this.hashedBytes} bytes, the manifest says ${this.size}`, { size: this.hashedBytes, expected: this.size });
      const digest = this.hash.digest('hex');
      if (digest !== this.manifest.sha256) throw new AgentError('sha256_mismatch', `assembled model sha256 is ${digest}, the manifest says ${this.manifest.sha256}`, { sha256: digest });
    } finally {
      this.closeFile();
    }
    this.d.blobs.commitSealedPartial(this.modelId, this.layout);
  }

  cancel(): void {
    this.finish(new AgentError('aborted', 'fetch cancelled'));
  }
}

