/**
 * The multi-view crop contract (docs/MODELS.md "Crop rule", wire.ts `preprocess.crop.views`): a classifier with V
 * views takes [N, 3·V, S, S], view k's crop in channels 3k..3k+2; without views the batch is what it always was.
 * Real onnxruntime session on a real 6-channel ONNX file (scripts/fixtures/make_twoview_fixture.py).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { PreprocessSchema, type Preprocess } from '../../src/common/wire.js';
import { cropBatch, cropBatchLength, cropMargin, cropRect, wholeImageBatch, type PixelImage } from '../../src/agent/vision/crops.js';
import { normalisationTables } from '../../src/agent/vision/preprocess.js';
import { resampleCropInto, TapCache } from '../../src/agent/vision/resample.js';
import { specFromMetadata } from '../../src/agent/vision/spec.js';
import { contractMismatches } from '../../src/agent/inference/tensors.js';
import { createOrtRunner, type OrtSessions } from '../../src/agent/vision/ort-runner.js';
import { VisionPipeline } from '../../src/agent/vision/pipeline.js';
import type { Box } from '../../src/common/geometry.js';
import { cropFrame, type ScreenCapturer } from '../../src/agent/vision/capture.js';
import type { Frame, MonitorInfo } from '../../src/agent/vision/types.js';

const MODELS = join(import.meta.dirname, '..', 'fixtures', 'models');
const open: OrtSessions[] = [];
after(async () => {
  for (const o of open) await o.close();
});

/** A seeded noisy RGBA image, so every crop rectangle gives different floats. */
function noiseImage(w: number, h: number, seed = 7): PixelImage {
  const data = new Uint8Array(w * h * 4);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (i & 3) === 3 ? 255 : s >>> 24;
  }
  return { data, width: w, height: h, channels: 4 };
}

const single = (expand: number, minPad: number, size = 32): Preprocess => PreprocessSchema.parse({ inputWidth: size, inputHeight: size, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3], crop: { expand, minPad, size } });
const twoViews = (size = 32): Preprocess =>
  PreprocessSchema.parse({ inputWidth: size, inputHeight: size, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3], crop: { expand: 0.1, minPad: 4, size, views: [{ expand: 0.1, minPad: 4 }, { expand: 0.25, minPad: 8 }] } });

// inside, touching each edge, a corner, a 1-pixel box, one wholly outside
const BOXES: Box[] = [
  [40, 30, 90, 50],
  [0, 0, 20, 12],
  [180, 90, 200, 100],
  [0, 40, 30, 60],
  [150, 0, 199, 8],
  [100, 50, 101, 51],
  [250, 150, 260, 160],
];

test('cropBatch with views [{0.1,4},{0.25,8}] is [N,6,S,S]: channels 0..2 the (0.1,4) batch, 3..5 the (0.25,8) batch', () => {
  const img = noiseImage(200, 100);
  const S = 32;
  const p = twoViews(S);
  const b = cropBatch(img, BOXES, p);
  assert.deepEqual(b.dims, [BOXES.length, 6, S, S]);
  assert.equal(b.data.length, cropBatchLength(BOXES.length, p));
  const v0 = cropBatch(img, BOXES, single(0.1, 4, S));
  const v1 = cropBatch(img, BOXES, single(0.25, 8, S));
  const chw = 3 * S * S;
  for (let n = 0; n < BOXES.length; n++) {
    assert.deepEqual(b.data.subarray(n * 2 * chw, n * 2 * chw + chw), v0.data.subarray(n * chw, (n + 1) * chw), `box ${n} view 0`);
    assert.deepEqual(b.data.subarray(n * 2 * chw + chw, (n + 1) * 2 * chw), v1.data.subarray(n * chw, (n + 1) * chw), `box ${n} view 1`);
  }
  // the two views differ wherever the context crop reaches further (not at a box so big both clamp alike)
  assert.notDeepEqual(b.data.subarray(0, chw), b.data.subarray(chw, 2 * chw));
  // `into` (a reused buffer) gets the same floats, every one overwritten
  const into = new Float32Array(cropBatchLength(BOXES.length, p)).fill(Number.NaN);
  assert.deepEqual(cropBatch(img, BOXES, p, new TapCache(), into).data, b.data);
  assert.throws(() => cropBatch(img, BOXES, p, new TapCache(), new Float32Array(cropBatchLength(BOXES.length, single(0.1, 4, S)))), RangeError);
});

