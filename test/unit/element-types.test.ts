/**
 * The element type table and the click-point rule (src/common/element-types.ts; issue 15 §2), on hand-computed
 * boxes, and the bot-protocol schema that carries them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clickPoint, ELEMENT_TYPES, elementTypeInfo, pointInBox, uiaControlTypeOf, UNKNOWN_UIA_CONTROL_TYPE } from '../../src/common/element-types.js';
import { UiElementSchema, ElementMatchSchema } from '../../src/common/bot-protocol.js';

const ORIGINAL = ['button', 'icon_button', 'checkbox', 'radio', 'toggle', 'dropdown', 'text_input', 'link', 'tab', 'menu_item'];
const ADDED = ['menu_bar_item', 'list_item', 'tree_item', 'spin_button', 'slider', 'progress_bar', 'header_item'];

test('the table holds the 10 original types unchanged and the 7 added by issue 15, each once', () => {
  assert.deepEqual(ELEMENT_TYPES.map((t) => t.type), [...ORIGINAL, ...ADDED]);
  assert.deepEqual(ELEMENT_TYPES.filter((t) => !t.isNew).map((t) => t.type), ORIGINAL);
  assert.deepEqual(ELEMENT_TYPES.filter((t) => t.isNew).map((t) => t.type), ADDED);
});

test('every type maps to the UI Automation control type of the decision (BRIEF / issue 15)', () => {
  const expected: Record<string, string> = {
    button: 'Button', icon_button: 'Button', checkbox: 'CheckBox', radio: 'RadioButton', toggle: 'Button', dropdown: 'ComboBox',
    text_input: 'Edit', link: 'Hyperlink', tab: 'TabItem', menu_item: 'MenuItem', menu_bar_item: 'MenuItem', list_item: 'ListItem',
    tree_item: 'TreeItem', spin_button: 'Spinner', slider: 'Slider', progress_bar: 'ProgressBar', header_item: 'HeaderItem',
  };
  for (const t of ELEMENT_TYPES) assert.equal(t.uiaControlType, expected[t.type], t.type);
  assert.equal(uiaControlTypeOf('toggle'), 'Button');
  assert.equal(elementTypeInfo('toggle')?.uiaNote, 'with the Toggle pattern');
  // outside the table (a detector label when no classifier ran): UIA's Custom
  assert.equal(uiaControlTypeOf('element'), UNKNOWN_UIA_CONTROL_TYPE);
  assert.equal(UNKNOWN_UIA_CONTROL_TYPE, 'Custom');
});

test('click point: a check box or radio is clicked on its indicator, the square of side box-height at the left edge', () => {
  // check box with its label: 200 x 20 at (100, 50) → indicator square [100, 50, 120, 70], centre (110, 60)
  assert.deepEqual(clickPoint([100, 50, 300, 70], 'checkbox'), { x: 110, y: 60 });
  assert.deepEqual(clickPoint([10, 10, 90, 34], 'radio'), { x: 22, y: 22 });
  // indicator only (square box): the centre
  assert.deepEqual(clickPoint([0, 0, 16, 16], 'checkbox'), { x: 8, y: 8 });
  // narrower than tall: clamped inside the box (centre of the part of the square inside it)
  assert.deepEqual(clickPoint([0, 0, 10, 40], 'radio'), { x: 5, y: 20 });
});

test('click point: every other type is clicked at the box centre', () => {
  for (const t of ['button', 'toggle', 'text_input', 'list_item', 'slider', 'menu_bar_item', 'element']) {
    assert.deepEqual(clickPoint([100, 50, 300, 70], t), { x: 200, y: 60 }, t);
  }
});

test('click point lies inside its box for every type, on wide, tall and degenerate boxes', () => {
  const boxes: [number, number, number, number][] = [[3, 4, 200, 24], [3, 4, 9, 80], [5, 5, 5, 5], [0.5, 0.25, 1.5, 3.75]];
  for (const t of [...ELEMENT_TYPES.map((e) => e.type), 'element']) for (const b of boxes) assert.ok(pointInBox(clickPoint(b, t), b), `${t} ${JSON.stringify(b)}`);
  assert.equal(pointInBox({ x: 10, y: 10 }, [0, 0, 10, 10]), true);
  assert.equal(pointInBox({ x: 10.01, y: 5 }, [0, 0, 10, 10]), false);
  assert.equal(pointInBox({ x: 5, y: -0.01 }, [0, 0, 10, 10]), false);
});

test('the wire schema requires click and uiaControlType on elements and matches, and keeps the old fields as they were', () => {
  const old = { index: 0, box: [1, 2, 3, 4], score: 0.5, type: 'checkbox', typeScore: 0.9, label: 'checkbox_checked', checked: true };
  assert.equal(UiElementSchema.safeParse(old).success, false);
  const now = { ...old, click: { x: 2, y: 3 }, uiaControlType: 'CheckBox' };
  assert.deepEqual(UiElementSchema.parse(now), now);
  assert.equal(ElementMatchSchema.safeParse({ box: [1, 2, 3, 4], score: 0.5, by: ['type'] }).success, false);
  assert.equal(ElementMatchSchema.safeParse({ box: [1, 2, 3, 4], score: 0.5, click: { x: 2, y: 3 }, by: ['type'] }).success, true);
});

test('docs/BOT-API.md shows every type of the table with its UIA control type (the doc cannot drift from the code)', async () => {
  const { readFileSync } = await import('node:fs');
  const doc = readFileSync(new URL('../../docs/BOT-API.md', import.meta.url), 'utf8');
  for (const t of ELEMENT_TYPES) assert.match(doc, new RegExp(`^\\| \`${t.type}\` \\| ${t.uiaControlType} \\| .*\\| ${t.isNew ? 'issue 15' : 'v1'} \\|$`, 'm'), t.type);
});
