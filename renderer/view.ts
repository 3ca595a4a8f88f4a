/**
 * Renders one StatusSnapshot into the page. Static controls (header buttons) are updated in place so
 * keyboard focus survives a refresh; the model cards, connections and events are rebuilt each time.
 * Text only through textContent (never innerHTML): event messages come from the network.
 */
import type { RoleView, StatusSnapshot } from '../src/common/bridge.js';
import { describeEvent, isProblemEvent, plainReason, roleName } from '../src/common/plain-words.js';
import { trayViewOf } from '../src/common/tray-state.js';
import { chartSvg } from './chart.js';
import { ms, percent, providerLabel, ROLE_STATE_LABEL, time, timeWithSeconds, TRAY_STATE_LABEL } from './format.js';

type Child = Node | string | null | undefined | false;

export function h(doc: Document, tag: string, attrs: Record<string, string | boolean | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c) el.append(c);
  return el;
}

function byId<T extends HTMLElement>(doc: Document, id: string): T {
  const el = doc.getElementById(id);
  if (!el) throw new Error(`status window: #${id} missing from index.html`);
  return el as T;
}

function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

function facts(doc: Document, rows: Array<[string, Child]>): HTMLElement {
  const dl = h(doc, 'dl', { class: 'facts' });
  for (const [k, v] of rows) dl.append(h(doc, 'dt', {}, k), h(doc, 'dd', {}, v ?? '—'));
  return dl;
}

function badge(doc: Document, cls: string, text: string): HTMLElement {
  return h(doc, 'span', { class: `badge s-${cls}` }, text);
}

function roleCard(doc: Document, s: StatusSnapshot, r: RoleView): HTMLElement {
  const st = r.status;
  const id = `role-${r.role}`;
  // A candidate that is active is still under its guard: say so rather than plain "Active".
  const stateLabel = st.state === 'active' && st.cohort === 'candidate' ? 'Active (on trial)' : ROLE_STATE_LABEL[st.state];
  const head = h(doc, 'div', { class: 'card-head' }, h(doc, 'h3', { id: `${id}-h` }, roleName(r.role)), badge(doc, st.state, stateLabel));
  if (r.canary) head.append(badge(doc, 'canary', st.cohort === 'shadow' ? 'Canary (shadow)' : 'Canary'));
  if (r.providerFallback) head.append(badge(doc, 'fallback', 'CPU fallback'));
  const card = h(doc, 'article', { class: 'card', id, 'aria-labelledby': `${id}-h`, 'data-state': st.state }, head);
  card.append(
    facts(doc, [
      ['Model', st.name ?? (st.modelId ? h(doc, 'span', { class: 'mono' }, st.modelId.slice(0, 12)) : 'none')],
      ['Version', st.version],
      ['Channel', s.agent.channel],
      ['Canary cohort', r.canary ? `Yes${st.rolloutId ? ` (rollout ${st.rolloutId})` : ''}` : 'No'],
      ['Provider', `${providerLabel(st.provider)}${r.providerFallback ? ' — fallback' : ''}`],
      ['Latency', `p50 ${ms(r.latency.p50)} · p95 ${ms(r.latency.p95)}`],
    ]),
  );
  const p = st.pending;
  if (p && (st.state === 'fetching' || st.state === 'verifying' || st.state === 'loading' || st.state === 'self_test')) {
    const what = `${p.name ?? 'new model'}${p.version ? ` ${p.version}` : ''}`;
    const verb = st.state === 'fetching' ? 'Fetching' : st.state === 'verifying' ? 'Verifying' : st.state === 'loading' ? 'Loading' : 'Self-testing';
    const pid = `${id}-progress`;
    const bar = h(doc, 'progress', { id: pid, max: '1', value: String(st.state === 'fetching' ? p.progress : 1), 'aria-valuetext': st.state === 'fetching' ? percent(p.progress) : verb });
    card.append(h(doc, 'div', { class: 'progress' }, h(doc, 'label', { for: pid }, `${verb} ${what}`), bar, h(doc, 'span', {}, st.state === 'fetching' ? percent(p.progress) : '')));
  }
  const rb = st.state === 'rolled_back' && (r.rollback?.code || r.rollback?.message) ? r.rollback : undefined;
  const problem = rb ?? st.lastError;
  if (problem || st.state === 'rolled_back') {
    const prefix = st.state === 'rolled_back' ? 'Rolled back: ' : st.state === 'failed' ? 'Failed: ' : 'Update refused: ';
    const text = problem ? plainReason(problem.code, problem.message) : 'The previous model is back.';
    card.append(h(doc, 'p', { class: `reason${st.state === 'failed' ? ' bad' : ''}`, 'data-reason': problem?.code }, prefix + text));
  }
  const series = r.latency.series;
  if (series.length >= 2) {
    const label = `${roleName(r.role)} latency over the last ${series.length} minutes: now p50 ${ms(r.latency.p50)}, p95 ${ms(r.latency.p95)}`;
    const fig = h(doc, 'figure', { class: 'chart' }, chartSvg(doc, series, label));
    const max = Math.max(...series.map((x) => x.p95));
    fig.append(h(doc, 'figcaption', {}, h(doc, 'span', { class: 'key' }, 'p50'), h(doc, 'span', { class: 'key k95' }, 'p95'), h(doc, 'span', {}, `peak ${ms(max)}`)));
    card.append(fig);
  } else {
    card.append(h(doc, 'p', { class: 'empty' }, 'No requests measured yet.'));
  }
  return card;
}

