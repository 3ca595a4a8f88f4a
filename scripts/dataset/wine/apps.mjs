// Writes scripts/dataset/apps/wine.json from scenarios.json: every app with its toolkit, description and split,
// decided by issue 15's rule before any model sees the data: order the family's app ids by hex sha256(appId)
// ascending; the first ceil(0.3 n) are "heldout", the rest "train". Apps added after the split (scenario field
// addedAfterSplit, the date) are "train" and take no part in the rule: adding one never moves another across it.
// Apps of the fresh held-out set (scenario field fresh, the date; docs/DATASET.md "Fresh held-out set") are "fresh":
// never trained or validated on, captured only by `build.sh --fresh` into $RPA_DATA_DIR/fresh-apps/wine. Apps of a later
// batch (scenario field splitBatch, the date; round 7 on) are split by the same rule among their batch only.
//   node scripts/dataset/wine/apps.mjs [--check]   (--check: fail when the committed file differs)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitOfList } from '../lib/split.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const APPS_FILE = join(here, '..', 'apps', 'wine.json');

// the sha256 rule itself, written once in ../lib/split.mjs (kept under this name for the family's own checks)
export { splitByAppHash as splitByApp } from '../lib/split.mjs';

export function appsList() {
  const { apps } = JSON.parse(readFileSync(join(here, 'scenarios.json'), 'utf8'));
  // the one rule of scripts/dataset/lib/split.mjs (the first apps by sha256, late, fresh and batch-split apps)
  const split = splitOfList(apps);
  return apps.map((a) => ({ app: a.app, toolkit: a.toolkit, description: a.description, split: split.get(a.app),
    ...(a.addedAfterSplit ? { addedAfterSplit: a.addedAfterSplit } : {}), ...(a.fresh ? { fresh: a.fresh } : {}),
    ...(a.splitBatch ? { splitBatch: a.splitBatch } : {}) }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = JSON.stringify(appsList(), null, 2) + '\n';
  if (process.argv.includes('--check')) {
    if (readFileSync(APPS_FILE, 'utf8') !== text) throw new Error(`${APPS_FILE} is stale: run node scripts/dataset/wine/apps.mjs`);
  } else writeFileSync(APPS_FILE, text);
}
