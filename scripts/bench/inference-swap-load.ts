/**
 * Swap under load (issue 3 "Measured"): p99 latency of runs that overlap a swap ≤ 2× the steady-state
 * p99, and zero failed requests. One closed-loop client on the detector; steady phase, then N swaps
 * between two different models of the same contract while the client keeps running.
 * "during swap" splits into runs that overlapped the load (the standby worker competes for the cores)
 * and the first runs on the new session (started within 250 ms after the pointer swap: cold or not).
 * Steady runs are taken before the swaps and in the windows between them (runs started ≥ 250 ms after
 * a swap and not overlapping a load), so load from other jobs on a shared machine hits both alike.
 * Run: node --import tsx scripts/bench/inference-swap-load.ts [model=conv|det|big] [swaps] [steadySeconds] [intraOpThreads] [allowSpinning 0|1]
 */
import { performance } from 'node:perf_hooks';
import { InferenceHost } from '../../src/agent/inference/host.js';
import type { Feeds } from '../../src/agent/inference/worker-messages.js';
import { convInput, f, machine, makeBenchModels, stats } from './inference-models.js';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);

const kind = process.argv[2] ?? 'conv';
const swaps = Number(process.argv[3] ?? 10);
const steadySeconds = Number(process.argv[4] ?? 4);
const threads = Number(process.argv[5] ?? 1);
const spin = process.argv[6] === '1';
const AFTER_SWAP_MS = 250;
const GAP_MS = 750;
const models = makeBenchModels();
try {
  console.log(`# inference-swap-load  ${machine()}  model=${kind} swaps=${swaps} intraOpThreads=${threads || 'default'} allowSpinning=${spin}`);
  const m1 = models.load(`${kind}-1`);
  const m2 = models.load(`${kind}-2`);
  const feeds: Feeds =
    kind === 'big'
      ? { x: { type: 'float32', data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } }
      : { images: { type: 'float32', data: convInput(false, kind === 'det' ? 640 : 256), dims: [1, 3, kind === 'det' ? 640 : 256, kind === 'det' ? 640 : 256] } };
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 5, intraOpNumThreads: threads, allowSpinning: spin });
  await host.activate({ role: 'detector', ...m1 });
  let phase: 'steady' | 'swap' | 'idle' = 'steady';
  let swapping = false;
  const steady: number[] = [];
  const during: number[] = [];
  const overlappedLoad: number[] = [];
  const afterSwap: number[] = [];
  let swappedAt = -Infinity;
  let failed = 0;
  let stop = false;
  const client = async () => {
    while (!stop) {
      const t = performance.now();
      const overlapped = swapping;
      try {
        await host.run('detector', feeds);
      } catch {
        failed++;
      }
      const ms = performance.now() - t;
      if (phase === 'steady') steady.push(ms);
      else if (phase === 'swap' && (overlapped || swapping)) {
        during.push(ms);
        overlappedLoad.push(ms);
      } else if (phase === 'swap' && t - swappedAt < AFTER_SWAP_MS) {
        during.push(ms);
        afterSwap.push(ms);
      } else if (phase === 'swap') steady.push(ms); // steady windows between swaps: noise hits both alike
    }
  };
  const c = client();
  await new Promise((r) => setTimeout(r, steadySeconds * 1000));
  phase = 'swap';
  const swapMs: number[] = [];
  for (let i = 0; i < swaps; i++) {
    const t = performance.now();
    swapping = true;
    await host.activate({ role: 'detector', ...(i % 2 === 0 ? m2 : m1) });
    swapping = false;
    swappedAt = performance.now();
    swapMs.push(performance.now() - t);
    // a steady window between swaps (runs started ≥ AFTER_SWAP_MS after the swap count as steady)
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  stop = true;
  await c;
  await host.close();
  const a = stats(steady);
  const b = stats(during);
  console.log(`steady      n=${a.n} p50 ${f(a.p50)} ms p99 ${f(a.p99)} ms max ${f(a.max)} ms`);
  console.log(`during swap n=${b.n} p50 ${f(b.p50)} ms p99 ${f(b.p99)} ms max ${f(b.max)} ms`);
  const l = stats(overlappedLoad);
  const w = stats(afterSwap);
  console.log(`  of which overlapping the load n=${l.n} p50 ${f(l.p50)} p99 ${f(l.p99)}; first 250 ms on the new session n=${w.n} p50 ${f(w.p50)} p99 ${f(w.p99)} max ${f(w.max)}`);
  console.log(`p99 ratio during/steady ${f(b.p99 / a.p99)}x; failed requests ${failed}; swap (activate) time p50 ${f(stats(swapMs).p50, 0)} ms`);
  console.log(`command: node --import tsx scripts/bench/inference-swap-load.ts ${kind} ${swaps} ${steadySeconds} ${threads} ${spin ? 1 : 0}`);
} finally {
  models.cleanup();
}
