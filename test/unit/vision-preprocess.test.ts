import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PreprocessSchema } from '../../src/common/wire.js';
import { preprocessFrame, normalisationTables } from '../../src/agent/vision/preprocess.js';
import { resizeBilinearPil } from '../../src/agent/vision/resample.js';
import { cropRect, cropBatch } from '../../src/agent/vision/crops.js';
import { labelToKind, lookAlikeTypeScore, softmax, typeProbability } from '../../src/agent/vision/labels.js';
import { l2Normalise, cosine } from '../../src/agent/vision/similarity.js';
import { FrameCache, sampledFrameHash } from '../../src/agent/vision/frame-cache.js';
import { cropFrame } from '../../src/agent/vision/capture.js';
import type { Frame } from '../../src/agent/vision/types.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'vision');

function solidFrame(w: number, h: number, rgba: [number, number, number, number]): Frame {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set(rgba, i * 4);
  return { data, width: w, height: h, channels: 4, originX: 0, originY: 0 };
}

test('preprocess letterboxes 1920x1080 RGBA to 320x320 NCHW: pad rows, image rows, normalisation', async () => {
  const p = PreprocessSchema.parse({ inputWidth: 320, inputHeight: 320, padValue: 114, scale: 255 });
  const out = await preprocessFrame(solidFrame(1920, 1080, [255, 0, 51, 255]), p);
  assert.deepEqual(out.dims, [1, 3, 320, 320]);
  assert.equal(out.data.length, 3 * 320 * 320);
  const at = (c: number, y: number, x: number) => out.data[c * 320 * 320 + y * 320 + x]!;
  // rows 0..69 and 250..319 are padding (114/255); rows 70..249 hold the image
  for (const y of [0, 69, 250, 319]) assert.ok(Math.abs(at(0, y, 5) - 114 / 255) < 1e-6, `pad at row ${y}`);
  for (const y of [70, 160, 249]) {
    assert.ok(Math.abs(at(0, y, 100) - 1) < 1e-6);
    assert.ok(Math.abs(at(1, y, 100) - 0) < 1e-6);
    assert.ok(Math.abs(at(2, y, 100) - 0.2) < 1e-6);
  }
});

test('preprocess honours mean/std and BGR order from the manifest', async () => {
  const p = PreprocessSchema.parse({ inputWidth: 64, inputHeight: 64, scale: 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 0.5], channelOrder: 'BGR', padValue: 0 });
  const out = await preprocessFrame(solidFrame(64, 32, [255, 0, 0, 255]), p);
  const at = (c: number, y: number, x: number) => out.data[c * 64 * 64 + y * 64 + x]!;
  // image rows 16..47; BGR: plane 0 is blue (0 → (0-0.5)/0.5 = -1), plane 2 is red (1 → 1)
  assert.ok(Math.abs(at(0, 20, 10) + 1) < 1e-6);
  assert.ok(Math.abs(at(1, 20, 10) + 2) < 1e-6);
  assert.ok(Math.abs(at(2, 20, 10) - 1) < 1e-6);
  // padding value 0 normalised per channel
  assert.ok(Math.abs(at(1, 0, 0) + 2) < 1e-6);
  const tables = normalisationTables(p);
  assert.ok(Math.abs(tables[1][255]! - 2) < 1e-6);
});

test('preprocess puts a feature where the letterbox says (position check)', async () => {
  const f = solidFrame(1920, 1080, [0, 0, 0, 255]);
  // a white 60x60 block at (600, 300) → input (100, 120) .. (110, 130) at 1/6 scale + top 70
  for (let y = 300; y < 360; y++) for (let x = 600; x < 660; x++) f.data.set([255, 255, 255, 255], (y * 1920 + x) * 4);
  const p = PreprocessSchema.parse({ inputWidth: 320, inputHeight: 320 });
  const out = await preprocessFrame(f, p);
  const at = (y: number, x: number) => out.data[y * 320 + x]!;
  assert.ok(at(125, 105) > 0.95);
  assert.ok(at(125, 95) < 0.05);
  assert.ok(at(115, 105) < 0.05);
});

