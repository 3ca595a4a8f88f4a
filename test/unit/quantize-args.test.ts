/**
 * `npm run quantize` (scripts/quantize): the command line (pure parser), the range statistics and the calibration
 * pick — held-out applications never enter the calibration set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQuantizeArgs } from '../../scripts/quantize/args.js';
import { percentile, RangeCollector } from '../../scripts/quantize/ranges.js';
import { calibrationImages, spread } from '../../scripts/quantize/calibration-set.js';
import { expectedSplits } from '../../scripts/eval/real-metrics.js';

test('quantize arguments: defaults from $RPA_DATA_DIR, roles, method, float stem; bad input is refused', () => {
  const a = parseQuantizeArgs([], { RPA_DATA_DIR: '/data' }, '/repo');
  assert.deepEqual(a.roles, ['detector', 'classifier']);
  assert.equal(a.models, '/repo/assets/models');
  assert.equal(a.generator, '/data/quantize/generator');
  assert.equal(a.realApps, '/data/real-apps');
  assert.deepEqual(a.method, { kind: 'percentile', pct: 99.99 });
  assert.equal(a.floatTails.size, 0);
  assert.deepEqual([...a.floatStem], ['detector']);
  const b = parseQuantizeArgs(['--roles', 'similarity', '--calib', '8', '--method', 'percentile:99.9', '--float-stem', 'none', '--eval-dir', '/tmp/e'], {}, '/repo');
  assert.deepEqual(b.roles, ['similarity']);
  assert.equal(b.calib, 8);
  assert.deepEqual(b.method, { kind: 'percentile', pct: 99.9 });
  assert.equal(b.floatStem.size, 0);
  assert.equal(b.generator, '/repo/.data/datasets/quantize/generator');
  for (const bad of [['--roles', 'segmenter'], ['--calib', '0'], ['--calib'], ['--method', 'entropy'], ['--method', 'percentile:40'], ['--no-such-flag']]) {
    assert.throws(() => parseQuantizeArgs(bad, {}, '/repo'), /npm run quantize/, bad.join(' '));
  }
});

test('ranges: min/max over all batches; a percentile clips a rare outlier that min/max keeps', () => {
  const mm = new RangeCollector({ kind: 'minmax' });
  const pc = new RangeCollector({ kind: 'percentile', pct: 99 });
  for (let b = 0; b < 4; b++) {
    const v = Float32Array.from({ length: 1000 }, (_, i) => i / 1000);
    if (b === 2) v[7] = 50; // one outlier
    mm.add('t', v);
    pc.add('t', v);
  }
  assert.deepEqual(mm.ranges().t, [0, 50]);
  const [lo, hi] = pc.ranges().t!;
  assert.equal(lo, 0);
  assert.ok(hi > 0.98 && hi < 1, `percentile hi ${hi}`);
  assert.equal(percentile([3, 1, 2], 100), 3);
  assert.deepEqual(spread([0, 1, 2, 3, 4, 5, 6, 7], 4), [0, 2, 4, 6]);
});

test('calibration set: generator pages and train apps only; a held-out app of the apps list is never picked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'calib-'));
  try {
    const gen = join(dir, 'gen');
    mkdirSync(gen);
    for (const s of [0, 1, 2]) {
      writeFileSync(join(gen, `synthetic_${s}_v0.json`), JSON.stringify({ elements: [{ box: [1, 1, 9, 9] }] }));
      writeFileSync(join(gen, `synthetic_${s}_v0.png`), '');
    }
    const lists = join(dir, 'lists');
    mkdirSync(lists);
    // the apps list must agree with the sha256 split rule, so the fixture takes the rule's own answer
    const apps = ['app-one', 'app-two', 'app-three', 'app-four', 'app-five', 'app-six'];
    const split = expectedSplits(apps);
    writeFileSync(join(lists, 'fam.json'), JSON.stringify(apps.map((app) => ({ app, split: split.get(app) }))));
    for (const app of apps) {
      const d = join(dir, 'real', 'fam', app);
      mkdirSync(d, { recursive: true });
      const label = { app, family: 'fam', split: split.get(app), width: 10, height: 10, scale: 1, theme: 'light', kind: 'atspi', page: 'main', state: 'main', elements: [{ id: 1, box: [1, 1, 9, 9], type: 'button' }] };
      writeFileSync(join(d, 'main_light_1.json'), JSON.stringify(label));
      writeFileSync(join(d, 'main_light_1.png'), '');
    }
    const set = calibrationImages({ generatorDir: gen, realAppsDir: join(dir, 'real'), appsListDir: lists, count: 100 });
    const heldOut = apps.filter((a) => split.get(a) === 'heldout');
    const train = apps.filter((a) => split.get(a) === 'train');
    assert.ok(heldOut.length > 0 && train.length > 0, 'the fixture has both splits');
    assert.equal(set.images.filter((i) => i.source === 'generator').length, 3);
    const picked = set.images.filter((i) => i.source === 'real-app').map((i) => i.name.split('/')[1]!);
    assert.deepEqual(picked.sort(), [...train].sort());
    assert.equal(set.heldOutSkipped, heldOut.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
