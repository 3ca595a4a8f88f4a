/**
 * Evaluation of the agent's own TypeScript vision pipeline, end to end (docs/EVALUATION.md).
 *
 *   npm run eval -- [--models assets/models] [--data-root DIR] [--sets a,b,c,real] [--out docs/EVALUATION.md] [--json FILE] [--no-write]
 *   (all options: scripts/eval/args.ts USAGE)
 *
 * Sets: (a) held-out synthetic pages from seeds never used in training (training used 0..1999 and model selection
 * 100000..100199; the default here is 500000..), two variants each; (b) the hand-written "real" pages, every one under
 * all six theme/scale/viewport variants; (c) third-party CSS pages — all three rendered by scripts/dataset/generate.mjs
 * when missing (datasets.ts); and the real-program families of issue 15 under `<data root>/real-apps` (real-apps.ts).
 * Nothing of the Python side runs at evaluation time: PNG → sharp → letterbox → onnxruntime-node → decode/NMS → crops
 * → classifier / similarity, exactly as the agent runs it. Data root: `$RPA_DATA_DIR`, else `<repo>/.data/datasets`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join, relative, resolve } from 'node:path';
import os from 'node:os';
import { loadSpecFile } from '../../src/agent/vision/spec.js';
import { createOrtRunner } from '../../src/agent/vision/ort-runner.js';
import { VisionPipeline } from '../../src/agent/vision/pipeline.js';
import { disableSharpCache } from '../../src/agent/vision/preprocess.js';
import type { Role } from '../../src/common/wire.js';
import type { VisionModelSpec } from '../../src/agent/vision/types.js';
import { pageFiles } from '../dataset/lib/pages.mjs';
import { parseEvalArgs, ROOT, USAGE } from './args.js';
import { datasetKey, ensureDataset } from './datasets.js';
import { evaluateSet, type SetResult } from './generator-sets.js';
import { evaluateRealApps, loadRealApps } from './real-apps.js';
import { buildRealReport, type RealAppsReport } from './real-report.js';
import { notesBlock, renderMarkdown, type Baseline, type EvalReport } from './report.js';

/** A path as the tracked report shows it (issue 22: no machine paths): under `$RPA_DATA_DIR`, relative to the checkout, or
 * just its last part. */
function shown(p: string): string {
  const env = process.env.RPA_DATA_DIR ? resolve(process.env.RPA_DATA_DIR) : null;
  if (env && (p === env || p.startsWith(env + '/'))) return `$RPA_DATA_DIR${p.slice(env.length)}`;
  if (p.startsWith(ROOT + '/')) return relative(ROOT, p);
  return `…/${basename(p)}`;
}

/** The command line as the tracked report shows it: every absolute path argument through `shown`. */
function shownCommand(cmd: string): string {
  return cmd.split(' ').map((t) => (t.startsWith('/') ? shown(t) : t)).join(' ');
}

