/**
 * The AT-SPI ("atspi" family) dataset recipe's pure parts: the brief's split rule and the committed apps list,
 * the AT-SPI role -> element type table, and the visibility rules (clip to viewports, drop or clip what an open
 * menu, a popover or a window above covers; rows of a list as the union of their cells). The Python parts run
 * under Debian's /usr/bin/python3 (stdlib only for these modules: no AT-SPI bus is needed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// @ts-expect-error -- plain .mjs dataset script without type declarations
import { splitApps, sha256Hex } from '../../scripts/dataset/native/split.mjs';
import { splitOfList } from '../../scripts/dataset/lib/split.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const nativeDir = join(root, 'scripts', 'dataset', 'native');
const PY = '/usr/bin/python3';
const noPython = existsSync(PY) ? false : 'Debian /usr/bin/python3 is not installed';

type Call = { fn: string; args: unknown };
function py(calls: Call[]): unknown[] {
  const out = execFileSync(PY, ['-m', 'atspi_harvest.check'], {
    cwd: nativeDir, input: calls.map((c) => JSON.stringify(c)).join('\n') + '\n', encoding: 'utf8',
  });
  return out.trim().split('\n').map((l) => (JSON.parse(l) as { result: unknown }).result);
}
const classify = (q: Record<string, unknown>) => py([{ fn: 'classify', args: q }])[0] as { type: string; checked: boolean | null } | null;

test('split rule: sha256-ordered ids, the first ceil(0.3 n) held out, independent of input order', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const s = splitApps(ids) as Map<string, string>;
  const ordered = [...ids].sort((x, y) => (sha256Hex(x) < sha256Hex(y) ? -1 : 1));
  assert.deepEqual(ordered.slice(0, 3).map((id) => s.get(id)), ['heldout', 'heldout', 'heldout']);
  assert.ok(ordered.slice(3).every((id) => s.get(id) === 'train'));
  assert.deepEqual([...(splitApps([...ids].reverse()) as Map<string, string>).entries()].sort(), [...s.entries()].sort());
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

// Changed in round 3 (apps added after the split): the rule decides the apps the family had when its split was
// decided; apps added later (addedAfterSplit) are train, so adding one never moves an existing app across the split.
// Changed in round 7 (2026-12-07): apps of a later batch (splitBatch) are split by the same rule among their batch only.
test('scripts/dataset/apps/atspi.json: the split follows the rule and at least a quarter of the apps are held out', () => {
  const apps = JSON.parse(readFileSync(join(root, 'scripts', 'dataset', 'apps', 'atspi.json'), 'utf8')) as
    { app: string; toolkit: string; description: string; split: string; addedAfterSplit?: string; fresh?: string; splitBatch?: string }[];
  const original = apps.filter((a) => !a.addedAfterSplit && !a.fresh && !a.splitBatch);
  const s = splitApps(original.map((a) => a.app)) as Map<string, string>;
  const batches = new Map([...new Set(apps.map((a) => a.splitBatch).filter(Boolean))].map((b) =>
    [b, splitApps(apps.filter((a) => a.splitBatch === b).map((a) => a.app)) as Map<string, string>]));
  for (const a of apps) {
    const rule = a.splitBatch ? batches.get(a.splitBatch)!.get(a.app) : s.get(a.app);
    assert.equal(a.split, a.fresh ? 'fresh' : a.addedAfterSplit ? 'train' : rule, a.app);
    assert.ok(a.toolkit && a.description, a.app);
  }
  const round7 = apps.filter((a) => a.splitBatch?.startsWith('2026-12-07')).length;
  assert.ok(round7 >= 10, `round 7 added ${round7} GTK programs`);
  assert.deepEqual(splitOfList(apps), new Map(apps.map((a) => [a.app, a.split])));
  assert.equal(original.length, 17, 'the 17 apps the split was decided on stay in the rule');
  const judged = apps.filter((a) => !a.fresh);
  const held = judged.filter((a) => a.split === 'heldout').length;
  assert.ok(judged.length >= 8 && held >= judged.length / 4, `${held}/${judged.length} held out`);
  // neither the fresh set nor round 7's batch moved anything: the first held-out apps are the ones every earlier round
  // was measured on
  assert.deepEqual(apps.filter((a) => a.split === 'heldout' && !a.splitBatch).map((a) => a.app).sort(),
    ['evince', 'file-roller', 'galculator', 'gucharmap', 'synaptic', 'transmission-gtk']);
  assert.ok(apps.filter((a) => a.fresh).length >= 4, 'at least four fresh GTK 3 programs');
});

// The fresh held-out set (docs/DATASET.md): apps marked `fresh` are split 'fresh', take no part in the sha256 rule nor
// in the quarter-held-out check, and move no other app; an app marked both fresh and added-after-split is refused.
test('split of a list: fresh apps are fresh, outside the rule and the quarter; they move no other app', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const before = splitOfList(ids.map((app) => ({ app }))) as Map<string, string>;
  const fresh = Array.from({ length: 30 }, (_, i) => ({ app: `fresh-${i}`, fresh: '2026-12-06' })); // inside the rule they would move b and e
  const after = splitOfList([...ids.map((app) => ({ app })), ...fresh]) as Map<string, string>;
  for (const id of ids) assert.equal(after.get(id), before.get(id), id);
  for (const f of fresh) assert.equal(after.get(f.app), 'fresh');
  assert.throws(() => splitOfList([{ app: 'a' }, { app: 'b', fresh: '2026-12-06', addedAfterSplit: '2026-12-06' }]), /both fresh and addedAfterSplit/);
});

test('split of a list: apps added after the split are train and move no other app; under a quarter held out is refused', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const before = splitOfList(ids.map((app) => ({ app }))) as Map<string, string>;
  assert.deepEqual(before, splitApps(ids));
  const late = ['h', 'i', 'j'].map((app) => ({ app, addedAfterSplit: '2026-12-06' }));
  const after = splitOfList([...ids.map((app) => ({ app })), ...late]) as Map<string, string>;
  for (const id of ids) assert.equal(after.get(id), before.get(id), id);
  for (const l of late) assert.equal(after.get(l.app), 'train');
  // 3 held out of 7; 6 more late apps make 3 of 13 < a quarter
  const tooMany = 'klmnop'.split('').map((app) => ({ app, addedAfterSplit: '2026-12-06' }));
  assert.throws(() => splitOfList([...ids.map((app) => ({ app })), ...late, ...tooMany]), /at least a quarter/);
});

test('split of a list: a later batch is split by the rule among its own apps and moves no other app', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const late = ['h', 'i', 'j'].map((app) => ({ app, addedAfterSplit: '2026-12-06' }));
  const before = splitOfList([...ids.map((app) => ({ app })), ...late]) as Map<string, string>;
  const batchIds = 'klmnopqrst'.split('');
  const batch = batchIds.map((app) => ({ app, splitBatch: '2026-12-07' }));
  const after = splitOfList([...ids.map((app) => ({ app })), ...late, ...batch]) as Map<string, string>;
  for (const [app, split] of before) assert.equal(after.get(app), split, app);
  const ordered = [...batchIds].sort((x, y) => (sha256Hex(x) < sha256Hex(y) ? -1 : 1));
  assert.deepEqual(ordered.map((app) => after.get(app)), ordered.map((_, i) => (i < 3 ? 'heldout' : 'train')));
  // the same ten apps as late apps would have left 3 of 20 held out: refused; as a batch 6 of 20 are
  assert.throws(() => splitOfList([...ids.map((app) => ({ app })), ...late, ...batchIds.map((app) => ({ app, addedAfterSplit: '2026-12-07' }))]), /at least a quarter/);
  assert.throws(() => splitOfList([{ app: 'a' }, { app: 'b', splitBatch: '2026-12-07', fresh: '2026-12-07' }]), /splitBatch with fresh/);
  assert.throws(() => splitOfList([{ app: 'a' }, { app: 'b', splitBatch: '2026-12-07', addedAfterSplit: '2026-12-07' }]), /splitBatch with fresh or addedAfterSplit/);
});

test('apps list and the harvester drive the same programs', { skip: noPython }, () => {
  const apps = JSON.parse(readFileSync(join(root, 'scripts', 'dataset', 'apps', 'atspi.json'), 'utf8')) as { app: string; toolkit: string }[];
  const out = execFileSync(PY, ['-c', 'import json; from atspi_harvest.apps import APPS; print(json.dumps({k: v["toolkit"] for k, v in APPS.items()}))'],
    { cwd: nativeDir, encoding: 'utf8' });
  const spec = JSON.parse(out) as Record<string, string>;
  assert.deepEqual(Object.fromEntries(apps.map((a) => [a.app, a.toolkit])), spec);
});

test('AT-SPI role -> type: every role the brief names', { skip: noPython }, () => {
  const cases: [Record<string, unknown>, string | null, boolean | null][] = [
    [{ role: 'push button', name: 'Save changes', width: 120, height: 34 }, 'button', null],
    [{ role: 'push button', name: '', width: 34, height: 34 }, 'icon_button', null],
    [{ role: 'push button', name: 'Close', width: 34, height: 30 }, 'icon_button', null], // a tooltip name, icon drawn
    [{ role: 'push button', name: 'Minimize', width: 34, height: 30, image: false }, 'icon_button', null], // header-bar button
    [{ role: 'push button', name: 'Add', width: 54, height: 34, image: false }, 'button', null],
    [{ role: 'push button', name: '7', width: 60, height: 50 }, 'button', null], // calculator key: its text is drawn
    [{ role: 'push button', name: 'Copy', width: 50, height: 34, image: false }, 'button', null], // GTK 3: no image, text drawn
    [{ role: 'push button', name: 'New', width: 34, height: 34, image: false, in_toolbar: true }, 'icon_button', null],
    [{ role: 'push button', name: 'Open', width: 90, height: 34, in_toolbar: true }, 'button', null], // icon + text
    [{ role: 'check box', name: 'Wrap', states: ['checked'] }, 'checkbox', true],
    [{ role: 'check box', name: 'Wrap', states: [] }, 'checkbox', false],
    [{ role: 'radio button', name: 'A', states: ['checked'] }, 'radio', true],
    [{ role: 'toggle button', name: 'Bold', states: ['pressed'] }, 'toggle', true],
    [{ role: 'switch', name: '', states: [] }, 'toggle', false],
    [{ role: 'combo box' }, 'dropdown', null],
    [{ role: 'text', states: ['editable'] }, 'text_input', null],
    [{ role: 'password text', states: ['editable'] }, 'text_input', null],
    [{ role: 'text', states: [] }, null, null], // read-only text is not an input
    [{ role: 'link', name: 'Wikipedia' }, 'link', null],
    [{ role: 'page tab', name: 'General' }, 'tab', null],
    [{ role: 'menu item', name: 'Open', parent_role: 'menu' }, 'menu_item', null],
    [{ role: 'menu', name: 'Recent', parent_role: 'menu' }, 'menu_item', null], // a submenu entry
    [{ role: 'menu', name: 'File', parent_role: 'menu bar' }, 'menu_bar_item', null],
    [{ role: 'menu item', name: 'Help', parent_role: 'menu bar' }, 'menu_bar_item', null],
    [{ role: 'menu item', name: 'x', parent_role: 'panel' }, null, null], // not in an open menu
    [{ role: 'list item', name: 'Row' }, 'list_item', null],
    [{ role: 'tree item', name: 'Node' }, 'tree_item', null],
    [{ role: 'spin button' }, 'spin_button', null],
    [{ role: 'slider' }, 'slider', null],
    [{ role: 'progress bar' }, 'progress_bar', null],
    [{ role: 'level bar' }, 'progress_bar', null],
    [{ role: 'table column header', name: 'Name' }, 'header_item', null],
    [{ role: 'label', name: 'Name:' }, null, null],
    [{ role: 'scroll bar' }, null, null],
    [{ role: 'tool bar' }, null, null],
    [{ role: 'menu bar' }, null, null],
    [{ role: 'panel' }, null, null],
  ];
  for (const [q, type, checked] of cases) {
    const r = classify(q);
    assert.equal(r?.type ?? null, type, JSON.stringify(q));
    if (type === 'checkbox' || type === 'radio' || type === 'toggle') assert.equal(r?.checked, checked, JSON.stringify(q));
  }
});

test('visibility: clipped to the screen and viewports, dropped or clipped under covers', { skip: noPython }, () => {
  const screen = [0, 0, 1000, 800];
  const [inView, scrolledOut, underMenu, halfUnder, cornerUnder, offScreen, grazed] = py([
    { fn: 'visible_box', args: [[10, 10, 110, 40], [[0, 0, 500, 500]], [], screen] },
    { fn: 'visible_box', args: [[10, 600, 110, 640], [[0, 0, 500, 500]], [], screen] },
    { fn: 'visible_box', args: [[10, 10, 110, 40], [], [[0, 0, 200, 200]], screen] },
    { fn: 'visible_box', args: [[10, 10, 110, 40], [], [[0, 0, 200, 20]], screen] },
    { fn: 'visible_box', args: [[10, 10, 110, 40], [], [[60, 20, 200, 200]], screen] },
    { fn: 'visible_box', args: [[990, 10, 1200, 40], [], [], screen] },
    { fn: 'visible_box', args: [[10, 10, 110, 40], [], [[100, 30, 200, 200]], screen] },
  ]);
  assert.deepEqual(inView, [10, 10, 110, 40]);
  assert.equal(scrolledOut, null);
  assert.equal(underMenu, null);
  assert.deepEqual(halfUnder, [10, 20, 110, 40]); // a cover along one side: the rest stays
  assert.equal(cornerUnder, null); // the rest is not a rectangle
  assert.deepEqual(offScreen, [990, 10, 1000, 40]);
  assert.deepEqual(grazed, [10, 10, 110, 40]); // a popup's border over 3 % of it leaves it whole
});

test('elements: an open menu hides what is under it, its items stay; list rows are the union of their cells', { skip: noPython }, () => {
  const n = (path: string, role: string, box: number[] | null, ancestors: string[], parent_role: string, extra: Record<string, unknown> = {}) =>
    ({ path, role, name: extra.name ?? '', states: extra.states ?? ['showing', 'visible'], box, window: 0, parent_role, ancestors, clips: [[0, 0, 800, 600]] });
  const nodes = [
    n('0', 'frame', [0, 0, 800, 600], [], ''),
    n('0.0', 'menu bar', [0, 0, 800, 30], ['0'], 'frame'),
    n('0.0.0', 'menu', [0, 0, 60, 30], ['0', '0.0'], 'menu bar', { name: 'File' }),
    n('0.0.0.0', 'menu item', [0, 30, 200, 60], ['0', '0.0', '0.0.0'], 'menu', { name: 'Open' }),
    n('0.0.0.1', 'menu item', [0, 60, 200, 90], ['0', '0.0', '0.0.0'], 'menu', { name: 'Save' }),
    n('0.1', 'push button', [10, 40, 150, 70], ['0'], 'frame', { name: 'Under the menu' }),
    n('0.2', 'push button', [400, 90, 540, 120], ['0'], 'frame', { name: 'Beside the menu' }),
    n('0.3', 'table', [300, 200, 700, 400], ['0'], 'frame'),
    n('0.3.0', 'table cell', [300, 200, 400, 220], ['0', '0.3'], 'table', { name: 'report.odt' }),
    n('0.3.1', 'table cell', [400, 200, 700, 220], ['0', '0.3'], 'table', { name: 'today' }),
  ];
  const wins = [{ index: 0, role: 'frame', box: [0, 0, 800, 600] }, { index: 1, role: 'dialog', box: [0, 80, 800, 200] }];
  nodes.push({ ...n('1', 'dialog', [0, 80, 800, 200], [], ''), window: 1 });
  nodes.push({ ...n('1.0', 'push button', [600, 150, 700, 190], ['1'], 'dialog', { name: 'Close' }), window: 1 });
  const els = py([{ fn: 'elements', args: { wins, nodes, screen: [0, 0, 800, 600] } }])[0] as
    { type: string; box: number[]; text?: string }[];
  const byText = Object.fromEntries(els.map((e) => [e.text, e]));
  assert.equal(byText['File']?.type, 'menu_bar_item');
  assert.equal(byText['Open']?.type, 'menu_item');
  assert.equal(byText['Save']?.type, 'menu_item');
  assert.equal(byText['Under the menu'], undefined, 'covered by the open menu');
  assert.equal(byText['Beside the menu'], undefined, 'under the dialog stacked above the frame');
  assert.equal(byText['Close']?.type, 'button');
  // the open menu's items stay although the dialog's rectangle overlaps them: a popup is drawn above every window
  assert.deepEqual(byText['Save']?.box, [0, 60, 200, 90]);
  assert.deepEqual(byText['report.odt'], { type: 'list_item', box: [300, 200, 700, 220], role: 'table cell', text: 'report.odt' });
});

test('elements: a grid of equal cells is not a list; a wide list with many columns of differing widths is', { skip: noPython }, () => {
  const cell = (t: string, i: number, x: number, w: number) =>
    ({ path: `0.${t}.${i}`, role: 'table cell', name: `c${i}`, states: ['showing', 'visible'], box: [x, 100, x + w, 120], window: 0, parent_role: 'table', ancestors: ['0', `0.${t}`], clips: [[0, 0, 1000, 600]] });
  const table = (t: string) => ({ path: `0.${t}`, role: 'table', name: '', states: ['showing', 'visible'], box: t === '1' ? [0, 90, 1000, 200] : [0, 250, 1000, 400], window: 0, parent_role: 'frame', ancestors: ['0'], clips: [[0, 0, 1000, 600]] });
  const grid = Array.from({ length: 12 }, (_, i) => cell('1', i, i * 50, 50));
  const wide = Array.from({ length: 10 }, (_, i) => cell('2', i, i * 90, 40 + (i % 3) * 30)).map((c) => ({ ...c, box: [c.box[0]!, 300, c.box[2]!, 320] }));
  const nodes = [{ path: '0', role: 'frame', name: '', states: ['showing', 'visible'], box: [0, 0, 1000, 600], window: 0, parent_role: '', ancestors: [], clips: [[0, 0, 1000, 600]] },
    table('1'), ...grid, table('2'), ...wide];
  const els = py([{ fn: 'elements', args: { wins: [{ index: 0, role: 'frame', box: [0, 0, 1000, 600] }], nodes, screen: [0, 0, 1000, 600] } }])[0] as { type: string; box: number[] }[];
  assert.deepEqual(els.map((e) => `${e.type} ${e.box.join(',')}`), ['list_item 0,300,850,320']);
  // the grid's cells are clickable and given as no element: the grid row is an ignore region (round 10)
  const withIgnore = py([{ fn: 'elements', args: { wins: [{ index: 0, role: 'frame', box: [0, 0, 1000, 600] }], nodes, screen: [0, 0, 1000, 600], with_ignore: true } }])[0] as { ignore: number[][] };
  assert.deepEqual(withIgnore.ignore, [[0, 100, 600, 120]]);
});

// Round 10 (docs/AUDIT-ATSPI.md): what the tree shows but does not give as elements becomes ignore regions of the
// screen — unexposed custom-drawn widgets (cut into strips around a menu over their middle), grids of cells, and
// controls covered too much to keep; a drawing area with children, or a closed expander's leftover, is none.
test('elements: ignore regions for unexposed widgets, grids and covered controls, cut around what lies above', { skip: noPython }, () => {
  const clips = [[0, 0, 1000, 600]];
  const n = (path: string, role: string, box: number[], ancestors: string[], parent_role: string, name = '', states = ['showing', 'visible']) =>
    ({ path, role, name, states, box, window: 0, parent_role, ancestors, clips });
  const nodes = [
    n('0', 'frame', [0, 0, 1000, 600], [], ''),
    n('0.0', 'menu bar', [0, 0, 1000, 30], ['0'], 'frame'),
    n('0.0.0', 'menu', [100, 0, 160, 30], ['0', '0.0'], 'menu bar', 'View'),
    n('0.0.0.0', 'menu item', [100, 30, 300, 60], ['0', '0.0', '0.0.0'], 'menu', 'Zoom'),
    // (inside a panel: overlapping direct children of a window would be taken for popovers)
    n('0.1', 'panel', [0, 30, 1000, 600], ['0'], 'frame'),
    n('0.1.1', 'drawing area', [0, 40, 400, 400], ['0', '0.1'], 'panel'), // the character grid: the menu lies over its top middle
    n('0.1.2', 'drawing area', [500, 40, 600, 140], ['0', '0.1'], 'panel'), // has a child: not unexposed
    n('0.1.2.0', 'push button', [510, 50, 590, 80], ['0', '0.1', '0.1.2'], 'drawing area', 'Pick'),
    n('0.1.3', 'drawing area', [700, 40, 710, 50], ['0', '0.1'], 'panel'), // 100 px²: a closed expander's leftover
    n('0.1.4', 'push button', [250, 40, 280, 70], ['0', '0.1'], 'panel', 'Mostly under the menu'),
    n('0.1.5', 'text', [600, 200, 900, 500], ['0', '0.1'], 'panel', '', ['showing', 'visible', 'editable', 'multi line']),
  ];
  const run = (with_ignore: boolean) => py([{ fn: 'elements', args: { wins: [{ index: 0, role: 'frame', box: [0, 0, 1000, 600] }], nodes, screen: [0, 0, 1000, 600], with_ignore } }])[0];
  const { elements, ignore } = run(true) as { elements: { type: string; text?: string; keep_flat?: boolean }[]; ignore: number[][] };
  assert.deepEqual(elements.map((e) => e.text ?? e.type).sort(), ['Pick', 'View', 'Zoom', 'text_input'].sort());
  assert.deepEqual(run(false), elements, 'the elements do not depend on asking for the regions');
  assert.equal(elements.find((e) => e.type === 'text_input')?.keep_flat, true, 'an editable multi-line text is kept even over flat pixels');
  const key = (b: number[]) => b.join(',');
  assert.deepEqual(ignore.map(key).sort(), [
    // the grid [0,40,400,400] minus the menu's items [100,30,300,60]: below the menu, then left and right of it
    '0,60,400,400', '0,40,100,60', '300,40,400,60',
    // the button [250,40,280,70] minus the menu: the strip below it (too little of it shows to keep it an element)
    '250,60,280,70',
  ].sort());
});

// Round 10: which window lies on top comes from the X server (capture.stacking) when every window matches one of
// its top-level windows; the old guess (dialogs over frames, later over earlier) stays the fallback.
test('elements: the X stacking order decides which window covers which; without a full match the guess does', { skip: noPython }, () => {
  const n = (path: string, role: string, box: number[], window: number, ancestors: string[], parent_role: string, name = '') =>
    ({ path, role, name, states: ['showing', 'visible'], box, window, parent_role, ancestors, clips: [[0, 0, 800, 600]] });
  // synaptic (docs/AUDIT-ATSPI.md): the Introduction dialog (window 1, later child) lies under Preferences (window 0)
  const nodes = [
    n('0', 'dialog', [0, 0, 500, 400], 0, [], ''), n('0.0', 'push button', [100, 100, 200, 130], 0, ['0'], 'dialog', 'Preferences OK'),
    n('1', 'dialog', [50, 50, 450, 350], 1, [], ''), n('1.0', 'check box', [120, 110, 300, 125], 1, ['1'], 'dialog', 'Show at start'),
  ];
  const wins = () => [{ index: 0, role: 'dialog', box: [0, 0, 500, 400] }, { index: 1, role: 'dialog', box: [50, 50, 450, 350] }];
  const text = (w: unknown) => (py([{ fn: 'match_and_elements', args: { wins: w, xwins: xw, nodes, screen: [0, 0, 800, 600] } }])[0] as { text?: string }[]).map((e) => e.text);
  let xw = [[50, 50, 450, 350], [0, 0, 500, 400]]; // bottom to top: Preferences on top
  assert.deepEqual(text(wins()), ['Preferences OK']);
  xw = [[0, 0, 500, 400]]; // the Introduction matches no X window: the guess puts the later dialog on top
  assert.deepEqual(text(wins()), ['Show at start']);
});

test('elements: with row_controls a switch inside a list row is an element beside the row; its parts are not', { skip: noPython }, () => {
  const n = (path: string, role: string, box: number[], ancestors: string[], parent_role: string, name = '') =>
    ({ path, role, name, states: ['showing', 'visible'], box, window: 0, parent_role, ancestors, clips: [[0, 0, 800, 600]] });
  const nodes = [
    n('0', 'frame', [0, 0, 800, 600], [], ''),
    n('0.0', 'list box', [0, 0, 800, 200], ['0'], 'frame'),
    n('0.0.0', 'list item', [0, 0, 800, 40], ['0', '0.0'], 'list box', 'Suspend when the lid is closed'),
    n('0.0.0.0', 'label', [10, 10, 300, 30], ['0', '0.0', '0.0.0'], 'list item', 'Suspend when the lid is closed'),
    n('0.0.0.1', 'switch', [700, 8, 760, 32], ['0', '0.0', '0.0.0'], 'list item'),
    n('0.0.0.2', 'spin button', [500, 8, 640, 32], ['0', '0.0', '0.0.0'], 'list item'),
    n('0.0.0.2.0', 'push button', [600, 8, 640, 32], ['0', '0.0', '0.0.0', '0.0.0.2'], 'spin button', '+'),
  ];
  const run = (row_controls: boolean) => (py([{ fn: 'elements', args: { wins: [{ index: 0, role: 'frame', box: [0, 0, 800, 600] }], nodes, screen: [0, 0, 800, 600], row_controls } }])[0] as
    { type: string; box: number[] }[]).map((e) => `${e.type} ${e.box.join(',')}`).sort();
  assert.deepEqual(run(false), ['list_item 0,0,800,40']);
  assert.deepEqual(run(true), ['list_item 0,0,800,40', 'spin_button 500,8,640,32', 'toggle 700,8,760,32']);
});

test('elements: LibreOffice drop-downs (a filler holding an unnamed toggle button) are one dropdown', { skip: noPython }, () => {
  const n = (path: string, role: string, box: number[], ancestors: string[], parent_role: string, name = '') =>
    ({ path, role, name, states: ['showing', 'visible', 'editable'], box, window: 0, parent_role, ancestors, clips: [[0, 0, 800, 600]] });
  const nodes = [
    n('0', 'dialog', [0, 0, 800, 600], [], ''),
    n('0.0', 'filler', [100, 50, 400, 84], ['0'], 'dialog'),
    n('0.0.0', 'toggle button', [100, 50, 400, 84], ['0', '0.0'], 'filler'),
    n('0.1', 'filler', [100, 100, 400, 134], ['0'], 'dialog'),
    n('0.1.0', 'text', [100, 100, 366, 134], ['0', '0.1'], 'filler'),
    n('0.1.1', 'toggle button', [366, 100, 400, 134], ['0', '0.1'], 'filler'),
    n('0.2', 'toggle button', [500, 50, 540, 84], ['0'], 'dialog', 'Bold'),
  ];
  const run = (welded: boolean) => (py([{ fn: 'elements', args: { wins: [{ index: 0, role: 'dialog', box: [0, 0, 800, 600] }], nodes, screen: [0, 0, 800, 600], welded } }])[0] as
    { type: string; box: number[] }[]).map((e) => `${e.type} ${e.box.join(',')}`).sort();
  assert.deepEqual(run(true), ['dropdown 100,100,400,134', 'dropdown 100,50,400,84', 'toggle 500,50,540,84']);
  assert.deepEqual(run(false), ['text_input 100,100,366,134', 'toggle 100,50,400,84', 'toggle 366,100,400,134', 'toggle 500,50,540,84'].sort());
});

// The fresh held-out set is written only by its own run: without --fresh the harvester leaves a fresh app out (and
// with --fresh every other app), before any program starts — no X display or bus is needed to see it refuse.
test('harvester: a fresh app is harvested only with --fresh, and --fresh harvests nothing else', { skip: noPython }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'fresh-guard-'));
  try {
    const appsFile = join(tmp, 'apps.json');
    writeFileSync(appsFile, JSON.stringify([{ app: 'pluma', toolkit: 'gtk3', description: 'd', split: 'fresh', fresh: '2026-12-06' },
      { app: 'zenity', toolkit: 'gtk3', description: 'd', split: 'train' }]));
    const run = (only: string, fresh: boolean) => spawnSync(PY, ['-m', 'atspi_harvest.harvest', '--out', join(tmp, 'out'), '--apps-file', appsFile, '--only', only, ...(fresh ? ['--fresh'] : [])],
      { cwd: nativeDir, encoding: 'utf8', env: { ...process.env, DISPLAY: ':987', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' }, timeout: 60_000 });
    const a = run('pluma', false);
    assert.equal(a.status, 1, a.stderr);
    assert.match(a.stderr, /pluma: split fresh, left out \(fresh apps need --fresh\)/);
    assert.match(a.stderr, /error\[no_screens\]/);
    const b = run('zenity', true);
    assert.equal(b.status, 1, b.stderr);
    assert.match(b.stderr, /zenity: split train, left out \(not fresh\)/);
    assert.equal(existsSync(join(tmp, 'out')), false, 'nothing written');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
