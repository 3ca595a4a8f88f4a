/** Small shared pieces of the pages: badges, tables, headed sections, error boxes. */
import { ApiError } from './api.js';
import { h, type Child } from './dom.js';
import { STATE_LABEL, stateTone } from './format.js';

export function badge(tone: 'ok' | 'busy' | 'warn' | 'bad' | 'off', text: string): HTMLElement {
  return h('span', { class: `badge badge-${tone}` }, text);
}

export function stateBadge(state: string): HTMLElement {
  return badge(stateTone(state), STATE_LABEL[state] ?? state);
}

export function section(id: string, title: string, ...children: Child[]): HTMLElement {
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/** A table with a caption and column headers; `rows` are arrays of cells. */
export function table(caption: string, columns: string[], rows: Child[][], opts: { empty?: string; id?: string } = {}): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, opts.empty ?? 'Nothing to show.');
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      opts.id ? { id: opts.id } : {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))),
    ),
  );
}

export function errorBox(e: unknown): HTMLElement {
  const code = e instanceof ApiError ? e.code : 'internal';
  const msg = e instanceof Error ? e.message : String(e);
  return h('p', { class: 'error', role: 'alert' }, h('code', {}, `error[${code}]`), ' ', msg);
}

export function link(href: string, text: string, title?: string): HTMLAnchorElement {
  return h('a', { href, ...(title ? { title } : {}) }, text);
}

/** Wave progress: one step per phase (done, current, to come), readable without colour. */
export function waveSteps(waves: number[], phase: number, state: string, shadowFirst = false): HTMLElement {
  const phases = [...(shadowFirst ? [{ label: 'shadow' }] : []), ...waves.map((w) => ({ label: `${w} %` }))];
  const terminal = ['completed', 'rolled_back', 'aborted', 'failed'].includes(state);
  return h(
    'ol',
    { class: 'waves', 'aria-label': `wave ${Math.max(phase + 1, 0)} of ${phases.length}` },
    phases.map((p, i) => {
      const st = state === 'completed' || i < phase ? 'done' : i === phase ? (terminal ? 'stopped' : 'current') : 'todo';
      const word = { done: 'passed', current: 'in progress', stopped: STATE_LABEL[state]?.toLowerCase() ?? state, todo: 'to come' }[st];
      return h('li', { class: `wave wave-${st}`, ...(st === 'current' ? { 'aria-current': 'step' } : {}) }, h('span', { class: 'wave-pct' }, p.label), h('span', { class: 'wave-word' }, word));
    }),
  );
}
