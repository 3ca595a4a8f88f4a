/**
 * The crop rule shared by the classifier and the similarity model (docs/MODELS.md; scripts/train/common.py
 * `crop_box` / `crop_element`): grow the element box by max(expand · side, minPad) on each side, per axis,
 * clamp to the image, take integer bounds [floor(x1), ceil(x2)), then stretch to size x size with Pillow's
 * bilinear filter (resample.ts reproduces it bit for bit) and normalise to NCHW float32, each crop resampled
 * straight into its slot of the batch (no intermediate RGB image per crop). A model with several views
 * (`preprocess.crop.views`) gets each element cut once per view, stacked along the channels.
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

/**
 * The crop rules of the model's views, in channel order (docs/MODELS.md "Crop rule"): `p.crop.views` when the
 * manifest has them (view k fills channels 3k..3k+2, every view at size S), else the one rule. Never empty.
 */
export function cropViews(p: Preprocess): CropRule[] {
  const rule = p.crop ?? DEFAULT_CROP_RULE;
  return p.crop?.views ? p.crop.views.map((v) => ({ expand: v.expand, minPad: v.minPad, size: rule.size })) : [rule];
}

/**
 * Margin [px, py] (whole pixels, one spare) a captured region needs around a w x h element so that every view's
 * crop lies inside it: the largest view's pad per axis.
 */
export function cropMargin(w: number, h: number, p: Preprocess): [number, number] {
  let px = 0;
  let py = 0;
  for (const r of cropViews(p)) {
    px = Math.max(px, Math.ceil(Math.max(r.expand * w, r.minPad)) + 1);
    py = Math.max(py, Math.ceil(Math.max(r.expand * h, r.minPad)) + 1);
  }
  return [px, py];
}

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

/** Floats of the [N, 3·V, S, S] batch cropBatch makes for `n` boxes under `p` (V views, 1 without `views`). */
export function cropBatchLength(n: number, p: Preprocess): number {
  const S = (p.crop ?? DEFAULT_CROP_RULE).size;
  return n * 3 * cropViews(p).length * S * S;
}

/**
 * Builds one [N, 3·V, S, S] batch from `boxes` (image pixels) so the model runs ONCE for all crops: box n's
 * crop under view k's rule in channels 3k..3k+2 (V = 1, i.e. [N, 3, S, S], without `p.crop.views`).
 * `p` gives the normalisation (scale/mean/std/channel order) and `p.crop` the rule(s). `into` (exactly
 * cropBatchLength floats) is written instead of a new array: every value of it is overwritten.
 */
export function cropBatch(img: PixelImage, boxes: readonly Box[], p: Preprocess, taps: TapCache = new TapCache(), into?: Float32Array): { data: Float32Array; dims: [number, number, number, number] } {
  const views = cropViews(p);
  const S = views[0]!.size;
  // crops are square S x S; the manifest's input size (if it differs) is the model's, so trust the crop rule
  const tables = normalisationTables(p);
  const plane = S * S;
  const channels = 3 * views.length;
  const length = boxes.length * channels * plane;
  if (into && into.length !== length) throw new RangeError(`cropBatch: into has ${into.length} floats, ${length} needed`);
  const data = into ?? new Float32Array(length);
  const bgr = p.channelOrder === 'BGR';
  boxes.forEach((b, n) => {
    views.forEach((rule, k) => {
      const [x1, y1, x2, y2] = cropRect(b, img.width, img.height, rule);
      resampleCropInto(img.data, img.width, img.channels, x1, y1, x2 - x1, y2 - y1, S, S, data, (n * channels + 3 * k) * plane, tables, bgr, taps);
    });
  });
  return { data, dims: [boxes.length, channels, S, S] };
}

/**
 * A whole image (e.g. a template PNG or a single crop) stretched to S x S with no expansion. With `p.crop.views`
 * the same whole image fills every view ([1, 3·V, S, S]): a given image has no surroundings to show.
 */
export function wholeImageBatch(img: PixelImage, p: Preprocess, taps: TapCache = new TapCache()): { data: Float32Array; dims: [1, number, number, number] } {
  const S = (p.crop ?? DEFAULT_CROP_RULE).size;
  const V = cropViews(p).length;
  const plane = 3 * S * S;
  const data = new Float32Array(V * plane);
  resampleCropInto(img.data, img.width, img.channels, 0, 0, img.width, img.height, S, S, data, 0, normalisationTables(p), p.channelOrder === 'BGR', taps);
  for (let k = 1; k < V; k++) data.copyWithin(k * plane, 0, plane);
  return { data, dims: [1, 3 * V, S, S] };
}
