/**
 * The dataset labeller (scripts/dataset/lib/labeller.mjs) in real headless Chromium: labels come from the DOM,
 * and an inline link that wraps onto a second line is labelled as one box per line, not as the bounding box
 * that also covers the paragraph text between its two pieces; role=menuitem is a menu_item only in a menu bar or an
 * open (floating) menu — a navigation list marked up as a menu is a link.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser } from 'playwright-core';
// @ts-expect-error -- plain .mjs dataset script without type declarations
import { labelPageInBrowser } from '../../scripts/dataset/lib/labeller.mjs';

type Item = { id: string; type: string; box: [number, number, number, number]; text?: string; checked?: boolean };
let browser: Browser;

before(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true });
});
after(async () => {
  await browser?.close();
});

async function label(html: string, deviceScaleFactor = 1): Promise<Item[]> {
  const ctx = await browser.newContext({ viewport: { width: 400, height: 300 }, deviceScaleFactor });
  try {
    const page = await ctx.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return (await page.evaluate(labelPageInBrowser)) as Item[];
  } finally {
    await ctx.close();
  }
}

const PAGE = `<!doctype html><html><body style="margin:0;font:16px/20px sans-serif">
<p id="p" style="width:240px;margin:0">Some words before a link that is <a id="w" href="#">long enough to wrap onto the next</a> line of text.</p>
<p style="margin:8px 0"><a id="s" href="#">Short</a> <button>Save</button> <input type="checkbox" checked> <button aria-label="Close">×</button></p>
</body></html>`;

test('labeller in Chromium: a wrapped inline link is one box per line fragment, each inside its own line', async () => {
  const items = await label(PAGE);
  const wrapped = items.filter((i) => i.text === 'long enough to wrap onto the next');
  assert.ok(wrapped.length >= 2, `the wrapped link gives a box per line (got ${JSON.stringify(wrapped)})`);
  assert.deepEqual(wrapped.map((i) => i.type), wrapped.map(() => 'link'));
  // ids: d<k>~0, d<k>~1, ... — a fragment pairs only with the same fragment of another variant
  assert.ok(wrapped.every((w, k) => w.id.endsWith(`~${k}`)), JSON.stringify(wrapped.map((w) => w.id)));
  for (const w of wrapped) assert.ok(w.box[3] - w.box[1] <= 24, `one line tall: ${JSON.stringify(w.box)}`);
  // the fragments sit on different lines and together span less area than the bounding box did
  assert.ok(wrapped[1]!.box[1] >= wrapped[0]!.box[3] - 1, 'second fragment is below the first');
  const union = [Math.min(...wrapped.map((w) => w.box[0])), wrapped[0]!.box[1], Math.max(...wrapped.map((w) => w.box[2])), wrapped.at(-1)!.box[3]];
  const area = (b: number[]) => (b[2]! - b[0]!) * (b[3]! - b[1]!);
  assert.ok(wrapped.reduce((s, w) => s + area(w.box), 0) < area(union), 'fragments cover less than the old bounding box');

  // everything else as before: one box each, DOM semantics decide the type, the id has no fragment suffix
  const byText = (t: string) => items.filter((i) => i.text === t);
  assert.equal(byText('Short').length, 1);
  assert.equal(byText('Short')[0]!.type, 'link');
  assert.ok(!byText('Short')[0]!.id.includes('~'));
  assert.equal(byText('Save')[0]!.type, 'button');
  assert.equal(byText('×')[0]!.type, 'icon_button', 'a button showing only a glyph is an icon button');
  const check = items.find((i) => i.type === 'checkbox');
  assert.equal(check?.checked, true);
});

test('labeller in Chromium: boxes are screenshot pixels (CSS px x devicePixelRatio), fragments included', async () => {
  const one = await label(PAGE, 1);
  const two = await label(PAGE, 2);
  assert.equal(two.length, one.length);
  for (let i = 0; i < one.length; i++) {
    assert.equal(two[i]!.id, one[i]!.id);
    // text layout at 2x rounds line positions on its own, so allow a few pixels
    for (let k = 0; k < 4; k++) assert.ok(Math.abs(two[i]!.box[k]! - 2 * one[i]!.box[k]!) <= 4, `${one[i]!.id} ${one[i]!.box} vs ${two[i]!.box}`);
  }
});

test('labeller in Chromium: menu_item is an item of a menu bar or an open menu; a navigation list marked up as a menu is link', async () => {
  const items = await label(`<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<aside style="position:fixed;left:0;top:0;bottom:0;width:90px"><div role="menu"><div role="menuitem">FixedNav</div></div></aside>
<div style="margin-left:100px">
  <div role="menubar" style="display:flex;gap:8px"><span role="menuitem">File</span><span role="menuitem">Edit</span></div>
  <div role="menu" style="width:120px"><div role="menuitem">Inbox</div><div role="menuitemcheckbox" aria-checked="true">Starred</div></div>
  <div role="menu" style="position:absolute;left:240px;top:40px;width:100px;background:#fff;box-shadow:0 2px 6px #0004">
    <div role="menuitem">Copy</div><div role="menuitemradio" aria-checked="false">Paste</div></div>
</div></body></html>`);
  const typeOf = (t: string) => items.find((i) => i.text === t)?.type;
  assert.equal(typeOf('File'), 'menu_item', 'menu bar item');
  assert.equal(typeOf('Edit'), 'menu_item', 'menu bar item');
  assert.equal(typeOf('Copy'), 'menu_item', 'item of an open (floating) menu');
  assert.equal(typeOf('Paste'), 'menu_item', 'menuitemradio of an open menu');
  assert.equal(typeOf('Inbox'), 'link', 'static navigation list marked up as role=menu');
  assert.equal(typeOf('Starred'), 'link', 'menuitemcheckbox in a static list is still a navigation entry');
  assert.equal(typeOf('FixedNav'), 'link', 'a full-height fixed sidebar is not a floating menu');
});

async function labelUia(html: string): Promise<(Item & { role?: string })[]> {
  const ctx = await browser.newContext({ viewport: { width: 400, height: 300 } });
  try {
    const page = await ctx.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return (await page.evaluate(labelPageInBrowser, { boxRule: 'uia' })) as (Item & { role?: string })[];
  } finally {
    await ctx.close();
  }
}

test('labeller in Chromium, UIA box rule: new types, a check box with its label, menu-bar items, tree rows, clipped list rows', async () => {
  const items = await labelUia(`<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<ul role="menubar" style="display:flex;list-style:none;margin:0;padding:0"><li role="menuitem" style="padding:2px 8px;position:relative">File
  <ul role="menu" style="position:absolute;left:0;top:100%;list-style:none;margin:0;padding:0;background:#fff;width:100px;z-index:2"><li role="menuitem">Open</li></ul></li>
  <li role="menuitem" style="padding:2px 8px">Edit</li></ul>
<div style="margin-left:150px"><input type="checkbox" id="c" checked><label for="c">Remember me</label></div>
<div style="margin-left:150px"><span data-el="checkbox" style="display:inline-flex"><input type="checkbox" id="w" style="position:fixed;opacity:0"><label for="w" style="margin-left:20px">Wrapped</label></span></div>
<div style="margin-left:150px"><input type="range" aria-label="Volume"><input type="number" value="3" aria-label="Copies"><progress value="3" max="10">30%</progress></div>
<ul role="tree" style="margin:0 0 0 150px"><li role="treeitem">Root<ul role="group"><li role="treeitem">Leaf one</li><li role="treeitem">Leaf two</li></ul></li></ul>
<ul role="listbox" style="height:40px;overflow:auto;margin:0 0 0 150px;padding:0;width:120px"><li role="option" style="height:30px">Row one</li><li role="option" style="height:30px">Row two</li></ul>
<table style="margin-left:150px"><thead><tr><th>Name</th></tr></thead></table>
</body></html>`);
  const by = (t: string) => items.find((i) => i.text === t);
  assert.equal(by('File')?.type, 'menu_bar_item', 'a menu-bar entry');
  assert.equal(by('Edit')?.type, 'menu_bar_item');
  assert.equal(by('Open')?.type, 'menu_item', 'an item of the drop-down hanging from the menu-bar item is labelled, as a menu item');
  const check = items.find((i) => i.type === 'checkbox' && i.text === 'Remember me');
  assert.ok(check, JSON.stringify(items));
  const label = by('Remember me')!;
  assert.equal(check!.checked, true);
  // the box holds the indicator (left) and the label (right): wider than the 13 px indicator alone
  assert.ok(label.box[2] - label.box[0] > 60, `check box with its label: ${JSON.stringify(label.box)}`);
  const wrapped = by('Wrapped')!;
  assert.equal(wrapped.type, 'checkbox');
  assert.equal(wrapped.checked, false, 'a wrapper takes the state of the input inside it');
  assert.equal(items.find((i) => i.role === 'input[type=range]')?.type, 'slider');
  assert.equal(items.find((i) => i.role === 'input[type=number]')?.type, 'spin_button');
  assert.equal(items.find((i) => i.type === 'progress_bar')?.role, 'progress');
  const root = by('Root')!;
  assert.equal(root.type, 'tree_item');
  const leaf = by('Leaf one')!;
  assert.equal(leaf.type, 'tree_item', 'a tree item inside a tree item is labelled');
  assert.ok(root.box[3] <= leaf.box[1] + 1, `the parent's box is its own row, above its children: ${root.box} vs ${leaf.box}`);
  const rowOne = by('Row one')!;
  assert.equal(rowOne.type, 'list_item');
  assert.ok(rowOne.box[3] - rowOne.box[1] <= 30);
  const rowTwo = by('Row two');
  // row two starts 30 px into a 40 px list box: at most its visible 10 px would be boxed, and that is too little to be kept
  assert.ok(!rowTwo || rowTwo.box[3] - rowTwo.box[1] <= 11, `clipped to the list box: ${JSON.stringify(rowTwo)}`);
  assert.equal(by('Name')?.type, 'header_item');
  assert.ok(items.every((i) => typeof i.role === 'string'), 'every element carries its source role');
});

test('labeller in Chromium: without the UIA rule the output is the legacy one (indicator only, no new types, no role)', async () => {
  const items = await label(`<!doctype html><html><body style="margin:0"><input type="checkbox" id="c"><label for="c">Remember me</label>
<input type="range"><ul role="menubar"><li role="menuitem">File</li></ul></body></html>`);
  const check = items.find((i) => i.type === 'checkbox')!;
  assert.ok(check.box[2] - check.box[0] < 30, 'legacy: the indicator only');
  assert.ok(!items.some((i) => i.type === 'slider' || i.type === 'menu_bar_item'));
  assert.ok(items.every((i) => !('role' in i)));
});

test('labeller in Chromium, UIA box rule: a thin slider holds its thumb; an open drop-down list has list items', async () => {
  const items = await labelUia(`<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<div style="padding:40px"><input type="range" style="display:block;-webkit-appearance:none;appearance:none;height:4px;width:200px;background:#888;margin:0"></div>
<div role="combobox" data-el="dropdown" style="margin-left:40px;width:150px;position:relative">Automatic
  <div role="listbox" style="position:absolute;top:100%;left:0;width:150px;background:#fff"><div role="option">Automatic</div><div role="option">Manual</div></div></div>
</body></html>`);
  const slider = items.find((i) => i.type === 'slider')!;
  assert.ok(slider, JSON.stringify(items));
  assert.equal(slider.box[3] - slider.box[1], 20, `a 4 px track grows to the 20 px thumb height: ${slider.box}`);
  assert.equal((slider.box[1] + slider.box[3]) / 2, 42, 'centred on the track');
  assert.equal(items.find((i) => i.type === 'dropdown')?.text, 'Automatic', "the drop-down's name is its own text, not its list's");
  assert.deepEqual(items.filter((i) => i.type === 'list_item').map((i) => i.text), ['Automatic', 'Manual']);
});

test('labeller in Chromium, UIA box rule: a button inside a menu item is the item itself, a control inside a list row is its own element', async () => {
  const items = await labelUia(`<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<ul role="menubar" style="display:flex;list-style:none;margin:0;padding:0"><li role="menuitem" style="position:relative">Play
  <ul role="menu" style="position:absolute;left:0;top:100%;list-style:none;margin:0;padding:0;width:120px;background:#fff">
    <li role="menuitem"><button style="all:unset;display:block;width:100%">Stop</button></li></ul></li></ul>
<table style="margin:60px 0 0 150px"><tbody><tr data-el="list_item"><td><input type="checkbox" aria-label="pick"></td><td><a href="#">Kim Lee</a></td></tr></tbody></table>
</body></html>`);
  assert.deepEqual(items.filter((i) => (i.text ?? '').includes('Stop')).map((i) => i.type), ['menu_item'], JSON.stringify(items));
  assert.deepEqual(items.map((i) => i.type).filter((t) => ['list_item', 'checkbox', 'link'].includes(t)).sort(), ['checkbox', 'link', 'list_item']);
});

test('labeller in Chromium, UIA box rule: a panel over one side of an element trims its box to the visible part', async () => {
  const page = `<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<div role="listbox" style="position:absolute;left:100px;top:20px;width:200px"><div role="option" style="height:24px">Wide row</div></div>
<div style="position:absolute;left:50px;top:0;width:100px;height:120px;background:#ccc">dialog</div></body></html>`;
  const uia = (await labelUia(page)).find((i) => i.text === 'Wide row')!;
  assert.deepEqual(uia.box, [150, 20, 300, 44], 'the row starts where the dialog covering its left side ends');
  // a menu nested in a static toolbar: the menu is the panel that hides the row, not the toolbar holding it
  const nested = await labelUia(`<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<div style="height:20px"><div style="position:absolute;z-index:5;left:50px;top:20px;width:100px;height:150px;background:#ccc">menu</div></div>
<div role="listbox" style="position:absolute;left:100px;top:40px;width:200px"><div role="option" style="height:24px">Row under menu</div></div></body></html>`);
  assert.deepEqual(nested.find((i) => i.text === 'Row under menu')?.box, [150, 40, 300, 64]);
  const legacy = (await label(page)).find((i) => i.text === 'Wide row');
  assert.equal(legacy, undefined, 'legacy has no list items at all');
});

async function labelAt2(html: string, opts: object, viewport = { width: 400, height: 300 }): Promise<unknown> {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 2 });
  try {
    const page = await ctx.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return await page.evaluate(labelPageInBrowser, opts);
  } finally {
    await ctx.close();
  }
}
type WithIgnore = { elements: (Item & { role?: string })[]; ignore: [number, number, number, number][] };
const byX = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]!;

test('labeller in Chromium, UIA box rule with ignoreRegions: a menu over the middle of a row drops it, its visible strips become ignore regions', async () => {
  // row one: x 20..320, y 40..64; the menu: x 100..260, y 30..70 — over the row's middle, hiding its 3 sample points;
  // row two (y 64..88) loses only 6 px of its middle to the menu and is kept whole
  const middle = `<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<div role="listbox" style="position:absolute;left:20px;top:40px;width:300px"><div role="option" style="height:24px">Row behind</div>
  <div role="option" style="height:24px">Row below</div></div>
<div role="menu" style="position:absolute;z-index:5;left:100px;top:30px;width:160px;height:40px;background:#ccc"><div role="menuitem">Open</div></div></body></html>`;
  const withOpt = (await labelAt2(middle, { boxRule: 'uia', ignoreRegions: true })) as WithIgnore;
  assert.equal(withOpt.elements.find((i) => i.text === 'Row behind'), undefined, JSON.stringify(withOpt));
  // device pixels (dpr 2): the strips left and right of the menu
  assert.deepEqual([...withOpt.ignore].sort(byX), [[40, 80, 200, 128], [520, 80, 640, 128]], JSON.stringify(withOpt.ignore));
  assert.deepEqual(withOpt.elements.find((i) => i.text === 'Row below')?.box, [40, 128, 640, 176], 'a row mostly visible keeps its box');
  assert.equal(withOpt.elements.find((i) => i.text === 'Open')?.type, 'menu_item');
  // without the option: the elements array of before (the hidden row dropped silently), no ignore regions anywhere
  const without = await labelAt2(middle, { boxRule: 'uia' });
  assert.ok(Array.isArray(without), 'without the option the result is the elements array');
  assert.deepEqual(without, withOpt.elements);

  // two pop-ups over opposite corners of a 300 x 60 row (x 20..320, y 40..100): two of its sample points still show,
  // but less than half of it does — dropped, its strips ignore regions; without the option it keeps its whole box
  const corners = `<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<div role="listbox" style="position:absolute;left:20px;top:40px;width:300px"><div role="option" style="height:60px">Tall row</div></div>
<div style="position:absolute;left:125px;top:30px;width:215px;height:43px;background:#ccc">pop-up</div>
<div style="position:absolute;left:0;top:79px;width:215px;height:31px;background:#ccc">tip</div></body></html>`;
  const c = (await labelAt2(corners, { boxRule: 'uia', ignoreRegions: true })) as WithIgnore;
  assert.equal(c.elements.find((i) => i.text === 'Tall row'), undefined, JSON.stringify(c));
  assert.deepEqual([...c.ignore].sort(byX), [[40, 80, 250, 146], [40, 146, 640, 158], [430, 158, 640, 200]], JSON.stringify(c.ignore));
  const cWithout = (await labelAt2(corners, { boxRule: 'uia' })) as Item[];
  assert.deepEqual(cWithout.find((i) => i.text === 'Tall row')?.box, [40, 80, 640, 200]);

  // a menu over one side: trimmed as before, no ignore region
  const side = `<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<div role="listbox" style="position:absolute;left:100px;top:20px;width:200px"><div role="option" style="height:24px">Wide row</div></div>
<div style="position:absolute;left:50px;top:0;width:100px;height:120px;background:#ccc">dialog</div></body></html>`;
  const s = (await labelAt2(side, { boxRule: 'uia', ignoreRegions: true })) as WithIgnore;
  assert.deepEqual(s.elements.find((i) => i.text === 'Wide row')?.box, [300, 40, 600, 88], 'trimmed at the dialog (dpr 2)');
  assert.deepEqual(s.ignore, []);
});

const overlaps = (a: number[], b: number[]) => Math.min(a[2]!, b[2]!) > Math.max(a[0]!, b[0]!) && Math.min(a[3]!, b[3]!) > Math.max(a[1]!, b[1]!);

test('labeller in Chromium, ignoreRegions: a modal <dialog> in a shadow root (a 0 x 0 host, as Fluent\'s) covers with its panel, not with the host or the backdrop', async () => {
  // the host is an empty inline box; its shadow root holds a modal <dialog> (top layer, a translucent ::backdrop) at
  // x 100..300, y 100..180, the page's OK button slotted in across its width at y 110..134. Behind it: a row under the
  // button (y 110..134), a row under the bare panel (y 150..174), both x 20..380, and a far row (y 20..44) that only
  // the backdrop dims
  const html = `<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<script>customElements.define('x-dialog', class extends HTMLElement {
  constructor() { super(); this.attachShadow({ mode: 'open' }).innerHTML = '<style>dialog{inset:auto;left:100px;top:100px;margin:0;width:200px;height:80px;padding:0;border:0;background:#fff}dialog::backdrop{background:rgba(0,0,0,.4)}</style><dialog><slot></slot></dialog>'; }
  show() { this.shadowRoot.querySelector('dialog').showModal(); } });</script>
<div role="listbox" style="position:absolute;left:20px;top:20px;width:360px"><div role="option" style="height:24px">Row far</div></div>
<div role="listbox" style="position:absolute;left:20px;top:110px;width:360px"><div role="option" style="height:24px">Row under button</div></div>
<div role="listbox" style="position:absolute;left:20px;top:150px;width:360px"><div role="option" style="height:24px">Row under panel</div></div>
<x-dialog id="d"><button style="display:block;margin:10px 0 0;width:200px;height:24px">OK</button></x-dialog>
<script>document.getElementById('d').show();</script></body></html>`;
  const r = (await labelAt2(html, { boxRule: 'uia', ignoreRegions: true })) as WithIgnore;
  const ok = r.elements.find((i) => i.text === 'OK');
  assert.deepEqual(ok?.box, [200, 220, 600, 268], JSON.stringify(r));
  const dialog = [200, 200, 600, 360];
  assert.ok(r.ignore.every((g) => !overlaps(g, dialog)), `no ignore region under the dialog's panel: ${JSON.stringify(r.ignore)}`);
  assert.equal(r.elements.find((i) => (i.text ?? '').startsWith('Row')), undefined, 'the rows behind the modal dialog are not labelled');
  // device pixels: each row under the panel gives its strips left and right of it; the far row, dimmed but whole, its box
  assert.deepEqual([...r.ignore].sort(byX), [[40, 40, 760, 88], [40, 220, 200, 268], [40, 300, 200, 348], [600, 220, 760, 268], [600, 300, 760, 348]],
    JSON.stringify(r.ignore));
});

test('labeller in Chromium, ignoreRegions: a row scrolled under a sticky header is covered by the header cells, not by the <thead> that scrolled away', async () => {
  // a 300 x 100 scroller at (20, 20) scrolled by 16 px: the <thead>'s own box is at y 4..28, its sticky cells are
  // painted at y 20..44; row 0 (y 28..52) is two thirds under them, row 1 (y 52..76) in full view
  const rows = Array.from({ length: 8 }, (_, k) => `<tr data-el="list_item" style="height:24px"><td>Row ${k}</td><td>${k} KB</td></tr>`).join('');
  const html = `<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<div id="s" style="position:absolute;left:20px;top:20px;width:300px;height:100px;overflow:auto">
<table style="border-collapse:collapse;border-spacing:0;width:100%"><thead><tr><th style="position:sticky;top:0;height:24px;padding:0;background:#ddd">Name</th>
<th style="position:sticky;top:0;height:24px;padding:0;background:#ddd">Size</th></tr></thead><tbody>${rows}</tbody></table></div>
<script>document.getElementById('s').scrollTop = 16;</script></body></html>`;
  const r = (await labelAt2(html, { boxRule: 'uia', ignoreRegions: true })) as WithIgnore;
  const headers = r.elements.filter((i) => i.type === 'header_item');
  assert.deepEqual(headers.map((h) => h.text), ['Name', 'Size'], JSON.stringify(r));
  for (const h of headers) assert.ok(r.ignore.every((g) => !overlaps(g, h.box)), `no ignore region over the header cell ${h.box}: ${JSON.stringify(r.ignore)}`);
  assert.equal(r.elements.find((i) => i.text?.startsWith('Row 0')), undefined, 'row 0 is mostly under the header');
  // its visible strip below the header cells (device pixels); row 1 is kept whole
  const row1 = r.elements.find((i) => i.text?.startsWith('Row 1'))!;
  assert.deepEqual(r.ignore, [[row1.box[0], 88, row1.box[2], 104]], JSON.stringify(r.ignore));
  assert.deepEqual([row1.box[1], row1.box[3]], [104, 152]);
});

test('labeller in Chromium, ignoreRegions: a sticky header cell narrower than the 9 x 3 grid\'s spacing still covers a row scrolled under it', async () => {
  // as above, but 720 px wide (an 800 px viewport) with a first "select all" column of 32 CSS px holding a check box: the
  // grid's points over the row lie ~78 px apart, the first 39 px in — none falls in the narrow cell. Row 0 (y 28..52) is
  // two thirds under the sticky cells (y 20..44) and dropped; what shows of it is the band below them, not also the
  // part under the narrow cell (which would hold the labelled header cell and its check box)
  const rows = Array.from({ length: 8 }, (_, k) => `<tr data-el="list_item" style="height:24px"><td style="padding:0"></td><td style="padding:0">Row ${k}</td><td style="padding:0">${k} KB</td></tr>`).join('');
  const th = 'position:sticky;top:0;height:24px;padding:0;background:#ddd';
  const html = `<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<div id="s" style="position:absolute;left:20px;top:20px;width:720px;height:100px;overflow:auto">
<table style="border-collapse:collapse;border-spacing:0;width:100%;table-layout:fixed"><thead><tr>
<th style="${th};width:32px"><input type="checkbox" aria-label="Select all" style="display:block;margin:4px 8px;width:16px;height:16px"></th>
<th style="${th}">Name</th><th style="${th}">Size</th></tr></thead><tbody>${rows}</tbody></table></div>
<script>document.getElementById('s').scrollTop = 16;</script></body></html>`;
  const r = (await labelAt2(html, { boxRule: 'uia', ignoreRegions: true }, { width: 800, height: 300 })) as WithIgnore;
  const headers = r.elements.filter((i) => i.type === 'header_item');
  assert.equal(headers.length, 3, JSON.stringify(r));
  const narrow = [...headers].sort((a, b) => a.box[0] - b.box[0])[0]!;
  assert.deepEqual([narrow.box[0], narrow.box[1], narrow.box[2] - narrow.box[0], narrow.box[3]], [40, 40, 64, 88], 'the 32 CSS px cell (dpr 2)');
  assert.deepEqual(r.elements.find((i) => i.type === 'checkbox')?.box, [56, 48, 88, 80], 'the select-all check box in it');
  assert.equal(r.elements.find((i) => i.text?.startsWith('Row 0')), undefined, 'row 0 is mostly under the header');
  // no labelled element (the narrow cell, its check box) lies half or more inside an ignore region
  const area = (b: number[]) => Math.max(0, b[2]! - b[0]!) * Math.max(0, b[3]! - b[1]!);
  const inter = (a: number[], b: number[]) => area([Math.max(a[0]!, b[0]!), Math.max(a[1]!, b[1]!), Math.min(a[2]!, b[2]!), Math.min(a[3]!, b[3]!)]);
  for (const e of r.elements) for (const g of r.ignore) assert.ok(inter(e.box, g) < 0.5 * area(e.box), `${e.type} ${e.box} inside ignore ${g}`);
  // the row's only strip is the band below the header cells: nothing under the narrow cell
  assert.ok(r.ignore.every((g) => !overlaps(g, narrow.box)), `no ignore region under the narrow cell ${narrow.box}: ${JSON.stringify(r.ignore)}`);
  const row1 = r.elements.find((i) => i.text?.startsWith('Row 1'))!;
  assert.deepEqual(r.ignore, [[row1.box[0], 88, row1.box[2], 104]], JSON.stringify(r.ignore));
});

test('labeller in Chromium, ignoreRegions: a submenu sticking out of its menu is the panel where it covers the page', async () => {
  // menu x 20..140, y 40..88; its submenu (nested in the "New" item) x 140..260, y 40..140 lies over the left side of
  // the row (x 150..380, y 100..124), which the menu itself does not reach
  const html = `<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<div role="listbox" style="position:absolute;left:150px;top:100px;width:230px"><div role="option" style="height:24px">Row beside</div></div>
<div role="menu" style="position:absolute;z-index:5;left:20px;top:40px;width:120px;background:#ccc">
  <div role="menuitem" style="position:relative;height:24px">New
    <div role="menu" style="position:absolute;left:100%;top:0;width:120px;height:100px;background:#bbb"><div role="menuitem">Key</div></div></div>
  <div role="menuitem" style="height:24px">Delete</div></div></body></html>`;
  const r = (await labelAt2(html, { boxRule: 'uia', ignoreRegions: true })) as WithIgnore;
  assert.deepEqual(r.elements.find((i) => i.text === 'Row beside')?.box, [520, 200, 760, 248], `trimmed where the submenu ends: ${JSON.stringify(r)}`);
  assert.equal(r.elements.find((i) => i.text === 'Key')?.type, 'menu_item');
  assert.deepEqual(r.ignore, []);
});

test('labeller in Chromium, ignoreRegions: a round button over a positioned sibling is kept — its corners show what lies behind it, not over it', async () => {
  const html = `<!doctype html><html><body style="margin:0;font:14px/18px sans-serif">
<div style="position:absolute;left:20px;top:20px;width:300px;height:200px;background:#468">photo</div>
<button aria-label="Next" style="position:absolute;left:100px;top:80px;width:60px;height:60px;border-radius:50%;border:0;padding:0;background:#fff">&#8250;</button></body></html>`;
  const r = (await labelAt2(html, { boxRule: 'uia', ignoreRegions: true })) as WithIgnore;
  assert.deepEqual(r.elements.find((i) => i.text === '›')?.box, [200, 160, 320, 280], JSON.stringify(r));
  assert.deepEqual(r.ignore, []);
});

test('labeller in Chromium, ignoreRegions: a row dropped under a menu keeps its own check box and link labelled, and its strips are cut around them', async () => {
  // the row x 20..380, y 40..64 holds a 16 px check box (x 24..40) and a link (x 50..100), both y 44..60; the menu
  // x 120..320, y 30..70 hides the row's 3 sample points, so the row is dropped and its visible parts left (x 20..120) and
  // right (x 320..380) of the menu are strips — minus the check box's and the link's boxes, which stay labelled
  const html = `<!doctype html><html><body style="margin:0;font:14px/16px sans-serif">
<div role="listbox" style="position:absolute;left:20px;top:40px;width:360px"><div role="option" style="display:flex;align-items:center;height:24px">
  <input type="checkbox" aria-label="pick" style="margin:0 0 0 4px;width:16px;height:16px;flex:none">
  <a href="#" style="display:inline-block;margin-left:10px;width:50px;height:16px;overflow:hidden;flex:none">Kim Lee</a></div></div>
<div role="menu" style="position:absolute;z-index:5;left:120px;top:30px;width:200px;height:40px;background:#ccc"><div role="menuitem">Open</div></div></body></html>`;
  const r = (await labelAt2(html, { boxRule: 'uia', ignoreRegions: true })) as WithIgnore;
  assert.equal(r.elements.find((i) => i.type === 'list_item'), undefined, `the row is dropped: ${JSON.stringify(r)}`);
  // (1) the row's own controls are labelled (device pixels, dpr 2)
  assert.deepEqual(r.elements.find((i) => i.type === 'checkbox')?.box, [48, 88, 80, 120], JSON.stringify(r));
  assert.deepEqual(r.elements.find((i) => i.type === 'link')?.box, [100, 88, 200, 120], JSON.stringify(r));
  // (2) no labelled element lies half or more inside an ignore region
  const area = (b: number[]) => Math.max(0, b[2]! - b[0]!) * Math.max(0, b[3]! - b[1]!);
  const inter = (a: number[], b: number[]) => area([Math.max(a[0]!, b[0]!), Math.max(a[1]!, b[1]!), Math.min(a[2]!, b[2]!), Math.min(a[3]!, b[3]!)]);
  for (const e of r.elements) for (const g of r.ignore) assert.ok(inter(e.box, g) < 0.5 * area(e.box), `${e.type} ${e.box} inside ignore ${g}`);
  // (3) the rest of the row's visible strips are still ignore regions: above and below the controls, the 4 px left of the
  // check box, between the check box and the link, between the link and the menu, and the whole strip right of the menu
  assert.deepEqual([...r.ignore].sort(byX), [[40, 80, 240, 88], [40, 88, 48, 120], [40, 120, 240, 128], [80, 88, 100, 120], [200, 88, 240, 120],
    [640, 80, 760, 128]], JSON.stringify(r.ignore));
});
