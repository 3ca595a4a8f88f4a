// The training recipe's own Python unit tests (scripts/train/test_*.py), run with Debian's /usr/bin/python3 (torch,
// numpy, PIL from scripts/setup.sh): the held-out guard (no held-out application is ever read for training), the
// detector's ignore regions (legacy generator check boxes grown; a real-program sample's exact regions kept, cropped,
// masked without growth and never over a positive, dropped from the validation AP), batch sampling on strip-shaped
// screens, the function-preserving widening of the detector (widen.py), multi-view classifiers (test_views.py: a smoke
// run whose exported model the agent's cropBatch and onnxruntime read, scripts/train/crop_parity.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..', '..', 'scripts', 'train');

test('scripts/train Python unit tests pass', () => {
  const files = readdirSync(dir).filter((f) => /^test_.*\.py$/.test(f)).sort();
  assert.ok(files.length >= 3, `found ${files.join(', ')}`);
  const r = spawnSync('/usr/bin/python3', ['-m', 'unittest', ...files], { cwd: dir, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /Ran \d+ tests[\s\S]*\nOK/);
});
