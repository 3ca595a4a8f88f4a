/**
 * What `npm run eval` reads (scripts/eval/args.ts, scripts/eval/real-apps.ts): the data root never defaults to a
 * machine path (issue 22), and real-program samples in the BRIEF format are read with their split, while samples that
 * break the format or the split-by-application rule are skipped with a reason (a small fixture written here).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEvalArgs } from '../../scripts/eval/args.js';
import { loadRealApps } from '../../scripts/eval/real-apps.js';

const dir = mkdtempSync(join(tmpdir(), 'eval-inputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('data root: $RPA_DATA_DIR, else <repo>/.data/datasets; sets (a)-(c) under eval/, real programs under real-apps/', () => {
  const a = parseEvalArgs([], {}, '/repo');
  assert.equal(a.dataRoot, '/repo/.data/datasets');
  assert.equal(a.data, '/repo/.data/datasets/eval');
  assert.equal(a.realApps, '/repo/.data/datasets/real-apps');
  const b = parseEvalArgs([], { RPA_DATA_DIR: '/srv/d' }, '/repo');
  assert.equal(b.data, '/srv/d/eval');
  assert.equal(b.realApps, '/srv/d/real-apps');
  const c = parseEvalArgs(['--data-root', '/x', '--real-apps', '/y', '--sets', 'real', '--no-write'], { RPA_DATA_DIR: '/srv/d' }, '/repo');
  assert.deepEqual([c.data, c.realApps, [...c.sets], c.write], ['/x/eval', '/y', ['real'], false]);
  assert.throws(() => parseEvalArgs(['--sets', 'a,z'], {}, '/repo'), /--sets/);
  assert.throws(() => parseEvalArgs(['--heldout-count'], {}, '/repo'), /integer/);
  assert.throws(() => parseEvalArgs(['--frobnicate', '1'], {}, '/repo'), /unknown argument/);
});

function sample(family: string, app: string, split: string, over: Record<string, unknown> = {}) {
  return { width: 200, height: 100, scale: 1, theme: 'light', kind: 'native', page: 'main', family, app, split, state: 'main', elements: [{ id: 'b1', box: [10, 10, 60, 30], type: 'button', role: 'push button' }], ...over };
}
function put(family: string, app: string, stem: string, label: unknown, png = true): void {
  const d = join(dir, 'real-apps', family, app);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, `${stem}.json`), typeof label === 'string' ? label : JSON.stringify(label));
  if (png) writeFileSync(join(d, `${stem}.png`), 'not decoded by the loader');
}

test('real programs: samples read per family and app with their split; bad samples skipped with the reason', () => {
  // sha256 order of {a, b, c, d}: d, c, b, a → ceil(1.2) = 2 held out: d and c
  put('atspi', 'd', 'main_light_1', sample('atspi', 'd', 'heldout'));
  put('atspi', 'd', 'menu_dark_1', sample('atspi', 'd', 'heldout', { elements: [{ id: 'm', box: [0, 0, 40, 20], type: 'menu_bar_item' }] }));
  put('atspi', 'c', 'main_light_1', sample('atspi', 'c', 'heldout'));
  put('atspi', 'b', 'main_light_1', sample('atspi', 'b', 'train'));
  put('atspi', 'a', 'main_light_1', sample('atspi', 'a', 'train'));
  put('atspi', 'a', 'nopng_light_1', sample('atspi', 'a', 'train'), false);
  put('atspi', 'a', 'broken_light_1', '{"width": 2');
  put('atspi', 'a', 'badtype_light_1', sample('atspi', 'a', 'train', { elements: [{ id: 'x', box: [0, 0, 5, 5], type: 'static_text' }] }));
  put('atspi', 'a', 'outside_light_1', sample('atspi', 'a', 'train', { elements: [{ id: 'x', box: [150, 0, 250, 5], type: 'button' }] }));
  put('atspi', 'a', 'moved_light_1', sample('atspi', 'b', 'train'));
  put('atspi', 'a', 'zsplit_light_1', sample('atspi', 'a', 'heldout'));
  const r = loadRealApps(join(dir, 'real-apps'), join(dir, 'no-apps-lists'));
  assert.deepEqual(r.samples.map((s) => `${s.app}:${s.split}:${s.json.split('/').pop()}`), ['a:train:main_light_1.json', 'b:train:main_light_1.json', 'c:heldout:main_light_1.json', 'd:heldout:main_light_1.json', 'd:heldout:menu_dark_1.json']);
  const reasons = Object.fromEntries(r.skipped.map((s) => [s.file.split('/').pop(), s.reason]));
  assert.match(reasons['nopng_light_1.json']!, /no PNG/);
  assert.match(reasons['broken_light_1.json']!, /unreadable JSON/);
  assert.match(reasons['badtype_light_1.json']!, /elements\.0\.type = "static_text"/);
  assert.match(reasons['outside_light_1.json']!, /outside the 200x100 image/);
  assert.match(reasons['moved_light_1.json']!, /lies in atspi\/a/);
  assert.match(reasons['zsplit_light_1.json']!, /split is by application/);
  assert.deepEqual(r.splitChecks, [{ family: 'atspi', source: 'samples', problems: [] }]);
  // a bounded run: N files per app spread over the file-name order (d has 2 files: main_, menu_ → with N = 1 the first)
  assert.deepEqual(loadRealApps(join(dir, 'real-apps'), join(dir, 'none'), 1).samples.filter((s) => s.app === 'd').map((s) => s.json.split('/').pop()), ['main_light_1.json']);
  // a has 7 files, of which only main_light_1 is valid: N = 3 picks files 0, 2, 4 (badtype, main, nopng) → main only
  assert.deepEqual(loadRealApps(join(dir, 'real-apps'), join(dir, 'none'), 3).samples.filter((s) => s.app === 'a').map((s) => s.json.split('/').pop()), ['main_light_1.json']);
});

test('real programs: a committed apps list decides the split, and is itself checked against the sha256 rule', () => {
  const lists = join(dir, 'apps');
  mkdirSync(lists, { recursive: true });
  // the list (wrongly) holds out b instead of c
  writeFileSync(join(lists, 'atspi.json'), JSON.stringify(['a', 'b', 'c', 'd'].map((app) => ({ app, toolkit: 'gtk3', description: '', split: app === 'd' || app === 'b' ? 'heldout' : 'train' }))));
  const r = loadRealApps(join(dir, 'real-apps'), lists);
  const check = r.splitChecks[0]!;
  assert.equal(check.source, 'apps list');
  assert.deepEqual(check.problems.sort(), ['apps list says b is heldout, the sha256 rule says train', 'apps list says c is train, the sha256 rule says heldout']);
  // samples that disagree with the list are not evaluated under either split
  assert.deepEqual(r.samples.map((s) => s.app).filter((a) => a === 'b' || a === 'c'), []);
  assert.ok(r.skipped.some((s) => /apps list holds b out as heldout/.test(s.reason)));
});

test('split check: the committed apps lists agree with their rule (apps added after the split are train); a late app marked heldout is a problem', () => {
  const root = join(dir, 'split-check');
  for (const family of ['atspi', 'wine', 'webwin']) mkdirSync(join(root, family), { recursive: true });
  const r = loadRealApps(root, join(process.cwd(), 'scripts', 'dataset', 'apps'));
  assert.deepEqual(r.splitChecks.map((c) => [c.family, c.source, c.problems]), [['atspi', 'apps list', []], ['webwin', 'apps list', []], ['wine', 'apps list', []]]);
  const lists = join(dir, 'late-lists');
  mkdirSync(join(root, 'late'), { recursive: true });
  mkdirSync(lists, { recursive: true });
  writeFileSync(join(lists, 'late.json'), JSON.stringify([{ app: 'x', split: 'heldout' }, { app: 'y', split: 'train' }, { app: 'z', split: 'heldout', addedAfterSplit: '2026-12-06' }]));
  const late = loadRealApps(root, lists).splitChecks.find((c) => c.family === 'late')!;
  assert.ok(late.problems.some((p) => /z is heldout, the added-after-split rule \(always train\) says train/.test(p)), late.problems.join('; '));
  // the harvesters' rule (scripts/dataset/lib/split.mjs, the one implementation) refuses a list whose held-out share
  // fell below a quarter (one of five after three late additions): the eval reports it as a problem, not a crash
  mkdirSync(join(root, 'thin'), { recursive: true });
  const thinList = ['x', 'y'].map((app) => ({ app, split: app === 'x' ? 'heldout' : 'train' }));
  writeFileSync(join(lists, 'thin.json'), JSON.stringify([...thinList, ...['p', 'q', 'r'].map((app) => ({ app, split: 'train', addedAfterSplit: '2026-12-07' }))]));
  const thin = loadRealApps(root, lists).splitChecks.find((c) => c.family === 'thin')!;
  assert.ok(thin.problems.some((p) => /only 1 of 5 applications held out/.test(p)), thin.problems.join('; '));
});

// The fresh held-out set (docs/DATASET.md): apps marked `fresh` are split 'fresh', outside the sha256 rule (adding
// them moves no other app), read and kept apart from train and held-out; a sample disagreeing with the list is skipped.
test('fresh held-out set: fresh apps read as split fresh, outside the rule; a fresh app marked otherwise is a problem', () => {
  const root = join(dir, 'fresh-apps');
  const lists = join(dir, 'fresh-lists');
  mkdirSync(lists, { recursive: true });
  // the rule over {a, b, c, d} holds out d and c (see above); the fresh apps f1, f2 must not change that
  const list = [...['a', 'b', 'c', 'd'].map((app) => ({ app, split: app === 'd' || app === 'c' ? 'heldout' : 'train' })),
    { app: 'f1', split: 'fresh', fresh: '2026-12-06' }, { app: 'f2', split: 'fresh', fresh: '2026-12-06' }];
  writeFileSync(join(lists, 'atspi.json'), JSON.stringify(list));
  const putIn = (app: string, stem: string, split: string) => {
    mkdirSync(join(root, 'atspi', app), { recursive: true });
    writeFileSync(join(root, 'atspi', app, `${stem}.json`), JSON.stringify(sample('atspi', app, split)));
    writeFileSync(join(root, 'atspi', app, `${stem}.png`), 'not decoded by the loader');
  };
  putIn('f1', 'main_light_1', 'fresh');
  putIn('f2', 'main_light_1', 'fresh');
  putIn('f2', 'wrong_light_1', 'heldout');
  const r = loadRealApps(root, lists);
  assert.deepEqual(r.splitChecks, [{ family: 'atspi', source: 'apps list', problems: [] }]);
  assert.deepEqual(r.samples.map((s) => `${s.app}:${s.split}`), ['f1:fresh', 'f2:fresh']);
  assert.ok(r.skipped.some((s) => /split heldout, but the apps list holds f2 out as fresh/.test(s.reason)));
  // an existing app turned fresh by hand, and a fresh app without the mark, are split problems
  writeFileSync(join(lists, 'atspi.json'), JSON.stringify(list.map((a) => (a.app === 'b' ? { ...a, split: 'fresh' } : a.app === 'f2' ? { app: 'f2', split: 'fresh' } : a))));
  const bad = loadRealApps(root, lists).splitChecks[0]!.problems;
  assert.ok(bad.some((p) => /b is fresh, the sha256 rule says/.test(p)), bad.join('; '));
  assert.ok(bad.some((p) => /f2 is fresh, the sha256 rule says/.test(p)), bad.join('; '));
  // the committed lists: every fresh app is marked and split fresh, with no split problem (test above)
  const committed = loadRealApps(join(dir, 'split-check'), join(process.cwd(), 'scripts', 'dataset', 'apps'));
  assert.deepEqual(committed.splitChecks.filter((c) => ['atspi', 'wine', 'webwin'].includes(c.family)).map((c) => [c.family, c.problems]), [['atspi', []], ['webwin', []], ['wine', []]]);
});

test('real programs: a sample\'s ignore regions are read with it; one outside the image skips the sample with the reason', () => {
  const root = join(dir, 'ignore-apps');
  const putIn = (stem: string, label: unknown) => {
    mkdirSync(join(root, 'atspi', 'g'), { recursive: true });
    writeFileSync(join(root, 'atspi', 'g', `${stem}.json`), JSON.stringify(label));
    writeFileSync(join(root, 'atspi', 'g', `${stem}.png`), 'not decoded by the loader');
  };
  putIn('grid_light_1', sample('atspi', 'g', 'heldout', { ignore: [[20, 40, 180, 90]] }));
  putIn('off_light_1', sample('atspi', 'g', 'heldout', { ignore: [[20, 40, 260, 90]] }));
  putIn('flat_light_1', sample('atspi', 'g', 'heldout', { ignore: [[20, 40, 20, 90]] }));
  putIn('text_light_1', sample('atspi', 'g', 'heldout', { ignore: 'the grid' }));
  const r = loadRealApps(root, join(dir, 'no-ignore-lists'));
  assert.deepEqual(r.samples.map((s) => s.json.split('/').pop()), ['grid_light_1.json']);
  assert.deepEqual(r.samples[0]!.label.ignore, [[20, 40, 180, 90]]);
  const reasons = Object.fromEntries(r.skipped.map((s) => [s.file.split('/').pop(), s.reason]));
  assert.match(reasons['off_light_1.json']!, /outside the 200x100 image/);
  assert.match(reasons['flat_light_1.json']!, /empty box/);
  assert.match(reasons['text_light_1.json']!, /not the sample format: ignore/);
});
