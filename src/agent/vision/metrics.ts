/**
 * Detection and retrieval metrics for the evaluation (docs/EVALUATION.md). Pure functions.
 *
 * Matching follows COCO: per image and class, detections in descending score order each take the unmatched
 * ground truth of highest IoU with IoU ≥ threshold (a true positive), else count as a false positive.
 * AP is COCO's 101-point interpolated average precision: the precision envelope (max precision at any
 * recall ≥ r) sampled at r = 0, 0.01, …, 1, where a recall level that is never reached contributes 0.
 * mAP@0.5:0.95 averages AP over the IoU thresholds 0.50, 0.55, …, 0.95 and over the classes with ground truth.
 */
import { iou, type Box } from '../../common/geometry.js';

export interface EvalDetection {
  box: Box;
  score: number;
  classId: number;
}
export interface EvalGroundTruth {
  box: Box;
  classId: number;
}
export interface EvalImage {
  detections: readonly EvalDetection[];
  groundTruth: readonly EvalGroundTruth[];
}

/** IoU thresholds 0.50:0.05:0.95, built from integers so 0.6 is exactly 0.6. */
export const COCO_IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, k) => (50 + 5 * k) / 100);

/** Greedy COCO matching in one image for one class: TP flags in descending-score order, plus the matched GT flags. */
export function matchImage(dets: readonly EvalDetection[], gts: readonly EvalGroundTruth[], iouThreshold: number): { scores: number[]; tp: boolean[]; gtMatched: boolean[] } {
  const order = dets.map((_, i) => i).sort((a, b) => dets[b]!.score - dets[a]!.score);
  const used = gts.map(() => false);
  const tp: boolean[] = [];
  const scores: number[] = [];
  for (const di of order) {
    let best = -1;
    let bestIou = iouThreshold;
    for (let g = 0; g < gts.length; g++) {
      if (used[g]) continue;
      const v = iou(dets[di]!.box, gts[g]!.box);
      if (v >= bestIou && (best < 0 || v > bestIou)) {
        best = g;
        bestIou = v;
      }
    }
    if (best >= 0) used[best] = true;
    tp.push(best >= 0);
    scores.push(dets[di]!.score);
  }
  return { scores, tp, gtMatched: used };
}

/** 101-point interpolated AP from (score, tp) records pooled over images and the number of ground truths. */
export function averagePrecision101(records: readonly { score: number; tp: boolean }[], numGroundTruth: number): number {
  if (numGroundTruth === 0 || records.length === 0) return 0;
  const sorted = [...records].sort((a, b) => b.score - a.score);
  const n = sorted.length;
  const recall = new Float64Array(n);
  const precision = new Float64Array(n);
  let tps = 0;
  for (let i = 0; i < n; i++) {
    if (sorted[i]!.tp) tps++;
    recall[i] = tps / numGroundTruth;
    precision[i] = tps / (i + 1);
  }
  // precision envelope: non-increasing from the right
  for (let i = n - 2; i >= 0; i--) precision[i] = Math.max(precision[i]!, precision[i + 1]!);
  let sum = 0;
  let j = 0;
  for (let k = 0; k <= 100; k++) {
    const r = k / 100;
    while (j < n && recall[j]! < r) j++; // first index with recall ≥ r (np.searchsorted side='left')
    if (j < n) sum += precision[j]!;
  }
  return sum / 101;
}

export interface DetectionReport {
  /** AP per class id at each IoU threshold */
  perClass: Record<number, { numGroundTruth: number; ap: number[] }>;
  mAP50: number;
  mAP50_95: number;
  /** at IoU 0.5, counting only detections with score ≥ the operating threshold */
  precision: number;
  recall: number;
  tp: number;
  fp: number;
  fn: number;
  images: number;
}

/**
 * Evaluates detections over images. `operatingThreshold`: the score threshold the agent uses in production,
 * for precision/recall (AP uses every detection given, so pass low-threshold detections for a fair AP).
 */
export function evaluateDetections(images: readonly EvalImage[], operatingThreshold: number, iouThresholds: readonly number[] = COCO_IOU_THRESHOLDS): DetectionReport {
  const classes = new Set<number>();
  for (const im of images) for (const g of im.groundTruth) classes.add(g.classId);
  const perClass: DetectionReport['perClass'] = {};
  for (const c of [...classes].sort((a, b) => a - b)) {
    const ap: number[] = [];
    let nGt = 0;
    for (const im of images) nGt += im.groundTruth.filter((g) => g.classId === c).length;
    for (const thr of iouThresholds) {
      const records: { score: number; tp: boolean }[] = [];
      for (const im of images) {
        const m = matchImage(im.detections.filter((d) => d.classId === c), im.groundTruth.filter((g) => g.classId === c), thr);
        m.scores.forEach((s, i) => records.push({ score: s, tp: m.tp[i]! }));
      }
      ap.push(averagePrecision101(records, nGt));
    }
    perClass[c] = { numGroundTruth: nGt, ap };
  }
  const cls = Object.values(perClass);
  const i50 = iouThresholds.findIndex((t) => Math.abs(t - 0.5) < 1e-9);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const mAP50 = i50 >= 0 ? mean(cls.map((c) => c.ap[i50]!)) : NaN;
  const mAP50_95 = mean(cls.map((c) => mean(c.ap)));
  let tp = 0;
  let fp = 0;
  let nGtAll = 0;
  for (const im of images) {
    nGtAll += im.groundTruth.length;
    for (const c of classes) {
      const m = matchImage(im.detections.filter((d) => d.classId === c && d.score >= operatingThreshold), im.groundTruth.filter((g) => g.classId === c), 0.5);
      for (const t of m.tp) t ? tp++ : fp++;
    }
    // detections of classes with no ground truth anywhere are false positives
    fp += im.detections.filter((d) => !classes.has(d.classId) && d.score >= operatingThreshold).length;
  }
  return { perClass, mAP50, mAP50_95, precision: tp + fp ? tp / (tp + fp) : 0, recall: nGtAll ? tp / nGtAll : 0, tp, fp, fn: nGtAll - tp, images: images.length };
}

/** Top-1 accuracy with a per-label confusion count. */
export function topOneAccuracy(pairs: readonly { expected: string; predicted: string }[]): { accuracy: number; n: number; perLabel: Record<string, { n: number; correct: number }> } {
  const perLabel: Record<string, { n: number; correct: number }> = {};
  let correct = 0;
  for (const p of pairs) {
    const e = (perLabel[p.expected] ??= { n: 0, correct: 0 });
    e.n++;
    if (p.expected === p.predicted) {
      e.correct++;
      correct++;
    }
  }
  return { accuracy: pairs.length ? correct / pairs.length : 0, n: pairs.length, perLabel };
}
