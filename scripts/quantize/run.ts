/**
 * `npm run quantize`: the INT8 recipe of issue 21 §1. From the fp32 models in assets/models (and nothing else of
 * the models dir), for each role: plan + augmented graph (qdq.py, Debian's python3-onnx), activation ranges
 * collected by onnxruntime-node on TRAINING screenshots preprocessed by the agent's own code (calibration-set.ts,
 * ranges.ts), the QDQ model (qdq.py), the graph scan, and the variant file (variant-file.ts):
 * assets/models/<role>/variants/int8/{model.onnx,variant.json}. docs/MODELS.md "INT8 variants" explains the recipe.
 *
 *   npm run quantize -- [--roles detector,classifier] [--calib 64] [--method minmax|percentile:99.99] …
 *   (all options: scripts/quantize/args.ts USAGE)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadSpecFile } from '../../src/agent/vision/spec.js';
import { scanOnnx } from '../../src/common/graph-scan.js';
import { SelfTestSchema } from '../../src/common/wire.js';
import { ROOT } from '../eval/args.js';
import { parseQuantizeArgs, USAGE, type QuantizeArgs, type QuantRole } from './args.js';
import { calibrationImages, cropInputs, detectorInput, type ModelInput } from './calibration-set.js';
import { collectRanges } from './ranges.js';
import { accuracyRecord } from './record-eval.js';
import { evalDirModel, fidelityOnSelfTest, INT8_PREFERS, int8SelfTest, VariantFileSchema, type VariantFile } from './variant-file.js';

const PY = '/usr/bin/python3';
const QDQ = join(ROOT, 'scripts', 'quantize', 'qdq.py');

const HELP = `usage: ${USAGE}

Writes statically quantized INT8 (QDQ) variants of the fp32 models: <models>/<role>/variants/int8/model.onnx and
variant.json (docs/MODELS.md "INT8 variants"). Calibration: generator pages of training seeds and the real-app
screenshots of apps whose split is "train" (held-out apps are never read), preprocessed by the agent's code.
  --roles            roles to quantize (default detector,classifier)
  --calib N          calibration images (default 64: half generator pages, half real-app training screenshots)
  --method           activation ranges: percentile:P (default 99.99: mean of per-batch P-th percentiles) or minmax
  --float-stem ROLES roles whose first Conv stays float (default detector; "none" for none)
  --float-tails ROLES roles whose Adds feeding only float layers (the detector heads) stay float (default none)
  --eval-dir DIR     also write a models dir of the int8 files with the fp32 metadata, for npm run eval -- --models DIR
  --record-eval F,I  no quantizing: write AP@0.5 / type top-1 of two npm run eval --json reports (fp32 F, int8 I, the
                     same samples) into each variant.json as measured.accuracy
  --help             this text`;

function py(args: string[]): void {
  const r = spawnSync(PY, [QDQ, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) throw new Error(`${PY} is needed (Debian python3-onnx, scripts/setup.sh): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`qdq.py ${args[0]} failed (exit ${r.status})`);
}

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const shown = (p: string) => (p.startsWith(ROOT + '/') ? relative(ROOT, p) : p.replace(process.env.RPA_DATA_DIR ?? '\0', '$RPA_DATA_DIR'));

function ensureGeneratorPages(a: QuantizeArgs): void {
  const have = existsSync(a.generator) ? readdirSync(a.generator).filter((f) => /^synthetic_\d+_v\d+\.png$/.test(f)).length : 0;
  if (have > 0) return;
  // seeds 0.. are the generator's training range (training used 0..1999, model selection 100000.., evaluation 500000..)
  const count = String(Math.ceil(a.calib / 2));
  console.log(`generating ${count} generator training pages into ${shown(a.generator)}`);
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'dataset', 'generate.mjs'), '--out', a.generator, '--seed-start', '0', '--count', count, '--variants', '1'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('generating the calibration pages failed');
}

async function quantizeRole(role: QuantRole, a: QuantizeArgs, work: string): Promise<VariantFile> {
  const dir = join(a.models, role);
  const fp32 = join(dir, 'model.onnx');
  const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as { version: string; contract: { inputs: { name: string }[] }; selfTest: unknown };
  const spec = await loadSpecFile(role, join(dir, 'metadata.json'));
  const fp32SelfTest = SelfTestSchema.parse(meta.selfTest);
  const plan = join(work, `${role}.plan.json`);
  const augmented = join(work, `${role}.aug.onnx`);
  py(['plan', '--model', fp32, '--augmented', augmented, '--plan', plan, ...(a.floatStem.has(role) ? ['--no-first'] : []), ...(a.floatTails.has(role) ? ['--float-tails'] : [])]);
  const planned = JSON.parse(readFileSync(plan, 'utf8')) as { calibrate: string[]; nodes: { op: string }[]; keptFloat: string[] };

  const set = calibrationImages({ generatorDir: a.generator, realAppsDir: a.realApps, appsListDir: a.appsLists, count: a.calib });
  if (set.images.length === 0) throw new Error('no calibration images (generator pages or real-app training screenshots)');
  async function* inputs(): AsyncIterable<ModelInput> {
    for (const img of set.images) {
      const x = role === 'detector' ? await detectorInput(img, spec) : await cropInputs(img, spec, a.cropsPerImage);
      if (x) yield x;
    }
  }
  const t0 = performance.now();
  const collected = await collectRanges(augmented, meta.contract.inputs[0]!.name, planned.calibrate, inputs(), a.method);
  const ranges = join(work, `${role}.ranges.json`);
  writeFileSync(ranges, JSON.stringify(collected.ranges));

  const outDir = join(dir, 'variants', 'int8');
  mkdirSync(outDir, { recursive: true });
  const model = join(outDir, 'model.onnx');
  py(['quantize', '--model', fp32, '--plan', plan, '--ranges', ranges, '--out', model]);
  const scan = scanOnnx(readFileSync(model));
  const { selfTest, spreadMaxAbs } = await int8SelfTest(model, fp32SelfTest);
  const fidelity = await fidelityOnSelfTest(model, fp32, fp32SelfTest);
  const gen = set.images.filter((i) => i.source === 'generator').length;
  const variant: VariantFile = VariantFileSchema.parse({
    name: 'int8',
    precision: 'int8',
    format: 'qdq',
    base: { version: meta.version, sha256: sha256(fp32) },
    selfTest,
    prefers: INT8_PREFERS,
    measured: {
      recipe: `npm run quantize -- --roles ${role} --calib ${a.calib} --method ${a.method.kind === 'minmax' ? 'minmax' : `percentile:${a.method.pct}`}${a.floatStem.has(role) ? ` --float-stem ${role}` : ''}${a.floatTails.has(role) ? ` --float-tails ${role}` : ''}`,
      calibration: {
        images: set.images.length,
        generatorPages: gen,
        realAppScreens: set.images.length - gen,
        trainApps: set.apps.length,
        heldOutSamplesLeftOut: set.heldOutSkipped,
        modelInputs: collected.items,
        method: a.method,
        seconds: Math.round((performance.now() - t0) / 100) / 10,
      },
      graph: { int8Ops: planned.nodes.length, int8Convs: planned.nodes.filter((n) => n.op === 'Conv').length, floatConvs: planned.keptFloat, ops: scan.ops, opset: scan.opset },
      bytes: { int8: readFileSync(model).length, fp32: readFileSync(fp32).length },
      selfTestInput: { maxAbsDiffVsFp32: fidelity.maxAbsDiff, fp32MaxAbs: fidelity.fp32MaxAbs, kernelSpreadMaxAbs: spreadMaxAbs },
    },
  });
  // the schema checks the contract; the file keeps the self-test's explanatory fields as metadata.json does
  writeFileSync(join(outDir, 'variant.json'), `${JSON.stringify({ ...variant, selfTest }, null, 1)}\n`);
  console.log(`${role}: ${shown(model)} (${variant.measured.bytes ? JSON.stringify(variant.measured.bytes) : ''}), self-test tolerance ${selfTest.tolerance}, |int8 - fp32| on the self-test input ${fidelity.maxAbsDiff.toExponential(2)} (fp32 max ${fidelity.fp32MaxAbs.toFixed(2)})`);
  return variant;
}

function writeEvalDir(a: QuantizeArgs): void {
  const int8Roles: string[] = [];
  for (const role of ['detector', 'classifier', 'similarity'] as QuantRole[]) {
    const src = join(a.models, role);
    if (!existsSync(join(src, 'model.onnx'))) continue;
    const dst = join(a.evalDir!, role);
    mkdirSync(dst, { recursive: true });
    const pick = evalDirModel(src, a.roles.includes(role));
    copyFileSync(pick.file, join(dst, 'model.onnx'));
    copyFileSync(join(src, 'metadata.json'), join(dst, 'metadata.json'));
    if (pick.int8) int8Roles.push(role);
  }
  console.log(`eval dir: ${a.evalDir} (int8: ${int8Roles.join(', ') || 'none'}); run: npm run eval -- --models ${a.evalDir} --no-write --json FILE`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  let args: QuantizeArgs;
  try {
    args = parseQuantizeArgs(argv, process.env);
  } catch (e) {
    console.error(`error[bad_argument]: ${(e as Error).message}`);
    process.exit(2);
  }
  if (args.recordEval) {
    const accuracy = accuracyRecord(...args.recordEval);
    for (const role of args.roles) {
      const file = join(args.models, role, 'variants', 'int8', 'variant.json');
      const v = JSON.parse(readFileSync(file, 'utf8')) as { measured: Record<string, unknown> };
      v.measured.accuracy = accuracy;
      writeFileSync(file, `${JSON.stringify(v, null, 1)}\n`);
    }
    console.log(JSON.stringify(accuracy.worstDelta));
    return;
  }
  ensureGeneratorPages(args);
  const work = mkdtempSync(join(tmpdir(), 'rpa-quantize-'));
  try {
    for (const role of args.roles) await quantizeRole(role, args, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (args.evalDir) writeEvalDir(args);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
