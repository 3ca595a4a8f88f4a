/**
 * The graph scan (issue 20 §3) on real ONNX files: the fixtures of scripts/fixtures/make_scan_models.py and
 * make_endless_models.py each break one rule and are refused with its code; every shipped model and
 * every other fixture passes; bytes that are not ONNX are graph_unreadable. The reader is ours (pure TS).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_SCAN_LIMITS, scanModel, scanOnnx } from '../../src/common/graph-scan.js';
import { readOnnxModel } from '../../src/common/onnx-proto.js';

const root = resolve(import.meta.dirname, '..', '..');
const fixture = (name: string) => new Uint8Array(readFileSync(join(root, 'test', 'fixtures', 'models', name)));
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return 'passed';
};

test('each rule refuses its fixture with its own code', () => {
  assert.equal(code(() => scanOnnx(fixture('scan-external-data.onnx'))), 'graph_external_data');
  assert.equal(code(() => scanOnnx(fixture('scan-custom-domain.onnx'))), 'graph_custom_domain');
  // the node's own domain is checked too, not only the opset imports
  const custom = readOnnxModel(fixture('scan-custom-domain.onnx'));
  assert.equal(code(() => scanModel({ ...custom, opsets: custom.opsets.filter((o) => o.domain === '') })), 'graph_custom_domain');
  assert.equal(code(() => scanOnnx(fixture('scan-op-not-allowed.onnx'))), 'graph_op_not_allowed');
  assert.equal(code(() => scanOnnx(fixture('scan-opset-old.onnx'))), 'graph_opset_range');
  assert.equal(code(() => scanOnnx(fixture('scan-opset-old.onnx'), { ...DEFAULT_SCAN_LIMITS, minOpset: 6 })), 'passed', 'within a wider range it passes');
  assert.equal(code(() => scanOnnx(fixture('scan-big-initializer.onnx'), { ...DEFAULT_SCAN_LIMITS, maxInitializerBytes: 32 * 1024 })), 'graph_initializer_too_large');
  assert.equal(code(() => scanOnnx(fixture('scan-big-initializer.onnx'))), 'passed', '64 KiB is under the default bound');
  assert.equal(code(() => scanOnnx(fixture('endless.onnx'))), 'graph_loop_unbounded', 'trip count 2^40 is over the bound');
  assert.equal(code(() => scanOnnx(fixture('endless-on-input.onnx'))), 'graph_loop_unbounded', 'a trip count computed from the input');
  assert.equal(scanOnnx(fixture('scan-loop-bounded.onnx')).ops.join(','), 'Identity,Loop', 'a constant trip count of 3 passes, and the body is scanned');
});

test('every shipped model and every other fixture passes the default scan', () => {
  const files = [
    ...readdirSync(join(root, 'test/fixtures/models')).filter((f) => f.endsWith('.onnx') && !f.startsWith('scan-') && !f.startsWith('endless')).map((f) => join(root, 'test/fixtures/models', f)),
    ...readdirSync(join(root, 'assets/models'), { recursive: true }).map(String).filter((f) => f.endsWith('.onnx')).map((f) => join(root, 'assets/models', f)),
  ];
  assert.ok(files.length >= 8, `found ${files.length} models`);
  for (const f of files) {
    const r = scanOnnx(new Uint8Array(readFileSync(f)));
    assert.equal(r.opset, 17, f);
    assert.ok(r.nodes > 0, f);
  }
});

test('bytes that are not ONNX are graph_unreadable, never a crash', () => {
  assert.equal(code(() => scanOnnx(new TextEncoder().encode('not a model at all'))), 'graph_unreadable');
  const tiny = fixture('tiny-a.onnx');
  assert.equal(code(() => scanOnnx(tiny.subarray(0, tiny.length - 7))), 'graph_unreadable', 'truncated');
  assert.equal(code(() => scanOnnx(new Uint8Array(0))), 'graph_unreadable', 'empty: no graph');
});
