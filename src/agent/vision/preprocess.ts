/**
 * Detector preprocessing (DESIGN.md "Vision pipeline"): raw frame pixels → RGB (alpha dropped in JS, see
 * rgbaToRgb) → sharp resize (no PNG encode/decode round trip) → letterbox on a pad-valued canvas → per-channel
 * (x / scale − mean) / std → NCHW float32. Every number comes from the model's manifest `preprocess` block
 * (src/common/wire.ts PreprocessSchema). The padding and normalisation happen in one JS pass through per-channel
 * lookup tables, so sharp only resizes; with a PreprocessScratch the big buffers are reused between calls.
 */
import sharp from 'sharp';
import type { Preprocess } from '../../common/wire.js';
import { letterboxTransform, type LetterboxTransform } from './letterbox.js';
import type { Frame } from './types.js';

export interface PreprocessedInput {
  data: Float32Array;
  dims: [1, 3, number, number];
  transform: LetterboxTransform;
}

/** 256-entry table per output channel: byte value → normalised float. */
export function normalisationTables(p: Preprocess): [Float32Array, Float32Array, Float32Array] {
  const tables: Float32Array[] = [];
  for (let c = 0; c < 3; c++) {
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = (v / p.scale - p.mean[c]!) / p.std[c]!;
    tables.push(t);
  }
  return tables as [Float32Array, Float32Array, Float32Array];
}

/**
 * Writes interleaved 8-bit pixels (RGB/RGBA) of size w x h into planar NCHW `out` (3 planes of planeW x planeH)
 * at (left, top), converting through `tables`. `bgr` swaps the first and third source channels.
 */
export function packPlanar(
  src: Uint8Array,
  w: number,
  h: number,
  srcChannels: number,
  out: Float32Array,
  planeW: number,
  planeH: number,
  left: number,
  top: number,
  tables: readonly [Float32Array, Float32Array, Float32Array],
  bgr = false,
  outOffset = 0,
): void {
  const plane = planeW * planeH;
  const [t0, t1, t2] = tables;
  const c0 = bgr ? 2 : 0;
  const c2 = bgr ? 0 : 2;
  for (let y = 0; y < h; y++) {
    let p = y * w * srcChannels;
    let o = outOffset + (y + top) * planeW + left;
    for (let x = 0; x < w; x++, p += srcChannels, o++) {
      out[o] = t0[src[p + c0]!]!;
      out[o + plane] = t1[src[p + 1]!]!;
      out[o + 2 * plane] = t2[src[p + c2]!]!;
    }
  }
}

/**
 * libvips keeps recent operations and their pixels in a cache (up to 50 MB by default); screen frames never
 * repeat, so for the agent process the cache only holds memory. Process-wide, so the composition root calls it.
 */
export function disableSharpCache(): void {
  sharp.cache(false);
}

/** Little-endian check for the 32-bit word tricks below (every platform we ship on is little-endian). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Interleaved RGBA → RGB into `out` (w·h·3 bytes). sharp premultiplies alpha (to float and back) before any
 * resize of an image that has an alpha band, which made a 1920x1080 RGBA resize cost ~18 ms; dropping alpha
 * here (~3 ms, 4 pixels = 3 words per step) and resizing 3 bands costs ~4 ms more. `.removeAlpha()` does not
 * help: sharp applies it after the resize.
 */
export function rgbaToRgb(src: Uint8Array, pixels: number, out: Uint8Array): void {
  let i = 0;
  if (LITTLE_ENDIAN && src.byteOffset % 4 === 0 && out.byteOffset % 4 === 0) {
    const s32 = new Uint32Array(src.buffer, src.byteOffset, pixels);
    const d32 = new Uint32Array(out.buffer, out.byteOffset, (pixels * 3) >>> 2);
    const quads = pixels & ~3;
    let o = 0;
    for (; i < quads; i += 4, o += 3) {
      const a = s32[i]! & 0xffffff;
      const b = s32[i + 1]! & 0xffffff;
      const c = s32[i + 2]! & 0xffffff;
      const d = s32[i + 3]! & 0xffffff;
      d32[o] = a | (b << 24);
      d32[o + 1] = (b >>> 8) | (c << 16);
      d32[o + 2] = (c >>> 16) | (d << 8);
    }
  }
  for (; i < pixels; i++) {
    out[i * 3] = src[i * 4]!;
    out[i * 3 + 1] = src[i * 4 + 1]!;
    out[i * 3 + 2] = src[i * 4 + 2]!;
  }
}

