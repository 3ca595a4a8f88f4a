/**
 * Rollouts: every rollout with its state and wave progress, newest first, and (operators and
 * approvers) the form that starts one. The body is validated again by the server with the CLI's
 * schema; its coded error is shown next to the form.
 */
import { apiGet, apiPost } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime, shortId } from '../format.js';
import { throttle } from '../live.js';
import type { Rollout } from '../types.js';
import { errorBox, link, section, stateBadge, table, waveSteps } from '../widgets.js';
import { may, type Page } from './page.js';

function field(id: string, label: string, input: HTMLElement, hint?: string): HTMLElement {
  if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { id: `${id}-hint`, class: 'hint' }, hint) : null);
}

function numberOrUndefined(v: string, scale = 1): number | undefined {
  const t = v.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n * scale : Number.NaN;
}

function startForm(onStarted: (id: string) => void): HTMLElement {
  const channel = h('input', { id: 'ro-channel', name: 'channel', required: true, autocomplete: 'off' });
  const role = h('select', { id: 'ro-role', name: 'role' }, ['detector', 'classifier', 'similarity'].map((r) => h('option', { value: r }, r)));
  const candidate = h('input', { id: 'ro-candidate', name: 'candidate', required: true, autocomplete: 'off' });
  const waves = h('input', { id: 'ro-waves', name: 'waves', placeholder: '1,5,25,50,100', autocomplete: 'off' });
  const approveEach = h('input', { id: 'ro-approve', type: 'checkbox', name: 'approveEachWave' });
  const minDur = h('input', { id: 'ro-min-dur', name: 'waveMinDuration', inputmode: 'decimal', autocomplete: 'off' });
  const minAgents = h('input', { id: 'ro-min-agents', name: 'minAgents', inputmode: 'numeric', autocomplete: 'off' });
  const minReq = h('input', { id: 'ro-min-req', name: 'minRequests', inputmode: 'numeric', autocomplete: 'off' });
  const maxErr = h('input', { id: 'ro-max-err', name: 'maxErrorRate', inputmode: 'decimal', autocomplete: 'off' });
  const maxP95 = h('input', { id: 'ro-max-p95', name: 'maxP95Ms', inputmode: 'decimal', autocomplete: 'off' });
  const reason = h('input', { id: 'ro-reason', name: 'reason', required: true, autocomplete: 'off' });
  const out = h('div', { id: 'ro-start-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { id: 'rollout-start', class: 'form-grid', 'aria-labelledby': 'start-h' },
    field('ro-channel', 'Channel', channel),
    field('ro-role', 'Role', role),
    field('ro-candidate', 'Candidate model', candidate, 'name@version, name@latest or a 64-hex model id'),
    field('ro-waves', 'Waves (%)', waves, 'ascending, ending at 100; empty: 1,5,25,50,100'),
    h('div', { class: 'field check' }, h('label', {}, approveEach, ' wait for approval after each wave')),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Evidence (empty: the defaults)'),
      field('ro-min-dur', 'Minimum wave duration (s)', minDur),
      field('ro-min-agents', 'Minimum canary agents', minAgents),
      field('ro-min-req', 'Minimum canary requests', minReq),
      field('ro-max-err', 'Maximum error rate (%)', maxErr),
      field('ro-max-p95', 'Maximum p95 (ms)', maxP95),
    ),
    field('ro-reason', 'Reason', reason, 'recorded in the audit trail'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Start rollout')),
    out,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body: Record<string, unknown> = { channel: channel.value.trim(), role: role.value, candidate: candidate.value.trim(), reason: reason.value.trim() };
    if (waves.value.trim()) body.waves = waves.value.split(',').map((w) => Number(w.trim()));
    if (approveEach.checked) body.approveEachWave = true;
    const opt: [string, number | undefined][] = [
      ['waveMinDurationMs', numberOrUndefined(minDur.value, 1000)],
      ['minAgents', numberOrUndefined(minAgents.value)],
      ['minRequests', numberOrUndefined(minReq.value)],
      ['maxErrorRate', numberOrUndefined(maxErr.value, 0.01)],
      ['maxP95Ms', numberOrUndefined(maxP95.value)],
    ];
    for (const [k, v] of opt) if (v !== undefined) body[k] = v;
    apiPost<{ id?: string; rollout?: { id: string } }>('/api/v1/rollouts', body).then(
      (r) => {
        const id = r.rollout?.id ?? r.id ?? '';
        replace(out, h('p', { role: 'status' }, 'Started ', link(`#/rollouts/${encodeURIComponent(id)}`, id), '.'));
        onStarted(id);
      },
      (err) => replace(out, errorBox(err)),
    );
  });
  return form;
}

function listView(rollouts: Rollout[]): HTMLElement {
  const rows = [...rollouts]
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((r) => [
      link(`#/rollouts/${encodeURIComponent(r.id)}`, r.id),
      `${r.spec.channel} / ${r.spec.role}`,
      h('span', { title: r.spec.candidate }, shortId(r.spec.candidate)),
      stateBadge(r.state),
      waveSteps(r.spec.waves, r.phase, r.state, r.spec.shadowFirst),
      dateTime(r.createdAt),
    ]);
  return table('Rollouts, newest first', ['Rollout', 'Channel / role', 'Candidate', 'State', 'Waves', 'Started'], rows, { empty: 'No rollout yet.', id: 'rollouts-table' });
}

export const rolloutsPage: Page = async (ctx) => {
  const list = h('div', { id: 'rollouts-list', 'aria-busy': 'true' }, 'Loading rollouts…');
  const load = async () => {
    try {
      const r = await apiGet<{ rollouts: Rollout[] }>('/api/v1/rollouts');
      replace(list, listView(r.rollouts));
    } catch (e) {
      replace(list, errorBox(e));
    }
    list.setAttribute('aria-busy', 'false');
  };
  const canStart = may(ctx.me, 'operator');
  replace(
    ctx.root,
    h('h1', {}, 'Rollouts'),
    section('list-h', 'All rollouts', list),
    canStart
      ? section('start-h', 'Start a rollout', startForm((id) => ctx.announce(`Rollout ${id} started`)))
      : section('start-h', 'Start a rollout', h('p', { class: 'muted' }, `Your role (${ctx.me.role}) may view rollouts but not start them.`)),
  );
  await load();
  ctx.painted();
  const refresh = throttle(() => void load(), 500);
  const off = ctx.live.on('rollout', refresh);
  return off;
};