test('resizeBilinearPil matches Pillow BILINEAR bit for bit (down, up, mixed)', () => {
  const src = new Uint8Array(readFileSync(join(FIX, 'resample-src-300x120.rgb')));
  const cases: [string, [number, number, number, number]][] = [
    ['down', [3, 7, 290, 100]],
    ['up', [10, 20, 40, 41]],
    ['mixed', [0, 0, 300, 30]],
  ];
  for (const [name, [x1, y1, x2, y2]] of cases) {
    const want = new Uint8Array(readFileSync(join(FIX, `resample-${name}-64.rgb`)));
    const got = resizeBilinearPil(src, 300, 3, x1, y1, x2 - x1, y2 - y1, 64, 64);
    let diff = 0;
    for (let i = 0; i < want.length; i++) if (want[i] !== got[i]) diff++;
    assert.equal(diff, 0, `${name}: ${diff} bytes differ from Pillow`);
  }
});

test('crop rule: 10 % per side, at least 4 px, clamped, integer bounds (docs/MODELS.md)', () => {
  const rule = { expand: 0.1, minPad: 4, size: 64 };
  assert.deepEqual(cropRect([100, 100, 200, 120], 1000, 1000, rule), [90, 96, 210, 124]);
  assert.deepEqual(cropRect([1.5, 2.5, 10.2, 8.7], 1000, 1000, rule), [0, 0, 15, 13]);
  assert.deepEqual(cropRect([990, 990, 1000, 1000], 1000, 1000, rule), [986, 986, 1000, 1000]);
  // wholly outside still gives a non-empty crop inside the image
  const r = cropRect([2000, 2000, 2010, 2010], 1000, 1000, rule);
  assert.ok(r[2] > r[0] && r[3] > r[1] && r[2] <= 1000);
  // a classifier trained under another rule (train_classifier.py --crop-expand 0.3 --crop-min-pad 10) is served under
  // its own: the same rectangle as the recipe's crop_box (scripts/train/test_prepare.py)
  assert.deepEqual(cropRect([100, 100, 200, 120], 1000, 1000, { expand: 0.3, minPad: 10, size: 64 }), [70, 90, 230, 130]);
});

test('cropBatch makes one [N,3,S,S] batch, each crop normalised', () => {
  const f = solidFrame(200, 100, [0, 0, 0, 255]);
  for (let y = 0; y < 100; y++) for (let x = 100; x < 200; x++) f.data.set([255, 0, 0, 255], (y * 200 + x) * 4);
  const p = PreprocessSchema.parse({ inputWidth: 64, inputHeight: 64, crop: { expand: 0.1, minPad: 4, size: 32 } });
  const b = cropBatch({ data: f.data, width: 200, height: 100, channels: 4 }, [[10, 10, 50, 50], [140, 10, 180, 50]], p);
  assert.deepEqual(b.dims, [2, 3, 32, 32]);
  const plane = 32 * 32;
  assert.ok(b.data[0 * 3 * plane + 16 * 32 + 16]! < 0.01); // crop 0 red: black
  assert.ok(b.data[1 * 3 * plane + 16 * 32 + 16]! > 0.99); // crop 1 red: red
  assert.ok(b.data[1 * 3 * plane + plane + 16 * 32 + 16]! < 0.01); // crop 1 green
});

test('labels map to {type, checked}', () => {
  assert.deepEqual(labelToKind('checkbox_checked'), { type: 'checkbox', checked: true });
  assert.deepEqual(labelToKind('checkbox_unchecked'), { type: 'checkbox', checked: false });
  assert.deepEqual(labelToKind('radio_checked'), { type: 'radio', checked: true });
  assert.deepEqual(labelToKind('toggle_on'), { type: 'toggle', checked: true });
  assert.deepEqual(labelToKind('toggle_off'), { type: 'toggle', checked: false });
  assert.deepEqual(labelToKind('text_input'), { type: 'text_input' });
  assert.deepEqual(labelToKind('icon_button'), { type: 'icon_button' });
  const s = softmax([1, 2, 3]);
  assert.ok(Math.abs(s[0]! + s[1]! + s[2]! - 1) < 1e-12 && s[2]! > s[1]!);
  // a type's probability sums its states; a plain label is its own type; an absent type is 0
  const ranked = [{ label: 'link', score: 0.5 }, { label: 'toggle_on', score: 0.25 }, { label: 'toggle_off', score: 0.125 }, { label: 'text_input', score: 0.125 }];
  assert.equal(typeProbability(ranked, 'toggle'), 0.375);
  assert.equal(typeProbability(ranked, 'link'), 0.5);
  assert.equal(typeProbability(ranked, 'text'), 0, 'a prefix of a label is not its type');
  assert.equal(typeProbability(ranked, 'menu_item'), 0);
  // findElement's look-alike rule: at least minScore and above 0 (so minScore 0 never admits an absent type)
  assert.equal(lookAlikeTypeScore(ranked, 'toggle', 0.375), 0.375);
  assert.equal(lookAlikeTypeScore(ranked, 'toggle', 0.4), undefined);
  assert.equal(lookAlikeTypeScore(ranked, 'menu_item', 0), undefined);
});

