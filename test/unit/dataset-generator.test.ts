/**
 * The dataset generator's pure parts (no browser): a synthetic seed is one deterministic page whose every
 * labelled control has a unique id (similarity pairs rely on it), generator v2's page kinds and components
 * occur across seeds, third-party pages get their stylesheets only from node_modules, and the CLI accepts
 * the thirdparty kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
// @ts-expect-error -- plain .mjs dataset script without type declarations
import { buildSyntheticPage } from '../../scripts/dataset/lib/synthetic.mjs';
// @ts-expect-error -- plain .mjs dataset script without type declarations
import { npmStylesheet, parseArgs } from '../../scripts/dataset/generate.mjs';

type Page = { html: string; kind: string };
const root = resolve(import.meta.dirname, '..', '..');

test('a synthetic seed is one deterministic page; every labelled control has its own id', () => {
  for (const seed of [0, 7, 123, 100000]) {
    const a = buildSyntheticPage(seed) as Page;
    const b = buildSyntheticPage(seed) as Page;
    assert.equal(a.html, b.html, `seed ${seed} renders the same DOM twice`);
    const ids = [...a.html.matchAll(/data-el="[a-z_]+" data-eid="(e\d+)"/g)].map((m) => m[1]);
    assert.ok(ids.length > 5, `seed ${seed}: ${ids.length} labelled controls`);
    assert.equal(new Set(ids).size, ids.length, `seed ${seed}: duplicate data-eid`);
  }
  assert.notEqual((buildSyntheticPage(1) as Page).html, (buildSyntheticPage(2) as Page).html);
});

test('generator v2: docs pages, ribbons, list rows, segmented / category tabs, glyph icon buttons and link sidebars all occur', () => {
  const body = (p: Page) => p.html.slice(p.html.indexOf('</style>'));
  const pages = Array.from({ length: 120 }, (_, s) => buildSyntheticPage(s) as Page);
  const kinds = new Set(pages.map((p) => p.kind));
  assert.deepEqual([...kinds].sort(), ['admin', 'desktop', 'docs', 'settings', 'web']);
  const has = (re: RegExp) => pages.filter((p) => re.test(body(p))).length;
  assert.ok(has(/class="rtabs"/) > 0, 'ribbon');
  assert.ok(has(/class="lrow"/) > 0, 'list rows');
  assert.ok(has(/tabs-segmented/) > 0 && has(/tabs-category/) > 0, 'segmented and category tabs');
  assert.ok(has(/data-el="icon_button"[^>]*>[^<]/) > 0, 'icon buttons drawn with a glyph');
  assert.ok(has(/<a data-el="link" href="#" data-eid="e\d+" class="navitem/) > 0, 'sidebar entries that are links');
  // stop 13: sidebars marked up as role=menuitem are navigation lists, labelled link; menu_item is kept for menu bars
  // and open menus (command popups, and picker-style menus drawn from their own random stream)
  assert.ok(has(/<div data-el="link" role="menuitem" data-eid="e\d+" class="navitem/) > 0, 'and sidebars marked up as menus, labelled link');
  assert.equal(has(/data-el="menu_item"[^>]*class="navitem/), 0, 'no sidebar entry is a menu_item');
  assert.ok(has(/data-el="menu_item"[^>]*class="mi"/) > 0 && has(/data-el="menu_item"[^>]*class="pmi"/) > 0, 'menu bars and command popups');
  assert.ok(has(/<div data-el="menu_item" data-eid="e\d+" style="display:flex/) > 0, 'picker-style open menus');
});

test('generator: picker menus occur on some pages and come after everything else on the page (their ids follow every other id)', () => {
  const picker = /<div data-el="menu_item" data-eid="e\d+" style="display:flex/;
  const pages = Array.from({ length: 80 }, (_, s) => buildSyntheticPage(s) as Page);
  const withPicker = pages.filter((p) => picker.test(p.html));
  assert.ok(withPicker.length > 5 && withPicker.length < 40, `about a quarter of the pages without another overlay (${withPicker.length} / 80)`);
  // its items come after every other element (ids continue), so element ids of the rest of the page are unchanged
  for (const p of withPicker) {
    const ids = [...p.html.matchAll(/data-eid="e(\d+)"/g)].map((m) => Number(m[1]));
    const first = p.html.search(picker);
    const before = [...p.html.slice(0, first).matchAll(/data-eid="e(\d+)"/g)].map((m) => Number(m[1]));
    assert.ok(Math.min(...ids.slice(before.length)) > Math.max(...before), 'picker ids follow the page ids');
  }
});

test('third-party pages: stylesheets come from node_modules only; anything else is refused', () => {
  const css = npmStylesheet('https://npm.local/bootstrap/dist/css/bootstrap.min.css') as string | null;
  assert.ok(css && css.includes('.btn'), 'Bootstrap CSS served from node_modules');
  assert.equal(npmStylesheet('https://npm.local/bootstrap/package.json'), null, 'only .css');
  // an encoded '../' survives URL normalisation and would reach the project's own renderer/styles.css
  assert.ok(readFileSync(join(root, 'renderer', 'styles.css'), 'utf8').length > 0);
  assert.equal(npmStylesheet('https://npm.local/%2e%2e%2frenderer%2fstyles.css'), null, 'no way out of node_modules');
  assert.equal(npmStylesheet('https://cdn.example.com/bootstrap.css'), null, 'no other host');
  assert.equal(npmStylesheet('https://npm.local/bootstrap/missing.css'), null);
  // every page of the set asks only for stylesheets that exist
  for (const f of readdirSync(join(root, 'scripts', 'dataset', 'thirdparty'))) {
    const html = readFileSync(join(root, 'scripts', 'dataset', 'thirdparty', f), 'utf8') as string;
    const hrefs = [...html.matchAll(/href="(https:\/\/npm\.local\/[^"]+)"/g)].map((m) => m[1]!);
    assert.ok(hrefs.length > 0, `${f} links a framework stylesheet`);
    for (const h of hrefs) assert.ok(npmStylesheet(h), `${f}: ${h} resolves`);
  }
});

test('generate.mjs takes --kind thirdparty (4 variants by default) and refuses an unknown kind', () => {
  assert.deepEqual(parseArgs(['--out', '/tmp/x', '--kind', 'thirdparty']), { out: '/tmp/x', seedStart: 0, count: 1, kind: 'thirdparty', variants: 4, boxRule: 'uia' });
  assert.equal(parseArgs(['--out', '/tmp/x']).variants, 1);
  assert.throws(() => parseArgs(['--out', '/tmp/x', '--kind', 'mystery']), /--kind must be synthetic, real or thirdparty/);
});

test('generate.mjs labels under the UIA box rule by default (issue 15 round 2); --box-rule legacy keeps the old labels', () => {
  assert.equal(parseArgs(['--out', '/tmp/x']).boxRule, 'uia');
  assert.equal(parseArgs(['--out', '/tmp/x', '--box-rule', 'legacy']).boxRule, 'legacy');
  assert.throws(() => parseArgs(['--out', '/tmp/x', '--box-rule', 'square']), /--box-rule must be uia or legacy/);
});
