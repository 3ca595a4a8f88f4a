/**
 * One rollout: its waves, what the current wave waits for, the gate evidence drawn over time, the
 * actions its state allows (approve, pause, resume, abort — each confirmed with a reason), the end
 * (completed, or rolled back with the breach that caused it) and its log. Live: rollout events
 * reload it; metrics windows redraw the evidence at most every two seconds.
 */
import { ApiError, apiGet, apiPost } from '../api.js';
import { evidenceCharts } from '../chart.js';
import { confirmWithReason } from '../dialog.js';
import { h, replace } from '../dom.js';
import { dateTime, ms, pct, shortId } from '../format.js';
import { throttle } from '../live.js';
import type { EvidenceSeries, Rollout, RolloutLogRow } from '../types.js';
import { errorBox, section, stateBadge, table, waveSteps } from '../widgets.js';
import { may, type Page, type PageContext } from './page.js';

type Action = 'approve' | 'pause' | 'resume' | 'abort';

const ACTIONS: { action: Action; label: string; from: string[]; needs: 'operator' | 'approver'; danger?: boolean; body: string }[] = [
  { action: 'approve', label: 'Approve wave', from: ['awaiting_approval'], needs: 'approver', body: 'The next wave will be published to more agents.' },
  { action: 'pause', label: 'Pause', from: ['running', 'awaiting_approval'], needs: 'operator', body: 'The wave holds where it is; a breach still rolls back.' },
  { action: 'resume', label: 'Resume', from: ['paused'], needs: 'operator', body: 'The rollout continues judging its wave.' },
  { action: 'abort', label: 'Abort and roll back', from: ['pending', 'running', 'awaiting_approval', 'paused'], needs: 'operator', danger: true, body: 'Every agent returns to the stable model.' },
];

interface Verdictish {
  kind?: string;
  code?: string;
  reasons?: string[];
  summary?: { canary?: { agents: number; count: number; errorRate: number; p95: number }; stable?: { count: number; errorRate: number; p95: number }; activated?: number; expectedCanary?: number };
}

function outcome(r: Rollout): HTMLElement | null {
  const res = r.result ?? {};
  if (r.state === 'rolled_back') {
    const v = res.verdict as Verdictish | undefined;
    return h(
      'div',
      { class: 'callout callout-bad', id: 'rollback-reason', role: 'status' },
      h('h2', {}, 'Rolled back automatically'),
      h('p', {}, `Breach: ${v?.code ?? (res as { verdict?: { breach?: string } }).verdict?.breach ?? 'gate'} at ${dateTime(res.rolledBackAt as number)}`),
      h('ul', {}, (v?.reasons ?? []).map((x) => h('li', {}, x))),
      res.confirmedAt ? h('p', {}, `Every agent back on stable ${dateTime(res.confirmedAt as number)} (${Math.round(Number(res.confirmMs ?? 0) / 1000)} s after the rollback release).`) : h('p', {}, 'Waiting for every canary agent to report the stable model.'),
    );
  }
  if (r.state === 'aborted' || r.state === 'failed') return h('div', { class: 'callout callout-warn', role: 'status' }, h('h2', {}, r.state === 'aborted' ? 'Aborted' : 'Failed'), h('p', {}, String(res.reason ?? '')));
  if (r.state === 'completed') return h('div', { class: 'callout callout-ok', role: 'status' }, h('h2', {}, 'Completed'), h('p', {}, `The candidate is stable on ${r.spec.channel} since ${dateTime(res.completedAt as number)}.`));
  const latest = res.latest as Verdictish | undefined;
  if (!latest) return null;
  const s = latest.summary;
  return h(
    'div',
    { class: 'callout', id: 'wave-latest' },
    h('h2', {}, latest.kind === 'pass' ? 'Wave passed' : `Wave holds${latest.code ? ` (${latest.code.replace(/_/g, ' ')})` : ''}`),
    h('ul', {}, (latest.reasons ?? []).map((x) => h('li', {}, x))),
    s?.canary
      ? h('p', { class: 'muted' }, `Canary: ${s.canary.agents} agents (${s.activated ?? 0} of ${s.expectedCanary ?? 0} activated), ${s.canary.count} requests, error rate ${pct(s.canary.errorRate)}, p95 ${ms(s.canary.p95)}; stable: ${s.stable?.count ?? 0} requests, ${pct(s.stable?.errorRate)}, p95 ${ms(s.stable?.p95)}.`)
      : null,
  );
}

