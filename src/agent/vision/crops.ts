/**
 * The crop rule shared by the classifier and the similarity model (docs/MODELS.md; scripts/train/common.py
 * `crop_box` / `crop_element`): grow the element box by max(expand · side, minPad) on each side, per axis,
 * clamp to the image, take integer bounds [floor(x1), ceil(x2)), then stretch to size x size with Pillow's
 * bilinear filter (resample.ts reproduces it bit for bit) and normalise to NCHW float32, each crop resampled
 * straight into its slot of the batch (no intermediate RGB image per crop).
 */
import type { Box } from '../../common/geometry.js';
import type { Preprocess } from '../../common/wire.js';
import { normalisationTables } from './preprocess.js';
import { resampleCropInto, TapCache } from './resample.js';

export interface CropRule {
  expand: number;
  minPad: number;
  size: number;
}

/** Defaults of docs/MODELS.md, used only when a manifest omits `preprocess.crop`. */
export const DEFAULT_CROP_RULE: CropRule = { expand: 0.1, minPad: 4, size: 64 };

/** Integer crop rectangle [x1, y1, x2, y2) in image pixels for an element box in image pixels. */
export function cropRect(box: Box, imgW: number, imgH: number, rule: CropRule): [number, number, number, number] {
  const [x1, y1, x2, y2] = box;
  const px = Math.max(rule.expand * (x2 - x1), rule.minPad);
  const py = Math.max(rule.expand * (y2 - y1), rule.minPad);
  let cx1 = Math.floor(Math.max(0, x1 - px));
  let cy1 = Math.floor(Math.max(0, y1 - py));
  let cx2 = Math.ceil(Math.min(imgW, x2 + px));
  let cy2 = Math.ceil(Math.min(imgH, y2 + py));
  // a box wholly outside the image still yields a 1-pixel crop inside it (never an empty one)
  cx1 = Math.min(Math.max(cx1, 0), imgW - 1);
  cy1 = Math.min(Math.max(cy1, 0), imgH - 1);
  cx2 = Math.max(cx2, cx1 + 1);
  cy2 = Math.max(cy2, cy1 + 1);
  return [cx1, cy1, Math.min(cx2, imgW), Math.min(cy2, imgH)];
}

/** An interleaved 8-bit image (RGB or RGBA). */
export interface PixelImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** The pixels of a captured or decoded frame, as the crop functions take them. */
export function asPixels(f: PixelImage): PixelImage {
  return { data: f.data, width: f.width, height: f.height, channels: f.channels };
}

/** Floats of the [N, 3, S, S] batch cropBatch makes for `n` boxes under `p`. */
export function cropBatchLength(n: number, p: Preprocess): number {
  const S = (p.crop ?? DEFAULT_CROP_RULE).size;
  return n * 3 * S * S;
}

/**
 * Builds one [N, 3, S, S] batch from `boxes` (image pixels) so the model runs ONCE for all crops.
 * `p` gives the normalisation (scale/mean/std/channel order) and `p.crop` the rule. `into` (exactly
 * cropBatchLength floats) is written instead of a new array: every value of it is overwritten.
 */
export function cropBatch(img: PixelImage, boxes: readonly Box[], p: Preprocess, taps: TapCache = new TapCache(), into?: Float32Array): { data: Float32Array; dims: [number, 3, number, number] } {
  const rule = p.crop ?? DEFAULT_CROP_RULE;
  const S = rule.size;
  // crops are square S x S; the manifest's input size (if it differs) is the model's, so trust the crop rule
  const tables = normalisationTables(p);
  const plane = S * S;
  const length = boxes.length * 3 * plane;
  if (into && into.length !== length) throw new RangeError(`cropBatch: into has ${into.length} floats, ${length} needed`);
  const data = into ?? new Float32Array(length);
  const bgr = p.channelOrder === 'BGR';
  boxes.forEach((b, n) => {
    const [x1, y1, x2, y2] = cropRect(b, img.width, img.height, rule);
    resampleCropInto(img.data, img.width, img.channels, x1, y1, x2 - x1, y2 - y1, S, S, data, n * 3 * plane, tables, bgr, taps);
  });
  return { data, dims: [boxes.length, 3, S, S] };
}

/** A whole image (e.g. a template PNG or a single crop) stretched to S x S with no expansion. */
export function wholeImageBatch(img: PixelImage, p: Preprocess, taps: TapCache = new TapCache()): { data: Float32Array; dims: [1, 3, number, number] } {
  const S = (p.crop ?? DEFAULT_CROP_RULE).size;
  const data = new Float32Array(3 * S * S);
  resampleCropInto(img.data, img.width, img.channels, 0, 0, img.width, img.height, S, S, data, 0, normalisationTables(p), p.channelOrder === 'BGR', taps);
  return { data, dims: [1, 3, S, S] };
}
