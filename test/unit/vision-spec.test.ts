import { test } from 'node:test';
import assert from 'node:assert/strict';
import { specFromMetadata, specFromManifest } from '../../src/agent/vision/spec.js';
import { ModelManifestSchema } from '../../src/common/wire.js';

// the shape scripts/train/train_classifier.py writes (crop rule as expandRatio / minPadPx / size [w, h])
const classifierMetadata = {
  role: 'classifier',
  name: 'ui-classifier',
  version: '1.0.0',
  contract: { inputs: [{ name: 'images', dtype: 'float32', shape: ['batch', 3, 64, 64] }], outputs: [{ name: 'probs', dtype: 'float32', shape: ['batch', 13] }] },
  labels: ['button', 'text_input', 'checkbox_checked'],
  preprocess: { inputWidth: 64, inputHeight: 64, letterbox: false, mean: [0, 0, 0], std: [1, 1, 1], scale: 255, channelOrder: 'RGB', layout: 'NCHW', crop: { expandRatio: 0.1, minPadPx: 4, size: [64, 64], resize: 'stretch-bilinear' } },
  postprocess: { format: 'softmax', outputIsProbability: true },
};

test('metadata.json of the training recipe drives the spec (crop rule names normalised)', () => {
  const s = specFromMetadata('classifier', classifierMetadata);
  assert.equal(s.inputName, 'images');
  assert.equal(s.outputName, 'probs');
  assert.deepEqual(s.preprocess.crop, { expand: 0.1, minPad: 4, size: 64 });
  assert.equal(s.preprocess.letterbox, false);
  assert.equal(s.postprocess.format, 'softmax');
  assert.deepEqual(s.labels, ['button', 'text_input', 'checkbox_checked']);
});

test('detector metadata: thresholds and pad from the file, defaults only where absent', () => {
  const s = specFromMetadata('detector', {
    contract: { inputs: [{ name: 'images' }], outputs: [{ name: 'output0' }] },
    labels: ['element'],
    preprocess: { inputWidth: 640, inputHeight: 640, padValue: 100 },
    postprocess: { format: 'yolov8', scoreThreshold: 0.3, iouThreshold: 0.5 },
  });
  assert.equal(s.preprocess.padValue, 100);
  assert.equal(s.preprocess.scale, 255);
  assert.equal(s.postprocess.scoreThreshold, 0.3);
  assert.throws(() => specFromMetadata('detector', { preprocess: { inputWidth: 640, inputHeight: 640 } }), /names no input/);
  assert.throws(() => specFromMetadata('detector', { input: { name: 'x' }, preprocess: { inputWidth: -1, inputHeight: 640 } }));
});

test('a signed manifest gives the same spec fields (modelId = sha256)', () => {
  const sha = 'a'.repeat(64);
  const m = ModelManifestSchema.parse({
    role: 'detector',
    name: 'ui-detector',
    version: '1.0.0',
    sha256: sha,
    size: 10,
    chunkSize: 10,
    chunkSha256: [sha],
    contract: { inputs: [{ name: 'images', dtype: 'float32', shape: [1, 3, 320, 320] }], outputs: [{ name: 'output0', dtype: 'float32', shape: [1, 5, 2100] }] },
    labels: ['element'],
    created: '2026-01-01T00:00:00Z',
  });
  const s = specFromManifest(m);
  assert.equal(s.modelId, sha);
  assert.equal(s.preprocess.inputWidth, 320);
  assert.equal(s.postprocess.format, 'yolov8');
});