function actionsView(ctx: PageContext, r: Rollout, reload: () => void): HTMLElement {
  const out = h('div', { id: 'action-result', 'aria-live': 'polite' });
  const buttons = ACTIONS.filter((a) => a.from.includes(r.state)).map((a) => {
    const allowed = may(ctx.me, a.needs);
    const b = h('button', { type: 'button', id: `act-${a.action}`, class: a.danger ? 'danger' : a.action === 'approve' ? 'primary' : '' }, a.label);
    if (!allowed) {
      b.disabled = true;
      b.title = `needs the ${a.needs} role (you are ${ctx.me.role})`;
    }
    b.addEventListener('click', async () => {
      const reason = await confirmWithReason({ title: `${a.label}: ${r.id}?`, body: `${a.body} Channel ${r.spec.channel}, role ${r.spec.role}.`, confirmLabel: a.label, ...(a.danger ? { danger: true } : {}) });
      if (reason === undefined) return;
      try {
        await apiPost(`/api/v1/rollouts/${encodeURIComponent(r.id)}/${a.action}`, { reason });
        replace(out, h('p', { role: 'status' }, `${a.label}: done.`));
        ctx.announce(`${a.label} recorded`);
        reload();
      } catch (e) {
        replace(out, errorBox(e));
      }
    });
    return b;
  });
  const note = ACTIONS.some((a) => a.from.includes(r.state) && !may(ctx.me, a.needs)) ? h('p', { class: 'hint' }, `Signed in as ${ctx.me.name} (${ctx.me.role}): disabled actions need another role.`) : null;
  return buttons.length ? h('div', { class: 'actions', role: 'group', 'aria-label': 'Rollout actions' }, buttons, note, out) : out;
}

function logView(log: RolloutLogRow[]): HTMLElement {
  const rows = [...log].reverse().slice(0, 200).map((l) => {
    const d = l.data as { reasons?: string[]; verdict?: string | { reasons?: string[] }; percent?: number; phase?: number; reason?: string };
    const reasons = Array.isArray(d.reasons) ? d.reasons : typeof d.verdict === 'object' && d.verdict?.reasons ? d.verdict.reasons : d.reason ? [d.reason] : [];
    return [dateTime(l.ts), l.kind.replace(/_/g, ' '), d.percent !== undefined ? `${d.percent} %` : d.phase !== undefined ? `phase ${d.phase}` : '', reasons.join('; ')];
  });
  return table('Rollout log, newest first', ['Time', 'What', 'Wave', 'Details'], rows, { empty: 'No log entries yet.' });
}

export const rolloutPage: Page = async (ctx) => {
  const id = ctx.params[0] ?? '';
  const head = h('div', { id: 'rollout-head', tabindex: -1 });
  const chart = h('div', { id: 'evidence', 'aria-busy': 'true' }, 'Loading evidence…');
  const log = h('div', { id: 'rollout-log' });
  replace(ctx.root, h('h1', {}, 'Rollout ', h('code', {}, id)), head, section('evidence-h', 'Gate evidence', chart), section('log-h', 'Log', log));
  let state = '';
  const loadEvidence = async () => {
    try {
      const s = await apiGet<EvidenceSeries>(`/api/v1/rollouts/${encodeURIComponent(id)}/series`);
      replace(chart, evidenceCharts(s));
    } catch (e) {
      replace(chart, errorBox(e));
    }
    chart.setAttribute('aria-busy', 'false');
  };
  const load = async () => {
    try {
      const d = await apiGet<{ rollout: Rollout; log: RolloutLogRow[] }>(`/api/v1/rollouts/${encodeURIComponent(id)}`);
      const r = d.rollout;
      if (state && state !== r.state) ctx.announce(`Rollout ${id} is now ${r.state.replace(/_/g, ' ')}`);
      state = r.state;
      // a live reload must not drop keyboard focus: keep it on the same control, else on the head
      const focused = head.contains(document.activeElement) ? document.activeElement?.id : undefined;
      replace(
        head,
        h(
          'dl',
          { class: 'facts' },
          h('div', {}, h('dt', {}, 'State'), h('dd', { id: 'rollout-state', 'data-state': r.state }, stateBadge(r.state))),
          h('div', {}, h('dt', {}, 'Channel / role'), h('dd', {}, `${r.spec.channel} / ${r.spec.role}`)),
          h('div', {}, h('dt', {}, 'Candidate'), h('dd', { title: r.spec.candidate }, shortId(r.spec.candidate))),
          h('div', {}, h('dt', {}, 'Stable'), h('dd', { title: r.spec.stable }, shortId(r.spec.stable))),
          r.spec.selector ? h('div', {}, h('dt', {}, 'Selector'), h('dd', {}, h('code', {}, r.spec.selector))) : null,
          h('div', {}, h('dt', {}, 'Gates'), h('dd', {}, `error rate ≤ ${pct(r.spec.maxErrorRate)}, p95 ≤ ${ms(r.spec.maxP95Ms)}`)),
          h('div', {}, h('dt', {}, 'Started'), h('dd', {}, dateTime(r.createdAt))),
        ),
        h('div', { id: 'rollout-waves' }, waveSteps(r.spec.waves, r.phase, r.state, r.spec.shadowFirst)),
        outcome(r),
        actionsView(ctx, r, () => void load()),
      );
      if (focused !== undefined) (document.getElementById(focused) ?? head).focus();
      replace(log, logView(d.log ?? []));
    } catch (e) {
      replace(head, e instanceof ApiError && e.status === 404 ? h('p', { class: 'error', role: 'alert' }, `No rollout ${id}.`) : errorBox(e));
    }
  };
  await Promise.all([load(), loadEvidence()]);
  ctx.painted();
  const reload = throttle(() => void load(), 300);
  const redraw = throttle(() => void loadEvidence(), 2000);
  const offs = [
    ctx.live.on('rollout', (e) => {
      if ((e.data as { id?: string }).id === id) (reload(), redraw());
    }),
    ctx.live.on('metrics', redraw),
  ];
  return () => offs.forEach((off) => off());
};
