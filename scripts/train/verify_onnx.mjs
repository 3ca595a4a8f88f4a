#!/usr/bin/env node
// Checks each exported model with onnxruntime-node (the runtime the agent uses): contract names/shapes, the
// self-test (pattern input -> expected values within tolerance), and latency p95 on 2 intra-op threads.
// Writes the measured p95 into metadata.json baseline.latencyP95Ms (latencySource: onnxruntime-node-cpu).
//   node scripts/train/verify_onnx.mjs [assets/models] [--runs 50] [--no-write]
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', '..', 'package.json'));
const ort = require('onnxruntime-node');

const argv = process.argv.slice(2);
const root = argv.find((a) => !a.startsWith('--')) ?? join(here, '..', '..', 'assets', 'models');
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 50;
const write = !argv.includes('--no-write');

// Self-test input pattern (docs/MODELS.md): x[i] = ((i * 7919) % 256) / 255 over the row-major flat index.
export function patternInput(shape) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = ((i * 7919) % 256) / 255;
  return data;
}

let failed = false;
for (const role of ['detector', 'classifier', 'similarity']) {
  const dir = join(root, role);
  const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), { intraOpNumThreads: 2, interOpNumThreads: 1, executionProviders: ['cpu'] });
  const inName = meta.contract.inputs[0].name;
  const outName = meta.contract.outputs[0].name;
  if (!session.inputNames.includes(inName) || !session.outputNames.includes(outName)) {
    console.error(`${role}: contract names mismatch`, session.inputNames, session.outputNames);
    failed = true;
  }
  const st = meta.selfTest;
  const shape = st.input.shape;
  const feeds = { [inName]: new ort.Tensor('float32', patternInput(shape), shape) };
  const out = (await session.run(feeds))[outName];
  let maxErr = 0;
  let ok = true;
  st.expected.indices.forEach((idx, k) => {
    const e = st.expected.values[k];
    const d = Math.abs(out.data[idx] - e);
    maxErr = Math.max(maxErr, d);
    if (d > st.tolerance * Math.max(1, Math.abs(e))) ok = false;
  });
  const shapeOk = JSON.stringify(out.dims) === JSON.stringify(st.expected.shape);
  if (!ok || !shapeOk) failed = true;
  // latency: detector single image; crop models batch 16 (a typical screen's elements)
  const latShape = role === 'detector' ? shape : [16, ...shape.slice(1)];
  const latFeeds = { [inName]: new ort.Tensor('float32', patternInput(latShape), latShape) };
  for (let i = 0; i < 5; i++) await session.run(latFeeds);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await session.run(latFeeds);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  const p50 = times[Math.floor(0.5 * (times.length - 1))];
  const p95 = times[Math.ceil(0.95 * (times.length - 1))];
  console.log(`${role}: selfTest ${ok && shapeOk ? 'ok' : 'FAILED'} (max abs err ${maxErr.toExponential(2)}), output ${JSON.stringify(out.dims)}, latency p50 ${p50.toFixed(1)} ms p95 ${p95.toFixed(1)} ms (input ${JSON.stringify(latShape)}, 2 threads, ${runs} runs)`);
  if (write) {
    meta.baseline.latencyP95Ms = Math.round(p95 * 100) / 100;
    meta.baseline.latencySource = `onnxruntime-node cpu, 2 intra-op threads, input ${JSON.stringify(latShape)}, ${runs} runs, ${new Date().toISOString().slice(0, 10)}`;
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify(meta, null, 1) + '\n');
  }
  await session.release?.();
}
process.exit(failed ? 1 : 0);
