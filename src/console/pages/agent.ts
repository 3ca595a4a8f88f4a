/**
 * One agent: its status (online, channel, labels, alerts), each role's model and provider, its most
 * recent metrics windows and events. Live: the page reloads when this agent's status, a metrics
 * window or an event arrives.
 */
import { ApiError, apiGet } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime, ms, pct, shortId } from '../format.js';
import { throttle } from '../live.js';
import { badge, errorBox, section, table } from '../widgets.js';
import type { Page } from './page.js';

interface RoleStatus {
  state: string;
  modelId?: string;
  name?: string;
  version?: string;
  provider?: string;
  cohort?: string;
  rolloutId?: string;
  lastError?: { code: string; message: string };
}

interface AgentDetail {
  agent: { agentId: string; online: boolean; lastSeen: number; channel?: string; labels?: Record<string, string>; status: { agentVersion: string; platform?: string; releaseSeq?: number; roles: Record<string, RoleStatus | undefined>; alerts?: { code: string; message: string; since: string; role?: string }[] } };
  windows: { seq: number; epoch?: string; windowStart?: string; windowEnd?: string; ts?: string; roles: Record<string, { count: number; errors: number; latency: { p50?: number; p95?: number; p99?: number }; provider?: string; modelId?: string } | undefined> }[];
  events: { seq: number; ts: string; type: string; role?: string; message?: string; detail?: unknown }[];
}

export const agentPage: Page = async (ctx) => {
  const id = ctx.params[0] ?? '';
  const body = h('div', { id: 'agent-body', 'aria-busy': 'true' }, 'Loading…');
  replace(ctx.root, h('h1', {}, 'Agent ', h('code', {}, id)), body);
  const load = async () => {
    try {
      const d = await apiGet<AgentDetail>(`/api/v1/agents/${encodeURIComponent(id)}?windows=20&events=30`);
      const a = d.agent;
      const st = a.status;
      replace(
        body,
        h(
          'dl',
          { class: 'facts' },
          h('div', {}, h('dt', {}, 'State'), h('dd', { id: 'agent-online' }, a.online ? badge('ok', 'Online') : badge('off', 'Offline'))),
          h('div', {}, h('dt', {}, 'Channel'), h('dd', {}, a.channel ?? '—')),
          h('div', {}, h('dt', {}, 'Agent version'), h('dd', {}, st.agentVersion)),
          h('div', {}, h('dt', {}, 'Release seq'), h('dd', {}, st.releaseSeq !== undefined ? String(st.releaseSeq) : '—')),
          h('div', {}, h('dt', {}, 'Last seen'), h('dd', {}, dateTime(a.lastSeen))),
          h('div', {}, h('dt', {}, 'Labels'), h('dd', {}, a.labels && Object.keys(a.labels).length ? Object.entries(a.labels).map(([k, v]) => h('code', { class: 'label' }, `${k}=${v}`)) : '—')),
        ),
        st.alerts?.length ? section('alerts-h', 'Alerts', h('ul', {}, st.alerts.map((al) => h('li', {}, badge('warn', al.code), ' ', al.message, ` (since ${dateTime(al.since)})`)))) : null,
        section(
          'roles-h',
          'Models',
          table(
            'Models per role',
            ['Role', 'State', 'Model', 'Cohort', 'Provider', 'Last error'],
            Object.entries(st.roles)
              .filter(([, r]) => r)
              .map(([role, r]) => [role, r!.state, h('span', { title: r!.modelId ?? '' }, r!.name ? `${r!.name}@${r!.version ?? '?'}` : shortId(r!.modelId)), r!.cohort ?? 'stable', r!.provider ?? '—', r!.lastError ? `${r!.lastError.code}: ${r!.lastError.message}` : '—']),
          ),
        ),
        section(
          'windows-h',
          'Recent metrics windows',
          table(
            'Metrics windows, newest first',
            ['Seq', 'Window end', 'Role', 'Requests', 'Error rate', 'p95'],
            d.windows.flatMap((w) =>
              Object.entries(w.roles)
                .filter(([, m]) => m)
                .map(([role, m]) => [String(w.seq), dateTime(w.windowEnd ?? w.ts), role, String(m!.count), pct(m!.count ? m!.errors / m!.count : 0), ms(m!.latency.p95)]),
            ),
            { empty: 'No metrics window received yet.', id: 'agent-windows' },
          ),
        ),
        section(
          'events-h',
          'Recent events',
          table('Events, newest first', ['Time', 'Event', 'Role', 'Details'], d.events.map((e) => [dateTime(e.ts), e.type.replace(/_/g, ' '), e.role ?? '—', e.message ?? (e.detail ? JSON.stringify(e.detail) : '')]), { empty: 'No event yet.' }),
        ),
      );
    } catch (e) {
      replace(body, e instanceof ApiError && e.status === 404 ? h('p', { class: 'error', role: 'alert' }, `No agent ${id} has reported.`) : errorBox(e));
    }
    body.setAttribute('aria-busy', 'false');
  };
  await load();
  ctx.painted();
  const reload = throttle(() => void load(), 250);
  // batch events name the agents (a truncated list may omit this one: reload anyway)
  const mine = (e: { data: unknown }) => {
    const d = e.data as { agentIds?: string[]; truncated?: boolean };
    if (d.truncated || d.agentIds?.includes(id)) reload();
  };
  const offs = [ctx.live.on('metrics', mine), ctx.live.on('agent', mine), ctx.live.on('event', mine)];
  return () => offs.forEach((off) => off());
};
