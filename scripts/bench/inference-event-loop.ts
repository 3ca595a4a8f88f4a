/**
 * Event-loop delay (perf_hooks monitorEventLoopDelay) p99 while inference runs continuously, and while
 * a ~50 MB model is loaded and swapped (issue 3 "Measured": p99 ≤ 10 ms). For contrast, the same with
 * a naive in-process onnxruntime session on this thread.
 * The first phase measures the machine's floor: the same histogram with nothing running in this process
 * (on a shared, oversubscribed box the event loop waits for a core even when idle).
 * Run: node --import tsx scripts/bench/inference-event-loop.ts [seconds] [allowSpinning 0|1]
 */
import * as ort from 'onnxruntime-node';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { InferenceHost } from '../../src/agent/inference/host.js';
import { convInput, f, machine, makeBenchModels } from './inference-models.js';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);

const seconds = Number(process.argv[2] ?? 5);
const spin = process.argv[3] === '1';
const models = makeBenchModels();
const report = (label: string, h: ReturnType<typeof monitorEventLoopDelay>, extra = '') =>
  console.log(`${label.padEnd(46)} event-loop delay p50 ${f(h.percentile(50) / 1e6)} ms p99 ${f(h.percentile(99) / 1e6)} ms max ${f(h.max / 1e6)} ms ${extra}`);

try {
  console.log(`# inference-event-loop  ${machine()}  ${seconds}s per phase, allowSpinning=${spin}`);
  const conv = models.load('conv-1');
  const big1 = models.load('big-1', 'classifier');
  const big2 = models.load('big-2', 'classifier');
  const input = convInput();
  const feeds = { images: { type: 'float32', data: input, dims: [1, 3, 256, 256] } };

  // phase 0: the floor, nothing running
  let h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  h.disable();
  report('floor: idle process (machine noise)', h);

  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 5, allowSpinning: spin });
  await host.activate({ role: 'detector', ...conv });
  let stop = false;
  let runs = 0;
  const client = async () => {
    while (!stop) {
      await host.run('detector', feeds);
      runs++;
    }
  };

  // phase 1: continuous inference through the host
  h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let c = [client(), client()];
  await new Promise((r) => setTimeout(r, seconds * 1000));
  h.disable();
  stop = true;
  await Promise.all(c);
  report('host: continuous inference (2 clients)', h, `runs ${runs}`);

  // phase 2: continuous inference + a 50 MB model loaded and swapped 3 times on another role
  stop = false;
  runs = 0;
  // one private copy per activation, made before measuring (the agent core decrypts into a fresh buffer)
  const copies = [big1, big2, big1].map((m) => ({ ...m, bytes: new Uint8Array(m.bytes) }));
  h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  c = [client(), client()];
  const t0 = Date.now();
  let swaps = 0;
  for (const m of copies) {
    // the host takes each buffer over (transferBytes): no copy of model bytes on this thread
    await host.activate({ role: 'classifier', ...m, transferBytes: true });
    swaps++;
  }
  while (Date.now() - t0 < seconds * 1000) await new Promise((r) => setTimeout(r, 100));
  h.disable();
  stop = true;
  await Promise.all(c);
  report(`host: inference + ${swaps} swaps of a ${(big1.bytes.byteLength / 1e6).toFixed(0)} MB model`, h, `runs ${runs}`);
  await host.close();

  // contrast: the naive way, onnxruntime on this thread
  h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const raw = await ort.InferenceSession.create(conv.bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  const t1 = Date.now();
  runs = 0;
  let bigRaw: ort.InferenceSession | undefined;
  while (Date.now() - t1 < seconds * 1000) {
    await raw.run({ images: new ort.Tensor('float32', input, [1, 3, 256, 256]) });
    runs++;
    if (!bigRaw && Date.now() - t1 > (seconds * 1000) / 2) bigRaw = await ort.InferenceSession.create(big1.bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  }
  h.disable();
  report('naive: in-process session.run + 50 MB create', h, `runs ${runs}`);
  await raw.release();
  await bigRaw?.release();
  console.log(`command: node --import tsx scripts/bench/inference-event-loop.ts ${seconds} ${spin ? 1 : 0}`);
} finally {
  models.cleanup();
}
