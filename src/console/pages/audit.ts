/**
 * The audit trail: every admin action with its actor, reason and rollout, filtered by time, actor,
 * rollout (on the server) and action (here). Filters live in the URL (#/audit?actor=alice) so a view
 * can be linked. New entries arrive live.
 */
import { apiGet, query } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime } from '../format.js';
import { throttle } from '../live.js';
import { errorBox, link, table } from '../widgets.js';
import type { Page } from './page.js';

interface Entry {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  reason?: string;
  rolloutId?: string;
  inputs?: Record<string, unknown>;
}

function filterField(id: string, label: string, value: string, hint: string): [HTMLElement, HTMLInputElement] {
  const input = h('input', { id, name: id.replace('audit-', ''), value, autocomplete: 'off', 'aria-describedby': `${id}-hint` });
  return [h('div', { class: 'field' }, h('label', { for: id }, label), input, h('p', { id: `${id}-hint`, class: 'hint' }, hint)), input];
}

export const auditPage: Page = async (ctx) => {
  const initial = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const [sinceF, since] = filterField('audit-since', 'Since', initial.get('since') ?? '7d', 'a duration such as 24h, or a date');
  const [actorF, actor] = filterField('audit-actor', 'Actor', initial.get('actor') ?? '', 'exact actor name');
  const [rolloutF, rollout] = filterField('audit-rollout', 'Rollout', initial.get('rollout') ?? '', 'rollout id');
  const [actionF, action] = filterField('audit-action', 'Action', initial.get('action') ?? '', 'e.g. rollout.approve (part of the name)');
  const out = h('div', { id: 'audit-body', 'aria-live': 'polite', 'aria-busy': 'true' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit trail' }, sinceF, actorF, rolloutF, actionF, h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter')));
  replace(ctx.root, h('h1', {}, 'Audit trail'), form, out);
  const load = async () => {
    try {
      const d = await apiGet<{ entries: Entry[] }>(`/api/v1/audit${query({ since: since.value.trim(), actor: actor.value.trim(), rollout: rollout.value.trim() })}`);
      const want = action.value.trim().toLowerCase();
      const rows = d.entries
        .filter((e) => !want || e.action.toLowerCase().includes(want))
        .reverse()
        .map((e) => [String(e.seq), dateTime(e.ts), e.actor, h('code', {}, e.action), e.rolloutId ? link(`#/rollouts/${encodeURIComponent(e.rolloutId)}`, e.rolloutId) : '—', e.reason ?? '—']);
      replace(out, table(`Audit entries, newest first (${rows.length})`, ['#', 'Time', 'Actor', 'Action', 'Rollout', 'Reason'], rows, { empty: 'No entry matches these filters.', id: 'audit-table' }));
    } catch (e) {
      replace(out, errorBox(e));
    }
    out.setAttribute('aria-busy', 'false');
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = query({ since: since.value.trim(), actor: actor.value.trim(), rollout: rollout.value.trim(), action: action.value.trim() });
    history.replaceState(null, '', `#/audit${q}`);
    void load();
  });
  await load();
  ctx.painted();
  const refresh = throttle(() => void load(), 500);
  return ctx.live.on('audit', refresh);
};
