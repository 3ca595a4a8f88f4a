/**
 * Command line of `npm run quantize` (scripts/quantize/run.ts). Pure: parsing takes argv and the environment.
 * Data: `--data-root`, else `$RPA_DATA_DIR`, else `<repo>/.data/datasets` (as npm run eval).
 */
import { join, resolve } from 'node:path';
import { defaultDataRoot, ROOT } from '../eval/args.js';
import type { RangeMethod } from './ranges.js';

export const QUANT_ROLES = ['detector', 'classifier', 'similarity'] as const;
export type QuantRole = (typeof QUANT_ROLES)[number];

export interface QuantizeArgs {
  /** the fp32 models: <models>/<role>/{model.onnx,metadata.json}; variants are written under <models>/<role>/variants/int8 */
  models: string;
  roles: QuantRole[];
  /** calibration images (half generator pages, half real-app training screenshots) */
  calib: number;
  /** classifier/similarity crops per calibration image */
  cropsPerImage: number;
  method: RangeMethod;
  /** generator training pages (synthetic_<seed>_v<k>.{png,json}); generated from training seeds when missing */
  generator: string;
  realApps: string;
  appsLists: string;
  /** roles whose first Conv stays float (default: the detector, whose 3-channel stem at 640x640 is slower in int8) */
  floatStem: Set<QuantRole>;
  /** roles whose Adds that only feed float layers (the detector's heads) stay float */
  floatTails: Set<QuantRole>;
  /** also assemble a models dir whose model.onnx files are the int8 variants (fp32 metadata), for npm run eval */
  evalDir: string | null;
  /** instead of quantizing: write the accuracy of two npm run eval --json reports (fp32, int8) into the variant files */
  recordEval: [string, string] | null;
}

export const USAGE = `npm run quantize -- [--roles detector,classifier] [--calib 64] [--crops-per-image 24]
                [--method percentile:99.99|minmax] [--float-stem detector] [--float-tails none]
                [--models assets/models]
                [--generator DIR] [--real-apps DIR] [--apps-lists scripts/dataset/apps] [--data-root DIR] [--eval-dir DIR]
       npm run quantize -- --record-eval FP32.json,INT8.json [--roles …] [--models assets/models]`;

export function parseMethod(s: string): RangeMethod {
  if (s === 'minmax') return { kind: 'minmax' };
  const m = /^percentile:(\d+(?:\.\d+)?)$/.exec(s);
  const pct = m ? Number(m[1]) : NaN;
  if (!(pct > 50 && pct <= 100)) throw new Error(`--method takes minmax or percentile:P with 50 < P <= 100; got ${s}\n${USAGE}`);
  return { kind: 'percentile', pct };
}

function roleList(k: string, v: string, allowEmpty: boolean): QuantRole[] {
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(QUANT_ROLES as readonly string[]).includes(n));
  if (bad.length || (!allowEmpty && names.length === 0)) throw new Error(`${k} takes a comma list of ${QUANT_ROLES.join(', ')}; got ${v}\n${USAGE}`);
  return names as QuantRole[];
}

export function parseQuantizeArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, root = ROOT): QuantizeArgs {
  let dataRoot = defaultDataRoot(env, root);
  let generator: string | null = null;
  let realApps: string | null = null;
  const a = {
    models: join(root, 'assets', 'models'),
    roles: ['detector', 'classifier'] as QuantRole[],
    calib: 64,
    cropsPerImage: 24,
    method: { kind: 'percentile', pct: 99.99 } as RangeMethod,
    appsLists: join(root, 'scripts', 'dataset', 'apps'),
    floatStem: new Set<QuantRole>(['detector']),
    floatTails: new Set<QuantRole>(),
    evalDir: null as string | null,
    recordEval: null as [string, string] | null,
  };
  const val = (k: string, v: string | undefined): string => {
    if (v === undefined || v.startsWith('--')) throw new Error(`${k} needs a value\n${USAGE}`);
    return v;
  };
  const int = (k: string, v: string | undefined): number => {
    const n = Number(val(k, v));
    if (!Number.isInteger(n) || n < 1) throw new Error(`${k} needs a positive integer\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[++i];
    if (k === '--models') a.models = resolve(val(k, v));
    else if (k === '--roles') a.roles = roleList(k, val(k, v), false);
    else if (k === '--calib') a.calib = int(k, v);
    else if (k === '--crops-per-image') a.cropsPerImage = int(k, v);
    else if (k === '--method') a.method = parseMethod(val(k, v));
    else if (k === '--float-stem') a.floatStem = new Set(v === 'none' ? [] : roleList(k, val(k, v), true));
    else if (k === '--float-tails') a.floatTails = new Set(v === 'none' ? [] : roleList(k, val(k, v), true));
    else if (k === '--generator') generator = resolve(val(k, v));
    else if (k === '--real-apps') realApps = resolve(val(k, v));
    else if (k === '--apps-lists') a.appsLists = resolve(val(k, v));
    else if (k === '--data-root') dataRoot = resolve(val(k, v));
    else if (k === '--eval-dir') a.evalDir = resolve(val(k, v));
    else if (k === '--record-eval') {
      const files = val(k, v).split(',');
      if (files.length !== 2 || !files[0] || !files[1]) throw new Error(`--record-eval takes FP32.json,INT8.json\n${USAGE}`);
      a.recordEval = [resolve(files[0]), resolve(files[1])];
    }
    else throw new Error(`unknown argument ${k}\n${USAGE}`);
  }
  return { ...a, generator: generator ?? join(dataRoot, 'quantize', 'generator'), realApps: realApps ?? join(dataRoot, 'real-apps') };
}
