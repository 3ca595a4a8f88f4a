/**
 * Issue 15's real-program dataset bookkeeping: the manifest's counting (scripts/dataset/manifest.mjs) on a tiny fixture,
 * the split-by-application rule (lib/split.mjs) and the webwin apps list that must follow it, and the npm.local route's
 * refusals (lib/npm-local.mjs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- plain .mjs dataset script without type declarations
import { buildManifest, renderMarkdown, countApp } from '../../scripts/dataset/manifest.mjs';
import { splitByAppHash, appHash } from '../../scripts/dataset/lib/split.mjs';
// @ts-expect-error -- plain .mjs dataset script without type declarations
import { npmLocalPath, npmLocalFile, PROJECT_NODE_MODULES } from '../../scripts/dataset/lib/npm-local.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// a real 100x100 PNG header (signature + IHDR) is all the manifest reads of an image
function png(width: number, height: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b;
}

function sample(dir: string, stem: string, state: string, theme: string, scale: number, types: string[], box = [0, 0, 10, 10], ignore?: number[][]) {
  mkdirSync(dir, { recursive: true });
  const elements = types.map((type, i) => ({ id: `d${i}`, type, box }));
  writeFileSync(join(dir, `${stem}.json`), JSON.stringify({ width: 100, height: 100, scale, theme, state, family: 'f', app: 'a', split: 'train', elements, ...(ignore ? { ignore } : {}) }));
  writeFileSync(join(dir, `${stem}.png`), png(100, 100));
}

test('manifest: counts screens and boxes per type per app and family, keeps listed apps without samples and reports unlisted ones', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'manifest-'));
  try {
    const apps = join(tmp, 'apps');
    const data = join(tmp, 'real-apps');
    mkdirSync(apps);
    writeFileSync(join(apps, 'webwin.json'), JSON.stringify([
      { app: 'a1', toolkit: '98.css', description: 'first', split: 'train' },
      { app: 'a2', toolkit: '7.css', description: 'second', split: 'heldout' },
    ]));
    writeFileSync(join(apps, 'manifest.json'), '{}'); // the manifest's own output is not a family
    sample(join(data, 'webwin', 'a1'), 'main_light_1', 'main', 'light', 1, ['button', 'button', 'checkbox']);
    sample(join(data, 'webwin', 'a1'), 'menu_light_2', 'menu', 'light', 2, ['menu_item', 'button'], undefined, [[20, 20, 60, 40], [60, 20, 80, 30.5]]);
    sample(join(data, 'wine', 'notepad'), 'main_classic_1', 'main', 'classic', 1, ['menu_bar_item']); // a family with no list yet
    sample(join(data, 'wine', 'notepad'), 'bad_classic_1', 'bad', 'classic', 1, ['button'], [90, 0, 110.5, 10], [[50, 50, 40, 60]]); // off the image, not integer; an empty ignore region
    const m = buildManifest({ appsDir: apps, dataDir: data });
    assert.deepEqual(m.families.map((f: { family: string }) => f.family), ['webwin', 'wine']);
    const web = m.families[0];
    // changed with the fresh held-out set: totals name how many apps are fresh (none here)
    assert.deepEqual(web.totals, { apps: 2, heldout: 1, fresh: 0, screens: 2, boxes: 5, invalid: 0, types: { button: 3, checkbox: 1, menu_item: 1 }, ignoreScreens: 1, ignoreRegions: 2 });
    const a1 = web.apps[0];
    assert.equal(a1.screens, 2);
    assert.deepEqual(a1.types, { button: 3, checkbox: 1, menu_item: 1 });
    assert.deepEqual(a1.states, ['main', 'menu']);
    assert.deepEqual(a1.scales, [1, 2]);
    assert.equal(web.apps[1].screens, 0, 'a listed app without samples stays in the manifest with 0 screens');
    assert.equal(m.families[1].apps[0].split, 'unlisted', 'samples of an app no list names are reported, not dropped');
    assert.equal(m.families[1].totals.invalid, 1, 'a box off the image is reported');
    assert.match(m.families[1].apps[0].invalid[0], /^bad_classic_1\.json: element d0: box \[90,0,110\.5,10\]/);
    assert.match(m.families[1].apps[0].invalid[0], /ignore region \[50,50,40,60\] is not a box inside the image/);
    assert.match(renderMarkdown(m), /Ignore regions \(areas a model may box that the ground truth cannot give, docs\/AUDIT-ATSPI\.md\): 2 on 1 screens\./);
    assert.match(renderMarkdown(m), /1 samples off the format/);
    const md = renderMarkdown(m);
    assert.match(md, /\| a1 \| 98\.css \| train \| 2 \| 5 \|/);
    assert.match(md, /\| \*\*all\*\* \| 3 \| 1 \| 1 \|/);
    assert.equal(countApp(join(data, 'missing')).screens, 0);
    assert.deepEqual(buildManifest({ appsDir: apps, dataDir: data, families: ['wine'] }).families.map((f: { family: string }) => f.family), ['wine'], '--family limits it');
    // a label whose PNG is another size is off the format too
    writeFileSync(join(data, 'webwin', 'a1', 'menu_light_2.png'), png(200, 100));
    assert.match(countApp(join(data, 'webwin', 'a1')).invalid[0], /PNG is 200x100, label says 100x100/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('manifest: apps of the fresh held-out set are counted from the fresh folder, apart from the others', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'manifest-fresh-'));
  try {
    const apps = join(tmp, 'apps');
    const data = join(tmp, 'real-apps');
    const fresh = join(tmp, 'fresh-apps');
    mkdirSync(apps);
    writeFileSync(join(apps, 'atspi.json'), JSON.stringify([
      { app: 't1', toolkit: 'gtk3', description: 'train', split: 'train' },
      { app: 'f1', toolkit: 'gtk3', description: 'fresh one', split: 'fresh', fresh: '2026-12-06' },
    ]));
    sample(join(data, 'atspi', 't1'), 'main_light_1', 'main', 'light', 1, ['button']);
    sample(join(data, 'atspi', 'f1'), 'stray_light_1', 'main', 'light', 1, ['button', 'button']); // not where fresh apps live
    sample(join(fresh, 'atspi', 'f1'), 'main_light_1', 'main', 'light', 1, ['tab', 'tab', 'slider']);
    sample(join(fresh, 'atspi', 'zz'), 'main_light_1', 'main', 'light', 1, ['tab']); // in the fresh folder, in no list
    const m = buildManifest({ appsDir: apps, dataDir: data, freshDir: fresh });
    const f = m.families[0];
    assert.deepEqual(f.totals, { apps: 3, heldout: 0, fresh: 1, screens: 2, boxes: 2, invalid: 0, types: { button: 1, tab: 1 }, ignoreScreens: 0, ignoreRegions: 0 });
    assert.deepEqual(f.freshTotals, { screens: 1, boxes: 3, types: { slider: 1, tab: 2 }, ignoreScreens: 0, ignoreRegions: 0 });
    assert.deepEqual(f.apps.map((a: { app: string; split: string; boxes: number }) => [a.app, a.split, a.boxes]), [['t1', 'train', 1], ['f1', 'fresh', 3], ['zz', 'unlisted', 1]]);
    const md = renderMarkdown(m);
    assert.match(md, /## Fresh held-out set/);
    assert.match(md, /- `atspi`: `f1` \(1 screens, 3 boxes\)/);
    assert.match(md, /\| f1 \| gtk3 \| fresh, added 2026-12-06 \| 1 \| 3 \|/);
    assert.match(md, /\| \*\*all fresh\*\* \| 0 \| 1 \| 2 \|/);
    // without a fresh folder the fresh apps show 0 screens (never counted from real-apps)
    assert.equal(buildManifest({ appsDir: apps, dataDir: data }).families[0].apps[1].screens, 0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('split by application: the first ceil(0.3 n) app ids by sha256 are held out, the rest train', () => {
  const ids = Array.from({ length: 7 }, (_, i) => `app-${i}`);
  const split = splitByAppHash(ids);
  const ordered = [...ids].sort((a, b) => (appHash(a) < appHash(b) ? -1 : 1));
  assert.deepEqual(ordered.filter((a) => split.get(a) === 'heldout'), ordered.slice(0, 3), 'ceil(2.1) = 3 held out, lowest hashes');
  assert.equal(appHash('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.throws(() => splitByAppHash(['x', 'x']), /duplicate/);
});

// Changed in round 3: apps added after the split (addedAfterSplit) are train and take no part in the sha256 rule, so
// adding one moves no existing app; the rule's ceil(0.3 n) holds for the original apps, a quarter for the whole list.
// Changed in round 9: a batch (splitBatch) is split by the same rule among its own apps.
test('webwin apps list: every app has toolkit, description and the split the sha256 rule gives (a batch among its own apps); at least 30 % of the original apps held out', () => {
  const apps = JSON.parse(readFileSync(join(root, 'scripts', 'dataset', 'apps', 'webwin.json'), 'utf8')) as { app: string; toolkit: string; split: string; description: string; addedAfterSplit?: string; splitBatch?: string }[];
  const original = apps.filter((a) => !a.addedAfterSplit && !a.splitBatch);
  const rule = splitByAppHash(original.map((a) => a.app));
  const batches = new Map<string, Map<string, string>>();
  for (const b of new Set(apps.map((a) => a.splitBatch).filter((b): b is string => !!b))) {
    batches.set(b, splitByAppHash(apps.filter((a) => a.splitBatch === b).map((a) => a.app)));
  }
  for (const a of apps) {
    const expected = a.addedAfterSplit ? 'train' : a.splitBatch ? batches.get(a.splitBatch)!.get(a.app) : rule.get(a.app);
    assert.equal(a.split, expected, a.app);
    assert.ok(a.toolkit && a.description, a.app);
    assert.ok(readFileSync(join(root, 'scripts', 'dataset', 'webwin', `${a.app}.html`), 'utf8').includes('webwinStates'), `${a.app} has a page with states`);
  }
  for (const split of batches.values()) {
    assert.equal([...split.values()].filter((s) => s === 'heldout').length, Math.ceil(0.3 * split.size), 'a batch holds out ceil(0.3 m) of its own apps');
  }
  const held = apps.filter((a) => a.split === 'heldout').length;
  assert.ok(held >= Math.ceil(0.3 * original.length));
  assert.ok(held * 4 >= apps.length, 'at least a quarter of all the apps held out');
  assert.ok(apps.length >= 10);
});

test('npm.local: stylesheets and fonts of any package, scripts of @fluentui/web-components only, never a way out', () => {
  assert.deepEqual(npmLocalPath('https://npm.local/98.css/dist/98.css'), { rel: '98.css/dist/98.css', contentType: 'text/css' });
  assert.equal(npmLocalPath('https://npm.local/98.css/dist/ms_sans_serif.woff2')?.contentType, 'font/woff2');
  assert.equal(npmLocalPath('https://npm.local/@fluentui/web-components/dist/web-components-all.min.js')?.contentType, 'text/javascript');
  assert.equal(npmLocalPath('https://npm.local/bootstrap/dist/js/bootstrap.js'), null, 'no script of another package');
  assert.equal(npmLocalPath('https://npm.local/@fluentui/tokens/lib/index.js'), null, 'not even a sibling of the allowed package');
  assert.equal(npmLocalPath('https://npm.local/@fluentui/web-components/%2e%2e/%2e%2e/x.js'), null, 'no .. segment');
  assert.equal(npmLocalPath('https://npm.local/@fluentui/web-components/..%2f..%2fx.js'), null, 'no encoded .. segment');
  assert.equal(npmLocalPath('https://npm.local/bootstrap/package.json'), null, 'no other file type');
  assert.equal(npmLocalPath('https://example.com/a.css'), null, 'no other host');
  // a file that exists under the project's node_modules is served, with its bytes (root given: RPA_NODE_MODULES may
  // point this session's generator elsewhere)
  const f = npmLocalFile('https://npm.local/bootstrap/dist/css/bootstrap.min.css', PROJECT_NODE_MODULES);
  assert.ok(f && f.body.toString('utf8').includes('.btn'));
  assert.equal(npmLocalFile('https://npm.local/%2e%2e%2frenderer%2fstyles.css', PROJECT_NODE_MODULES), null, 'no way out of node_modules');
});
