#!/usr/bin/env node
// The committed manifest of issue 15's real-program dataset: every application of every family (from
// scripts/dataset/apps/<family>.json), its toolkit and split, and what its samples under
// $RPA_DATA_DIR/real-apps/<family>/<app>/*.json hold: screens, boxes per type, states, themes, scales. Apps of the
// fresh held-out set (split "fresh") are counted from $RPA_DATA_DIR/fresh-apps/<family>/<app> instead.
//
//   node scripts/dataset/manifest.mjs [--data DIR] [--fresh-data DIR] [--apps DIR] [--md FILE] [--json FILE] [--family NAME]...
//   (npm run dataset:manifest; --family limits it to those families, default every family found)
//
// Defaults: --data $RPA_DATA_DIR/real-apps (else <repo>/.data/datasets/real-apps), --fresh-data the same with
// fresh-apps, --apps scripts/dataset/apps,
// --md docs/DATASET.md, --json scripts/dataset/apps/manifest.json. Works with whatever families exist: a family
// listed without samples shows 0 screens; samples of an app no list names are reported as unlisted, not dropped.
import { readdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCliOrExit } from './lib/cli.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');

function listJson(dir) {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
}
function subdirs(dir) {
  return existsSync(dir) ? readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory()).sort() : [];
}

// A PNG's size from its IHDR chunk (bytes 16..23), or null when the file is missing or not a PNG.
function pngSize(file) {
  try {
    const b = readFileSync(file);
    if (b.length < 24 || b.toString('latin1', 1, 4) !== 'PNG') return null;
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  } catch {
    return null;
  }
}

const REQUIRED = ['width', 'height', 'scale', 'theme', 'family', 'app', 'split', 'state'];

/** Problems of one sample against the dataset format (empty when it conforms). */
export function sampleProblems(s, png) {
  const p = [];
  for (const k of REQUIRED) if (s[k] === undefined) p.push(`lacks ${k}`);
  if (!png) p.push('no PNG beside it');
  else if (png.width !== s.width || png.height !== s.height) p.push(`PNG is ${png.width}x${png.height}, label says ${s.width}x${s.height}`);
  for (const e of s.elements) {
    const b = e.box;
    const ok = Array.isArray(b) && b.length === 4 && b.every(Number.isInteger) && b[0] >= 0 && b[1] >= 0 && b[2] <= s.width && b[3] <= s.height && b[2] > b[0] && b[3] > b[1];
    if (!ok) p.push(`element ${e.id}: box ${JSON.stringify(b)} is not integer image pixels inside the image`);
    if (typeof e.type !== 'string') p.push(`element ${e.id}: no type`);
  }
  // ignore regions (optional): areas a model may box that the ground truth cannot give, in image pixels
  if (s.ignore !== undefined && !Array.isArray(s.ignore)) p.push('ignore is not a list of boxes');
  for (const b of Array.isArray(s.ignore) ? s.ignore : []) {
    const ok = Array.isArray(b) && b.length === 4 && b.every(Number.isFinite) && b[0] >= 0 && b[1] >= 0 && b[2] <= s.width && b[3] <= s.height && b[2] > b[0] && b[3] > b[1];
    if (!ok) p.push(`ignore region ${JSON.stringify(b)} is not a box inside the image`);
  }
  return p;
}

