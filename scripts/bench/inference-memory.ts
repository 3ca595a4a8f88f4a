/**
 * Memory over many swaps (issue 3 §5, "Measured": RSS after 100 swaps within 15 % of RSS after the
 * first 5). Swaps alternate between two ~8 MB models with some runs between swaps. For contrast, the
 * same number of create/release cycles of an in-process session on one long-lived thread.
 * Run: node --expose-gc --import tsx scripts/bench/inference-memory.ts [swaps] [recycleAfterLoads]
 */
import * as ort from 'onnxruntime-node';
import { InferenceHost } from '../../src/agent/inference/host.js';
import { mallocTuned } from '../../src/agent/inference/malloc.js';
import { f, machine, makeBenchModels } from './inference-models.js';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);

const swaps = Number(process.argv[2] ?? 100);
// recycleAfterLoads for the host (default 0 here: measure whether long-lived workers alone stay flat)
const recycleAfter = Number(process.argv[3] ?? 0);
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (b: number) => f(b / 2 ** 20, 1);
async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  return process.memoryUsage().rss;
}

const models = makeBenchModels();
try {
  console.log(`# inference-memory  ${machine()}  swaps=${swaps} mallocTuned=${mallocTuned()} (MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_ ?? 'unset'}) gc=${gc ? 'exposed' : 'not exposed (run with --expose-gc)'}`);
  const m1 = models.load('mid-1');
  const m2 = models.load('mid-2');
  const feeds = { x: { type: 'float32', data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } };
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 3, recycleAfterLoads: recycleAfter, recycleRssGrowthBytes: 0 });
  let rss5 = 0;
  const marks: string[] = [];
  for (let i = 1; i <= swaps; i++) {
    await host.activate({ role: 'detector', ...(i % 2 ? m1 : m2) });
    for (let k = 0; k < 5; k++) await host.run('detector', feeds);
    if (i === 5) rss5 = await settledRss();
    if (i % 20 === 0) marks.push(`${i}:${mb(await settledRss())}`);
  }
  const rssN = await settledRss();
  console.log(`host (long-lived workers, recycleAfterLoads=${recycleAfter}): RSS after 5 swaps ${mb(rss5)} MB, after ${swaps} ${mb(rssN)} MB: ${f((rssN / rss5 - 1) * 100, 1)} %  [${marks.join(' ')}] workers ${host.status().workers} recycled ${host.status().recycledWorkers}`);
  await host.close();

  // contrast: create/release on one long-lived thread (what the host avoids)
  const sessions = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const s = await ort.InferenceSession.create(i % 2 ? m1.bytes : m2.bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
      for (let k = 0; k < 5; k++) await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [1, 4]) });
      await s.release();
    }
  };
  await sessions(5);
  const in5 = await settledRss();
  await sessions(swaps - 5);
  const inN = await settledRss();
  console.log(`in-process create/release on one thread: RSS after 5 ${mb(in5)} MB, after ${swaps} ${mb(inN)} MB: ${f((inN / in5 - 1) * 100, 1)} %`);
  console.log(`command: node --expose-gc --import tsx scripts/bench/inference-memory.ts ${swaps} ${recycleAfter}`);
} finally {
  models.cleanup();
}
