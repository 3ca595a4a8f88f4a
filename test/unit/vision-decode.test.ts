import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nms, iou, type Box } from '../../src/common/geometry.js';
import { letterboxTransform, inputBoxToFrame, frameBoxToInput, roundHalfEven } from '../../src/agent/vision/letterbox.js';
import { decodeYolov8, yoloLayout, yoloCandidates } from '../../src/agent/vision/yolo.js';

function near(a: readonly number[], b: readonly number[], eps = 1e-3): void {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= eps, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`));
}

test('letterbox 1920x1080 → 320: scale 1/6, 320x180 centred at top 70', () => {
  const t = letterboxTransform(1920, 1080, 320, 320);
  assert.deepEqual([t.resizedWidth, t.resizedHeight, t.left, t.top], [320, 180, 0, 70]);
  near([t.scaleX, t.scaleY], [1 / 6, 1 / 6], 1e-12);
});

test('letterbox of a portrait frame pads left/right; floor of the odd half goes left', () => {
  const t = letterboxTransform(500, 1000, 320, 320);
  // r = 0.32, 160x320, left = floor(160/2) = 80
  assert.deepEqual([t.resizedWidth, t.resizedHeight, t.left, t.top], [160, 320, 80, 0]);
  const odd = letterboxTransform(101, 100, 64, 64); // r = 64/101: 64 x round(63.366) = 63, top = floor(1/2) = 0
  assert.deepEqual([odd.resizedWidth, odd.resizedHeight, odd.left, odd.top], [64, 63, 0, 0]);
});

test('roundHalfEven matches Python round()', () => {
  assert.deepEqual([0.5, 1.5, 2.5, 2.4, 2.6, 3.5].map(roundHalfEven), [0, 2, 2, 2, 3, 4]);
});

test('input box ↔ frame box round trip, and clamping to the frame', () => {
  const t = letterboxTransform(1920, 1080, 640, 640);
  const b: Box = [864, 492, 1056, 588];
  near(inputBoxToFrame(frameBoxToInput(b, t), t, 1920, 1080), b);
  // a box reaching into the top padding is clamped at 0
  near(inputBoxToFrame([0, 100, 10, 150], t, 1920, 1080), [0, 0, 30, 30]);
});

test('stretch (letterbox: false) scales each axis on its own', () => {
  const t = letterboxTransform(1000, 500, 100, 100, false);
  near(inputBoxToFrame([10, 10, 20, 20], t, 1000, 500), [100, 50, 200, 100]);
});

test('yoloLayout recognises [1,84,8400] and the transposed [1,8400,84]', () => {
  assert.deepEqual(yoloLayout([1, 84, 8400]), { rows: 84, anchors: 8400, transposed: false });
  assert.deepEqual(yoloLayout([1, 8400, 84]), { rows: 84, anchors: 8400, transposed: true });
  assert.deepEqual(yoloLayout([1, 5, 5], 1), { rows: 5, anchors: 5, transposed: false });
  assert.throws(() => yoloLayout([2, 84, 8400]), /contract_mismatch|must be/);
  assert.throws(() => yoloLayout([1, 84, 8400], 3), /4\+3/);
});

/** Builds a [1, 4+nc, N] tensor from (anchor, cx, cy, w, h, cls, score) rows. */
function tensor(nc: number, n: number, rows: [number, number, number, number, number, number, number][], transposed = false) {
  const R = 4 + nc;
  const data = new Float32Array(R * n);
  const at = (r: number, i: number) => (transposed ? i * R + r : r * n + i);
  for (const [a, cx, cy, w, h, c, s] of rows) {
    data[at(0, a)] = cx;
    data[at(1, a)] = cy;
    data[at(2, a)] = w;
    data[at(3, a)] = h;
    data[at(4 + c, a)] = s;
  }
  return { data, dims: transposed ? [1, n, R] : [1, R, n] };
}

// tiny tensors have more rows than anchors, so they name the class count (real outputs: N ≫ 4+nc)
test('decode: threshold, per-class NMS, best first (stock and transposed layouts agree)', () => {
  const rows: [number, number, number, number, number, number, number][] = [
    [0, 50, 50, 20, 10, 0, 0.9],
    [1, 51, 50, 20, 10, 0, 0.8], // duplicate of 0
    [2, 50, 50, 20, 10, 1, 0.7], // same place, other class
    [3, 10, 10, 4, 4, 2, 0.2], // under threshold
  ];
  for (const transposed of [false, true]) {
    const t = tensor(3, 6, rows, transposed);
    const out = decodeYolov8(t.data, t.dims, { scoreThreshold: 0.25, iouThreshold: 0.45, maxDetections: 100, numClasses: 3 });
    assert.equal(out.length, 2);
    near(out[0]!.box, [40, 45, 60, 55]);
    assert.equal(out[0]!.classId, 0);
    assert.ok(Math.abs(out[0]!.score - 0.9) < 1e-6);
    assert.equal(out[1]!.classId, 1);
    // class-agnostic NMS merges the class-1 box into the class-0 one
    const agn = decodeYolov8(t.data, t.dims, { scoreThreshold: 0.25, iouThreshold: 0.45, maxDetections: 100, classAgnosticNms: true, numClasses: 3 });
    assert.equal(agn.length, 1);
  }
});

test('decode: class filter, zero-size boxes dropped, maxDetections honoured', () => {
  const t = tensor(2, 5, [
    [0, 10, 10, 4, 4, 0, 0.9],
    [1, 100, 100, 4, 4, 1, 0.8],
    [2, 200, 200, 0, 4, 1, 0.95], // zero width
    [3, 300, 300, 4, 4, 1, 0.6],
  ]);
  const only1 = yoloCandidates(t.data, t.dims, { scoreThreshold: 0.5, iouThreshold: 0.5, maxDetections: 10, classFilter: new Set([1]), numClasses: 2 });
  assert.deepEqual(only1.map((d) => d.classId), [1, 1]);
  const top1 = decodeYolov8(t.data, t.dims, { scoreThreshold: 0.5, iouThreshold: 0.5, maxDetections: 1, numClasses: 2 });
  assert.equal(top1.length, 1);
  assert.equal(top1[0]!.classId, 0);
});

test('nms keeps the greedy result of a hand-worked case', () => {
  const items = [
    { box: [0, 0, 10, 10] as Box, score: 0.9, classId: 0 },
    { box: [1, 0, 11, 10] as Box, score: 0.8, classId: 0 }, // iou 0.818 with 0 → suppressed
    { box: [5, 0, 15, 10] as Box, score: 0.7, classId: 0 }, // iou 0.333 with 0 → kept (1 was suppressed, so it cannot suppress this)
    { box: [20, 20, 30, 30] as Box, score: 0.95, classId: 0 },
  ];
  assert.ok(Math.abs(iou(items[0]!.box, items[2]!.box) - 1 / 3) < 1e-9);
  assert.deepEqual(nms(items, 0.5), [3, 0, 2]);
  assert.deepEqual(nms(items, 0.3), [3, 0]);
  assert.deepEqual(nms(items, 0.5, 2), [3, 0]);
});

test('nms of 5000 random boxes stays fast', () => {
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const items = Array.from({ length: 5000 }, () => {
    const x = rnd() * 1800;
    const y = rnd() * 1000;
    return { box: [x, y, x + 10 + rnd() * 100, y + 10 + rnd() * 60] as Box, score: rnd(), classId: 0 };
  });
  const t = performance.now();
  const kept = nms(items, 0.45, 300);
  const ms = performance.now() - t;
  assert.ok(kept.length > 0 && kept.length <= 300);
  assert.ok(ms < 500, `nms took ${ms} ms`);
});
