#!/usr/bin/env node
// The brief's split rule (issue 15), decided before any model sees the data: order a family's app ids by hex
// sha256(appId) ascending; the first ceil(0.3 * n) are "heldout", the rest "train". Apps added after the split
// (field addedAfterSplit) are "train" and do not take part in the rule (scripts/dataset/lib/split.mjs splitOfList).
//   node scripts/dataset/native/split.mjs FILE.json   rewrites the split field of every entry of FILE
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitByAppHash, splitOfList } from '../lib/split.mjs';

export function sha256Hex(s) {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Map app id -> 'heldout' | 'train' by the rule above (../lib/split.mjs splitByAppHash, the one implementation). */
export function splitApps(ids) {
  return splitByAppHash([...new Set(ids)]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: split.mjs FILE.json');
  const apps = JSON.parse(readFileSync(file, 'utf8'));
  const split = splitOfList(apps);
  for (const a of apps) a.split = split.get(a.app);
  writeFileSync(file, JSON.stringify(apps, null, 2) + '\n');
  for (const a of apps) console.log(`${a.split.padEnd(8)} ${a.app}`);
}
