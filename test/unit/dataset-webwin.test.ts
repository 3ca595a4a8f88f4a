/**
 * The webwin generator's pure parts (scripts/dataset/webwin.mjs): arguments, output folder, variants per toolkit, and
 * the apps-list check that refuses a split other than the sha256 rule's before anything is rendered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error -- plain .mjs dataset script without type declarations
import { parseArgs, defaultOutDir, variantsFor, loadApps, VARIANTS } from '../../scripts/dataset/webwin.mjs';
import { splitByAppHash } from '../../scripts/dataset/lib/split.mjs';

test('webwin: output under $RPA_DATA_DIR/real-apps/webwin (else the repo .data), --app repeats, unknown arguments refused', () => {
  assert.equal(defaultOutDir({ RPA_DATA_DIR: '/d' }), join('/d', 'real-apps', 'webwin'));
  assert.match(defaultOutDir({}), /\.data[/\\]datasets[/\\]real-apps[/\\]webwin$/);
  assert.deepEqual(parseArgs(['--app', 'a', '--app', 'b'], { RPA_DATA_DIR: '/d' }), { out: join('/d', 'real-apps', 'webwin'), apps: ['a', 'b'] });
  assert.equal(parseArgs(['--out', '/o'], {}).out, '/o');
  assert.throws(() => parseArgs(['--kind', 'x'], {}), /unknown/);
  assert.throws(() => parseArgs(['--app'], {}), /incomplete/);
});

test('webwin: every toolkit gets light at four scales; only Fluent adds its dark and high-contrast themes; (theme, scale) names one file', () => {
  const css = variantsFor('98.css');
  assert.deepEqual(css.map((v: { theme: string }) => v.theme), ['light', 'light', 'light', 'light']);
  assert.deepEqual(css.map((v: { scale: number }) => v.scale), [1, 1.25, 1.5, 2]);
  const fluent = variantsFor('@fluentui/web-components');
  assert.deepEqual([...new Set(fluent.map((v: { theme: string }) => v.theme))], ['light', 'dark', 'hc']);
  const names = VARIANTS.map((v: { theme: string; scale: number }) => `${v.theme}_${v.scale}`);
  assert.equal(new Set(names).size, names.length);
});

test('webwin: the apps list is refused when a split differs from the sha256 rule or a field is missing', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'webwin-apps-'));
  try {
    const ids = ['one', 'two', 'three', 'four'];
    const rule = splitByAppHash(ids);
    const good = ids.map((app) => ({ app, toolkit: '98.css', description: 'd', split: rule.get(app) }));
    const file = join(tmp, 'webwin.json');
    writeFileSync(file, JSON.stringify(good));
    assert.equal(loadApps(file).length, 4);
    const flipped = good.map((a, i) => (i === 0 ? { ...a, split: a.split === 'train' ? 'heldout' : 'train' } : a));
    writeFileSync(file, JSON.stringify(flipped));
    assert.throws(() => loadApps(file), /sha256 rule/);
    // an app added after the split is train and moves no other app; marked held out, it is refused
    const late = { app: 'five', toolkit: '7.css', description: 'd', split: 'train', addedAfterSplit: '2026-12-06' };
    writeFileSync(file, JSON.stringify([...good, late]));
    assert.equal(loadApps(file).length, 5);
    writeFileSync(file, JSON.stringify([...good, { ...late, split: 'heldout' }]));
    assert.throws(() => loadApps(file), /five is "heldout"/);
    writeFileSync(file, JSON.stringify(good.map((a) => ({ ...a, toolkit: '' }))));
    assert.throws(() => loadApps(file), /lacks toolkit/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('webwin: Fluent theme tokens are found or reported missing (never a silent unthemed render)', async () => {
  const { fluentThemes } = await import('../../scripts/dataset/webwin.mjs' as string);
  assert.equal(await fluentThemes(mkdtempSync(join(tmpdir(), 'no-modules-'))), null, 'an empty node_modules has no tokens');
});

test('webwin: with @fluentui/web-components installed, its light, dark and high-contrast token sets load', async (t) => {
  const { fluentThemes } = await import('../../scripts/dataset/webwin.mjs' as string);
  const { nodeModulesRoot } = await import('../../scripts/dataset/lib/npm-local.mjs' as string);
  const { existsSync } = await import('node:fs');
  const root = nodeModulesRoot();
  if (!existsSync(join(root, '@fluentui', 'web-components'))) return t.skip(`@fluentui/web-components is not installed under ${root} (a devDependency of the dataset recipe)`);
  const themes = await fluentThemes(root);
  assert.ok(themes, 'tokens found');
  for (const k of ['light', 'dark', 'hc']) assert.equal(typeof themes[k].colorNeutralBackground1, 'string', k);
  assert.notEqual(themes.light.colorNeutralBackground1, themes.dark.colorNeutralBackground1);
});

test('webwin pages ask only for framework files the npm.local route serves (stylesheets, fonts, the Fluent bundle)', async (t) => {
  const { npmLocalFile, nodeModulesRoot } = await import('../../scripts/dataset/lib/npm-local.mjs' as string);
  const { readdirSync, readFileSync, existsSync } = await import('node:fs');
  const root = nodeModulesRoot();
  if (!existsSync(join(root, '98.css'))) return t.skip(`the webwin frameworks are not installed under ${root} (devDependencies of the dataset recipe)`);
  const dir = join(import.meta.dirname, '..', '..', 'scripts', 'dataset', 'webwin');
  for (const f of readdirSync(dir)) {
    const urls = [...readFileSync(join(dir, f), 'utf8').matchAll(/(https:\/\/npm\.local\/[^"']+)/g)].map((m) => m[1]!);
    assert.ok(urls.length > 0, `${f} uses a framework`);
    for (const u of urls) assert.ok(npmLocalFile(u, root), `${f}: ${u} is served`);
  }
});