/** Count one application's samples: screens, boxes per type, states, themes, scales, and samples off the format. */
export function countApp(dir) {
  const out = { screens: 0, boxes: 0, types: {}, states: [], themes: [], scales: [], invalid: [], ignoreScreens: 0, ignoreRegions: 0 };
  const states = new Set();
  const themes = new Set();
  const scales = new Set();
  for (const f of listJson(dir)) {
    const s = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    if (!Array.isArray(s.elements)) continue;
    out.screens++;
    const problems = sampleProblems(s, pngSize(join(dir, `${f.slice(0, -5)}.png`)));
    if (problems.length) out.invalid.push(`${f}: ${problems.slice(0, 3).join('; ')}`);
    if (s.state !== undefined) states.add(String(s.state));
    if (s.theme !== undefined) themes.add(String(s.theme));
    if (s.scale !== undefined) scales.add(Number(s.scale));
    if (Array.isArray(s.ignore) && s.ignore.length) {
      out.ignoreScreens++;
      out.ignoreRegions += s.ignore.length;
    }
    for (const e of s.elements) {
      out.types[e.type] = (out.types[e.type] ?? 0) + 1;
      out.boxes++;
    }
  }
  out.types = Object.fromEntries(Object.entries(out.types).sort(([a], [b]) => a.localeCompare(b)));
  out.states = [...states].sort();
  out.themes = [...themes].sort();
  out.scales = [...scales].sort((a, b) => a - b);
  return out;
}

/** The manifest of every family: apps list files (appsDir/<family>.json) joined with samples (dataDir/<family>/<app>;
 * an app of the fresh held-out set, split "fresh": freshDir/<family>/<app>, when freshDir is given). */
export function buildManifest({ appsDir, dataDir, freshDir = null, families: only = [] }) {
  const families = new Set(listJson(appsDir).filter((f) => f !== 'manifest.json').map((f) => f.slice(0, -5)));
  for (const d of subdirs(dataDir)) families.add(d);
  if (freshDir) for (const d of subdirs(freshDir)) families.add(d);
  if (only.length) for (const f of [...families]) if (!only.includes(f)) families.delete(f);
  const manifest = { families: [] };
  for (const family of [...families].sort()) {
    const listFile = join(appsDir, `${family}.json`);
    const listed = existsSync(listFile) ? JSON.parse(readFileSync(listFile, 'utf8')) : [];
    const where = (a) => (a.split === 'fresh' ? freshDir : dataDir);
    const apps = listed.map((a) => ({ app: a.app, toolkit: a.toolkit, description: a.description, split: a.split,
      ...(a.addedAfterSplit ? { addedAfterSplit: a.addedAfterSplit } : {}), ...(a.fresh ? { fresh: a.fresh } : {}),
      ...(a.splitBatch ? { splitBatch: a.splitBatch } : {}),
      ...countApp(where(a) ? join(where(a), family, a.app) : '') }));
    const known = new Set(listed.map((a) => a.app));
    for (const dir of [dataDir, freshDir].filter(Boolean)) {
      for (const d of subdirs(join(dir, family))) {
        if (!known.has(d)) apps.push({ app: d, toolkit: '?', description: `not in the apps list (${dir === freshDir ? 'fresh-apps' : 'real-apps'})`, split: 'unlisted', ...countApp(join(dir, family, d)) });
      }
    }
    // Changed with the fresh held-out set: totals name how many apps are fresh (field fresh) and count everything else;
    // the fresh apps' screens and boxes are their own totals (freshTotals), never pooled with the real-apps folder's
    const totals = { apps: apps.length, heldout: apps.filter((a) => a.split === 'heldout').length, fresh: apps.filter((a) => a.split === 'fresh').length, screens: 0, boxes: 0, invalid: 0, types: {}, ignoreScreens: 0, ignoreRegions: 0 };
    const freshTotals = { screens: 0, boxes: 0, types: {}, ignoreScreens: 0, ignoreRegions: 0 };
    for (const a of apps) {
      const into = a.split === 'fresh' ? freshTotals : totals;
      totals.invalid += a.invalid.length;
      into.screens += a.screens;
      into.boxes += a.boxes;
      into.ignoreScreens += a.ignoreScreens;
      into.ignoreRegions += a.ignoreRegions;
      for (const [t, n] of Object.entries(a.types)) into.types[t] = (into.types[t] ?? 0) + n;
    }
    for (const x of [totals, freshTotals]) x.types = Object.fromEntries(Object.entries(x.types).sort(([a], [b]) => a.localeCompare(b)));
    manifest.families.push({ family, totals, ...(totals.fresh ? { freshTotals } : {}), apps });
  }
  return manifest;
}

