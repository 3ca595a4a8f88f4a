/**
 * fp32 vs INT8 variants through the agent's own pipeline (issue 21 §1). A real 1920x1080 screen (Xvfb + Chromium
 * showing scripts/bench/pages/busy-screen.html) goes through capture → letterbox → detector → decode/NMS → crops →
 * classifier, once with the fp32 models of --models and once with their variants/int8 files, interleaved call by call
 * in a rotating order in ONE run (the machine is shared: compare the ratios). Rows: the whole detect+classify, the
 * pipeline's detector and classifier stages, and each model's session.run alone on this screen's own input (the
 * letterboxed screen; all of its crops in one batch). Target: int8 detector + classifier >= 1.5x faster than fp32 at
 * p50. Agreement: elements matched by box (IoU >= 0.5) and the same top-1 type.
 *
 *   node --import tsx scripts/bench/variants.ts [iterations=30] [--models assets/models] [--threads N] [--record]
 *
 *   --record  also writes the figures into each variants/int8/variant.json "measured.bench"
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { createScreenCapturer } from '../../src/agent/vision/capture.js';
import { cropBatch } from '../../src/agent/vision/crops.js';
import { VisionPipeline } from '../../src/agent/vision/pipeline.js';
import { disableSharpCache, preprocessFrame } from '../../src/agent/vision/preprocess.js';
import { createOrtRunner } from '../../src/agent/vision/ort-runner.js';
import { loadSpecFile } from '../../src/agent/vision/spec.js';
import type { VisionModelSpec } from '../../src/agent/vision/types.js';
import type { Role } from '../../src/common/wire.js';
import type { Box } from '../../src/common/geometry.js';
import { exitWithHelpIfAsked } from './help.js';
import { showPageOnScreen } from './lib/x-page.js';
import { CallTimer, pctl } from './lib/timing.js';
import { matchPairs } from '../eval/real-metrics.js';

exitWithHelpIfAsked(import.meta.url);

const ROOT = resolve(import.meta.dirname, '..', '..');
const FLAGS = ['--models', '--threads'];
const argv = process.argv.slice(2);
const opt = (k: string) => (argv.indexOf(k) >= 0 ? argv[argv.indexOf(k) + 1] : undefined);
function badFlag(a: string): never {
  console.error(`error[bad_argument]: unknown or incomplete flag ${a} (see: npm run bench -- --help)`);
  process.exit(2);
}
for (const [i, a] of argv.entries()) if (a.startsWith('-') && !FLAGS.includes(a) && a !== '--record') badFlag(a);
else if (!a.startsWith('-') && !FLAGS.includes(argv[i - 1] ?? '') && !/^\d+$/.test(a)) badFlag(a);
for (const k of FLAGS) if (argv.includes(k) && (opt(k) === undefined || opt(k)!.startsWith('--'))) badFlag(k);
const iterations = Number(argv.find((a, i) => /^\d+$/.test(a) && !FLAGS.includes(argv[i - 1] ?? '')) ?? 30);
const MODELS = opt('--models') ? resolve(opt('--models')!) : join(ROOT, 'assets', 'models');
const threads = opt('--threads') ? Number(opt('--threads')) : undefined;
if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) badFlag('--threads');
const record = argv.includes('--record');
const ROLES: Role[] = ['detector', 'classifier'];
const TARGET = 1.5;

const timer = new CallTimer();
const f1 = (x: number) => x.toFixed(1);

type Detected = Awaited<ReturnType<VisionPipeline['detect']>>;

/** fp32 elements found again by int8 (the eval's greedy matching at IoU 0.5) and, of those, the ones with the same type */
function agreement(fp32: Detected['elements'], int8: Detected['elements']): { fp32: number; int8: number; matched: number; sameType: number } {
  const pairs = matchPairs(fp32.map((e) => ({ box: e.box as Box, score: e.score ?? 0 })), int8.map((e) => ({ box: e.box as Box })));
  const sameType = pairs.filter((p) => int8[p.truth]!.type === fp32[p.answer]!.type).length;
  return { fp32: fp32.length, int8: int8.length, matched: pairs.length, sameType };
}

