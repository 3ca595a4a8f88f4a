/**
 * A separable resampler that reproduces Pillow's `Image.resize(..., BILINEAR)` on 8-bit RGB bit for bit
 * (Pillow libImaging/Resample.c: triangle filter whose support widens with the downscale factor, 22-bit
 * fixed-point coefficients, horizontal pass first, intermediate rounded and clipped to uint8).
 * The classifier and similarity models were trained on crops made with Pillow (scripts/train/common.py
 * `crop_element`), so their crops are made the same way here; at 64x64 this costs well under a millisecond.
 */

const PRECISION_BITS = 32 - 8 - 2;

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
