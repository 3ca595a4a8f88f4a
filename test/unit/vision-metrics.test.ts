import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averagePrecision101, evaluateDetections, matchImage, topOneAccuracy, COCO_IOU_THRESHOLDS } from '../../src/agent/vision/metrics.js';
import type { Box } from '../../src/common/geometry.js';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('AP 101-point, hand-computed: TP, FP, TP over 2 ground truths = (51·1 + 50·2/3) / 101', () => {
  // recall .5 .5 1; precision 1 .5 .667 → envelope 1 .667 .667; r ≤ .50 (51 points) → 1, r > .50 (50 points) → 2/3
  const ap = averagePrecision101([{ score: 0.9, tp: true }, { score: 0.8, tp: false }, { score: 0.7, tp: true }], 2);
  close(ap, (51 + (50 * 2) / 3) / 101);
});

test('AP edge cases: perfect = 1, none = 0, half recall only = 51/101, order by score not by input', () => {
  close(averagePrecision101([{ score: 0.5, tp: true }], 1), 1);
  close(averagePrecision101([], 3), 0);
  close(averagePrecision101([{ score: 0.9, tp: false }], 0), 0);
  close(averagePrecision101([{ score: 0.9, tp: true }], 2), 51 / 101);
  // FP first by score: precision .5 at recall 1 → envelope .5 everywhere
  close(averagePrecision101([{ score: 0.1, tp: true }, { score: 0.9, tp: false }], 1), 0.5);
});

test('matching: each GT once, highest IoU wins, IoU ≥ threshold counts', () => {
  const gts = [{ box: [0, 0, 10, 10] as Box, classId: 0 }, { box: [20, 0, 30, 10] as Box, classId: 0 }];
  const dets = [
    { box: [0, 0, 10, 10] as Box, score: 0.6, classId: 0 },
    { box: [1, 0, 11, 10] as Box, score: 0.9, classId: 0 }, // higher score takes GT 0 first (IoU .818)
    { box: [20, 0, 30, 6] as Box, score: 0.5, classId: 0 }, // IoU exactly 0.6 with GT 1
  ];
  const m = matchImage(dets, gts, 0.5);
  assert.deepEqual(m.tp, [true, false, true]);
  assert.deepEqual(m.scores, [0.9, 0.6, 0.5]);
  assert.deepEqual(matchImage(dets, gts, 0.6).tp, [true, false, true], 'IoU 0.6 meets threshold 0.6');
  assert.deepEqual(matchImage(dets, gts, 0.65).tp, [true, false, false]);
});

test('evaluateDetections: mAP@0.5 and mAP@0.5:0.95 of a hand-worked case; precision/recall at the operating threshold', () => {
  assert.deepEqual(COCO_IOU_THRESHOLDS, [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]);
  // image 1: a perfect box; image 2: a box at IoU exactly 0.6 → TP for thresholds .50 .55 .60 only
  const images = [
    { detections: [{ box: [0, 0, 10, 10] as Box, score: 0.9, classId: 0 }], groundTruth: [{ box: [0, 0, 10, 10] as Box, classId: 0 }] },
    { detections: [{ box: [0, 0, 10, 6] as Box, score: 0.8, classId: 0 }, { box: [50, 50, 60, 60] as Box, score: 0.1, classId: 0 }], groundTruth: [{ box: [0, 0, 10, 10] as Box, classId: 0 }] },
  ];
  const r = evaluateDetections(images, 0.5);
  // at IoU ≤ .6: both TP before the FP → AP 1; above: TP(.9), FP(.8), FP(.1) → recall .5 max → 51/101
  close(r.mAP50, 1);
  close(r.mAP50_95, (3 * 1 + 7 * (51 / 101)) / 10);
  assert.deepEqual([r.tp, r.fp, r.fn], [2, 0, 0]);
  close(r.precision, 1);
  close(r.recall, 1);
  const strict = evaluateDetections(images, 0.85);
  assert.deepEqual([strict.tp, strict.fp, strict.fn], [1, 0, 1]);
  close(strict.recall, 0.5);
});

test('evaluateDetections: classes averaged; a class never in ground truth only adds false positives', () => {
  const images = [
    {
      detections: [{ box: [0, 0, 10, 10] as Box, score: 0.9, classId: 0 }, { box: [0, 0, 10, 10] as Box, score: 0.9, classId: 2 }],
      groundTruth: [{ box: [0, 0, 10, 10] as Box, classId: 0 }, { box: [20, 20, 30, 30] as Box, classId: 1 }],
    },
  ];
  const r = evaluateDetections(images, 0.5);
  close(r.mAP50, 0.5); // class 0: AP 1, class 1: AP 0
  assert.deepEqual([r.tp, r.fp, r.fn], [1, 1, 1]);
});

test('topOneAccuracy with per-label counts', () => {
  const r = topOneAccuracy([
    { expected: 'a', predicted: 'a' },
    { expected: 'a', predicted: 'b' },
    { expected: 'b', predicted: 'b' },
    { expected: 'c', predicted: 'c' },
  ]);
  close(r.accuracy, 0.75);
  assert.deepEqual(r.perLabel.a, { n: 2, correct: 1 });
});
