/**
 * The WebAssembly SIMD crop resampler (src/agent/vision/resample-wasm.ts, issue 15 §3) gives the same floats as
 * Pillow (fixtures made by Pillow) and as the JS path on a real rendered screen, for every resize direction,
 * both channel orders and the copy paths; the committed WebAssembly bytes are what the .wat source compiles to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PreprocessSchema } from '../../src/common/wire.js';
import { cropBatch, cropRect } from '../../src/agent/vision/crops.js';
import { normalisationTables, packPlanar } from '../../src/agent/vision/preprocess.js';
import { resampleCropInto, TapCache } from '../../src/agent/vision/resample.js';
import { RESAMPLE_WASM_BASE64 } from '../../src/agent/vision/wasm/resample-wasm-bytes.js';
import type { Box } from '../../src/common/geometry.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FIX = join(ROOT, 'test', 'fixtures', 'vision');

function countDiff(a: Float32Array, b: Float32Array, from = 0): number {
  let d = 0;
  for (let i = 0; i < b.length; i++) if (a[from + i] !== b[i]) d++;
  return d;
}

test('WebAssembly SIMD is used for RGBA crops here, and the JS path can be forced', () => {
  assert.ok(new TapCache().wasm(), 'Node 20 on x86-64 has WebAssembly SIMD: the fast path must be the one measured');
  assert.equal(new TapCache(256, { simd: false }).wasm(), null);
});

test('SIMD resampler equals Pillow bit for bit: down, up and mixed, RGB and BGR planes, alpha 7 and 255', () => {
  const src = new Uint8Array(readFileSync(join(FIX, 'resample-src-300x120.rgb')));
  const p = PreprocessSchema.parse({ inputWidth: 64, inputHeight: 64, scale: 255, mean: [0.1, 0.2, 0.3], std: [0.5, 0.6, 0.7] });
  const tables = normalisationTables(p);
  const cache = new TapCache(2);
  assert.ok(cache.wasm());
  const cases: [string, [number, number, number, number]][] = [
    ['down', [3, 7, 290, 100]],
    ['up', [10, 20, 40, 41]],
    ['mixed', [0, 0, 300, 30]],
  ];
  for (const alpha of [7, 255]) {
    const rgba = new Uint8Array(300 * 120 * 4);
    for (let i = 0; i < 300 * 120; i++) rgba.set([src[i * 3]!, src[i * 3 + 1]!, src[i * 3 + 2]!, alpha], i * 4);
    for (const bgr of [false, true]) {
      for (const [name, [x1, y1, x2, y2]] of cases) {
        const pil = new Uint8Array(readFileSync(join(FIX, `resample-${name}-64.rgb`)));
        const want = new Float32Array(3 * 64 * 64);
        packPlanar(pil, 64, 64, 3, want, 64, 64, 0, 0, tables, bgr);
        const got = new Float32Array(2 * 3 * 64 * 64).fill(NaN);
        resampleCropInto(rgba, 300, 4, x1, y1, x2 - x1, y2 - y1, 64, 64, got, 3 * 64 * 64, tables, bgr, cache);
        assert.ok(Number.isNaN(got[0]!) && Number.isNaN(got[3 * 64 * 64 - 1]!), 'first slot untouched');
        assert.equal(countDiff(got, want, 3 * 64 * 64), 0, `${name} alpha ${alpha} bgr=${bgr}: values differ from Pillow`);
      }
    }
  }
});

test('SIMD and JS paths give identical batches on a real rendered screen: every element, edge, full-frame and copy-path crops', async () => {
  const { data, info } = await sharp(join(ROOT, 'test', 'fixtures', 'screens', 'synthetic_200000_v0.png')).ensureAlpha(1).raw().toBuffer({ resolveWithObject: true });
  const img = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 4 };
  const truth = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'screens', 'synthetic_200000_v0.json'), 'utf8')) as { elements?: { box?: Box; bbox?: Box }[] };
  const boxes: Box[] = (truth.elements ?? []).map((e) => (e.box ?? e.bbox)!).filter(Boolean);
  assert.ok(boxes.length >= 10, `the fixture's elements (${boxes.length})`);
  const W = img.width;
  const H = img.height;
  // a crop of 64 px exactly (copy path in one or both axes), the whole frame, corners, and a 1-pixel box
  boxes.push([0, 0, W, H], [W - 3, H - 3, W, H], [0, 0, 1, 1], [100.5, 40.25, 100.5 + 64 - 2 * 6.4, 40.25 + 30]);
  const p = PreprocessSchema.parse({ inputWidth: 64, inputHeight: 64, scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], crop: { expand: 0.1, minPad: 4, size: 64 } });
  for (const channelOrder of ['RGB', 'BGR'] as const) {
    const q = { ...p, channelOrder };
    const simd = cropBatch(img, boxes, q, new TapCache());
    const js = cropBatch(img, boxes, q, new TapCache(256, { simd: false }));
    assert.equal(simd.data.length, js.data.length);
    assert.equal(countDiff(simd.data, js.data), 0, `${channelOrder}: SIMD and JS batches differ`);
  }
  // the copy paths, exactly: a 64-wide and a 64-tall source rectangle
  const tables = normalisationTables(p);
  for (const [sw, sh] of [
    [64, 64],
    [64, 90],
    [90, 64],
  ]) {
    const a = new Float32Array(3 * 64 * 64);
    const b = new Float32Array(3 * 64 * 64);
    resampleCropInto(img.data, W, 4, 7, 9, sw!, sh!, 64, 64, a, 0, tables, false, new TapCache());
    resampleCropInto(img.data, W, 4, 7, 9, sw!, sh!, 64, 64, b, 0, tables, false, new TapCache(256, { simd: false }));
    assert.equal(countDiff(a, b), 0, `${sw}x${sh}`);
  }
  // sanity: the crop rule put every box inside the frame
  for (const b of boxes) {
    const [x1, y1, x2, y2] = cropRect(b, W, H, { expand: 0.1, minPad: 4, size: 64 });
    assert.ok(x1 >= 0 && y1 >= 0 && x2 <= W && y2 <= H && x2 > x1 && y2 > y1);
  }
});

test('the SIMD resampler memory grows to the largest crop and is counted as held', () => {
  const cache = new TapCache();
  const before = cache.heldBytes();
  const img = new Uint8Array(800 * 600 * 4).map((_, i) => (i * 31) & 255);
  const p = PreprocessSchema.parse({ inputWidth: 64, inputHeight: 64 });
  resampleCropInto(img, 800, 4, 0, 0, 800, 600, 64, 64, new Float32Array(3 * 64 * 64), 0, normalisationTables(p), false, cache);
  assert.ok(cache.heldBytes() >= before + 800 * 600 * 4, `held ${cache.heldBytes()} bytes`);
});

test('the committed WebAssembly bytes are what scripts/build-resample-wasm.sh makes from resample.wat', (t) => {
  if (spawnSync('wat2wasm', ['--version']).status !== 0) {
    t.skip('wat2wasm (Debian package wabt) is not installed: cannot rebuild the bytes to compare');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'rpa-wasm-'));
  try {
    const out = join(dir, 'r.wasm');
    execFileSync('wat2wasm', [join(ROOT, 'src', 'agent', 'vision', 'wasm', 'resample.wat'), '-o', out]);
    assert.equal(readFileSync(out).toString('base64'), RESAMPLE_WASM_BASE64, 'run: bash scripts/build-resample-wasm.sh');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
