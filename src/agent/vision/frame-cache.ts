/**
 * Frame cache (DESIGN.md "Vision pipeline"): when the screen has not changed since the last call, the last
 * result is reused. A sampled hash (FNV-1a-style mixing of every `stride`-th 32-bit word, plus the size) picks
 * the candidate entry cheaply; a hit is then confirmed by comparing the full pixel buffer with the stored copy
 * (memcmp in native code, ~1 ms for a 1920x1080 RGBA frame), so a change the sample missed — a caret blink
 * between sampled words — can never return a stale result.
 */

export interface FrameCacheStats {
  hits: number;
  misses: number;
  entries: number;
}

interface Entry<T> {
  key: string;
  hash: number;
  pixels: Buffer;
  value: T;
}

/** Sampled 32-bit hash of a pixel buffer; `stride` in 32-bit words (odd, so it walks across columns). */
export function sampledFrameHash(data: Uint8Array, width: number, height: number, stride = 257): number {
  let h = 0x811c9dc5 ^ width ^ (height << 16);
  const words = data.byteLength >>> 2;
  const u32 = data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, words) : null;
  if (u32) {
    for (let i = 0; i < words; i += stride) h = Math.imul(h ^ u32[i]!, 0x01000193);
  } else {
    for (let i = 0; i < words; i += stride) {
      const p = i * 4;
      h = Math.imul(h ^ (data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24)), 0x01000193);
    }
  }
  return h >>> 0;
}

/** Full hash of every byte (for callers that want a content id, e.g. telemetry of a template). */
export function fullFrameHash(data: Uint8Array): number {
  let h = 0x811c9dc5;
  const words = data.byteLength >>> 2;
  if (data.byteOffset % 4 === 0) {
    const u32 = new Uint32Array(data.buffer, data.byteOffset, words);
    for (let i = 0; i < words; i++) h = Math.imul(h ^ u32[i]!, 0x01000193);
  } else {
    for (let i = 0; i < words * 4; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  }
  for (let i = words * 4; i < data.byteLength; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  return h >>> 0;
}

export class FrameCache<T> {
  private readonly entries: Entry<T>[] = [];
  private hits = 0;
  private misses = 0;

  /** `capacity`: entries kept (one per recent source/options key), least recently used evicted. */
  constructor(private readonly capacity = 4) {}

  /**
   * Returns the cached value for `key` if the pixels are identical to those stored with it.
   * `key` names the request (source, options and active model ids) so a model swap or a different
   * region never reuses an old result.
   */
  get(key: string, pixels: Uint8Array, width: number, height: number): { value: T; hash: number } | { value: undefined; hash: number } {
    const hash = sampledFrameHash(pixels, width, height);
    const i = this.entries.findIndex((e) => e.key === key);
    const e = i >= 0 ? this.entries[i] : undefined;
    if (e && e.hash === hash && e.pixels.length === pixels.byteLength && e.pixels.equals(pixels)) {
      this.hits++;
      // move to the front (most recently used)
      this.entries.splice(i, 1);
      this.entries.unshift(e);
      return { value: e.value, hash };
    }
    this.misses++;
    return { value: undefined, hash };
  }

  set(key: string, pixels: Uint8Array, hash: number, value: T): void {
    const i = this.entries.findIndex((e) => e.key === key);
    if (i >= 0) this.entries.splice(i, 1);
    // keep our own copy: capture buffers may be reused by the caller
    this.entries.unshift({ key, hash, pixels: Buffer.from(pixels), value });
    while (this.entries.length > this.capacity) this.entries.pop();
  }

  clear(): void {
    this.entries.length = 0;
  }

  stats(): FrameCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.length };
  }

  /** Returns and zeroes the counters (for a telemetry window). */
  takeCounts(): { hits: number; misses: number } {
    const c = { hits: this.hits, misses: this.misses };
    this.hits = 0;
    this.misses = 0;
    return c;
  }
}
