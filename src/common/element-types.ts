/**
 * The element type set and how it maps to UI Automation (issue 15 §2; docs/BOT-API.md "Element types").
 * A bot mixes our answers with UI Automation selectors, so every type names the UIA control type it is, and
 * every element carries a click point computed from its box and type by one rule. This is the ONE table:
 * the pipeline, the bot protocol, the evaluation and the docs read it from here.
 * Environment-free (no node:* imports).
 */
import type { Box } from './geometry.js';

export interface ElementTypeInfo {
  /** the type string bots see in `type` */
  type: string;
  /** UI Automation control type name (UIA_*ControlTypeId without the prefix and suffix) */
  uiaControlType: string;
  /** what distinguishes it in UIA when the control type alone does not (a pattern, a parent) */
  uiaNote?: string;
  /** false: one of the 10 types bots have always seen; true: added by issue 15 */
  isNew: boolean;
  /** where a bot should click: the indicator square (check box, radio) or the box centre */
  click: 'indicator' | 'centre';
}

/** Every element type, the 10 original ones first (their strings never change: existing bots match on them). */
export const ELEMENT_TYPES: readonly ElementTypeInfo[] = [
  { type: 'button', uiaControlType: 'Button', isNew: false, click: 'centre' },
  { type: 'icon_button', uiaControlType: 'Button', uiaNote: 'a button drawn as an icon only', isNew: false, click: 'centre' },
  { type: 'checkbox', uiaControlType: 'CheckBox', uiaNote: 'box = indicator together with its label', isNew: false, click: 'indicator' },
  { type: 'radio', uiaControlType: 'RadioButton', uiaNote: 'box = indicator together with its label', isNew: false, click: 'indicator' },
  { type: 'toggle', uiaControlType: 'Button', uiaNote: 'with the Toggle pattern', isNew: false, click: 'centre' },
  { type: 'dropdown', uiaControlType: 'ComboBox', isNew: false, click: 'centre' },
  { type: 'text_input', uiaControlType: 'Edit', isNew: false, click: 'centre' },
  { type: 'link', uiaControlType: 'Hyperlink', isNew: false, click: 'centre' },
  { type: 'tab', uiaControlType: 'TabItem', isNew: false, click: 'centre' },
  { type: 'menu_item', uiaControlType: 'MenuItem', uiaNote: 'in an open Menu', isNew: false, click: 'centre' },
  { type: 'menu_bar_item', uiaControlType: 'MenuItem', uiaNote: 'in a MenuBar', isNew: true, click: 'centre' },
  { type: 'list_item', uiaControlType: 'ListItem', uiaNote: 'box = the visible part of the row', isNew: true, click: 'centre' },
  { type: 'tree_item', uiaControlType: 'TreeItem', uiaNote: 'box = the visible part of the row', isNew: true, click: 'centre' },
  { type: 'spin_button', uiaControlType: 'Spinner', isNew: true, click: 'centre' },
  { type: 'slider', uiaControlType: 'Slider', isNew: true, click: 'centre' },
  { type: 'progress_bar', uiaControlType: 'ProgressBar', isNew: true, click: 'centre' },
  { type: 'header_item', uiaControlType: 'HeaderItem', uiaNote: 'a column header of a table or list', isNew: true, click: 'centre' },
];

/** UIA's control type for anything outside the table (e.g. the detector's own label when no classifier ran). */
export const UNKNOWN_UIA_CONTROL_TYPE = 'Custom';

const BY_TYPE: ReadonlyMap<string, ElementTypeInfo> = new Map(ELEMENT_TYPES.map((t) => [t.type, t]));

export function elementTypeInfo(type: string): ElementTypeInfo | undefined {
  return BY_TYPE.get(type);
}

export function uiaControlTypeOf(type: string): string {
  return BY_TYPE.get(type)?.uiaControlType ?? UNKNOWN_UIA_CONTROL_TYPE;
}

export interface Point {
  x: number;
  y: number;
}

/**
 * The click point rule (issue 15 decision): a check box or radio is boxed with its label, so a bot clicks its
 * indicator — the centre of the square of side box-height at the box's left edge, clamped inside the box (a box
 * narrower than tall: the centre of the part of that square inside it); every other type: the box centre.
 * Same coordinates as the box (screen pixels for bots).
 */
export function clickPoint(box: Box, type: string): Point {
  const [x1, y1, x2, y2] = box;
  const cy = (y1 + y2) / 2;
  if (BY_TYPE.get(type)?.click === 'indicator') {
    const h = Math.max(0, y2 - y1);
    const w = Math.max(0, x2 - x1);
    return { x: x1 + Math.min(h, w) / 2, y: cy };
  }
  return { x: (x1 + x2) / 2, y: cy };
}

/** Whether `p` lies inside `box` (edges included): the evaluation's click-hit test. */
export function pointInBox(p: Point, box: Box): boolean {
  return p.x >= box[0] && p.x <= box[2] && p.y >= box[1] && p.y <= box[3];
}
