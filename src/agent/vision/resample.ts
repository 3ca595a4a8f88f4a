/**
 * A separable resampler that reproduces Pillow's `Image.resize(..., BILINEAR)` on 8-bit RGB bit for bit
 * (Pillow libImaging/Resample.c: triangle filter whose support widens with the downscale factor, 22-bit
 * fixed-point coefficients, horizontal pass first, intermediate rounded and clipped to uint8).
 * The classifier and similarity models were trained on crops made with Pillow (scripts/train/common.py
 * `crop_element`), so their crops are made the same way here; at 64x64 this costs well under a millisecond.
 */

import { WasmCropResampler } from './resample-wasm.js';

const PRECISION_BITS = 32 - 8 - 2;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

interface Coeffs {
  bounds: Int32Array; // per output pixel: [xmin, count]
  kk: Int32Array; // per output pixel: `ksize` fixed-point weights
  ksize: number;
}

function bilinearFilter(x: number): number {
  x = Math.abs(x);
  return x < 1 ? 1 - x : 0;
}

/** Pillow `precompute_coeffs` + `normalize_coeffs_8bpc` for a source span [in0, in1) of `inSize` pixels. */
function precomputeCoeffs(inSize: number, in0: number, in1: number, outSize: number): Coeffs {
  const scale = (in1 - in0) / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const kk = new Int32Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  const pre = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    // C casts (int) truncate toward zero
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bilinearFilter((x + xmin - center + 0.5) * ss);
      pre[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? pre[x]! / ww : 0;
      kk[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * (1 << PRECISION_BITS)) : Math.trunc(0.5 + k * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, kk, ksize };
}

/**
 * Coefficients with the zero-weight taps at either end trimmed (a zero weight adds nothing to Pillow's sum, so
 * the result stays bit-exact) and cached per (inSize, outSize): crops of equal size share one table.
 */
interface Taps {
  /** per output pixel: first source index, tap count, offset into kk */
  start: Int32Array;
  count: Int32Array;
  off: Int32Array;
  kk: Int32Array;
}

function trimmedTaps(c: Coeffs, outSize: number): Taps {
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const off = new Int32Array(outSize);
  const kk: number[] = [];
  for (let xx = 0; xx < outSize; xx++) {
    let lo = 0;
    let hi = c.bounds[xx * 2 + 1]!;
    const base = xx * c.ksize;
    while (lo < hi && c.kk[base + lo] === 0) lo++;
    while (hi > lo && c.kk[base + hi - 1] === 0) hi--;
    start[xx] = c.bounds[xx * 2]! + lo;
    count[xx] = hi - lo;
    off[xx] = kk.length;
    for (let x = lo; x < hi; x++) kk.push(c.kk[base + x]!);
  }
  return { start, count, off, kk: Int32Array.from(kk) };
}

/**
 * Small LRU of coefficient tables; the keys are (inSize, outSize) pairs, bounded so odd sizes cannot pile up.
 * It also owns the scratch buffers of the crops resampled with it, and the WebAssembly SIMD resampler used for
 * RGBA sources (resample-wasm.ts; `{ simd: false }` keeps every crop on the JS path, for comparisons).
 */
export class TapCache {
  private readonly map = new Map<number, Taps>();
  private simd: WasmCropResampler | null | undefined;
  /**
   * the horizontal pass's 8-bit intermediate, one packed R | G<<8 | B<<16 word per pixel, reused by every crop
   * resampled with this cache (never shared across awaits)
   */
  private tmp = new Int32Array(0);
  constructor(
    private readonly capacity = 256,
    opts: { simd?: boolean } = {},
  ) {
    if (opts.simd === false) this.simd = null;
  }

  /** The SIMD resampler (made on first use), or null where WebAssembly SIMD is unavailable or turned off. */
  wasm(): WasmCropResampler | null {
    if (this.simd === undefined) this.simd = WasmCropResampler.create() ?? null;
    return this.simd;
  }

  /** bytes of scratch and WebAssembly memory held */
  heldBytes(): number {
    return this.tmp.byteLength + (this.simd ? this.simd.heldBytes() : 0);
  }

  /** A scratch word buffer of at least `words` (contents undefined). */
  scratch(words: number): Int32Array {
    if (this.tmp.length < words) this.tmp = new Int32Array(Math.max(words, this.tmp.length * 2));
    return this.tmp;
  }

  get(inSize: number, outSize: number): Taps {
    const key = inSize * 65536 + outSize;
    let t = this.map.get(key);
    if (t) {
      this.map.delete(key);
    } else {
      t = trimmedTaps(precomputeCoeffs(inSize, 0, inSize, outSize), outSize);
      if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value!);
    }
    this.map.set(key, t);
    return t;
  }
}

/**
 * resizeBilinearPil (bit-exact with Pillow) fused with normalisation: the crop [sx, sy, sx+sw, sy+sh) of an
 * interleaved 8-bit image is resized to outW x outH and written as three float planes of `out` (plane size
 * outW·outH, starting at `outOffset`) through the per-channel `tables` (`bgr` swaps planes 0 and 2).
 * No intermediate RGB output image: the horizontal pass fills a small buffer of packed words (Pillow's 8-bit
 * intermediate, one 32-bit load per tap in the vertical pass), the vertical pass converts straight into the planes.
 */