function connections(doc: Document, s: StatusSnapshot): HTMLElement[] {
  const b = s.broker;
  const brokerLabel = b.state === 'connected' ? 'Connected' : b.state === 'connecting' ? 'Connecting' : 'Offline';
  const broker = h(
    doc,
    'article',
    { class: 'card', id: 'broker', 'aria-labelledby': 'broker-h', 'data-state': b.state },
    h(doc, 'div', { class: 'card-head' }, h(doc, 'h3', { id: 'broker-h' }, 'Update server (broker)'), badge(doc, b.state, brokerLabel)),
    facts(doc, [
      ['Address', b.url ? h(doc, 'span', { class: 'mono' }, b.url) : undefined],
      ['Since', time(b.since)],
      ['Release', s.agent.releaseSeq !== undefined ? `#${s.agent.releaseSeq} on ${s.agent.channel ?? '—'}` : undefined],
    ]),
  );
  if (b.state !== 'connected' && b.lastError) broker.append(h(doc, 'p', { class: 'reason' }, plainReason(b.lastError.code, b.lastError.message)));
  const e = s.endpoint;
  const endpoint = h(
    doc,
    'article',
    { class: 'card', id: 'endpoint', 'aria-labelledby': 'endpoint-h' },
    h(doc, 'div', { class: 'card-head' }, h(doc, 'h3', { id: 'endpoint-h' }, 'Bot endpoint'), badge(doc, e.listening ? 'connected' : 'error', e.listening ? 'Listening' : 'Closed')),
    facts(doc, [
      ['Address', e.address ? h(doc, 'span', { class: 'mono' }, e.address) : undefined],
      ['Clients', String(e.clients)],
      ['Requests', `${e.requestsPerMinute.toFixed(e.requestsPerMinute < 10 ? 1 : 0)} per minute`],
      ['In progress', String(e.inFlight)],
    ]),
  );
  return [broker, endpoint];
}

export function render(doc: Document, s: StatusSnapshot): void {
  const tray = trayViewOf(s, { formatTime: time });
  const b = byId(doc, 'overall-badge');
  b.className = `badge s-${tray.state}`;
  // The header is a polite live region: write only on change, so a screen reader is not told the
  // same sentence on every refresh (a download refreshes several times a second).
  setText(b, TRAY_STATE_LABEL[tray.state]);
  setText(byId(doc, 'overall-reason'), tray.reason);
  doc.body.dataset['state'] = tray.state;
  doc.title = `RPA Edge Agent — ${TRAY_STATE_LABEL[tray.state]}`;

  const pause = byId<HTMLButtonElement>(doc, 'act-pause');
  pause.textContent = s.detection.paused ? `Resume detection${s.detection.until ? ` (paused until ${time(s.detection.until)})` : ''}` : 'Pause detection for 15 min';
  pause.dataset['paused'] = String(s.detection.paused);
  const check = byId<HTMLButtonElement>(doc, 'act-check-update');
  check.disabled = s.update.state === 'checking' || s.update.state === 'downloading' || s.update.state === 'disabled';
  check.textContent =
    s.update.state === 'checking' ? 'Checking for agent update…' : s.update.state === 'downloading' ? `Downloading agent update${s.update.progress !== undefined ? ` ${percent(s.update.progress)}` : ''}…` : 'Check for agent update';
  const install = byId<HTMLButtonElement>(doc, 'act-install-update');
  install.hidden = s.update.state !== 'ready';
  install.disabled = s.endpoint.inFlight > 0;
  install.textContent = s.endpoint.inFlight > 0 ? `Restart to update to ${s.update.availableVersion ?? 'new version'} (waiting: a bot is busy)` : `Restart to update to ${s.update.availableVersion ?? 'new version'}`;

  const roles = byId(doc, 'roles');
  roles.replaceChildren(...(s.roles.length ? s.roles.map((r) => roleCard(doc, s, r)) : [h(doc, 'p', { class: 'empty' }, 'No model has been installed yet.')]));
  byId(doc, 'connections').replaceChildren(...connections(doc, s));
  const events = byId(doc, 'events');
  events.replaceChildren(
    ...(s.events.length
      ? s.events.map((e) =>
          h(doc, 'li', { class: isProblemEvent(e) ? 'problem' : undefined, 'data-type': e.type }, h(doc, 'time', { datetime: e.ts }, time(e.ts)), h(doc, 'span', { class: 'text' }, describeEvent(e))),
        )
      : [h(doc, 'li', {}, h(doc, 'span', {}, ''), h(doc, 'span', { class: 'text' }, 'Nothing has happened yet.'))]),
  );
  byId(doc, 'footer').replaceChildren(
    h(doc, 'span', {}, `Agent ${s.agent.agentId}`),
    h(doc, 'span', {}, `version ${s.agent.agentVersion}${s.agent.platform ? ` (${s.agent.platform})` : ''}`),
    h(doc, 'span', {}, s.update.state === 'disabled' ? (s.update.message ?? 'Agent updates are managed by IT') : `updates: ${s.update.state}${s.update.availableVersion ? ` ${s.update.availableVersion}` : ''}`),
    h(doc, 'span', {}, `updated ${timeWithSeconds(s.ts)}`),
  );
}