/** The "Fresh held-out set" section of docs/DATASET.md: what it is, its rule, its applications, how to rebuild it. */
export function freshSection(manifest) {
  const fams = manifest.families.map((f) => ({ family: f.family, apps: f.apps.filter((a) => a.split === 'fresh') })).filter((f) => f.apps.length);
  const L = ['## Fresh held-out set', '',
    'A second held-out set of real applications that **no training round and no decision has ever used**: the first',
    'held-out applications have been looked at in four retrain rounds (their figures shaped later recipes), so they are',
    'partly tuned on. The fresh applications are marked `"split": "fresh"` with the date they were added (field `fresh`)',
    'in `scripts/dataset/apps/<family>.json`; they take no part in the sha256 rule nor in its quarter (adding them moved',
    'no application), the training recipe never opens their folders (`scripts/train/real_apps.py`: train apps only;',
    'a sample marked fresh stops a run), and `npm run eval` reports them apart, per family and per application, with the',
    'held-out targets. Their samples live only under `$RPA_DATA_DIR/fresh-apps/<family>/<app>/` (never under',
    '`real-apps`), so a training run pointed at `real-apps` cannot meet them.', '',
    'Rules: never train, validate, select a checkpoint or tune a threshold on them; evaluate a baseline and a candidate',
    'on them once, at decision time, and write the figures down. Who has looked at them: their harvester (the boxes',
    'of a few screens per program, checked by eye against the pixels before any model ran on them: see the families\'',
    'READMEs); a smoke run of `npm run eval` with two screens per application and the shipped models, to check that it',
    'reads them with no split problem, whose figures were not read or kept. Thin on purpose where the program is:',
    'catfish, seahorse and simple-scan show one or two pages without a search result, a key or a scanner.', '',
    'Rebuild (one command; installs its Debian packages, one harvest at a time, niced):', '',
    '    npm run dataset:fresh            # = bash scripts/dataset/fresh.sh [--only atspi|wine]', '',
    'Evaluate: `npm run eval -- --real-apps $RPA_DATA_DIR/fresh-apps --sets real`.', ''];
  if (!fams.length) L.push('No application is in the fresh set yet.', '');
  for (const f of fams) {
    L.push(`- \`${f.family}\`: ${f.apps.map((a) => `\`${a.app}\` (${a.screens} screens, ${a.boxes} boxes)`).join(', ')}.`);
  }
  if (fams.length) L.push('');
  return L;
}

/** docs/DATASET.md from a manifest. */
export function renderMarkdown(manifest) {
  const L = ['# Real-program dataset (issue 15)', '',
    'Generated by `npm run dataset:manifest` from `scripts/dataset/apps/<family>.json` and the samples under',
    '`$RPA_DATA_DIR/real-apps/<family>/<app>/<state>_<theme>_<scale>.{png,json}`. The split is by application, decided',
    'before any model saw the data: a family\'s app ids ordered by hex sha256(appId); the first ceil(0.3 n) are held out',
    '(`scripts/dataset/lib/split.mjs`). Applications added to a family after its split (marked "train, added DATE") are',
    'always train and take no part in the rule, so adding one moves no other application; at least a quarter of each',
    'family stays held out. Applications of a later batch (marked "train|heldout, batch DATE", round 7 on) are split by',
    'the same rule among the applications of their batch only (the first ceil(0.3 m) of its m ids): no other application',
    'moves. Never tune on held-out applications.', '',
    'Rebuild: each family\'s recipe writes its folder (webwin: `npm run dataset:webwin`), then `npm run dataset:manifest`',
    'rewrites this file and `scripts/dataset/apps/manifest.json`.', '', ...freshSection(manifest)];
  for (const f of manifest.families) {
    const t = f.totals;
    const freshNote = f.freshTotals ? ` (the ${t.fresh} applications of the fresh held-out set apart: ${f.freshTotals.screens} screens, ${f.freshTotals.boxes} boxes)` : '';
    L.push(`## Family \`${f.family}\``, '', `${t.apps} applications (${t.heldout} held out${t.fresh ? `, ${t.fresh} fresh` : ''}), ${t.screens} screens, ${t.boxes} boxes${freshNote}` +
      `${t.invalid ? `; **${t.invalid} samples off the format** (listed in apps/manifest.json)` : ', every sample in the format'}.` +
      (t.ignoreScreens || f.freshTotals?.ignoreScreens ? ` Ignore regions (areas a model may box that the ground truth cannot give, docs/AUDIT-ATSPI.md): ${t.ignoreRegions} on ${t.ignoreScreens} screens` +
        `${f.freshTotals?.ignoreScreens ? `, fresh set ${f.freshTotals.ignoreRegions} on ${f.freshTotals.ignoreScreens}` : ''}.` : ''), '');
    L.push('| application | toolkit | split | screens | boxes | states | themes | scales |', '|---|---|---|---:|---:|---|---|---|');
    const split = (a) => (a.addedAfterSplit ? `${a.split}, added ${a.addedAfterSplit}` : a.fresh ? `fresh, added ${a.fresh}`
      : a.splitBatch ? `${a.split}, batch ${a.splitBatch}` : a.split);
    for (const a of f.apps) L.push(`| ${a.app} | ${a.toolkit} | ${split(a)} | ${a.screens} | ${a.boxes} | ${a.states.join(', ')} | ${a.themes.join(', ')} | ${a.scales.join(', ')} |`);
    const types = [...new Set([...Object.keys(t.types), ...Object.keys(f.freshTotals?.types ?? {})])].sort();
    if (types.length) {
      L.push('', 'Boxes per type:', '', `| application | ${types.join(' | ')} |`, `|---|${types.map(() => '---:').join('|')}|`);
      for (const a of f.apps) L.push(`| ${a.app} | ${types.map((ty) => a.types[ty] ?? 0).join(' | ')} |`);
      L.push(`| **all** | ${types.map((ty) => t.types[ty] ?? 0).join(' | ')} |`);
      if (f.freshTotals) L.push(`| **all fresh** | ${types.map((ty) => f.freshTotals.types[ty] ?? 0).join(' | ')} |`);
    }
    L.push('', 'Applications:', '');
    for (const a of f.apps) L.push(`- \`${a.app}\` (${a.toolkit}, ${split(a)}): ${a.description}`);
    L.push('');
  }
  return L.join('\n');
}