async function main(): Promise<void> {
  const specs = {} as Record<Role, VisionModelSpec>;
  for (const r of ROLES) specs[r] = { ...(await loadSpecFile(r, join(MODELS, r, 'metadata.json'))), modelId: r };
  const paths = (v: 'fp32' | 'int8') => Object.fromEntries(ROLES.map((r) => [r, v === 'fp32' ? join(MODELS, r, 'model.onnx') : join(MODELS, r, 'variants', 'int8', 'model.onnx')]));
  const screen = await showPageOnScreen(pathToFileURL(join(ROOT, 'scripts', 'bench', 'pages', 'busy-screen.html')).href);
  disableSharpCache();
  const cap = await createScreenCapturer(undefined, { changeSignal: 'off' });
  const sessOpts = threads ? { intraOpNumThreads: threads } : {};
  const runners = { fp32: await createOrtRunner(paths('fp32'), sessOpts), int8: await createOrtRunner(paths('int8'), sessOpts) };
  const names = ['fp32', 'int8'] as const;
  const wall = { fp32: {} as Record<string, number[]>, int8: {} as Record<string, number[]> };
  const last = {} as Record<'fp32' | 'int8', Detected>;
  try {
    const vps = Object.fromEntries(names.map((n) => [n, new VisionPipeline({ runner: runners[n].runner, specs: (r) => specs[r], capturer: cap, cacheEntries: 0 })])) as Record<'fp32' | 'int8', VisionPipeline>;
    for (const n of names) {
      await vps[n].warmUp();
      for (let i = 0; i < 3; i++) await vps[n].detect({ source: { kind: 'screen' } });
    }
    for (let i = 0; i < iterations; i++) {
      for (let j = 0; j < 2; j++) {
        const n = names[(i + j) % 2]!;
        const t = (wall[n].total ??= []);
        const r = await timer.timed(t, () => vps[n].detect({ source: { kind: 'screen' } }));
        last[n] = r;
        for (const k of ['detector', 'classifier', 'crops', 'preprocess', 'decode', 'capture']) if (r.timings[k] !== undefined) (wall[n][k] ??= []).push(r.timings[k]!);
      }
    }
    // each model alone on this screen's own inputs, interleaved
    const frame = (await cap.capture({ kind: 'screen' }))[0]!;
    const det = await preprocessFrame(frame, specs.detector.preprocess);
    const crops = cropBatch(frame, last.fp32.elements.map((e) => e.box as Box), specs.classifier.preprocess);
    const feeds: Record<Role, Record<string, ort.Tensor>> = {
      detector: { [specs.detector.inputName]: new ort.Tensor('float32', det.data, [...det.dims]) },
      classifier: { [specs.classifier.inputName]: new ort.Tensor('float32', crops.data, [...crops.dims]) },
    } as Record<Role, Record<string, ort.Tensor>>;
    for (const r of ROLES) {
      for (const n of names) await runners[n].sessions[r]!.run(feeds[r]);
      for (let i = 0; i < iterations; i++) {
        for (let j = 0; j < 2; j++) {
          const n = names[(i + j) % 2]!;
          await timer.timed((wall[n][`${r}.run`] ??= []), () => runners[n].sessions[r]!.run(feeds[r]));
        }
      }
    }
  } finally {
    for (const n of names) await runners[n].close();
    cap.close?.();
    await screen.close();
  }
  const p50 = (n: 'fp32' | 'int8', k: string) => pctl(wall[n][k] ?? [NaN], 50);
  const ratio = (k: string) => p50('fp32', k) / p50('int8', k);
  const agree = agreement(last.fp32.elements, last.int8.elements);
  const rows: [string, string][] = [
    ['whole detect + classify (capture → … → classifier), live screen', 'total'],
    ['  pipeline stage: detector', 'detector'],
    ['  pipeline stage: classifier (waiting for the model, crops overlap)', 'classifier'],
    ['  pipeline stage: crops (JS)', 'crops'],
    ['  pipeline stage: preprocess (letterbox)', 'preprocess'],
    ['  pipeline stage: capture', 'capture'],
    ['detector session.run alone (1x3x640x640, this screen)', 'detector.run'],
    [`classifier session.run alone (all ${last.fp32.elements.length} crops of this screen, one batch)`, 'classifier.run'],
  ];
  const modelsPair = (n: 'fp32' | 'int8') => p50(n, 'detector.run') + p50(n, 'classifier.run');
  const pairRatio = modelsPair('fp32') / modelsPair('int8');
  const stagePair = (n: 'fp32' | 'int8') => p50(n, 'detector') + p50(n, 'classifier');
  const stageRatio = stagePair('fp32') / stagePair('int8');
  const cmd = `node --import tsx scripts/bench/variants.ts ${argv.join(' ')}`.trim();
  const lines = [
    `command: ${cmd}`,
    `date: ${new Date().toISOString()}  machine: ${cpus().length} x ${cpus()[0]?.model}  load avg (1 min) at end: ${loadavg()[0]!.toFixed(2)}`,
    `models: ${relative(ROOT, MODELS) || MODELS} (fp32 model.onnx vs variants/int8/model.onnx), onnxruntime-node CPU, ${threads ? `intraOpNumThreads ${threads}` : 'default threads'}, the agent's session options; ${iterations} iterations, interleaved`,
    '',
    '| measurement | fp32 p50 ms | int8 p50 ms | fp32 / int8 | fp32 p95 | int8 p95 |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.filter(([, k]) => wall.fp32[k]).map(([name, k]) => `| ${name} | ${f1(p50('fp32', k))} | ${f1(p50('int8', k))} | ${ratio(k).toFixed(2)}x | ${f1(pctl(wall.fp32[k]!, 95))} | ${f1(pctl(wall.int8[k]!, 95))} |`),
    '',
    `detector + classifier (session.run alone, p50 sum): fp32 ${f1(modelsPair('fp32'))} ms, int8 ${f1(modelsPair('int8'))} ms = **${pairRatio.toFixed(2)}x** (target ≥ ${TARGET}x: ${pairRatio >= TARGET ? 'met' : '**NOT met**'})`,
    `detector + classifier (pipeline stages, p50 sum): fp32 ${f1(stagePair('fp32'))} ms, int8 ${f1(stagePair('int8'))} ms = ${stageRatio.toFixed(2)}x; whole detect ${ratio('total').toFixed(2)}x`,
    `agreement on the last call: fp32 ${agree.fp32} elements, int8 ${agree.int8}; ${agree.matched} fp32 elements found by int8 (IoU ≥ 0.5), ${agree.sameType} of them with the same type`,
  ];
  console.log(lines.join('\n'));
  if (record) {
    for (const r of ROLES) {
      const file = join(MODELS, r, 'variants', 'int8', 'variant.json');
      const v = JSON.parse(readFileSync(file, 'utf8')) as { measured: Record<string, unknown> };
      v.measured.bench = {
        command: cmd,
        date: new Date().toISOString(),
        machine: `${cpus().length} x ${cpus()[0]?.model}`,
        screen: 'scripts/bench/pages/busy-screen.html 1920x1080',
        runP50Ms: { fp32: Number(f1(p50('fp32', `${r}.run`))), int8: Number(f1(p50('int8', `${r}.run`))) },
        stageP50Ms: { fp32: Number(f1(p50('fp32', r))), int8: Number(f1(p50('int8', r))) },
        pairSpeedup: Number(pairRatio.toFixed(2)),
        wholeDetectSpeedup: Number(ratio('total').toFixed(2)),
      };
      writeFileSync(file, `${JSON.stringify(v, null, 1)}\n`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