test('embeddings are L2-normalised; cosine of unit vectors', () => {
  const a = l2Normalise([3, 4]);
  assert.ok(Math.abs(a[0]! - 0.6) < 1e-6 && Math.abs(a[1]! - 0.8) < 1e-6);
  assert.ok(Math.abs(cosine(a, a) - 1) < 1e-6);
  assert.ok(Math.abs(cosine(l2Normalise([1, 0]), l2Normalise([0, 2]))) < 1e-9);
  assert.deepEqual(Array.from(l2Normalise([0, 0])), [0, 0]);
});

test('frame cache: identical pixels hit, a one-pixel change misses even where the sample does not look', () => {
  const c = new FrameCache<string>(2);
  const f = solidFrame(640, 480, [10, 20, 30, 255]);
  const miss = c.get('k', f.data, 640, 480);
  assert.equal(miss.value, undefined);
  c.set('k', f.data, miss.hash, 'result-1');
  assert.equal(c.get('k', Buffer.from(f.data), 640, 480).value, 'result-1');
  // change one byte at word 1 (the sampled hash strides over it)
  const g = Buffer.from(f.data);
  g[4] = 99;
  assert.equal(sampledFrameHash(g, 640, 480), sampledFrameHash(f.data, 640, 480));
  assert.equal(c.get('k', g, 640, 480).value, undefined);
  // another key (e.g. another model) never reuses the entry
  assert.equal(c.get('other', f.data, 640, 480).value, undefined);
  assert.deepEqual(c.stats(), { hits: 1, misses: 3, entries: 1 });
  assert.deepEqual(c.takeCounts(), { hits: 1, misses: 3 });
  assert.deepEqual(c.takeCounts(), { hits: 0, misses: 0 });
});

test('frame cache hit on a 1920x1080 frame costs ≤ 2 ms (median of 20)', () => {
  const c = new FrameCache<number>(1);
  const f = solidFrame(1920, 1080, [1, 2, 3, 255]);
  const h = c.get('k', f.data, 1920, 1080);
  c.set('k', f.data, h.hash, 1);
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    assert.equal(c.get('k', f.data, 1920, 1080).value, 1);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  assert.ok(times[10]! <= 2, `median ${times[10]} ms`);
});

test('cropFrame cuts a screen region out of a frame at its origin and pixel scale', () => {
  const f: Frame = { ...solidFrame(100, 50, [0, 0, 0, 255]), originX: 1000, originY: 0, pixelScale: 2 };
  f.data.set([9, 9, 9, 255], (20 * 100 + 40) * 4);
  // screen region (1020, 10) 10x5 → image pixels (40, 20) 20x10
  const c = cropFrame(f, { x: 1020, y: 10, width: 10, height: 5 });
  assert.deepEqual([c.width, c.height, c.originX, c.originY], [20, 10, 1020, 10]);
  assert.equal(c.data[0], 9);
});

test('"near text" proximity: right on the same row or just below beats above/left and far away', async () => {
  const { proximityScore } = await import('../../src/agent/vision/pipeline.js');
  const label: [number, number, number, number] = [100, 100, 180, 120]; // 20 px high
  const right = proximityScore(label, [190, 98, 400, 122]); // gap 10 → 1 / (1 + 0.5)
  const below = proximityScore(label, [100, 126, 300, 150]); // gap 6 → 1 / 1.3
  const left = proximityScore(label, [0, 100, 90, 120]); // gap 10, wrong side → 0.5 / 1.5
  const farRight = proximityScore(label, [600, 100, 700, 120]); // gap 420
  const overlapping = proximityScore(label, [150, 105, 200, 115]);
  assert.ok(Math.abs(right - 1 / 1.5) < 1e-9);
  assert.ok(Math.abs(below - 1 / 1.3) < 1e-9);
  assert.ok(Math.abs(left - 0.5 / 1.5) < 1e-9);
  assert.equal(overlapping, 1);
  assert.ok(below > right && right > left && left > farRight);
});