test('cropBatch without views: the one-rule [N,3,S,S] batch, bit for bit what it was (each crop straight into slot n)', () => {
  const img = noiseImage(200, 100, 3);
  const p = single(0.1, 4, 24);
  const b = cropBatch(img, BOXES, p);
  assert.deepEqual(b.dims, [BOXES.length, 3, 24, 24]);
  assert.equal(cropBatchLength(BOXES.length, p), BOXES.length * 3 * 24 * 24);
  // the batch as the code before views built it
  const want = new Float32Array(BOXES.length * 3 * 24 * 24);
  const tables = normalisationTables(p);
  BOXES.forEach((box, n) => {
    const [x1, y1, x2, y2] = cropRect(box, 200, 100, p.crop!);
    resampleCropInto(img.data, 200, 4, x1, y1, x2 - x1, y2 - y1, 24, 24, want, n * 3 * 24 * 24, tables, false, new TapCache());
  });
  assert.deepEqual(b.data, want);
});

test('wholeImageBatch with views: the same whole image in every view; cropMargin is the widest view\'s', () => {
  const img = noiseImage(40, 20, 9);
  const one = wholeImageBatch(img, single(0.1, 4, 16));
  const two = wholeImageBatch(img, twoViews(16));
  assert.deepEqual(one.dims, [1, 3, 16, 16]);
  assert.deepEqual(two.dims, [1, 6, 16, 16]);
  const chw = 3 * 16 * 16;
  assert.deepEqual(two.data.subarray(0, chw), one.data);
  assert.deepEqual(two.data.subarray(chw), one.data);
  // a 100x10 element: view 0 pads max(10, 4)+1 by max(1, 4)+1, view 1 max(25, 8)+1 by max(2.5, 8)+1
  assert.deepEqual(cropMargin(100, 10, single(0.1, 4)), [11, 5]);
  assert.deepEqual(cropMargin(100, 10, twoViews()), [26, 9]);
});

test('schema: views need 2..4 entries, expand 0..2 (train_classifier.py --crop-expand, for the one rule too), minPad 0..64', () => {
  const base = { inputWidth: 64, inputHeight: 64 };
  const crop = (views: unknown) => PreprocessSchema.safeParse({ ...base, crop: { expand: 0.1, minPad: 4, size: 64, views } });
  const v = { expand: 0.1, minPad: 4 };
  assert.equal(crop([v, v]).success, true);
  assert.equal(crop([v, v, v, v]).success, true);
  assert.equal(crop([v, { expand: 2, minPad: 64 }]).success, true);
  assert.equal(crop([v]).success, false, '1 view');
  assert.equal(crop([v, v, v, v, v]).success, false, '5 views');
  assert.equal(crop([]).success, false, 'no views');
  assert.equal(crop([v, { expand: 2.01, minPad: 4 }]).success, false, 'expand > 2');
  assert.equal(crop([v, { expand: -0.1, minPad: 4 }]).success, false, 'expand < 0');
  assert.equal(crop([v, { expand: 0.1, minPad: 65 }]).success, false, 'minPad > 64');
  assert.equal(crop([v, { expand: 0.1, minPad: -1 }]).success, false, 'minPad < 0');
  assert.equal(crop([v, { expand: Number.NaN, minPad: 4 }]).success, false, 'NaN');
  assert.equal(crop([v, { expand: 0.1 }]).success, false, 'minPad missing');
  // the one rule has the same bound: a classifier trained with --crop-expand 1.5 and no views is served
  const one = (expand: number) => PreprocessSchema.safeParse({ ...base, crop: { expand, minPad: 4, size: 64 } });
  assert.equal(one(1.5).success, true, 'one rule, expand 1.5');
  assert.equal(one(2.01).success, false, 'one rule, expand > 2');
  // metadata.json in the training side's names: views mapped, the single rule taken from view 0
  const md = JSON.parse(readFileSync(join(MODELS, 'classifier-twoview.metadata.json'), 'utf8'));
  const s = specFromMetadata('classifier', md);
  assert.deepEqual(s.preprocess.crop, { expand: 0.1, minPad: 4, size: 64, views: [{ expand: 0.1, minPad: 4 }, { expand: 0.25, minPad: 8 }] });
  // without views, as before
  assert.deepEqual(specFromMetadata('classifier', { ...md, preprocess: { ...md.preprocess, crop: { expandRatio: 0.25, minPadPx: 8, size: [64, 64] } } }).preprocess.crop, { expand: 0.25, minPad: 8, size: 64 });
});

