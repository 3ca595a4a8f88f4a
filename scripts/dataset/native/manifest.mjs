#!/usr/bin/env node
// Dataset manifest of the "atspi" family: per app its toolkit, split, screens and boxes per type, read from
// the built samples. Writes scripts/dataset/manifests/atspi.json (committed; not in apps/, which holds only the
// apps lists that trainers read) and prints a table.
//   node scripts/dataset/native/manifest.mjs [DATA_DIR]   (default $RPA_DATA_DIR/real-apps/atspi or <repo>/.data/…)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataDir = process.argv[2] ?? join(process.env.RPA_DATA_DIR ?? join(repo, '.data'), 'real-apps', 'atspi');
const apps = JSON.parse(readFileSync(join(repo, 'scripts', 'dataset', 'apps', 'atspi.json'), 'utf8'));

/** Count screens, boxes per type, themes and scales of one app's samples. */
export function summarise(dir) {
  const out = { screens: 0, boxes: 0, types: {}, themes: {}, scales: {} };
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const s = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    out.screens++;
    out.themes[s.theme] = (out.themes[s.theme] ?? 0) + 1;
    out.scales[String(s.scale)] = (out.scales[String(s.scale)] ?? 0) + 1;
    for (const e of s.elements) {
      out.boxes++;
      out.types[e.type] = (out.types[e.type] ?? 0) + 1;
    }
  }
  return out;
}

const rows = apps.map((a) => ({ app: a.app, toolkit: a.toolkit, split: a.split, ...summarise(join(dataDir, a.app)) }));
const total = { screens: 0, boxes: 0, types: {} };
for (const r of rows) {
  total.screens += r.screens;
  total.boxes += r.boxes;
  for (const [t, n] of Object.entries(r.types)) total.types[t] = (total.types[t] ?? 0) + n;
}
writeFileSync(join(repo, 'scripts', 'dataset', 'manifests', 'atspi.json'),
  JSON.stringify({ family: 'atspi', apps: rows, total }, null, 2) + '\n');
for (const r of rows) console.log(`${r.split.padEnd(8)} ${r.app.padEnd(22)} ${r.toolkit.padEnd(12)} ${String(r.screens).padStart(4)} screens ${String(r.boxes).padStart(6)} boxes`);
console.log(`total: ${total.screens} screens, ${total.boxes} boxes`);
console.log(Object.entries(total.types).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${n}`).join(', '));
