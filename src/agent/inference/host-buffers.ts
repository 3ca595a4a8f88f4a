/**
 * How the host hands bytes to session workers without stalling its event loop: model bytes copied into
 * shared memory in slices, big run inputs lent in pooled, transferred ArrayBuffers (DESIGN.md "Inference host").
 */
import type { Feeds } from './worker-messages.js';

/** Inputs at least this big cross in a pooled, transferred ArrayBuffer instead of a structured-clone copy. */
const LENT_INPUT_MIN_BYTES = 16 * 1024;
const POOL_MAX_BYTES = 64 << 20;

/**
 * Reusable ArrayBuffers for run inputs. Posting a big typed array structured-clones it (an allocation
 * and a copy on each side, and GC pressure); instead the input is copied once into a pooled buffer,
 * which is transferred to the worker (no copy), used there directly as the tensor's memory, and
 * transferred back with the result for the next run.
 */
export class InputPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private bytes = 0;
  take(size: number): ArrayBuffer {
    const sab = this.free.get(size)?.pop();
    if (sab) {
      this.bytes -= size;
      return sab;
    }
    return new ArrayBuffer(size);
  }
  give(buf: ArrayBuffer): void {
    if (buf.byteLength === 0 || this.bytes + buf.byteLength > POOL_MAX_BYTES) return; // 0: detached
    let list = this.free.get(buf.byteLength);
    if (!list) this.free.set(buf.byteLength, (list = []));
    list.push(buf);
    this.bytes += buf.byteLength;
  }
}

/**
 * The feeds as they are posted: with `transfer` the caller's own buffers go (no copy at all); otherwise
 * each big input is copied into a pooled buffer that is lent (transferred) and comes back with the result.
 */
export function lendFeeds(pool: InputPool, feeds: Feeds, transferOwn: boolean): { sent: Feeds; transfer: ArrayBuffer[]; lent: boolean } {
  const transfer: ArrayBuffer[] = [];
  let sent: Feeds = feeds;
  let lent = false;
  if (transferOwn) {
    for (const t of Object.values(feeds)) if (t.data.buffer instanceof ArrayBuffer && !transfer.includes(t.data.buffer)) transfer.push(t.data.buffer);
    return { sent, transfer, lent };
  }
  for (const [name, t] of Object.entries(feeds)) {
    const d = t.data;
    if (!(d.buffer instanceof ArrayBuffer) || d.byteLength < LENT_INPUT_MIN_BYTES) continue; // shared, or cheap to clone
    const buf = pool.take(d.byteLength);
    new Uint8Array(buf).set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    const Ctor = d.constructor as new (b: ArrayBuffer, o: number, n: number) => typeof d;
    if (sent === feeds) sent = { ...feeds };
    sent[name] = { type: t.type, data: new Ctor(buf, 0, d.length), dims: t.dims };
    transfer.push(buf);
    lent = true;
  }
  return { sent, transfer, lent };
}

// 1 MiB slices: a first-touch copy of fresh shared pages costs up to a few ms per MiB on a busy machine
const COPY_CHUNK = 1 << 20;

/**
 * Copies the caller's bytes into memory the host owns, in slices so the event loop keeps turning: shared with
 * worker threads, or a plain ArrayBuffer for session processes (sent over their channel as it is; a
 * SharedArrayBuffer would need one more full copy there).
 */
export async function copyToShared(src: Uint8Array, signal?: AbortSignal): Promise<SharedArrayBuffer>;
export async function copyToShared(src: Uint8Array, signal: AbortSignal | undefined, kind: 'plain'): Promise<ArrayBuffer>;
export async function copyToShared(src: Uint8Array, signal?: AbortSignal, kind: 'shared' | 'plain' = 'shared'): Promise<SharedArrayBuffer | ArrayBuffer> {
  const buf = kind === 'shared' ? new SharedArrayBuffer(src.byteLength) : new ArrayBuffer(src.byteLength);
  const dst = new Uint8Array(buf);
  for (let off = 0; off < src.byteLength; off += COPY_CHUNK) {
    signal?.throwIfAborted();
    dst.set(src.subarray(off, off + COPY_CHUNK), off);
    if (off + COPY_CHUNK < src.byteLength) await new Promise<void>((r) => setImmediate(r));
  }
  return buf;
}