test('contract: a crop with V views needs a first input of 3·V channels (contract_mismatch otherwise)', () => {
  const contract = (c: number | string) => ({ inputs: [{ name: 'input', dtype: 'float32' as const, shape: ['batch', c, 64, 64] }], outputs: [{ name: 'logits', dtype: 'float32' as const, shape: ['batch', 2] }] });
  const model = (c: number | string) => [{ name: 'input', isTensor: true, type: 'float32', shape: ['batch', c, 64, 64] }];
  const out = [{ name: 'logits', isTensor: true, type: 'float32', shape: ['batch', 2] }];
  const views = (n: number) => PreprocessSchema.parse({ inputWidth: 64, inputHeight: 64, crop: { expand: 0.1, minPad: 4, size: 64, views: Array.from({ length: n }, () => ({ expand: 0.1, minPad: 4 })) } });
  assert.deepEqual(contractMismatches(contract(6), model(6), out, views(2)), []);
  assert.deepEqual(contractMismatches(contract('c'), model('c'), out, views(2)), [], 'symbolic channels accept any count');
  assert.deepEqual(contractMismatches(contract(3), model(3), out, single(0.1, 4)), [], 'no views: nothing new is checked');
  const three = contractMismatches(contract(6), model(6), out, views(3));
  assert.equal(three.length, 2, three.join('\n'));
  assert.ok(three.every((p) => /has 6 channels; 3 crop views need 9/.test(p)));
  const modelOnly = contractMismatches(contract('c'), model(3), out, views(2));
  assert.deepEqual(modelOnly, ['input "input" in the model has 3 channels; 2 crop views need 6']);
  const flat = contractMismatches({ inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 6] }], outputs: contract(6).outputs }, [{ name: 'input', isTensor: true, type: 'float32', shape: ['batch', 6] }], out, views(2));
  assert.ok(flat.some((p) => /rank 2; 2 crop views need \[batch, 6, S, S\]/.test(p)), flat.join('\n'));
});

test('real session: the 6-channel classifier through VisionPipeline sees the tight crop in view 0 and the context crop in view 1', async () => {
  const spec = { ...specFromMetadata('classifier', JSON.parse(readFileSync(join(MODELS, 'classifier-twoview.metadata.json'), 'utf8'))), modelId: 'twoview' };
  const ort = await createOrtRunner({ classifier: join(MODELS, 'classifier-twoview.onnx') });
  open.push(ort);
  // inputs as onnxruntime reports them satisfy the views' contract
  const session = ort.sessions.classifier!;
  const meta = session.inputMetadata.map((m) => ({ name: m.name, isTensor: m.isTensor, type: m.isTensor ? m.type : undefined, shape: m.isTensor ? m.shape : undefined }));
  assert.deepEqual(contractMismatches({ inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 6, 64, 64] }], outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 2] }] }, meta, [{ name: 'logits', isTensor: true, type: 'float32', shape: ['batch', 2] }], spec.preprocess), []);

  // white elements on black: the context crop holds more black, so its mean is lower
  const W = 240;
  const H = 120;
  const rgb = Buffer.alloc(W * H * 3);
  const boxes: Box[] = [
    [40, 40, 120, 60],
    [0, 0, 30, 16],
    [200, 100, 240, 120],
  ];
  for (const [x1, y1, x2, y2] of boxes) for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) rgb.fill(255, (y * W + x) * 3, (y * W + x) * 3 + 3);
  const png = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
  const vp = new VisionPipeline({ runner: ort.runner, specs: (r) => (r === 'classifier' ? spec : undefined), cacheEntries: 0 });
  const results = await vp.classifyBoxes(png, boxes);
  const img: PixelImage = { data: new Uint8Array(rgb), width: W, height: H, channels: 3 };
  // the mean of one view's crop under the model's own normalisation, cut by the single rule
  const mean = (expand: number, minPad: number, box: Box) => {
    const d = cropBatch(img, [box], { ...spec.preprocess, crop: { expand, minPad, size: 64 } }).data;
    return d.reduce((a, b) => a + b, 0) / d.length;
  };
  results.forEach((r, i) => {
    const tight = mean(0.1, 4, boxes[i]!);
    const context = mean(0.25, 8, boxes[i]!);
    assert.ok(tight > context + 0.05, `box ${i}: tight mean ${tight} should exceed context mean ${context}`);
    // logits format: softmax over [mean(view 0), mean(view 1)], so log(p_tight / p_context) is their difference
    const p = Object.fromEntries(r.ranked.map((x) => [x.label, x.score]));
    assert.ok(Math.abs(Math.log(p.tight! / p.context!) - (tight - context)) < 1e-4, `box ${i}: ${JSON.stringify(p)} vs ${tight - context}`);
    assert.equal(r.label, 'tight');
  });
  // a PNG given whole is the same image in both views: equal means
  const whole = await vp.classifySource({ kind: 'png', png: await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).extract({ left: 40, top: 40, width: 80, height: 20 }).png().toBuffer() });
  assert.ok(Math.abs(whole.ranked[0]!.score - 0.5) < 1e-6, JSON.stringify(whole.ranked));
  vp.close();
});

