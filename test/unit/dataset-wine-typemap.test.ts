/**
 * The wine dataset family's pure parts: the Win32 class + style -> element type table (typemap.json, the one source
 * of truth the enumerator's C table is generated from), and the split by application (issue 15's sha256 rule).
 * The enumerator itself, built from the same table, is checked against this function in
 * test/integration/dataset-wine-enumerator.test.ts (when Wine and mingw-w64 are installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyWindow, loadTypemap, typemapCHeader, TYPES } from '../../scripts/dataset/wine/typemap.mjs';
import { APPS_FILE, appsList, splitByApp } from '../../scripts/dataset/wine/apps.mjs';

const rules = loadTypemap();
const typeOf = (cls: string, style: number, text = 'x') => classifyWindow(rules, cls, style, text).type;
// winuser.h / commctrl.h style bits
const BS = { PUSH: 0, DEF: 1, CHECK: 2, AUTOCHECK: 3, RADIO: 4, STATE3: 5, AUTO3: 6, GROUP: 7, AUTORADIO: 9, SPLIT: 0xc,
  COMMANDLINK: 0xe, LEFTTEXT: 0x20, ICON: 0x40, BITMAP: 0x80, FLAT: 0x8000, PUSHLIKE: 0x1000 };
const WS_VISIBLE_CHILD = 0x50000000;

test('buttons map by their BS_ type: check boxes (all four kinds, right text), radios, toggles, group boxes', () => {
  for (const s of [BS.CHECK, BS.AUTOCHECK, BS.STATE3, BS.AUTO3, BS.AUTOCHECK | BS.LEFTTEXT]) {
    assert.equal(typeOf('Button', WS_VISIBLE_CHILD | s), 'checkbox', `style ${s.toString(16)}`);
  }
  assert.equal(typeOf('Button', WS_VISIBLE_CHILD | BS.RADIO), 'radio');
  assert.equal(typeOf('Button', WS_VISIBLE_CHILD | BS.AUTORADIO | BS.LEFTTEXT), 'radio');
  assert.equal(typeOf('Button', WS_VISIBLE_CHILD | BS.AUTOCHECK | BS.PUSHLIKE), 'toggle');
  assert.equal(typeOf('Button', WS_VISIBLE_CHILD | BS.AUTORADIO | BS.PUSHLIKE), 'toggle');
  assert.equal(typeOf('Button', WS_VISIBLE_CHILD | BS.GROUP), null, 'a group box is not an element');
  assert.equal(classifyWindow(rules, 'Button', BS.GROUP, 'General').children, 'walk');
});

test('push buttons are buttons; an icon or bitmap button without text is an icon_button', () => {
  for (const s of [BS.PUSH, BS.DEF, BS.FLAT, BS.SPLIT, BS.COMMANDLINK]) assert.equal(typeOf('Button', WS_VISIBLE_CHILD | s), 'button');
  assert.equal(typeOf('Button', BS.ICON, ''), 'icon_button');
  assert.equal(typeOf('Button', BS.BITMAP | BS.DEF, ''), 'icon_button');
  assert.equal(typeOf('Button', BS.ICON, 'Info'), 'button', 'an icon button with a caption is a button');
  assert.equal(typeOf('Button', BS.PUSH, ''), 'button');
});

test('edits, combos and the single-window controls map to their UIA-shaped types; class names ignore case', () => {
  assert.equal(typeOf('Edit', 0x20 /* ES_PASSWORD */), 'text_input');
  assert.equal(typeOf('RichEdit20W', 0), 'text_input');
  assert.equal(typeOf('ComboBox', 2 /* CBS_DROPDOWN */), 'dropdown');
  assert.equal(typeOf('COMBOBOX', 3 /* CBS_DROPDOWNLIST */), 'dropdown');
  assert.deepEqual(classifyWindow(rules, 'ComboBox', 1 /* CBS_SIMPLE */, ''), { type: null, items: null, children: 'walk' });
  assert.equal(typeOf('SysDateTimePick32', 0), 'dropdown');
  assert.equal(typeOf('SysDateTimePick32', 1 /* DTS_UPDOWN */), 'text_input');
  assert.equal(typeOf('msctls_trackbar32', 0), 'slider');
  assert.equal(typeOf('msctls_updown32', 0), 'spin_button');
  assert.equal(typeOf('msctls_progress32', 0), 'progress_bar');
  assert.equal(typeOf('SysLink', 0), 'link');
  for (const cls of ['Static', 'ScrollBar', 'msctls_statusbar32', '#32770', 'ReBarWindow32', 'SomeCustomClass']) {
    assert.equal(typeOf(cls, 0), null, `${cls} is not an element`);
  }
});

test('list, tree, tab, header and toolbar controls give their items, not themselves', () => {
  const items = (cls: string) => classifyWindow(rules, cls, 0, '');
  assert.deepEqual(items('ListBox'), { type: null, items: 'listbox', children: 'skip' });
  assert.deepEqual(items('ComboLBox'), { type: null, items: 'listbox', children: 'skip' });
  assert.deepEqual(items('SysListView32'), { type: null, items: 'listview', children: 'walk' }, 'its header is a child window');
  assert.equal(items('SysHeader32').items, 'header');
  assert.equal(items('SysTreeView32').items, 'treeview');
  assert.equal(items('SysTabControl32').items, 'tab');
  assert.equal(items('ToolbarWindow32').items, 'toolbar');
});