export function parseArgs(argv, env = process.env) {
  const args = {
    dataDir: env.RPA_DATA_DIR ? join(env.RPA_DATA_DIR, 'real-apps') : join(repo, '.data', 'datasets', 'real-apps'),
    freshDir: env.RPA_DATA_DIR ? join(env.RPA_DATA_DIR, 'fresh-apps') : join(repo, '.data', 'datasets', 'fresh-apps'),
    appsDir: join(here, 'apps'),
    md: join(repo, 'docs', 'DATASET.md'),
    json: join(here, 'apps', 'manifest.json'),
    families: [],
  };
  const keys = { '--data': 'dataDir', '--fresh-data': 'freshDir', '--apps': 'appsDir', '--md': 'md', '--json': 'json', '--family': 'families' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = keys[argv[i]];
    if (!k || argv[i + 1] === undefined) throw new Error(`unknown or incomplete argument ${argv[i]}`);
    if (k === 'families') args.families.push(argv[i + 1]);
    else args[k] = argv[i + 1];
  }
  return args;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseCliOrExit(import.meta.url, (argv) => parseArgs(argv));
  const manifest = buildManifest(args);
  writeFileSync(args.json, `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(args.md, renderMarkdown(manifest));
  for (const f of manifest.families) {
    console.error(`${f.family}: ${f.totals.apps} apps, ${f.totals.screens} screens, ${f.totals.boxes} boxes, ${f.totals.invalid} samples off the format`);
    for (const a of f.apps) for (const line of a.invalid.slice(0, 5)) console.error(`  ${a.app}/${line}`);
  }
}