export function resampleCropInto(
  src: Uint8Array,
  width: number,
  channels: number,
  sx: number,
  sy: number,
  sw: number,
  sh: number,
  outW: number,
  outH: number,
  out: Float32Array,
  outOffset: number,
  tables: readonly [Float32Array, Float32Array, Float32Array],
  bgr: boolean,
  cache: TapCache,
): void {
  if (channels === 4 && LITTLE_ENDIAN) {
    const simd = cache.wasm();
    if (simd) {
      simd.resample(src, width, sx, sy, sw, sh, outW, outH, out, outOffset, tables, bgr, outW !== sw ? cache.get(sw, outW) : undefined, outH !== sh ? cache.get(sh, outH) : undefined);
      return;
    }
  }
  const plane = outW * outH;
  // plane index for source channel 0 / 2 (BGR models get blue first); tables are per output plane
  const o0 = outOffset + (bgr ? 2 * plane : 0);
  const o1 = outOffset + plane;
  const o2 = outOffset + (bgr ? 0 : 2 * plane);
  const t0 = bgr ? tables[2] : tables[0];
  const t1 = tables[1];
  const t2 = bgr ? tables[0] : tables[2];
  // horizontal pass → tmp (sh rows x outW packed words), or a straight copy of the crop when the width is unchanged
  const tmp = cache.scratch(sh * outW);
  if (outW !== sw && channels === 4 && LITTLE_ENDIAN && src.byteOffset % 4 === 0) horizontalRgba(src, width, sx, sy, sh, outW, tmp, cache.get(sw, outW));
  else if (outW !== sw) horizontalBytes(src, width, channels, sx, sy, sh, outW, tmp, cache.get(sw, outW));
  else {
    for (let y = 0; y < sh; y++) {
      let p = ((sy + y) * width + sx) * channels;
      let o = y * sw;
      for (let x = 0; x < sw; x++, p += channels, o++) tmp[o] = src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16);
    }
  }
  if (outH === sh) {
    for (let i = 0; i < plane; i++) {
      const px = tmp[i]!;
      out[o0 + i] = t0[px & 0xff]!;
      out[o1 + i] = t1[(px >>> 8) & 0xff]!;
      out[o2 + i] = t2[(px >>> 16) & 0xff]!;
    }
    return;
  }
  // vertical pass over the intermediate, normalised into the planes
  const half = 1 << (PRECISION_BITS - 1);
  const v = cache.get(sh, outH);
  const vk = v.kk;
  for (let yy = 0; yy < outH; yy++) {
    const first = v.start[yy]! * outW;
    const kBeg = v.off[yy]!;
    const kEnd = kBeg + v.count[yy]!;
    let i = yy * outW;
    for (let xx = 0; xx < outW; xx++, i++) {
      let s0 = half;
      let s1 = half;
      let s2 = half;
      let p = first + xx;
      for (let k = kBeg; k < kEnd; k++, p += outW) {
        const w = vk[k]!;
        const px = tmp[p]!;
        s0 += (px & 0xff) * w;
        s1 += ((px >>> 8) & 0xff) * w;
        s2 += ((px >>> 16) & 0xff) * w;
      }
      s0 >>= PRECISION_BITS;
      s1 >>= PRECISION_BITS;
      s2 >>= PRECISION_BITS;
      out[o0 + i] = t0[s0 < 0 ? 0 : s0 > 255 ? 255 : s0]!;
      out[o1 + i] = t1[s1 < 0 ? 0 : s1 > 255 ? 255 : s1]!;
      out[o2 + i] = t2[s2 < 0 ? 0 : s2 > 255 ? 255 : s2]!;
    }
  }
}

/**
 * Horizontal pass over an RGBA image (screen captures): one signed 32-bit load per tap instead of three byte
 * loads (signed, so V8 keeps the word a small integer: an unsigned view turns opaque pixels into doubles).
 */
function horizontalRgba(src: Uint8Array, width: number, sx: number, sy: number, sh: number, outW: number, tmp: Int32Array, h: Taps): void {
  const half = 1 << (PRECISION_BITS - 1);
  const hs = h.start;
  const hc = h.count;
  const ho = h.off;
  const hk = h.kk;
  const s32 = new Int32Array(src.buffer, src.byteOffset, src.byteLength >>> 2);
  for (let y = 0; y < sh; y++) {
    const row = (sy + y) * width + sx;
    let o = y * outW;
    for (let xx = 0; xx < outW; xx++, o++) {
      let p = row + hs[xx]!;
      let k = ho[xx]!;
      const kEnd = k + hc[xx]!;
      let s0 = half;
      let s1 = half;
      let s2 = half;
      for (; k < kEnd; k++, p++) {
        const w = hk[k]!;
        const px = s32[p]!;
        s0 += (px & 0xff) * w;
        s1 += ((px >>> 8) & 0xff) * w;
        s2 += ((px >>> 16) & 0xff) * w;
      }
      s0 >>= PRECISION_BITS;
      s1 >>= PRECISION_BITS;
      s2 >>= PRECISION_BITS;
      tmp[o] = (s0 < 0 ? 0 : s0 > 255 ? 255 : s0) | ((s1 < 0 ? 0 : s1 > 255 ? 255 : s1) << 8) | ((s2 < 0 ? 0 : s2 > 255 ? 255 : s2) << 16);
    }
  }
}

