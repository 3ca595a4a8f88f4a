/**
 * The web console's shell (issue 19 §2): sign-in with a bearer token, the navigation, a hash router
 * (#/fleet, #/rollouts, #/rollouts/ID, #/agents/ID, #/models, #/audit), the live event stream and a
 * polite live region for announcements. Each page renders into <main> and returns its cleanup.
 */
import { ApiError, apiGet } from './api.js';
import { byId, h, replace } from './dom.js';
import { openLiveStream, type LiveState, type LiveStream } from './live.js';
import { agentPage } from './pages/agent.js';
import { auditPage } from './pages/audit.js';
import { fleetPage } from './pages/fleet.js';
import { modelsPage } from './pages/models.js';
import type { Page } from './pages/page.js';
import { rolloutPage } from './pages/rollout.js';
import { rolloutsPage } from './pages/rollouts.js';
import { forgetToken, savedToken, saveToken } from './session.js';
import type { WhoAmI } from './types.js';
import { errorBox } from './widgets.js';

const ROUTES: { re: RegExp; page: Page; nav: string; title: string }[] = [
  { re: /^#\/fleet$/, page: fleetPage, nav: 'fleet', title: 'Fleet' },
  { re: /^#\/rollouts$/, page: rolloutsPage, nav: 'rollouts', title: 'Rollouts' },
  { re: /^#\/rollouts\/([^/?]+)$/, page: rolloutPage, nav: 'rollouts', title: 'Rollout' },
  { re: /^#\/agents\/([^/?]+)$/, page: agentPage, nav: 'fleet', title: 'Agent' },
  { re: /^#\/models$/, page: modelsPage, nav: 'models', title: 'Models' },
  { re: /^#\/audit(?:\?.*)?$/, page: auditPage, nav: 'audit', title: 'Audit trail' },
];

const main = byId('main');
const announcer = byId('announce');
const liveBadge = byId('live-state');
const who = byId('who');
const nav = byId('nav');

function announce(text: string): void {
  announcer.textContent = '';
  // a fresh text node, so the same message twice is announced twice
  setTimeout(() => (announcer.textContent = text), 50);
}

function showLive(s: LiveState): void {
  liveBadge.textContent = { connecting: 'Connecting…', live: 'Live', offline: 'Reconnecting' }[s];
  liveBadge.className = `badge badge-${s === 'live' ? 'ok' : s === 'offline' ? 'warn' : 'busy'}`;
  document.documentElement.dataset.live = s;
}

function signIn(message?: string): void {
  nav.hidden = true;
  who.replaceChildren();
  const token = h('input', { id: 'token', type: 'password', name: 'token', required: true, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'token-hint' });
  const out = h('div', { id: 'signin-result', 'aria-live': 'assertive' }, message ? h('p', { class: 'error', role: 'alert' }, message) : null);
  const form = h(
    'form',
    { id: 'signin', class: 'signin', 'aria-labelledby': 'signin-h' },
    h('h1', { id: 'signin-h' }, 'Sign in'),
    h('label', { for: 'token' }, 'API token'),
    token,
    h('p', { id: 'token-hint', class: 'hint' }, 'A token made with ', h('code', {}, 'rpa-fleet tokens create'), '. It is kept for this browser tab only.'),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    out,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const me = await apiGet<WhoAmI>('/api/v1/whoami', { token: token.value.trim() });
      saveToken(token.value.trim());
      start(me);
    } catch (err) {
      replace(out, errorBox(err));
      token.focus();
    }
  });
  replace(main, form);
  document.documentElement.dataset.painted = 'signin';
  token.focus();
}

let live: LiveStream | undefined;
let cleanup: (() => void) | undefined;
let me: WhoAmI | undefined;

async function route(): Promise<void> {
  if (!me || !live) return;
  const hash = location.hash || '#/fleet';
  const r = ROUTES.find((x) => x.re.test(hash));
  cleanup?.();
  cleanup = undefined;
  delete document.documentElement.dataset.painted;
  if (!r) {
    location.hash = '#/fleet';
    return;
  }
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.nav === r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${r.title} — RPA fleet console`;
  const params = (hash.match(r.re) ?? []).slice(1).map((p) => decodeURIComponent(p));
  try {
    cleanup = await r.page({ root: main, live, me, params, announce, painted: () => (document.documentElement.dataset.painted = hash) });
  } catch (e) {
    replace(main, errorBox(e));
  }
  main.focus({ preventScroll: true });
}

function start(who_: WhoAmI): void {
  me = who_;
  nav.hidden = false;
  replace(who, `${who_.name} (${who_.role}) `, h('button', { type: 'button', id: 'signout' }, 'Sign out'));
  byId('signout').addEventListener('click', () => {
    forgetToken();
    live?.close();
    live = undefined;
    me = undefined;
    cleanup?.();
    signIn();
  });
  live?.close();
  live = openLiveStream();
  live.onState(showLive);
  void route();
}

window.addEventListener('hashchange', () => void route());

async function boot(): Promise<void> {
  const token = savedToken();
  if (!token) return signIn();
  try {
    start(await apiGet<WhoAmI>('/api/v1/whoami'));
  } catch (e) {
    forgetToken();
    signIn(e instanceof ApiError && e.status === 401 ? 'Your token was not accepted (expired or revoked). Sign in again.' : `The controller did not answer: ${(e as Error).message}`);
  }
}

void boot();
