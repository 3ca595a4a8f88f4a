// The agent's side of the recipe's crop parity check (scripts/train/test_views.py): reads a trained classifier's
// metadata.json as the agent does (spec.ts specFromMetadata), crops a PNG's boxes with cropBatch (every crop view,
// stacked along channels) and runs the exported model.onnx on that batch with onnxruntime-node (the agent's runtime).
//   node --import tsx scripts/train/crop_parity.ts MODEL_DIR PNG BOXES_JSON OUT_PREFIX
// Writes OUT_PREFIX.input.f32 (the [N, 3·V, S, S] batch), OUT_PREFIX.probs.f32 and OUT_PREFIX.json (dims, views).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import { specFromMetadata } from '../../src/agent/vision/spec.js';
import { cropBatch } from '../../src/agent/vision/crops.js';
import type { Box } from '../../src/common/geometry.js';

const [dir, png, boxesPath, out] = process.argv.slice(2);
if (!dir || !png || !boxesPath || !out) {
  console.error('usage: crop_parity.ts MODEL_DIR PNG BOXES_JSON OUT_PREFIX');
  process.exit(2);
}
const spec = specFromMetadata('classifier', JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')));
const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
const boxes = JSON.parse(readFileSync(boxesPath, 'utf8')) as Box[];
const batch = cropBatch({ data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels }, boxes, spec.preprocess);
const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'] });
const probs = (await session.run({ [spec.inputName]: new ort.Tensor('float32', batch.data, batch.dims) }))[spec.outputName!]!;
writeFileSync(`${out}.input.f32`, Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength));
const p = probs.data as Float32Array;
writeFileSync(`${out}.probs.f32`, Buffer.from(p.buffer, p.byteOffset, p.byteLength));
writeFileSync(`${out}.json`, JSON.stringify({ inputDims: batch.dims, probsDims: probs.dims, views: spec.preprocess.crop?.views ?? null }));
await session.release?.();
