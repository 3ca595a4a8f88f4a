/**
 * A separable resampler that reproduces Pillow's `Image.resize(..., BILINEAR)` on 8-bit RGB bit for bit
 * (Pillow libImaging/Resample.c: triangle filter whose support widens with the downscale factor, 22-bit
 * fixed-point coefficients, horizontal pass first, intermediate rounded and clipped to uint8).
 * The classifier and similarity models were trained on crops made with Pillow (scripts/train/common.py
 * `crop_element`), so their crops are made the same way here; at 64x64 this costs well under a millisecond.
 */

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

/** Small LRU of coefficient tables; the keys are (inSize, outSize) pairs, bounded so odd sizes cannot pile up. */
export class TapCache {
  private readonly map = new Map<number, Taps>();
  /** the horizontal pass's 8-bit intermediate, reused by every crop resampled with this cache (never shared across awaits) */
  private tmp = new Uint8Array(0);
  constructor(private readonly capacity = 256) {}

  /** A scratch byte buffer of at least `bytes` (contents undefined). */
  scratch(bytes: number): Uint8Array {
    if (this.tmp.length < bytes) this.tmp = new Uint8Array(Math.max(bytes, this.tmp.length * 2));
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
 * No intermediate RGB output image: the horizontal pass fills a small uint8 buffer (Pillow's 8-bit
 * intermediate), the vertical pass converts straight into the planes.
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
  const half = 1 << (PRECISION_BITS - 1);
  const plane = outW * outH;
  const t0 = bgr ? tables[2] : tables[0];
  const t1 = tables[1];
  const t2 = bgr ? tables[0] : tables[2];
  // plane index for source channel 0 / 2 (BGR models get blue first)
  const o0 = outOffset + (bgr ? 2 * plane : 0);
  const o1 = outOffset + plane;
  const o2 = outOffset + (bgr ? 0 : 2 * plane);
  // horizontal pass → tmp (sh rows x outW, RGB), or a straight copy of the crop when the width is unchanged
  const tmp = cache.scratch(sh * outW * 3);
  if (outW !== sw && channels === 4 && LITTLE_ENDIAN && src.byteOffset % 4 === 0) {
    // RGBA frames (screen captures): one 32-bit load per tap instead of three byte loads, ~1.5x faster
    const h = cache.get(sw, outW);
    const hs = h.start;
    const hc = h.count;
    const ho = h.off;
    const hk = h.kk;
    const s32 = new Uint32Array(src.buffer, src.byteOffset, src.byteLength >>> 2);
    for (let y = 0; y < sh; y++) {
      const row = (sy + y) * width + sx;
      let o = y * outW * 3;
      for (let xx = 0; xx < outW; xx++, o += 3) {
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
        tmp[o] = s0 < 0 ? 0 : s0 > 255 ? 255 : s0;
        tmp[o + 1] = s1 < 0 ? 0 : s1 > 255 ? 255 : s1;
        tmp[o + 2] = s2 < 0 ? 0 : s2 > 255 ? 255 : s2;
      }
    }
  } else if (outW !== sw) {
    const h = cache.get(sw, outW);
    const hs = h.start;
    const hc = h.count;
    const ho = h.off;
    const hk = h.kk;
    for (let y = 0; y < sh; y++) {
      const row = ((sy + y) * width + sx) * channels;
      let o = y * outW * 3;
      for (let xx = 0; xx < outW; xx++, o += 3) {
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
        tmp[o] = s0 < 0 ? 0 : s0 > 255 ? 255 : s0;
        tmp[o + 1] = s1 < 0 ? 0 : s1 > 255 ? 255 : s1;
        tmp[o + 2] = s2 < 0 ? 0 : s2 > 255 ? 255 : s2;
      }
    }
  } else {
    for (let y = 0; y < sh; y++) {
      let p = ((sy + y) * width + sx) * channels;
      let o = y * sw * 3;
      for (let x = 0; x < sw; x++, p += channels, o += 3) {
        tmp[o] = src[p]!;
        tmp[o + 1] = src[p + 1]!;
        tmp[o + 2] = src[p + 2]!;
      }
    }
  }
  if (outH === sh) {
    for (let i = 0, q = 0; i < plane; i++, q += 3) {
      out[o0 + i] = t0[tmp[q]!]!;
      out[o1 + i] = t1[tmp[q + 1]!]!;
      out[o2 + i] = t2[tmp[q + 2]!]!;
    }
    return;
  }
  // vertical pass over the intermediate, normalised into the planes
  const v = cache.get(sh, outH);
  const rowBytes = outW * 3;
  for (let yy = 0; yy < outH; yy++) {
    const first = v.start[yy]! * rowBytes;
    const kBeg = v.off[yy]!;
    const kEnd = kBeg + v.count[yy]!;
    let i = yy * outW;
    for (let xx = 0; xx < outW; xx++, i++) {
      let s0 = half;
      let s1 = half;
      let s2 = half;
      let p = first + xx * 3;
      for (let k = kBeg; k < kEnd; k++, p += rowBytes) {
        const w = v.kk[k]!;
        s0 += tmp[p]! * w;
        s1 += tmp[p + 1]! * w;
        s2 += tmp[p + 2]! * w;
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
