/**
 * `npm run quantize -- --eval-dir`: the int8 evaluation dir holds the pair the agent would run. A role this run
 * quantized gives its new int8 file; a role it did not keeps its earlier int8 variant only while that variant's base is
 * the fp32 model beside it (a classifier-only ship keeps the detector's variant); anything else is evaluated in fp32.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalDirModel } from '../../scripts/quantize/variant-file.js';

function roleDir(fp32: string, variant?: { bytes: string; baseOf?: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-evaldir-'));
  writeFileSync(join(dir, 'model.onnx'), fp32);
  if (variant) {
    mkdirSync(join(dir, 'variants', 'int8'), { recursive: true });
    writeFileSync(join(dir, 'variants', 'int8', 'model.onnx'), variant.bytes);
    if (variant.baseOf !== undefined) {
      const sha = createHash('sha256').update(variant.baseOf).digest('hex');
      writeFileSync(join(dir, 'variants', 'int8', 'variant.json'), JSON.stringify({ base: { version: '1.0.0', sha256: sha } }));
    }
  }
  return dir;
}

test('a role quantized by this run is evaluated as its int8 file', () => {
  const dir = roleDir('fp32-new', { bytes: 'int8-new' });
  try {
    assert.deepEqual(evalDirModel(dir, true), { file: join(dir, 'variants', 'int8', 'model.onnx'), int8: true });
  } finally { rmSync(dir, { recursive: true }); }
});

test('a role not quantized keeps its earlier int8 variant while the variant is of the fp32 model beside it', () => {
  const dir = roleDir('fp32-same', { bytes: 'int8-old', baseOf: 'fp32-same' });
  try {
    assert.deepEqual(evalDirModel(dir, false), { file: join(dir, 'variants', 'int8', 'model.onnx'), int8: true });
  } finally { rmSync(dir, { recursive: true }); }
});

test('a stale variant (made from another fp32 file) or one without variant.json is not used: fp32 instead', () => {
  const stale = roleDir('fp32-retrained', { bytes: 'int8-old', baseOf: 'fp32-before' });
  const bare = roleDir('fp32', { bytes: 'int8' });
  const none = roleDir('fp32');
  try {
    assert.deepEqual(evalDirModel(stale, false), { file: join(stale, 'model.onnx'), int8: false });
    assert.deepEqual(evalDirModel(bare, false), { file: join(bare, 'model.onnx'), int8: false });
    assert.deepEqual(evalDirModel(none, true), { file: join(none, 'model.onnx'), int8: false });
  } finally { for (const d of [stale, bare, none]) rmSync(d, { recursive: true }); }
});