test('a malformed rule is refused, and the generated C table carries every rule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'typemap-'));
  const bad = (rule: object) => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, JSON.stringify({ rules: [rule] }));
    return () => loadTypemap(p);
  };
  assert.throws(bad({ class: 'Button', type: 'knob', children: 'skip' }), /unknown type knob/);
  assert.throws(bad({ class: 'Button', type: null, items: 'grid', children: 'skip' }), /unknown items/);
  assert.throws(bad({ class: 'Button', mask: '0x0F', type: null, children: 'walk' }), /mask and values/);
  assert.throws(() => classifyWindow([], 'Button', 0, ''), /no rule for Button/);
  for (const r of rules) if (r.type !== null) assert.ok(TYPES.includes(r.type));
  const header = typemapCHeader(rules);
  assert.equal((header.match(/^ {2}\{ L"/gm) ?? []).length, rules.length);
  assert.match(header, /\{ L"Button", 0xfu, 4, \{ 0x2, 0x3, 0x5, 0x6, 0x0, 0x0, 0x0, 0x0 \}, 0x0u, 0, "checkbox", NULL, 0 \}/);
  assert.match(header, /TYPE_RULE_COUNT = \d+/);
});

test('the split is by application: sha256 order, the first ceil(0.3 n) held out, and the committed list follows it', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const split = splitByApp(ids);
  const order = [...ids].sort((x, y) => {
    const hx = createHash('sha256').update(x).digest('hex');
    const hy = createHash('sha256').update(y).digest('hex');
    return hx < hy ? -1 : 1;
  });
  assert.deepEqual(order.filter((id) => split.get(id) === 'heldout'), order.slice(0, 3));
  const all = JSON.parse(readFileSync(APPS_FILE, 'utf8')) as { app: string; split: string; addedAfterSplit?: string; fresh?: string; splitBatch?: string }[];
  assert.deepEqual(all, appsList(), 'scripts/dataset/apps/wine.json is stale: run node scripts/dataset/wine/apps.mjs');
  // the fresh held-out set (docs/DATASET.md): split fresh, outside the rule and the quarter, moves nothing
  assert.ok(all.filter((a) => a.fresh).length >= 2 && all.every((a) => (a.split === 'fresh') === Boolean(a.fresh)));
  const committed = all.filter((a) => !a.fresh);
  // the first held-out programs stay held out and no other joins them (round 7's batch is split among itself, below)
  assert.deepEqual(committed.filter((a) => a.split === 'heldout' && !a.splitBatch).map((a) => a.app).sort(),
    ['win32-datagrid', 'win32-explorer', 'wine-colordialog', 'wine-joycpl', 'wine-regedit', 'wine-wordpad']);
  const held = committed.filter((a) => a.split === 'heldout').length;
  // round 3: apps added after the split are train and take no part in the rule (no existing app moves)
  const original = committed.filter((a) => !a.addedAfterSplit && !a.splitBatch);
  assert.equal(original.length, 19, 'the 19 apps the split was decided on');
  assert.ok(committed.filter((a) => a.addedAfterSplit).every((a) => a.split === 'train'));
  assert.equal(original.filter((a) => a.split === 'heldout').length, Math.ceil(0.3 * original.length));
  // round 7: a later batch is split by the same rule among its own apps (scripts/dataset/lib/split.mjs splitOfList)
  const batch = committed.filter((a) => a.splitBatch === '2026-12-07');
  const batchRule = splitByApp(batch.map((a) => a.app));
  assert.ok(batch.length >= 6, `round 7 added ${batch.length} programs`);
  for (const a of batch) assert.equal(a.split, batchRule.get(a.app), a.app);
  assert.ok(held * 4 >= committed.length, 'at least a quarter of the applications are held out');
  for (const toolkit of ['win32', 'wine-builtin']) {
    assert.ok(committed.some((a) => a.toolkit === toolkit && a.split === 'train'), `${toolkit} in train`);
  }
});

test('every program a scenario launches from the build directory has its source and is compiled by build.sh', () => {
  const dir = join(import.meta.dirname, '..', '..', 'scripts', 'dataset', 'wine');
  const { apps } = JSON.parse(readFileSync(join(dir, 'scenarios.json'), 'utf8')) as { apps: { app: string; launch: string[] }[] };
  const loop = /for app in ([a-z0-9 ]+); do/.exec(readFileSync(join(dir, 'build.sh'), 'utf8'));
  assert.ok(loop, 'build.sh compiles the programs in one loop');
  const compiled = new Set(loop[1]!.trim().split(/\s+/));
  const built = apps.flatMap((a) => a.launch.filter((l) => l.startsWith('build:')).map((l) => [a.app, l.slice(6, -4)] as const));
  assert.ok(built.length >= 8, 'our programs are launched from the build directory');
  for (const [app, exe] of built) {
    assert.ok(compiled.has(exe), `${app}: build.sh does not compile ${exe}.exe`);
    assert.ok(readFileSync(join(dir, 'apps', `${exe}.c`), 'utf8').includes('wWinMain'), `${app}: apps/${exe}.c`);
  }
});
