#!/usr/bin/env node
// The evaluation folder of a selection rule (docs/MODELS.md, round 10 on): links to every held-out and fresh
// application of each family, from the rebuilt samples, so that `npm run eval -- --real-apps DIR` measures exactly the
// applications the rule pools and never a training one.
//   node scripts/dataset/heldout-links.mjs --out DIR [--families atspi,wine,webwin] [--json]
// Reads scripts/dataset/apps/<family>.json (the split) and $RPA_DATA_DIR/real-apps/<family>/<app> (held out) or
// $RPA_DATA_DIR/fresh-apps/<family>/<app> (fresh). Writes DIR/<family>/<app> -> that folder (replacing older links);
// an application with no samples is reported and left out (exit 1), never silently.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitOfList } from './lib/split.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const usage = 'usage: node scripts/dataset/heldout-links.mjs --out DIR [--families atspi,wine,webwin] [--json]';
const args = process.argv.slice(2);
let out = null, families = ['atspi', 'wine', 'webwin'], json = false;
for (let i = 0; i < args.length; i++) {
  const k = args[i];
  if (k === '-h' || k === '--help') { console.log(usage + '\n' + readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 8).map((l) => l.replace(/^\/\/ ?/, '')).join('\n')); process.exit(0); }
  else if (k === '--json') json = true;
  else if ((k === '--out' || k === '--families') && i + 1 < args.length) { const v = args[++i]; if (k === '--out') out = resolve(v); else families = v.split(',').filter(Boolean); }
  else { console.error(`error[bad_argument]: ${k === '--out' || k === '--families' ? `${k} needs a value` : `unknown argument ${k}`}\n${usage}`); process.exit(2); }
}
if (!out) { console.error(`error[bad_argument]: --out is required\n${usage}`); process.exit(2); }
const bad = families.filter((f) => !existsSync(join(repo, 'scripts', 'dataset', 'apps', `${f}.json`)));
if (bad.length || families.length === 0) { console.error(`error[bad_argument]: no apps list for family ${bad.join(', ') || '(none)'}\n${usage}`); process.exit(2); }
const data = resolve(process.env.RPA_DATA_DIR ?? join(repo, '.data', 'datasets'));
const report = { out, families: {}, missing: [] };
for (const family of families) {
  const list = JSON.parse(readFileSync(join(repo, 'scripts', 'dataset', 'apps', `${family}.json`), 'utf8'));
  const split = splitOfList(list);
  const fam = { heldout: [], fresh: [] };
  rmSync(join(out, family), { recursive: true, force: true });
  mkdirSync(join(out, family), { recursive: true });
  for (const [app, s] of split) {
    if (s === 'train') continue;
    const src = join(data, s === 'fresh' ? 'fresh-apps' : 'real-apps', family, app);
    const samples = existsSync(src) ? readdirSync(src).filter((f) => f.endsWith('.json')).length : 0;
    if (samples === 0) { report.missing.push(`${family}/${app} (${s}): no samples under ${src}`); continue; }
    symlinkSync(src, join(out, family, app));
    fam[s].push(`${app} (${samples})`);
  }
  report.families[family] = fam;
}
if (json) console.log(JSON.stringify(report, null, 2));
else {
  for (const [f, v] of Object.entries(report.families)) console.log(`${f}: held out ${v.heldout.length} [${v.heldout.join(', ')}]; fresh ${v.fresh.length} [${v.fresh.join(', ')}]`);
  for (const m of report.missing) console.error(`error[missing_samples]: ${m}`);
  console.log(`links under ${out}`);
}
process.exit(report.missing.length ? 1 : 0);
