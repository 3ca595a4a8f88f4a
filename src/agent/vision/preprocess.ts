/**
 * Detector preprocessing (DESIGN.md "Vision pipeline"): raw frame pixels → sharp resize (no PNG encode/decode
 * round trip) → letterbox on a pad-valued canvas → per-channel (x / scale − mean) / std → NCHW float32.
 * Every number comes from the model's manifest `preprocess` block (src/common/wire.ts PreprocessSchema).
 * The padding and normalisation happen in one JS pass through per-channel lookup tables, so sharp only
 * resizes and drops alpha.
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

/** Letterboxes `frame` to the detector input described by `p`. */
export async function preprocessFrame(frame: Frame, p: Preprocess, tables = normalisationTables(p)): Promise<PreprocessedInput> {
  const t = letterboxTransform(frame.width, frame.height, p.inputWidth, p.inputHeight, p.letterbox);
  const resized = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: frame.channels } })
    // 'linear' is the closest sharp kernel to the Pillow BILINEAR (antialiased) the model was trained with
    .resize(t.resizedWidth, t.resizedHeight, { fit: 'fill', kernel: 'linear' })
    // alpha is skipped by packPlanar, cheaper than a removeAlpha step inside libvips
    .raw()
    .toBuffer({ resolveWithObject: true });
  const W = p.inputWidth;
  const H = p.inputHeight;
  const data = new Float32Array(3 * W * H);
  if (t.resizedWidth < W || t.resizedHeight < H) {
    // the pad value goes through the same normalisation as pixels (PreprocessSchema: "before normalisation")
    const pad = Math.round(p.padValue);
    // tables are indexed by output channel, and the pad is grey, so channel order does not matter here
    for (let c = 0; c < 3; c++) data.fill(tables[c]![pad]!, c * W * H, (c + 1) * W * H);
  }
  packPlanar(resized.data, resized.info.width, resized.info.height, resized.info.channels, data, W, H, t.left, t.top, tables, p.channelOrder === 'BGR');
  return { data, dims: [1, 3, H, W], transform: t };
}
