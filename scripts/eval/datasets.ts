/**
 * The generator's evaluation sets (a)-(c) of `npm run eval` (docs/EVALUATION.md "Data"): rendered by
 * scripts/dataset/generate.mjs into a folder named by a hash of the generator, labeller and pages, and generated
 * here when missing, so a changed generator is never evaluated on stale renders.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Box } from '../../src/common/geometry.js';
import { DATASET_DIR, pageFiles } from '../dataset/lib/pages.mjs';
import { ROOT } from './args.js';

export interface Element {
  id: string;
  type: string;
  box: Box;
  checked?: boolean;
  text?: string;
}
export interface Sample {
  png: string;
  label: { width: number; height: number; scale: number; theme: string; seed: number; variant: number; kind: string; page: string; elements: Element[] };
}

export type Kind = 'synthetic' | 'real' | 'thirdparty';

/** A short hash of everything that decides a dataset's pixels and labels (generator, labeller, pages), so a cached
 * dataset is regenerated when any of them changes instead of silently evaluating on stale renders. */
export function datasetKey(kind: Kind): string {
  const h = createHash('sha256');
  const files = [join(DATASET_DIR, 'generate.mjs'), ...readdirSync(join(DATASET_DIR, 'lib')).sort().map((f) => join(DATASET_DIR, 'lib', f))];
  if (kind !== 'synthetic') files.push(...pageFiles(kind).map((f) => join(DATASET_DIR, kind, f)));
  for (const f of files) h.update(f.slice(DATASET_DIR.length)).update(readFileSync(f));
  return h.digest('hex').slice(0, 8);
}

export function ensureDataset(dir: string, kind: Kind, seedStart: number, count: number, variants: number): Sample[] {
  const base = (seed: number, v: number) => join(dir, `${kind}_${seed}_v${v}`);
  const missing = () => {
    for (let seed = seedStart; seed < seedStart + count; seed++) for (let v = 0; v < variants; v++) if (!existsSync(`${base(seed, v)}.json`) || !existsSync(`${base(seed, v)}.png`)) return true;
    return false;
  };
  if (missing()) {
    mkdirSync(dir, { recursive: true });
    console.error(`generating ${kind} seeds ${seedStart}..${seedStart + count - 1} x ${variants} variants into ${dir}`);
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'dataset', 'generate.mjs'), '--out', dir, '--seed-start', String(seedStart), '--count', String(count), '--kind', kind, '--variants', String(variants)], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`dataset generation failed (${r.status})`);
  }
  const out: Sample[] = [];
  for (let seed = seedStart; seed < seedStart + count; seed++) {
    for (let v = 0; v < variants; v++) out.push({ png: `${base(seed, v)}.png`, label: JSON.parse(readFileSync(`${base(seed, v)}.json`, 'utf8')) });
  }
  return out;
}
