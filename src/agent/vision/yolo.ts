/**
 * Decoding of the Ultralytics YOLOv8 export layout (DESIGN.md "Vision pipeline"): one output [1, 4+nc, N],
 * rows 0..3 = cx, cy, w, h in detector-input pixels, rows 4.. = per-class scores (already sigmoid-ed; there is
 * no objectness row, unlike YOLOv5). A transposed [1, N, 4+nc] output is accepted too, detected from the
 * shape, since some exporters emit it. Score threshold → per-class NMS → letterbox back to frame pixels.
 */
import { nms, type Box } from '../../common/geometry.js';
import { AgentError } from '../../common/errors.js';
import { inputBoxToFrame, type LetterboxTransform } from './letterbox.js';

export interface RawDetection {
  /** detector-input pixels */
  box: Box;
  score: number;
  classId: number;
}

export interface DecodeOptions {
  scoreThreshold: number;
  iouThreshold: number;
  maxDetections: number;
  /** number of classes; inferred from the output shape when absent */
  numClasses?: number;
  classAgnosticNms?: boolean;
  /** keep only these class ids */
  classFilter?: ReadonlySet<number>;
  /** cap on candidates entering NMS (highest scores kept), bounding NMS time on noisy frames */
  maxCandidates?: number;
}

/** Reads the layout from the dims: [1, 4+nc, N] (stock) or [1, N, 4+nc] (transposed). */
export function yoloLayout(dims: readonly number[], numClasses?: number): { rows: number; anchors: number; transposed: boolean } {
  const d = dims.length === 3 ? dims.slice(1) : dims.length === 2 ? dims : null;
  if (!d || (dims.length === 3 && dims[0] !== 1)) throw new AgentError('contract_mismatch', `detector output must be [1, 4+nc, N]; got [${dims.join(', ')}]`);
  const [a, b] = d as [number, number];
  if (numClasses !== undefined) {
    if (a === 4 + numClasses) return { rows: a, anchors: b, transposed: false };
    if (b === 4 + numClasses) return { rows: b, anchors: a, transposed: true };
    throw new AgentError('contract_mismatch', `detector output [${dims.join(', ')}] does not have 4+${numClasses} rows`);
  }
  // without a class count: the stock layout has far fewer rows (4+nc) than anchors (N)
  return a <= b ? { rows: a, anchors: b, transposed: false } : { rows: b, anchors: a, transposed: true };
}

/** Candidates above the threshold (before NMS), input pixels. */
export function yoloCandidates(data: ArrayLike<number>, dims: readonly number[], o: DecodeOptions): RawDetection[] {
  const { rows, anchors, transposed } = yoloLayout(dims, o.numClasses);
  if (rows < 5) throw new AgentError('contract_mismatch', `detector output needs at least 5 rows; got ${rows}`);
  if (data.length < rows * anchors) throw new AgentError('contract_mismatch', 'detector output is shorter than its dims');
  const nc = rows - 4;
  // element (r, i) of the logical [rows, anchors] matrix
  const rs = transposed ? 1 : anchors;
  const is = transposed ? rows : 1;
  const out: RawDetection[] = [];
  for (let i = 0; i < anchors; i++) {
    let best = -Infinity;
    let cls = -1;
    const base = i * is;
    for (let c = 0; c < nc; c++) {
      if (o.classFilter && !o.classFilter.has(c)) continue;
      const s = data[base + (4 + c) * rs]!;
      if (s > best) {
        best = s;
        cls = c;
      }
    }
    if (cls < 0 || !(best >= o.scoreThreshold)) continue;
    const cx = data[base]!;
    const cy = data[base + rs]!;
    const w = data[base + 2 * rs]!;
    const h = data[base + 3 * rs]!;
    if (!(w > 0 && h > 0)) continue;
    out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score: best, classId: cls });
  }
  return out;
}

/** Full decode in detector-input pixels: threshold, cap, NMS. Best first. */
export function decodeYolov8(data: ArrayLike<number>, dims: readonly number[], o: DecodeOptions): RawDetection[] {
  let cand = yoloCandidates(data, dims, o);
  const cap = o.maxCandidates ?? 3000;
  if (cand.length > cap) cand = cand.sort((a, b) => b.score - a.score).slice(0, cap);
  const keep = nms(cand, o.iouThreshold, o.maxDetections, o.classAgnosticNms ?? false);
  return keep.map((i) => cand[i]!);
}

/** Maps input-pixel detections to screen pixels through the letterbox and the frame origin. */
export function toScreen(dets: readonly RawDetection[], t: LetterboxTransform, frameWidth: number, frameHeight: number, originX: number, originY: number): RawDetection[] {
  return dets.map((d) => {
    const b = inputBoxToFrame(d.box, t, frameWidth, frameHeight);
    return { ...d, box: [b[0] + originX, b[1] + originY, b[2] + originX, b[3] + originY] as Box };
  });
}
