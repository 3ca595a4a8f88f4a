/**
 * Command line of `npm run eval` (scripts/eval/run.ts). Pure: parsing takes argv and the environment.
 *
 * Where the data lives (issue 22: no machine paths): `--data-root`, else `$RPA_DATA_DIR`, else `<repo>/.data/datasets`
 * (gitignored). The generator sets (a)-(c) are cached under `<data root>/eval` (`--data` overrides), the
 * real-program samples are read from `<data root>/real-apps/<family>/<app>/*.json` (`--real-apps` overrides).
 */
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');

export type EvalSetName = 'a' | 'b' | 'c' | 'real';
export const ALL_SETS: readonly EvalSetName[] = ['a', 'b', 'c', 'real'];

export interface EvalArgs {
  models: string;
  dataRoot: string;
  /** cache of the generator sets (a)-(c) */
  data: string;
  /** real-program samples: <realApps>/<family>/<app>/<stem>.{json,png} */
  realApps: string;
  heldoutSeed: number;
  heldoutCount: number;
  realCount: number;
  /** at most this many screenshots per real application (0 = all), spread evenly over the file-name order */
  realMaxPerApp: number;
  sets: ReadonlySet<EvalSetName>;
  out: string;
  json: string | null;
  write: boolean;
  /** re-render the docs from a saved `--json` report instead of evaluating (e.g. after a change to the report layout) */
  renderFrom: string | null;
}

export const USAGE = `npm run eval -- [--models assets/models] [--data-root DIR] [--data DIR] [--real-apps DIR]
                [--heldout-seed 500000] [--heldout-count 100] [--real-count 12] [--real-max-per-app N]
                [--sets a,b,c,real] [--out docs/EVALUATION.md] [--json FILE] [--no-write] [--render-from FILE]`;

/** `$RPA_DATA_DIR`, else the gitignored `<repo>/.data/datasets`. */
export function defaultDataRoot(env: Readonly<Record<string, string | undefined>>, root = ROOT): string {
  const v = env.RPA_DATA_DIR;
  return v ? resolve(v) : join(root, '.data', 'datasets');
}

export function parseEvalArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, root = ROOT): EvalArgs {
  let dataRoot = defaultDataRoot(env, root);
  let data: string | null = null;
  let realApps: string | null = null;
  const a: Omit<EvalArgs, 'dataRoot' | 'data' | 'realApps'> = {
    models: join(root, 'assets', 'models'),
    heldoutSeed: 500000,
    heldoutCount: 100,
    realCount: 12,
    realMaxPerApp: 0,
    sets: new Set(ALL_SETS),
    out: join(root, 'docs', 'EVALUATION.md'),
    json: null,
    write: true,
    renderFrom: null,
  };
  const num = (k: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 0) throw new Error(`${k} needs a non-negative integer\n${USAGE}`);
    return n;
  };
  const val = (k: string, v: string | undefined): string => {
    if (v === undefined || v.startsWith('--')) throw new Error(`${k} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[i + 1];
    if (k === '--no-write') {
      a.write = false;
      continue;
    }
    i++;
    if (k === '--models') a.models = resolve(val(k, v));
    else if (k === '--data-root') dataRoot = resolve(val(k, v));
    else if (k === '--data') data = resolve(val(k, v));
    else if (k === '--real-apps') realApps = resolve(val(k, v));
    else if (k === '--heldout-seed') a.heldoutSeed = num(k, v);
    else if (k === '--heldout-count') a.heldoutCount = num(k, v);
    else if (k === '--real-count') a.realCount = num(k, v);
    else if (k === '--real-max-per-app') a.realMaxPerApp = num(k, v);
    else if (k === '--out') a.out = resolve(val(k, v));
    else if (k === '--json') a.json = resolve(val(k, v));
    else if (k === '--render-from') a.renderFrom = resolve(val(k, v));
    else if (k === '--sets') {
      const names = val(k, v).split(',').map((s) => s.trim());
      const bad = names.filter((s) => !(ALL_SETS as readonly string[]).includes(s));
      if (bad.length || names.length === 0) throw new Error(`--sets takes a comma list of ${ALL_SETS.join(', ')}; got ${bad.join(', ')}\n${USAGE}`);
      a.sets = new Set(names as EvalSetName[]);
    } else throw new Error(`unknown argument ${k}\n${USAGE}`);
  }
  return { ...a, dataRoot, data: data ?? join(dataRoot, 'eval'), realApps: realApps ?? join(dataRoot, 'real-apps') };
}