/** Horizontal pass over any interleaved 8-bit image (RGB, or RGBA at an odd offset). */
function horizontalBytes(src: Uint8Array, width: number, channels: number, sx: number, sy: number, sh: number, outW: number, tmp: Int32Array, h: Taps): void {
  const half = 1 << (PRECISION_BITS - 1);
  const hs = h.start;
  const hc = h.count;
  const ho = h.off;
  const hk = h.kk;
  for (let y = 0; y < sh; y++) {
    const row = ((sy + y) * width + sx) * channels;
    let o = y * outW;
    for (let xx = 0; xx < outW; xx++, o++) {
      let p = row + hs[xx]! * channels;
      let k = ho[xx]!;
      const kEnd = k + hc[xx]!;
      let s0 = half;
      let s1 = half;
      let s2 = half;
      for (; k < kEnd; k++, p += channels) {
        const w = hk[k]!;
        s0 += src[p]! * w;
        s1 += src[p + 1]! * w;
        s2 += src[p + 2]! * w;
      }
      s0 >>= PRECISION_BITS;
      s1 >>= PRECISION_BITS;
      s2 >>= PRECISION_BITS;
      tmp[o] = (s0 < 0 ? 0 : s0 > 255 ? 255 : s0) | ((s1 < 0 ? 0 : s1 > 255 ? 255 : s1) << 8) | ((s2 < 0 ? 0 : s2 > 255 ? 255 : s2) << 16);
    }
  }
}

function clip8(v: number): number {
  const x = v >> PRECISION_BITS;
  return x < 0 ? 0 : x > 255 ? 255 : x;
}

/**
 * Resizes the rectangle [sx, sy, sx+sw, sy+sh) of an interleaved 8-bit image (`channels` 3 or 4, row stride
 * `width * channels`) to outW x outH RGB (alpha dropped), as Pillow would resize `img.crop(box)`.
 */
export function resizeBilinearPil(
  src: Uint8Array,
  width: number,
  channels: number,
  sx: number,
  sy: number,
  sw: number,
  sh: number,
  outW: number,
  outH: number,
): Uint8Array {
  const half = 1 << (PRECISION_BITS - 1);
  // horizontal pass: sh rows x outW, RGB uint8 (Pillow stores the intermediate as an 8-bit image)
  let tmp: Uint8Array;
  if (outW !== sw) {
    const h = precomputeCoeffs(sw, 0, sw, outW);
    tmp = new Uint8Array(sh * outW * 3);
    for (let y = 0; y < sh; y++) {
      const row = ((sy + y) * width + sx) * channels;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = h.bounds[xx * 2]!;
        const xmax = h.bounds[xx * 2 + 1]!;
        const kOff = xx * h.ksize;
        let s0 = half;
        let s1 = half;
        let s2 = half;
        for (let x = 0; x < xmax; x++) {
          const k = h.kk[kOff + x]!;
          const p = row + (xmin + x) * channels;
          s0 += src[p]! * k;
          s1 += src[p + 1]! * k;
          s2 += src[p + 2]! * k;
        }
        const o = (y * outW + xx) * 3;
        tmp[o] = clip8(s0);
        tmp[o + 1] = clip8(s1);
        tmp[o + 2] = clip8(s2);
      }
    }
  } else {
    tmp = new Uint8Array(sh * sw * 3);
    for (let y = 0; y < sh; y++) {
      for (let x = 0; x < sw; x++) {
        const p = ((sy + y) * width + sx + x) * channels;
        const o = (y * sw + x) * 3;
        tmp[o] = src[p]!;
        tmp[o + 1] = src[p + 1]!;
        tmp[o + 2] = src[p + 2]!;
      }
    }
  }
  if (outH === sh) return tmp;
  // vertical pass over the intermediate
  const v = precomputeCoeffs(sh, 0, sh, outH);
  const out = new Uint8Array(outH * outW * 3);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = v.bounds[yy * 2]!;
    const ymax = v.bounds[yy * 2 + 1]!;
    const kOff = yy * v.ksize;
    for (let xx = 0; xx < outW; xx++) {
      let s0 = half;
      let s1 = half;
      let s2 = half;
      for (let y = 0; y < ymax; y++) {
        const k = v.kk[kOff + y]!;
        const p = ((ymin + y) * outW + xx) * 3;
        s0 += tmp[p]! * k;
        s1 += tmp[p + 1]! * k;
        s2 += tmp[p + 2]! * k;
      }
      const o = (yy * outW + xx) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return out;
}
