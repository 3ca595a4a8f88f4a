// The page list of a hand-written dataset kind (real, thirdparty): the .html files of scripts/dataset/<kind>/,
// sorted by name — page index = seed. One function, used by the generator and by the evaluation (which must agree
// on it: a dataset's seeds name pages through this order).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATASET_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

export function pageFiles(kind) {
  return readdirSync(join(DATASET_DIR, kind)).filter((f) => f.endsWith('.html')).sort();
}
