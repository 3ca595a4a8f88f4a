/**
 * Fleet overview: agents online and offline, per channel its release and the versions running per
 * role, providers, agent versions and labels; a search that finds an agent by id. Refreshed live
 * (at most once a second) when statuses or metrics arrive.
 */
import { apiGet, query } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime, shortId } from '../format.js';
import { throttle } from '../live.js';
import type { AgentSummary, FleetOverview } from '../types.js';
import { badge, errorBox, link, section, table } from '../widgets.js';
import type { Page } from './page.js';

function overviewView(o: FleetOverview): HTMLElement {
  const channelRows = o.channels.map((c) => [
    h('strong', {}, c.channel),
    `${c.online} of ${c.agents}`,
    c.releaseSeq !== undefined ? String(c.releaseSeq) : '—',
    h(
      'ul',
      { class: 'plain' },
      c.roles.map((r) =>
        h(
          'li',
          {},
          `${r.role}: `,
          h('span', { title: r.stable ?? '' }, r.stableName ?? shortId(r.stable)),
          r.candidate ? [' · candidate ', h('span', { title: r.candidate }, shortId(r.candidate)), ` at ${r.candidatePercent ?? 0} %`] : '',
        ),
      ),
    ),
  ]);
  return h(
    'div',
    { id: 'fleet-data' },
    h(
      'dl',
      { class: 'stats', 'aria-label': 'Agents' },
      h('div', {}, h('dt', {}, 'Agents'), h('dd', { id: 'agents-total' }, String(o.agents.total))),
      h('div', {}, h('dt', {}, badge('ok', 'Online')), h('dd', { id: 'agents-online' }, String(o.agents.online))),
      h('div', {}, h('dt', {}, badge('off', 'Offline')), h('dd', { id: 'agents-offline' }, String(o.agents.offline))),
    ),
    h('p', { class: 'muted' }, `As of ${dateTime(o.generatedAt)}`),
    section('channels-h', 'Channels', table('Channels: agents online, release and models per role', ['Channel', 'Online', 'Release seq', 'Models'], channelRows, { empty: 'No channel has reported yet.' })),
    section(
      'versions-h',
      'Model versions',
      table(
        'Online agents per channel, role and model version',
        ['Channel', 'Role', 'Model', 'Cohort', 'Agents'],
        o.versions.map((v) => [v.channel, v.role, h('span', { title: v.modelId }, v.name ? `${v.name}@${v.version ?? '?'}` : shortId(v.modelId)), v.cohort ?? 'stable', String(v.agents)]),
        { empty: 'No online agent reports a model.' },
      ),
    ),
    h(
      'div',
      { class: 'columns' },
      section('providers-h', 'Providers', table('Online agents per role and execution provider', ['Role', 'Provider', 'Agents'], o.providers.map((p) => [p.role, p.provider, String(p.agents)]))),
      section('agentver-h', 'Agent versions', table('Agents per agent version', ['Version', 'Agents'], o.agentVersions.map((v) => [v.version, String(v.agents)]))),
      section('labels-h', 'Labels', table('Agents per label', ['Label', 'Agents'], o.labels.map((l) => [h('code', {}, `${l.key}=${l.value}`), String(l.agents)]), { empty: 'No agent reports labels.' })),
    ),
  );
}

function agentList(list: AgentSummary[]): HTMLElement {
  return table(
    'Agents found',
    ['Agent', 'State', 'Channel', 'Agent version', 'Last seen'],
    list.map((a) => [link(`#/agents/${encodeURIComponent(a.agentId)}`, a.agentId), a.online ? badge('ok', 'Online') : badge('off', 'Offline'), a.channel ?? '—', a.agentVersion ?? '—', dateTime(a.lastSeen)]),
    { empty: 'No agent matches.' },
  );
}

export const fleetPage: Page = async (ctx) => {
  const data = h('div', { 'aria-busy': 'true' }, h('p', {}, 'Loading the fleet…'));
  const results = h('div', { id: 'agent-results', 'aria-live': 'polite' });
  const search = h('input', { id: 'agent-q', type: 'search', name: 'q', autocomplete: 'off', 'aria-describedby': 'agent-q-hint' });
  const onlyOffline = h('input', { id: 'agent-offline', type: 'checkbox', name: 'offline' });
  const form = h(
    'form',
    { class: 'search', role: 'search' },
    h('label', { for: 'agent-q' }, 'Find agents'),
    search,
    h('label', { class: 'check' }, onlyOffline, ' offline only'),
    h('button', { type: 'submit' }, 'Search'),
    h('p', { id: 'agent-q-hint', class: 'hint' }, 'Part of an agent id, or a label such as site=berlin.'),
  );
  const find = async () => {
    try {
      const list = await apiGet<{ agents: AgentSummary[] }>(`/api/v1/fleet/agents${query({ q: search.value.trim(), online: onlyOffline.checked ? 'false' : undefined, limit: 50 })}`);
      replace(results, agentList(list.agents));
    } catch (e) {
      replace(results, errorBox(e));
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void find();
  });
  replace(ctx.root, h('h1', {}, 'Fleet'), data, section('find-h', 'Agents', form, results));
  const load = async (first: boolean) => {
    try {
      const o = await apiGet<FleetOverview>('/api/v1/fleet/overview');
      replace(data, overviewView(o));
      data.setAttribute('aria-busy', 'false');
      if (first) ctx.painted();
    } catch (e) {
      replace(data, errorBox(e));
      if (first) ctx.painted();
    }
  };
  await load(true);
  const refresh = throttle(() => void load(false), 1000);
  const offs = [ctx.live.on('agent', refresh), ctx.live.on('metrics', refresh), ctx.live.on('release', refresh)];
  return () => offs.forEach((off) => off());
};
