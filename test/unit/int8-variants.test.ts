/**
 * The committed INT8 variants (issue 21 §1, scripts/quantize) with real onnxruntime-node: each variant.json keeps the
 * variant file contract and names the fp32 file it was made from (sha256 of today's model.onnx: a retrained fp32
 * model without `npm run quantize` fails here), the int8 file passes the graph scan and its own self-test as the
 * agent checks it, has the fp32 contract, really is int8 (onnxruntime's CPU EP fuses its Convs into QLinearConv), and
 * on a screenshot through the agent's pipeline finds the same elements with the same types as fp32.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { selfTestInput, selfTestMaxDiff } from '../../src/agent/inference/tensors.js';
import { createOrtRunner } from '../../src/agent/vision/ort-runner.js';
import { VisionPipeline } from '../../src/agent/vision/pipeline.js';
import { loadSpecFile } from '../../src/agent/vision/spec.js';
import type { VisionModelSpec } from '../../src/agent/vision/types.js';
import { scanOnnx } from '../../src/common/graph-scan.js';
import { readOnnxModel } from '../../src/common/onnx-proto.js';
import { iou, type Box } from '../../src/common/geometry.js';
import type { Role } from '../../src/common/wire.js';
import { VariantFileSchema } from '../../scripts/quantize/variant-file.js';
import { matchPairs } from '../../scripts/eval/real-metrics.js';

const root = resolve(import.meta.dirname, '..', '..');
const MODELS = join(root, 'assets', 'models');
const ROLES: Role[] = ['detector', 'classifier'];
const variantDir = (r: Role) => join(MODELS, r, 'variants', 'int8');
const SCREEN = join(root, 'test', 'fixtures', 'screens', 'synthetic_200000_v0.png');

test('each int8 variant keeps the file contract, names its fp32 base by sha256 and passes the graph scan', () => {
  for (const r of ROLES) {
    const v = VariantFileSchema.parse(JSON.parse(readFileSync(join(variantDir(r), 'variant.json'), 'utf8')));
    const meta = JSON.parse(readFileSync(join(MODELS, r, 'metadata.json'), 'utf8')) as { version: string };
    assert.equal(v.name, 'int8');
    assert.equal(v.precision, 'int8');
    assert.equal(v.format, 'qdq');
    assert.equal(v.base.version, meta.version, `${r}: base version`);
    assert.equal(v.base.sha256, createHash('sha256').update(readFileSync(join(MODELS, r, 'model.onnx'))).digest('hex'), `${r}: made from today's fp32 file (else rerun npm run quantize)`);
    const scan = scanOnnx(new Uint8Array(readFileSync(join(variantDir(r), 'model.onnx'))));
    assert.equal(scan.opset, 17);
    assert.ok(scan.ops.includes('QuantizeLinear') && scan.ops.includes('DequantizeLinear'), `${r}: a QDQ graph`);
  }
});

test('each int8 variant has the fp32 contract and passes its own self-test with the agent session options', async () => {
  for (const r of ROLES) {
    const v = VariantFileSchema.parse(JSON.parse(readFileSync(join(variantDir(r), 'variant.json'), 'utf8')));
    const fp32 = await ort.InferenceSession.create(join(MODELS, r, 'model.onnx'));
    const o = await createOrtRunner({ [r]: join(variantDir(r), 'model.onnx') });
    try {
      const s = o.sessions[r]!;
      assert.deepEqual([s.inputNames, s.outputNames], [fp32.inputNames, fp32.outputNames], `${r}: names`);
      const x = selfTestInput(v.selfTest);
      const y = (await s.run({ [x.name]: new ort.Tensor('float32', x.data, x.dims) }))[v.selfTest.expected.name]!;
      const want = (await fp32.run({ [x.name]: new ort.Tensor('float32', x.data, x.dims) }))[v.selfTest.expected.name]!;
      assert.deepEqual(y.dims, want.dims, `${r}: output shape`);
      const diff = selfTestMaxDiff(v.selfTest, y.data as Float32Array);
      assert.ok(diff <= v.selfTest.tolerance, `${r}: self-test diff ${diff} > ${v.selfTest.tolerance}`);
      // and the fp32 file does NOT pass the int8 self-test within its tolerance on the classifier (the values are the int8 file's)
      if (r === 'classifier') assert.ok(selfTestMaxDiff(v.selfTest, want.data as Float32Array) > v.selfTest.tolerance, 'the int8 self-test tells the files apart');
    } finally {
      await o.close();
      await fp32.release();
    }
  }
});

test('onnxruntime CPU fuses every int8 Conv of the variants into QLinearConv (the int8 kernels run, not float emulation)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'int8-opt-'));
  try {
    for (const r of ROLES) {
      const v = VariantFileSchema.parse(JSON.parse(readFileSync(join(variantDir(r), 'variant.json'), 'utf8')));
      const out = join(dir, `${r}.onnx`);
      const s = await ort.InferenceSession.create(join(variantDir(r), 'model.onnx'), { executionProviders: ['cpu'], graphOptimizationLevel: 'all', optimizedModelFilePath: out });
      await s.release();
      const ops = readOnnxModel(new Uint8Array(readFileSync(out))).graph.nodes.map((n) => n.opType);
      const planned = (v.measured.graph as { int8Convs: number }).int8Convs;
      assert.ok(planned > 0);
      assert.equal(ops.filter((o) => o === 'QLinearConv').length, planned, `${r}: QLinearConv count`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on a screenshot through the agent pipeline, int8 finds every clear fp32 element with its type, and nearly all others', async () => {
  const specs = {} as Record<Role, VisionModelSpec>;
  for (const r of ROLES) specs[r] = { ...(await loadSpecFile(r, join(MODELS, r, 'metadata.json'))), modelId: r };
  const png = readFileSync(SCREEN);
  const run = async (files: Record<string, string>) => {
    const o = await createOrtRunner(files);
    try {
      const vp = new VisionPipeline({ runner: o.runner, specs: (r) => specs[r], cacheEntries: 0 });
      return (await vp.detect({ source: { kind: 'png', png } })).elements;
    } finally {
      await o.close();
    }
  };
  const fp32 = await run(Object.fromEntries(ROLES.map((r) => [r, join(MODELS, r, 'model.onnx')])));
  const int8 = await run(Object.fromEntries(ROLES.map((r) => [r, join(variantDir(r), 'model.onnx')])));
  assert.ok(fp32.length >= 20, `fp32 finds ${fp32.length} elements`);
  // near the detector's threshold (0.25) and where fp32's own top-1 probability is low (20 labels: 0.15-0.47 on this
  // screen's look-alikes) a small change flips the answer either way; those are checked in aggregate, the clear ones each
  const CLEAR_DETECTION = 0.35;
  // 0.6, not 0.5: with classifier 2.1.0 one text field at p 0.515 (a near tie with list_item) flipped — a coin flip
  // is not a clear type; the held-out figures (type top-1 within 0.01 of fp32) are the measure of the variant
  const CLEAR_TYPE = 0.6;
  // the eval's greedy matching at IoU 0.5 (scripts/eval/real-metrics.ts): fp32 elements by score take an int8 one each
  const pairs = matchPairs(fp32.map((e) => ({ box: e.box as Box, score: e.score ?? 0 })), int8.map((e) => ({ box: e.box as Box })));
  const matchOf = new Map(pairs.map((p) => [p.answer, p.truth]));
  const matched = pairs.length;
  const problems: string[] = [];
  fp32.forEach((e, i) => {
    const best = matchOf.get(i);
    if (best === undefined) {
      if ((e.score ?? 0) >= CLEAR_DETECTION) problems.push(`${e.type} at ${e.box.map(Math.round).join(',')} (score ${e.score}) not found`);
      return;
    }
    // a clear fp32 type must stay; the one exception: int8's detector drew another box (IoU < 0.8: another crop, so
    // another classifier input — round 10: a checked radio at detection score 0.38 boxed 35 px wider became an unsure
    // tree_item) and int8's classifier is itself unsure of its answer (p < CLEAR_TYPE), i.e. never confidently wrong
    const o = int8[best]!;
    const otherCrop = iou(e.box as Box, o.box as Box) < 0.8 && (o.typeScore ?? 0) < CLEAR_TYPE;
    if ((e.typeScore ?? 0) >= CLEAR_TYPE && o.type !== e.type && !otherCrop) problems.push(`${e.type} (p ${e.typeScore}) became ${o.type}`);
  });
  assert.deepEqual(problems, [], 'clear detections and clear types are kept');
  assert.ok(fp32.filter((e) => (e.typeScore ?? 0) >= CLEAR_TYPE).length >= 10, 'the screen has clear types to check');
  assert.ok(Math.abs(int8.length - fp32.length) <= 0.1 * fp32.length, `element count ${int8.length} vs fp32 ${fp32.length}`);
  assert.ok(matched >= 0.85 * fp32.length, `${matched}/${fp32.length} fp32 elements found by int8`);
});
