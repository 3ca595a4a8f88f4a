#!/usr/bin/env node
// The committed manifest of issue 15's real-program dataset: every application of every family (from
// scripts/dataset/apps/<family>.json), its toolkit and split, and what its samples under
// $RPA_DATA_DIR/real-apps/<family>/<app>/*.json hold: screens, boxes per type, states, themes, scales.
//
//   node scripts/dataset/manifest.mjs [--data DIR] [--apps DIR] [--md FILE] [--json FILE] [--family NAME]...
//   (npm run dataset:manifest; --family limits it to those families, default every family found)
//
// Defaults: --data $RPA_DATA_DIR/real-apps (else <repo>/.data/datasets/real-apps), --apps scripts/dataset/apps,
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
  return p;
}

/** Count one application's samples: screens, boxes per type, states, themes, scales, and samples off the format. */
export function countApp(dir) {
  const out = { screens: 0, boxes: 0, types: {}, states: [], themes: [], scales: [], invalid: [] };
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

/** The manifest of every family: apps list files (appsDir/<family>.json) joined with samples (dataDir/<family>/<app>). */
export function buildManifest({ appsDir, dataDir, families: only = [] }) {
  const families = new Set(listJson(appsDir).filter((f) => f !== 'manifest.json').map((f) => f.slice(0, -5)));
  for (const d of subdirs(dataDir)) families.add(d);
  if (only.length) for (const f of [...families]) if (!only.includes(f)) families.delete(f);
  const manifest = { families: [] };
  for (const family of [...families].sort()) {
    const listFile = join(appsDir, `${family}.json`);
    const listed = existsSync(listFile) ? JSON.parse(readFileSync(listFile, 'utf8')) : [];
    const apps = listed.map((a) => ({ app: a.app, toolkit: a.toolkit, description: a.description, split: a.split,
      ...(a.addedAfterSplit ? { addedAfterSplit: a.addedAfterSplit } : {}), ...countApp(join(dataDir, family, a.app)) }));
    const known = new Set(listed.map((a) => a.app));
    for (const d of subdirs(join(dataDir, family))) {
      if (!known.has(d)) apps.push({ app: d, toolkit: '?', description: 'not in the apps list', split: 'unlisted', ...countApp(join(dataDir, family, d)) });
    }
    const totals = { apps: apps.length, heldout: apps.filter((a) => a.split === 'heldout').length, screens: 0, boxes: 0, invalid: 0, types: {} };
    for (const a of apps) {
      totals.invalid += a.invalid.length;
      totals.screens += a.screens;
      totals.boxes += a.boxes;
      for (const [t, n] of Object.entries(a.types)) totals.types[t] = (totals.types[t] ?? 0) + n;
    }
    totals.types = Object.fromEntries(Object.entries(totals.types).sort(([a], [b]) => a.localeCompare(b)));
    manifest.families.push({ family, totals, apps });
  }
  return manifest;
}

/** docs/DATASET.md from a manifest. */
export function renderMarkdown(manifest) {
  const L = ['# Real-program dataset (issue 15)', '',
    'Generated by `npm run dataset:manifest` from `scripts/dataset/apps/<family>.json` and the samples under',
    '`$RPA_DATA_DIR/real-apps/<family>/<app>/<state>_<theme>_<scale>.{png,json}`. The split is by application, decided',
    'before any model saw the data: a family\'s app ids ordered by hex sha256(appId); the first ceil(0.3 n) are held out',
    '(`scripts/dataset/lib/split.mjs`). Applications added to a family after its split (marked "train, added DATE") are',
    'always train and take no part in the rule, so adding one moves no other application; at least a quarter of each',
    'family stays held out. Never tune on held-out applications.', '',
    'Rebuild: each family\'s recipe writes its folder (webwin: `npm run dataset:webwin`), then `npm run dataset:manifest`',
    'rewrites this file and `scripts/dataset/apps/manifest.json`.', ''];
  for (const f of manifest.families) {
    const t = f.totals;
    L.push(`## Family \`${f.family}\``, '', `${t.apps} applications (${t.heldout} held out), ${t.screens} screens, ${t.boxes} boxes` +
      `${t.invalid ? `; **${t.invalid} samples off the format** (listed in apps/manifest.json)` : ', every sample in the format'}.`, '');
    L.push('| application | toolkit | split | screens | boxes | states | themes | scales |', '|---|---|---|---:|---:|---|---|---|');
    const split = (a) => (a.addedAfterSplit ? `${a.split}, added ${a.addedAfterSplit}` : a.split);
    for (const a of f.apps) L.push(`| ${a.app} | ${a.toolkit} | ${split(a)} | ${a.screens} | ${a.boxes} | ${a.states.join(', ')} | ${a.themes.join(', ')} | ${a.scales.join(', ')} |`);
    const types = Object.keys(t.types);
    if (types.length) {
      L.push('', 'Boxes per type:', '', `| application | ${types.join(' | ')} |`, `|---|${types.map(() => '---:').join('|')}|`);
      for (const a of f.apps) L.push(`| ${a.app} | ${types.map((ty) => a.types[ty] ?? 0).join(' | ')} |`);
      L.push(`| **all** | ${types.map((ty) => t.types[ty]).join(' | ')} |`);
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
    appsDir: join(here, 'apps'),
    md: join(repo, 'docs', 'DATASET.md'),
    json: join(here, 'apps', 'manifest.json'),
    families: [],
  };
  const keys = { '--data': 'dataDir', '--apps': 'appsDir', '--md': 'md', '--json': 'json', '--family': 'families' };
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
