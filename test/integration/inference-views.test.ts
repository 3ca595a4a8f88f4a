/**
 * The multi-view crop contract at activation (docs/MODELS.md "Crop rule"): a classifier manifest whose crop has V
 * views must have an input of 3·V channels; otherwise activation fails at the contract step with contract_mismatch
 * and the active classifier keeps serving. Real InferenceHost, real onnxruntime sessions on the 6-channel fixture
 * (scripts/fixtures/make_twoview_fixture.py).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceHost } from '../../src/agent/inference/host.js';
import { AgentError } from '../../src/common/errors.js';
import type { ModelManifest } from '../../src/common/wire.js';
import { modelBytes, tinyManifest } from './inference-fixtures.js';

const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 1 });
after(async () => {
  await host.close();
});

function twoViewManifest(views: number): { modelId: string; manifest: ModelManifest; bytes: Uint8Array } {
  const bytes = modelBytes('classifier-twoview.onnx');
  const base = tinyManifest(bytes, { role: 'classifier', name: `twoview-${views}` });
  const manifest: ModelManifest = {
    ...base,
    contract: { inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 6, 64, 64] }], outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 2] }] },
    labels: ['tight', 'context'],
    preprocess: {
      inputWidth: 64,
      inputHeight: 64,
      letterbox: true,
      padValue: 114,
      scale: 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      channelOrder: 'RGB',
      crop: { expand: 0.1, minPad: 4, size: 64, views: Array.from({ length: views }, (_, k) => ({ expand: 0.1 * (k + 1), minPad: 4 })) },
    },
  };
  return { modelId: manifest.sha256, manifest, bytes };
}

const feeds = () => ({ input: { type: 'float32' as const, data: new Float32Array(6 * 64 * 64).fill(0.5).fill(1, 3 * 64 * 64), dims: [1, 6, 64, 64] } });

test('a 6-channel classifier activates with 2 views; with 3 views (9 channels) it is contract_mismatch and the 2-view one keeps serving', async () => {
  await host.activate({ role: 'classifier', ...twoViewManifest(2) });
  const out = await host.run('classifier', feeds());
  assert.deepEqual(Array.from(out.logits!.data as Float32Array).map((v) => Math.round(v * 1e4) / 1e4), [0.5, 1]);
  assert.equal(host.status().roles.classifier?.name, 'twoview-2');
  let err: unknown;
  try {
    await host.activate({ role: 'classifier', ...twoViewManifest(3) });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof AgentError, `AgentError expected, got ${String(err)}`);
  assert.equal(err.code, 'contract_mismatch');
  assert.equal(err.details?.step, 'contract');
  assert.match(err.message, /6 channels; 3 crop views need 9/);
  // the same bytes under another manifest: the name tells which manifest serves
  assert.equal(host.status().roles.classifier?.name, 'twoview-2');
  const again = await host.run('classifier', feeds());
  assert.deepEqual(Array.from(again.logits!.data as Float32Array).map((v) => Math.round(v * 1e4) / 1e4), [0.5, 1]);
});
