/**
 * The performance paths of the vision pipeline (issue 4) against the reference behaviour: the fused crop
 * resampler is bit-exact with Pillow (fixtures made by Pillow) for RGB and RGBA sources, the JS alpha drop is
 * exact, and reused preprocessing buffers give the same tensors as fresh ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PreprocessSchema } from '../../src/common/wire.js';
import { preprocessFrame, normalisationTables, packPlanar, rgbaToRgb, PreprocessScratch } from '../../src/agent/vision/preprocess.js';
import { resizeBilinearPil, resampleCropInto, TapCache } from '../../src/agent/vision/resample.js';
import type { Frame } from '../../src/agent/vision/types.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'vision');

function solidFrame(w: number, h: number, rgba: [number, number, number, number]): Frame {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set(rgba, i * 4);
  return { data, width: w, height: h, channels: 4, originX: 0, originY: 0 };
}

test('resampleCropInto (fused resize + normalise) equals Pillow bit for bit: RGB and RGBA sources, RGB and BGR planes', () => {
  const src = new Uint8Array(readFileSync(join(FIX, 'resample-src-300x120.rgb')));
  // the same pixels as RGBA (alpha never read), for the 32-bit load path used on screen captures: alpha 7, and
  // alpha 255 as captured screens have it (the word's top bit set, which a signed 32-bit view reads as negative)
  const rgba = new Uint8Array(300 * 120 * 4);
  for (let i = 0; i < 300 * 120; i++) rgba.set([src[i * 3]!, src[i * 3 + 1]!, src[i * 3 + 2]!, 7], i * 4);
  const opaque = rgba.map((v, i) => (i % 4 === 3 ? 255 : v));
  const p = PreprocessSchema.parse({ inputWidth: 64, inputHeight: 64, scale: 255, mean: [0.1, 0.2, 0.3], std: [0.5, 0.6, 0.7] });
  const tables = normalisationTables(p);
  const cache = new TapCache(2); // smaller than the number of sizes used, so eviction is exercised too
  const cases: [string, [number, number, number, number]][] = [
    ['down', [3, 7, 290, 100]],
    ['up', [10, 20, 40, 41]],
    ['mixed', [0, 0, 300, 30]],
  ];
  for (const bgr of [false, true]) {
    for (const [name, [x1, y1, x2, y2]] of cases) {
      const pil = new Uint8Array(readFileSync(join(FIX, `resample-${name}-64.rgb`)));
      const want = new Float32Array(3 * 64 * 64);
      packPlanar(pil, 64, 64, 3, want, 64, 64, 0, 0, tables, bgr);
      for (const [img, ch] of [[src, 3], [rgba, 4], [opaque, 4]] as const) {
        const got = new Float32Array(2 * 3 * 64 * 64).fill(NaN);
        // into the second slot of a batch of two: the offset is honoured and the first slot is left alone
        resampleCropInto(img, 300, ch, x1, y1, x2 - x1, y2 - y1, 64, 64, got, 3 * 64 * 64, tables, bgr, cache);
        assert.ok(Number.isNaN(got[0]!) && Number.isNaN(got[3 * 64 * 64 - 1]!), 'first slot untouched');
        let diff = 0;
        for (let i = 0; i < want.length; i++) if (want[i] !== got[3 * 64 * 64 + i]) diff++;
        assert.equal(diff, 0, `${name} ${ch}ch bgr=${bgr}: ${diff} values differ from Pillow`);
      }
    }
  }
  // unchanged width and/or height take the copy paths
  const a = new Float32Array(3 * 64 * 64);
  resampleCropInto(src, 300, 3, 5, 5, 64, 64, 64, 64, a, 0, tables, false, cache);
  assert.equal(a[64 * 2 + 3], tables[0][src[((5 + 2) * 300 + 5 + 3) * 3]!]);
  const ref = resizeBilinearPil(src, 300, 3, 5, 5, 64, 100, 64, 64);
  const b = new Float32Array(3 * 64 * 64);
  resampleCropInto(src, 300, 3, 5, 5, 64, 100, 64, 64, b, 0, tables, false, cache);
  const want = new Float32Array(3 * 64 * 64);
  packPlanar(ref, 64, 64, 3, want, 64, 64, 0, 0, tables);
  assert.deepEqual(b, want);
});

test('rgbaToRgb drops alpha exactly, for aligned and unaligned buffers and any pixel count', () => {
  for (const pixels of [1, 3, 4, 5, 1001]) {
    const buf = new Uint8Array(pixels * 4 + 1);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 37 + 11) & 255;
    for (const src of [buf.subarray(0, pixels * 4), buf.subarray(1)]) {
      const out = new Uint8Array(pixels * 3);
      rgbaToRgb(src, pixels, out);
      for (let i = 0; i < pixels; i++) for (let c = 0; c < 3; c++) assert.equal(out[i * 3 + c], src[i * 4 + c], `pixel ${i} channel ${c}`);
    }
  }
});

test('preprocess with reused buffers gives the same tensor as a fresh one, and a detached buffer is dropped', async () => {
  const p = PreprocessSchema.parse({ inputWidth: 96, inputHeight: 96, padValue: 114 });
  const f = solidFrame(160, 90, [0, 0, 0, 255]);
  for (let i = 0; i < f.data.length; i++) if (i % 4 !== 3) f.data[i] = (i * 13) & 255;
  const fresh = await preprocessFrame(f, p);
  const scratch = new PreprocessScratch();
  const a = await preprocessFrame(f, p, undefined, scratch);
  assert.deepEqual(a.data, fresh.data);
  const aData = a.data;
  a.release();
  const b = await preprocessFrame(f, p, undefined, scratch);
  assert.equal(b.data, aData, 'the released buffer is reused');
  assert.deepEqual(b.data, fresh.data);
  // while b is out, another call gets its own buffer (concurrent detect calls never share one)
  const c = await preprocessFrame(f, p, undefined, scratch);
  assert.notEqual(c.data, b.data);
  // a buffer handed to a worker (transferred, so detached) is not pooled
  structuredClone(b.data.buffer, { transfer: [b.data.buffer] });
  b.release();
  c.release();
  const d = await preprocessFrame(f, p, undefined, scratch);
  assert.equal(d.data, c.data);
  assert.deepEqual(d.data, fresh.data);
});