const HELP = `usage: ${USAGE}

Evaluates the agent's TypeScript vision pipeline end to end: the generator sets (a) held-out synthetic, (b) hand-written
pages, (c) third-party CSS pages (generated under the data root when missing), and the real-program families under
<data root>/real-apps (per family and per held-out application), and writes docs/EVALUATION.md.
  --no-write   print the figures without rewriting the report
  --json FILE  also write the figures as JSON
  --help       this text`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  let args: ReturnType<typeof parseEvalArgs>;
  try {
    args = parseEvalArgs(argv, process.env);
  } catch (e) {
    console.error(`error[bad_argument]: ${(e as Error).message}`);
    process.exitCode = 2;
    return;
  }
  if (args.renderFrom) return renderFrom(args.renderFrom, args.models, args.out, args.dataRoot);
  const generatorSets = (['a', 'b', 'c'] as const).filter((s) => args.sets.has(s));
  if (args.write && generatorSets.length < 3) throw new Error('docs/EVALUATION.md needs the sets a, b and c: pass --no-write (with --json FILE) for a partial run');
  const roles: Role[] = ['detector', 'classifier', 'similarity'];
  const specs: Partial<Record<Role, VisionModelSpec>> = {};
  const modelInfo: Record<string, { sha256: string; bytes: number; version?: string }> = {};
  const present: Role[] = [];
  for (const r of roles) {
    const dir = join(args.models, r);
    if (!existsSync(join(dir, 'model.onnx'))) {
      // evaluate what exists; the report says which roles were missing
      console.error(`missing ${join(dir, 'model.onnx')}: ${r} metrics skipped (train the models first: docs/MODELS.md)`);
      continue;
    }
    present.push(r);
    const spec = await loadSpecFile(r, join(dir, 'metadata.json'));
    const bytes = readFileSync(join(dir, 'model.onnx'));
    const md = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as { version?: string };
    modelInfo[r] = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, version: md.version };
    spec.modelId = modelInfo[r].sha256;
    specs[r] = spec;
  }
  const ort = await createOrtRunner(Object.fromEntries(present.map((r) => [r, join(args.models, r, 'model.onnx')])));
  // frame cache on: findElement queries against the same screenshot reuse its detections and crop embeddings
  disableSharpCache();
  const vp = new VisionPipeline({ runner: ort.runner, specs: (r) => (present.includes(r) ? specs[r] : undefined), cacheEntries: 2 });
  const results: SetResult[] = [];
  let real: RealAppsReport | null = null;
  try {
    if (args.sets.has('a')) results.push(await evaluateSet('(a) held-out synthetic', ensureDataset(join(args.data, `heldout-${args.heldoutSeed}-${datasetKey('synthetic')}`), 'synthetic', args.heldoutSeed, args.heldoutCount, 2), vp, present));
    if (args.sets.has('b')) results.push(await evaluateSet('(b) real pages', ensureDataset(join(args.data, `real-${datasetKey('real')}`), 'real', 0, args.realCount, 6), vp, present));
    if (args.sets.has('c')) results.push(await evaluateSet('(c) third-party CSS pages', ensureDataset(join(args.data, `thirdparty-${datasetKey('thirdparty')}`), 'thirdparty', 0, pageFiles('thirdparty').length, 6), vp, present));
    if (args.sets.has('real') && present.includes('detector')) {
      const loaded = loadRealApps(args.realApps, join(ROOT, 'scripts', 'dataset', 'apps'), args.realMaxPerApp);
      console.error(`real programs: ${loaded.samples.length} samples in ${loaded.splitChecks.length} families under ${args.realApps} (${loaded.skipped.length} skipped)`);
      const ev = await evaluateRealApps(loaded.samples, vp, (d, n) => d % 50 === 0 && console.error(`  ${d}/${n}`));
      real = buildRealReport(shown(args.realApps), loaded, ev.records, specs.detector?.postprocess.scoreThreshold ?? 0.25, ev.detectMs, ev.sizeMismatch);
    }
  } finally {
    vp.close();
    await ort.close();
  }
  const report: EvalReport = { heldoutSeed: args.heldoutSeed, date: new Date().toISOString(), machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${os.platform()}`, command: shownCommand(`npm run eval -- ${process.argv.slice(2).join(' ')}`.trim()), models: modelInfo, results, real };
  const json = JSON.stringify(report, null, 1);
  console.log(json);
  if (args.json) writeFileSync(args.json, json + '\n');
  if (args.write) {
    const base = JSON.parse(readFileSync(join(import.meta.dirname, 'baseline.json'), 'utf8')) as Baseline;
    const previous = existsSync(args.out) ? readFileSync(args.out, 'utf8') : null;
    writeFileSync(args.out, renderMarkdown(report, specs, base, notesBlock(previous), shown(args.dataRoot)));
  }
}

/** docs/EVALUATION.md from a saved report: the figures and the command are the saved run's, the layout today's. */
async function renderFrom(file: string, models: string, out: string, dataRoot: string): Promise<void> {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as EvalReport;
  const report: EvalReport = { ...saved, command: shownCommand(saved.command) };
  const specs: Partial<Record<Role, VisionModelSpec>> = {};
  for (const r of ['detector', 'classifier', 'similarity'] as Role[]) if (report.models[r]) specs[r] = await loadSpecFile(r, join(models, r, 'metadata.json'));
  const base = JSON.parse(readFileSync(join(import.meta.dirname, 'baseline.json'), 'utf8')) as Baseline;
  writeFileSync(out, renderMarkdown(report, specs, base, notesBlock(existsSync(out) ? readFileSync(out, 'utf8') : null), shown(dataRoot)));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
