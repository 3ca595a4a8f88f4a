/**
 * Manifest building (DESIGN.md "ModelManifest", "Trust rules"): contract read from the real ONNX file
 * with onnxruntime, one sha256 per chunk, ceil(size / chunkSize) chunks, ≤ 1 MiB manifests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../../src/common/errors.js';
import { ModelManifestSchema, type ModelContract } from '../../src/common/wire.js';
import { PAYLOAD_TYPE_MODEL, verifyEnvelope } from '../../src/common/dsse.js';
import { buildManifest, parseModelMetadata, signManifest, splitChunks } from '../../src/fleet/manifest.js';
import { manifestOfEnvelope } from '../../src/fleet/publisher.js';
import { generateSigningKey, nodeEd25519Verifier } from '../../src/fleet/signer.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'models');
const tinyA = new Uint8Array(readFileSync(join(fixtures, 'tiny-a.onnx')));
const code = (c: string) => (e: unknown) => e instanceof AgentError && e.code === c;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fixedContract: ModelContract = { inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }] };
const readFixed = async () => fixedContract;

test('contract comes from the ONNX file itself (real onnxruntime on tiny-a.onnx)', async () => {
  const built = await buildManifest({ bytes: tinyA, role: 'detector', name: 'tiny', version: '1.0.0', chunkSize: 64 });
  assert.deepEqual(built.manifest.contract, fixedContract);
  assert.equal(built.modelId, sha(tinyA));
  assert.equal(built.manifest.size, tinyA.length);
  assert.ok(ModelManifestSchema.safeParse(built.manifest).success);
  const wrong = new Uint8Array(readFileSync(join(fixtures, 'wrong-contract.onnx')));
  const w = await buildManifest({ bytes: wrong, role: 'detector', name: 'w', version: '1.0.0' });
  assert.deepEqual(w.manifest.contract.inputs, [{ name: 'z', dtype: 'float32', shape: [1, 8] }]);
});

test('a file onnxruntime cannot load is refused with load_failed', async () => {
  await assert.rejects(buildManifest({ bytes: randomBytes(1000), role: 'detector', name: 'junk', version: '1.0.0' }), code('load_failed'));
});

test('chunks: ceil(size / chunkSize) of them, each hash matching, reassembling the file', async () => {
  for (const [size, chunkSize] of [[1000, 256], [1024, 256], [1, 256], [257, 256]] as const) {
    const bytes = randomBytes(size);
    const b = await buildManifest({ bytes, role: 'classifier', name: 'c', version: '0.1.0', chunkSize, readContract: readFixed });
    assert.equal(b.chunks.length, Math.ceil(size / chunkSize));
    assert.equal(b.manifest.chunkSha256.length, b.chunks.length);
    b.chunks.forEach((c, i) => assert.equal(sha(c), b.manifest.chunkSha256[i]));
    assert.deepEqual(Buffer.concat(b.chunks), bytes);
    assert.equal(b.manifest.sha256, sha(bytes));
    assert.ok(b.chunks.slice(0, -1).every((c) => c.length === chunkSize));
  }
  assert.deepEqual(splitChunks(new Uint8Array(0), 4), []);
});

test('a manifest over 1 MiB is refused (16384 chunk hashes)', async () => {
  const bytes = randomBytes(16384);
  await assert.rejects(buildManifest({ bytes, role: 'detector', name: 'big', version: '1.0.0', chunkSize: 1, readContract: readFixed }), code('manifest_too_large'));
  const ok = await buildManifest({ bytes, role: 'detector', name: 'big', version: '1.0.0', chunkSize: 16, readContract: readFixed });
  assert.ok(ok.manifestBytes < 1024 * 1024);
});

test('metadata: labels/preprocess/selfTest carried, unknown keys ignored, conflicts refused', async () => {
  const md = parseModelMetadata({
    role: 'detector',
    name: 'tiny',
    version: '1.2.0',
    labels: ['button', 'textbox'],
    preprocess: { inputWidth: 4, inputHeight: 1 },
    postprocess: { format: 'logits' },
    selfTest: { input: { name: 'x', shape: [1, 4], data: [0, 1, 2, 3] }, expected: { name: 'y', values: [1, 3, 5, 7] }, tolerance: 0.001 },
    latencyBudgetMs: 50,
    training: { epochs: 3, anything: true },
    contract: { inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 4] }], outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 4] }] },
  });
  assert.equal((md as Record<string, unknown>)['training'], undefined);
  const b = await buildManifest({ bytes: tinyA, metadata: md, readContract: readFixed });
  assert.equal(b.manifest.name, 'tiny');
  assert.deepEqual(b.manifest.labels, ['button', 'textbox']);
  assert.equal(b.manifest.preprocess?.letterbox, true); // schema default applied
  assert.equal(b.manifest.latencyBudgetMs, 50);
  assert.deepEqual(b.manifest.contract.inputs[0]!.shape, ['batch', 4]);
  await assert.rejects(buildManifest({ bytes: tinyA, metadata: md, version: '2.0.0', readContract: readFixed }), code('bad_argument'));
  await assert.rejects(buildManifest({ bytes: tinyA, role: 'detector', name: 'x', readContract: readFixed }), code('bad_argument')); // no version
  const wrongName = parseModelMetadata({ contract: { inputs: [{ name: 'q', dtype: 'float32', shape: [1, 4] }], outputs: fixedContract.outputs } });
  await assert.rejects(buildManifest({ bytes: tinyA, role: 'detector', name: 't', version: '1.0.0', metadata: wrongName, readContract: readFixed }), code('contract_mismatch'));
  const wrongDim = parseModelMetadata({ contract: { inputs: [{ name: 'x', dtype: 'float32', shape: [1, 5] }], outputs: fixedContract.outputs } });
  await assert.rejects(buildManifest({ bytes: tinyA, role: 'detector', name: 't', version: '1.0.0', metadata: wrongDim, readContract: readFixed }), code('contract_mismatch'));
  assert.throws(() => parseModelMetadata({ version: 'not-semver' }), code('bad_argument'));
});

test('bad inputs: empty file, chunk size 0, bad name', async () => {
  await assert.rejects(buildManifest({ bytes: new Uint8Array(0), role: 'detector', name: 't', version: '1.0.0', readContract: readFixed }), code('bad_argument'));
  await assert.rejects(buildManifest({ bytes: tinyA, role: 'detector', name: 't', version: '1.0.0', chunkSize: 0, readContract: readFixed }), code('bad_argument'));
  await assert.rejects(buildManifest({ bytes: tinyA, role: 'detector', name: 'a/b', version: '1.0.0', readContract: readFixed }), code('bad_argument'));
});

test('signManifest: verifies with the models key; manifestOfEnvelope reads it back', async () => {
  const k = generateSigningKey();
  const b = await buildManifest({ bytes: tinyA, role: 'detector', name: 'tiny', version: '1.0.0', readContract: readFixed });
  const env = signManifest(b.manifest, [k]);
  verifyEnvelope(env, PAYLOAD_TYPE_MODEL, [{ publicKey: k.publicKey }], 1, nodeEd25519Verifier);
  assert.deepEqual(manifestOfEnvelope(env), b.manifest);
});

test('metadata as scripts/train writes it (crop {expandRatio, minPadPx, size:[w,h]}, extra prose keys) becomes a valid manifest', async () => {
  const md = parseModelMetadata({
    role: 'classifier', name: 'ui-classifier', version: '1.0.0',
    contract: { inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 4] }], outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 4] }] },
    labels: ['button', 'checkbox', 'link', 'text'],
    preprocess: { inputWidth: 64, inputHeight: 64, letterbox: false, mean: [0, 0, 0], std: [1, 1, 1], scale: 255, channelOrder: 'RGB', layout: 'NCHW',
      crop: { expandRatio: 0.1, minPadPx: 2, size: [64, 64], resize: 'stretch-bilinear', rule: 'pad = max(...)' } },
    postprocess: { format: 'softmax', outputIsProbability: true },
    selfTest: { input: { name: 'x', shape: [1, 4], pattern: 'mod7919', formula: 'x[i] = ...' }, expected: { name: 'y', shape: [1, 4], indices: [0, 3], values: [1.0, 1.1] }, tolerance: 1e-3, toleranceRule: '...' },
    baseline: { latencyP95Ms: 3.2, latencySource: 'torch', confidenceHistogram: [0, 0, 0, 0, 0, 0, 0, 0.1, 0.2, 0.7], confidenceHistogramSource: '...' },
    training: { epochs: 3 },
    created: '2030-01-01T00:00:00Z',
  });
  assert.deepEqual(md.preprocess?.crop, { expand: 0.1, minPad: 2, size: 64 });
  const b = await buildManifest({ bytes: tinyA, metadata: md, readContract: readFixed });
  assert.equal(b.manifest.selfTest?.input.pattern, 'mod7919');
  assert.equal(b.manifest.baseline?.latencyP95Ms, 3.2);
  assert.ok(ModelManifestSchema.safeParse(b.manifest).success);
});

test('metadata with crop views (training names) keeps them in the manifest; a model without 3·V input channels is refused (contract_mismatch)', async () => {
  const twoview = new Uint8Array(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'models', 'classifier-twoview.onnx')));
  const metadata = (views: number) =>
    parseModelMetadata({
      role: 'classifier', name: 'twoview', version: '1.0.0', labels: ['tight', 'context'],
      preprocess: { inputWidth: 64, inputHeight: 64, crop: { size: [64, 64], views: Array.from({ length: views }, (_, k) => ({ expandRatio: 0.1 + 0.15 * k, minPadPx: 4 + 4 * k })) } },
    });
  const md = metadata(2);
  assert.deepEqual(md.preprocess?.crop, { expand: 0.1, minPad: 4, size: 64, views: [{ expand: 0.1, minPad: 4 }, { expand: 0.25, minPad: 8 }] });
  // the contract read by a real onnxruntime session of the 6-channel fixture
  const b = await buildManifest({ bytes: twoview, metadata: md });
  assert.deepEqual(b.manifest.preprocess?.crop?.views, [{ expand: 0.1, minPad: 4 }, { expand: 0.25, minPad: 8 }]);
  assert.deepEqual(b.manifest.contract.inputs[0]?.shape, ['batch', 6, 64, 64]);
  await assert.rejects(buildManifest({ bytes: twoview, metadata: metadata(3) }), (e: unknown) => e instanceof AgentError && e.code === 'contract_mismatch' && /6 channels; 3 crop views need 9/.test(e.message));
});