/**
 * Reusable buffers for preprocessing (the RGB copy of a frame, 6 MB at 1080p, and the 4.9 MB float input of a
 * 640x640 detector with its pad already filled), leased per call so concurrent calls never share one. A float
 * buffer that comes back detached (the inference host took it over: `transfer`) is simply dropped.
 */
export class PreprocessScratch {
  private readonly rgb: Uint8Array[] = [];
  private readonly inputs = new Map<string, Float32Array[]>();

  constructor(private readonly keep = 2) {}

  takeRgb(bytes: number): Uint8Array {
    const i = this.rgb.findIndex((b) => b.byteLength === bytes);
    if (i >= 0) return this.rgb.splice(i, 1)[0]!;
    return new Uint8Array(bytes);
  }

  giveRgb(b: Uint8Array): void {
    if (b.byteLength === 0) return;
    this.rgb.unshift(b);
    this.rgb.length = Math.min(this.rgb.length, this.keep);
  }

  /** A float buffer whose pad (everything outside the image rectangle named by `key`) is already filled. */
  takeInput(key: string, length: number): { data: Float32Array; fresh: boolean } {
    const b = this.inputs.get(key)?.pop();
    return b ? { data: b, fresh: false } : { data: new Float32Array(length), fresh: true };
  }

  giveInput(key: string, b: Float32Array): void {
    // detached by a transfer to a worker: its memory is gone
    if (b.buffer.byteLength === 0) return;
    let list = this.inputs.get(key);
    if (!list) {
      // one letterbox geometry at a time per pool is the common case; forget others
      if (this.inputs.size >= this.keep) this.inputs.clear();
      this.inputs.set(key, (list = []));
    }
    if (list.length < this.keep) list.push(b);
  }

  clear(): void {
    this.rgb.length = 0;
    this.inputs.clear();
  }

  /** bytes held for reuse right now */
  heldBytes(): number {
    let n = 0;
    for (const b of this.rgb) n += b.byteLength;
    for (const list of this.inputs.values()) for (const b of list) n += b.byteLength;
    return n;
  }
}

/**
 * Letterboxes `frame` to the detector input described by `p`. With `scratch`, buffers are reused and the result
 * must be handed back with `release()` once the detector has run (a no-op without scratch).
 */
export async function preprocessFrame(frame: Frame, p: Preprocess, tables = normalisationTables(p), scratch?: PreprocessScratch): Promise<PreprocessedInput & { release(): void }> {
  const t = letterboxTransform(frame.width, frame.height, p.inputWidth, p.inputHeight, p.letterbox);
  const pixels = frame.width * frame.height;
  let src: Uint8Array = frame.data;
  let channels: number = frame.channels;
  let rgb: Uint8Array | undefined;
  if (channels === 4) {
    rgb = scratch ? scratch.takeRgb(pixels * 3) : new Uint8Array(pixels * 3);
    rgbaToRgb(frame.data, pixels, rgb);
    src = rgb;
    channels = 3;
  }
  let resized: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    resized = await sharp(src, { raw: { width: frame.width, height: frame.height, channels: channels as 3 | 4 } })
      // 'linear' is the closest sharp kernel to the Pillow BILINEAR (antialiased) the model was trained with
      .resize(t.resizedWidth, t.resizedHeight, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } finally {
    if (rgb && scratch) scratch.giveRgb(rgb);
  }
  const W = p.inputWidth;
  const H = p.inputHeight;
  // the pad value goes through the same normalisation as pixels (PreprocessSchema: "before normalisation")
  const pad = Math.round(p.padValue);
  const key = `${W}x${H}|${t.left},${t.top},${t.resizedWidth}x${t.resizedHeight}|${tables[0][pad]},${tables[1][pad]},${tables[2][pad]}`;
  const lease = scratch ? scratch.takeInput(key, 3 * W * H) : { data: new Float32Array(3 * W * H), fresh: true };
  const data = lease.data;
  if (lease.fresh && (t.resizedWidth < W || t.resizedHeight < H)) {
    // tables are indexed by output channel, and the pad is grey, so channel order does not matter here;
    // a reused buffer keeps its pad (same key = same image rectangle), the image part is overwritten below
    for (let c = 0; c < 3; c++) data.fill(tables[c]![pad]!, c * W * H, (c + 1) * W * H);
  }
  packPlanar(resized.data, resized.info.width, resized.info.height, resized.info.channels, data, W, H, t.left, t.top, tables, p.channelOrder === 'BGR');
  return { data, dims: [1, 3, H, W], transform: t, release: () => scratch?.giveInput(key, data) };
}
