/**
 * Where the host's per-call floor comes from (issue 3, "Measured", the sub-millisecond calls). Three
 * ways to run the same model on the same input, interleaved call by call so machine noise hits all
 * alike:
 *   raw     onnxruntime-node on this thread (what the issue compares against; blocks the event loop)
 *   minimal a bare worker thread: one message in, session.run, the output transferred back — the least
 *           any off-thread design (issue 3 §4) can cost
 *   host    InferenceHost.run with thread workers (leases, queue, pooled/transferred inputs, observers)
 *   process InferenceHost.run with each session in its own child process — the service default since issue 17
 *           (a run that never ends can be killed); the column prices that isolation against `host`
 * host − minimal is what our code adds; minimal − raw is the price of leaving the main thread.
 * Run: node --import tsx scripts/bench/inference-hop.ts [calls per round, default 1000]
 */
import * as ort from 'onnxruntime-node';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { InferenceHost } from '../../src/agent/inference/host.js';
import type { ModelManifest, Role } from '../../src/common/wire.js';
import { f, machine, makeBenchModels, stats } from './inference-models.js';
import { baselineBytes, buildBaseline, missingModels } from '../../test/integration/service-helpers.js';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);

const calls = Number(process.argv[2] ?? 1000);
const ROUNDS = 3;

const MINIMAL_WORKER = `
import * as ort from 'onnxruntime-node';
import { parentPort, workerData } from 'node:worker_threads';
const s = await ort.InferenceSession.create(workerData, { executionProviders: ['cpu'], logSeverityLevel: 3, intraOpNumThreads: 1 });
parentPort.on('message', async (m) => {
  const r = await s.run({ [m.name]: new ort.Tensor('float32', m.data, m.dims) });
  const o = r[s.outputNames[0]];
  parentPort.postMessage({ data: o.data, dims: o.dims }, [o.data.buffer]);
});
parentPort.postMessage('ready');`;

async function compare(label: string, role: Role, bytes: Uint8Array, manifest: ModelManifest, modelId: string, name: string, dims: number[]) {
  const n = dims.reduce((a, b) => a * b, 1);
  const input = () => Float32Array.from({ length: n }, (_, i) => ((i * 2654435761) % 1000) / 1000);
  const raw = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], logSeverityLevel: 3, intraOpNumThreads: 1 });
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 5, prespawn: false, intraOpNumThreads: 1, isolation: 'thread' });
  const proc = new InferenceHost({ providers: ['cpu'], warmupRuns: 5, prespawn: false, intraOpNumThreads: 1, isolation: 'process' });
  const w = new Worker(MINIMAL_WORKER, { eval: true, workerData: bytes });
  const ready = new Promise((r) => w.once('message', r)); // listen before anything else is awaited
  try {
    await host.activate({ role, modelId, manifest, bytes });
    await proc.activate({ role, modelId, manifest, bytes });
    await ready;
    const A: number[] = [];
    const B: number[] = [];
    const C: number[] = [];
    const D: number[] = [];
    for (let r = 0; r <= ROUNDS; r++) {
      for (let i = 0; i < calls; i++) {
        // every call gets a fresh input, handed over (transferred) where the design allows it
        const d1 = input();
        const d2 = input();
        const d3 = input();
        const d4 = input();
        let t = performance.now();
        await raw.run({ [name]: new ort.Tensor('float32', d1, dims) });
        const a = performance.now() - t;
        t = performance.now();
        await new Promise((res) => {
          w.once('message', res);
          w.postMessage({ name, data: d2, dims }, [d2.buffer]);
        });
        const b = performance.now() - t;
        t = performance.now();
        await host.run(role, { [name]: { type: 'float32', data: d3, dims } }, { transfer: true });
        const c = performance.now() - t;
        t = performance.now();
        await proc.run(role, { [name]: { type: 'float32', data: d4, dims } }, { transfer: true });
        const d = performance.now() - t;
        if (r === 0) continue; // round 0 warms all four up
        A.push(a * 1000);
        B.push(b * 1000);
        C.push(c * 1000);
        D.push(d * 1000);
      }
    }
    const [a, b, c, dd] = [stats(A), stats(B), stats(C), stats(D)];
    console.log(
      `${label.padEnd(32)} p50 raw ${f(a.p50, 0)} µs | minimal worker ${f(b.p50, 0)} µs | host ${f(c.p50, 0)} µs || host vs raw ${f((c.p50 / a.p50 - 1) * 100, 1)} % | minimal vs raw ${f((b.p50 / a.p50 - 1) * 100, 1)} % | host vs minimal ${f((c.p50 / b.p50 - 1) * 100, 1)} % (${c.p50 >= b.p50 ? '+' : ''}${f(c.p50 - b.p50, 0)} µs) || process host ${f(dd.p50, 0)} µs, vs thread host ${dd.p50 >= c.p50 ? '+' : ''}${f(dd.p50 - c.p50, 0)} µs (${f((dd.p50 / c.p50 - 1) * 100, 1)} %) n=${a.n}`,
    );
  } finally {
    await host.close();
    await proc.close();
    await raw.release();
    await w.terminate();
  }
}

const models = makeBenchModels();
try {
  console.log(`# inference-hop  ${machine()}  calls=${calls}x${ROUNDS} (+1 warm-up round), 1 intra-op thread each`);
  const tinyBytes = new Uint8Array(readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'models', 'tiny-a.onnx')));
  const tinySha = createHash('sha256').update(tinyBytes).digest('hex');
  const tiny = models.load('mid-1');
  await compare('tiny-a 1x4', 'detector', tinyBytes, { ...tiny.manifest, name: 'tiny-a', sha256: tinySha, size: tinyBytes.byteLength }, tinySha, 'x', [1, 4]);
  if (missingModels.length === 0) {
    for (const batch of [1, 36]) {
      const built = await buildBaseline('similarity');
      await compare(`product similarity ${batch}x3x64x64`, 'similarity', baselineBytes('similarity'), built.manifest, built.modelId, 'images', [batch, 3, 64, 64]);
    }
  } else console.log(`(product models missing: ${missingModels.join(', ')})`);
  console.log(`command: node --import tsx scripts/bench/inference-hop.ts ${calls}`);
} finally {
  models.cleanup();
}