test('real session, screen faked (no desktop here): a region is captured with the widest view\'s margin, so both views match the full-screen crops', async () => {
  const spec = { ...specFromMetadata('classifier', JSON.parse(readFileSync(join(MODELS, 'classifier-twoview.metadata.json'), 'utf8'))), modelId: 'twoview' };
  const ort = await createOrtRunner({ classifier: join(MODELS, 'classifier-twoview.onnx') });
  open.push(ort);
  // a noisy "screen" with a white element in its middle (far from the edges, so no crop is clamped by them)
  const W = 400;
  const H = 300;
  const noise = noiseImage(W, H, 21);
  const screen: Frame = { data: Buffer.from(noise.data), width: W, height: H, channels: 4, originX: 0, originY: 0 };
  const el = { x: 150, y: 130, width: 100, height: 24 };
  for (let y = el.y; y < el.y + el.height; y++) for (let x = el.x; x < el.x + el.width; x++) screen.data.set([255, 255, 255, 255], (y * W + x) * 4);
  const monitor: MonitorInfo = { id: 1, name: 'fake', x: 0, y: 0, width: W, height: H, scaleFactor: 1, rotation: 0, isPrimary: true };
  const asked: { x: number; y: number; width: number; height: number }[] = [];
  const capturer: ScreenCapturer = {
    monitors: () => [monitor],
    capture: async (source) => {
      assert.equal(source.kind, 'region');
      const r = source as { x: number; y: number; width: number; height: number };
      asked.push({ x: r.x, y: r.y, width: r.width, height: r.height });
      return [{ ...cropFrame(screen, r), monitor }];
    },
  };
  const vp = new VisionPipeline({ runner: ort.runner, specs: (r) => (r === 'classifier' ? spec : undefined), capturer, cacheEntries: 0 });
  const fromRegion = await vp.classifySource({ kind: 'region', ...el });
  const [mx, my] = cropMargin(el.width, el.height, PreprocessSchema.parse({ inputWidth: 64, inputHeight: 64, crop: { expand: 0.25, minPad: 8, size: 64 } }));
  assert.deepEqual(asked, [{ x: el.x - mx, y: el.y - my, width: el.width + 2 * mx, height: el.height + 2 * my }], 'grown by view 1 (0.25, 8), the widest');
  const png = await sharp(screen.data, { raw: { width: W, height: H, channels: 4 } }).png().toBuffer();
  const [fromScreen] = await vp.classifyBoxes(png, [[el.x, el.y, el.x + el.width, el.y + el.height]]);
  const score = (r: { ranked: { label: string; score: number }[] }, l: string) => r.ranked.find((x) => x.label === l)!.score;
  assert.ok(Math.abs(score(fromRegion, 'context') - score(fromScreen!, 'context')) < 1e-6, `${JSON.stringify(fromRegion.ranked)} vs ${JSON.stringify(fromScreen!.ranked)}`);
  vp.close();
});
