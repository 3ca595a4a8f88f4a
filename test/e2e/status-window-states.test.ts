/**
 * The status window in real headless Chromium, driven through the bridge contract by a real
 * StatusPresenter (sender-checked dispatcher, real pause timer logic) over scripted agent views.
 * The agent side is scripted here — "(simulated: scripted agent view)" — the real-agent run is in
 * status-window-agent.test.ts. Screenshots go to test-artifacts/status-window/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { UpdateStatus } from '../../src/common/bridge.js';
import { createStatusPresenter, type AgentView, type StatusPresenter, type UpdaterPort } from '../../src/desktop/status-presenter.js';
import type { SnapshotInput } from '../../src/desktop/snapshot.js';
import { scenarioInputs, NOW, type ScenarioName } from '../unit/desktop-snapshots.js';
import { chromiumMissing, launch, openWindow, screenshot, startServer } from './status-window-harness.js';

const skip = chromiumMissing();

class ScriptedAgent {
  input: SnapshotInput;
  paused: boolean[] = [];
  private listeners = new Set<() => void>();
  constructor(input: SnapshotInput) {
    this.input = input;
  }
  view(): AgentView {
    const { detection: _d, update: _u, now: _n, ...v } = this.input;
    return v;
  }
  subscribe(l: () => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  setDetectionPaused(p: boolean) {
    this.paused.push(p);
  }
  set(input: SnapshotInput) {
    this.input = input;
    for (const l of this.listeners) l();
  }
}

class ScriptedUpdater implements UpdaterPort {
  state: UpdateStatus = { state: 'idle', currentVersion: '0.1.0' };
  installs = 0;
  private listeners = new Set<() => void>();
  status() {
    return this.state;
  }
  async check() {
    this.state = { ...this.state, state: 'checking' };
    for (const l of this.listeners) l();
    return this.state;
  }
  async installNow() {
    this.installs++;
  }
  subscribe(l: () => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  set(u: UpdateStatus) {
    this.state = u;
    for (const l of this.listeners) l();
  }
}

let browser: Browser;
let server: Awaited<ReturnType<typeof startServer>>;

function rig(name: ScenarioName) {
  const agent = new ScriptedAgent(scenarioInputs[name]());
  const updater = new ScriptedUpdater();
  updater.state = agent.input.update;
  const clipboard: string[] = [];
  let clock = NOW.getTime();
  const timers: Array<{ at: number; fn: () => void }> = [];
  const presenter: StatusPresenter = createStatusPresenter({
    source: agent,
    updater,
    writeClipboard: (t) => clipboard.push(t),
    clock: {
      now: () => new Date(clock),
      setTimeout: (fn, ms) => {
        const t = { at: clock + ms, fn };
        timers.push(t);
        return t;
      },
      clearTimeout: (h) => {
        const i = timers.indexOf(h as (typeof timers)[number]);
        if (i >= 0) timers.splice(i, 1);
      },
    },
  });
  const advance = (ms: number) => {
    clock += ms;
    for (const t of [...timers].filter((x) => x.at <= clock)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  return { agent, updater, presenter, clipboard, advance, timers };
}

before(async () => {
  if (skip) return;
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const expected: Array<[ScenarioName, string, RegExp]> = [
  ['healthy', 'Healthy', /^Healthy: 2 models active, connected\.$/],
  ['fetching', 'Updating', /Downloading ui-detector 1\.5\.0 \(42 %\)/],
  ['verifying', 'Updating', /Verifying ui-detector 1\.5\.0/],
  ['canary', 'Healthy', /^Healthy/],
  ['rolledBack', 'Degraded', /too slow on this machine/],
  ['degradedCpu', 'Degraded', /running on the processor/],
  ['rejected', 'Degraded', /The update channel has not been refreshed in time; keeping the current model\./],
  ['offline', 'Offline', /^Offline from the update server since 14:15/],
  ['error', 'Error', /gave wrong answers on its self-test/],
  ['paused', 'Degraded', /^Detection paused until 14:45\.$/],
];

test('status window: every tray state renders with its badge and plain-words reason (simulated: scripted agent view)', { skip }, async () => {
  for (const [name, badge, reason] of expected) {
    const r = rig(name);
    if (name === 'paused') r.presenter.pause(15); // the pause is the desktop's own state, set through the presenter
    const w = await openWindow(browser, server.origin, r.presenter);
    try {
      await w.page.waitForFunction(() => document.body.dataset['state'] !== undefined);
      assert.equal(await w.page.textContent('#overall-badge'), badge, name);
      assert.match((await w.page.textContent('#overall-reason')) ?? '', reason, name);
      await screenshot(w.page, `state-${name}-light`);
      assert.deepEqual(w.problems, [], `${name}: page errors or CSP violations`);
    } finally {
      await w.close();
      r.presenter.dispose();
    }
  }
});

test('status window: per-role facts — model, version, channel, canary cohort, provider, latency chart (simulated: scripted agent view)', { skip }, async () => {
  const r = rig('canary');
  const w = await openWindow(browser, server.origin, r.presenter);
  try {
    const card = w.page.locator('#role-detector');
    await card.waitFor();
    const facts = await card.locator('dl.facts').innerText();
    assert.match(facts, /Model\s+ui-detector/);
    assert.match(facts, /Version\s+1\.5\.0/);
    assert.match(facts, /Channel\s+finance-desktops/);
    assert.match(facts, /Canary cohort\s+Yes \(rollout det-1\.5\.0-r1\)/);
    assert.match(facts, /Provider\s+CPU/);
    assert.match(facts, /Latency\s+p50 \d+\.\d ms · p95 \d+\.\d ms/);
    assert.equal(await card.locator('.badge.s-canary').textContent(), 'Canary');
    assert.match((await w.page.locator('#role-classifier dl.facts').innerText()) ?? '', /Canary cohort\s+No/);
    // The chart has both lines with one point per metrics window (30), and an accessible name.
    const points = await card.locator('svg polyline.p95').getAttribute('points');
    assert.equal(points?.trim().split(' ').length, 30);
    assert.match((await card.locator('svg').getAttribute('aria-label')) ?? '', /latency over the last 30 minutes/);
    // Broker and bot endpoint
    assert.match(await w.page.locator('#broker').innerText(), /Connected[\s\S]*mqtts:\/\/broker\.corp\.example:8883/);
    assert.match(await w.page.locator('#endpoint').innerText(), /Clients\s+2[\s\S]*42 per minute/);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
    r.presenter.dispose();
  }
});

test('status window: a model fetch shows live progress, then verification (simulated: scripted agent view)', { skip }, async () => {
  const r = rig('fetching');
  r.agent.set(scenarioInputs.fetching(0.05));
  const w = await openWindow(browser, server.origin, r.presenter);
  try {
    const bar = w.page.locator('#role-detector progress');
    await bar.waitFor();
    assert.equal(await bar.getAttribute('value'), '0.05');
    for (const p of [0.25, 0.42, 0.9]) {
      r.agent.set(scenarioInputs.fetching(p)); // pushed through presenter.subscribe → status:changed
      await w.page.waitForFunction((v) => document.querySelector('#role-detector progress')?.getAttribute('value') === String(v), p);
      assert.match(await w.page.locator('#role-detector .progress').innerText(), new RegExp(`Fetching ui-detector 1\\.5\\.0\\s+${Math.round(p * 100)} %`));
      if (p === 0.42) await screenshot(w.page, 'fetch-progress-light');
    }
    assert.equal(await bar.getAttribute('aria-valuetext'), '90 %');
    r.agent.set(scenarioInputs.verifying());
    await w.page.waitForFunction(() => document.querySelector('#role-detector')?.getAttribute('data-state') === 'verifying');
    assert.match(await w.page.locator('#role-detector .progress').innerText(), /Verifying ui-detector 1\.5\.0/);
    r.agent.set(scenarioInputs.canary());
    await w.page.waitForFunction(() => document.querySelector('#role-detector')?.getAttribute('data-state') === 'active');
    assert.equal(await w.page.locator('#role-detector progress').count(), 0);
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
    r.presenter.dispose();
  }
});

test('status window: a rollback shows its reason in plain words, in the card and the event list (simulated: scripted agent view)', { skip }, async () => {
  const r = rig('rolledBack');
  const w = await openWindow(browser, server.origin, r.presenter);
  try {
    const card = w.page.locator('#role-detector');
    await card.waitFor();
    assert.equal(await card.getAttribute('data-state'), 'rolled_back');
    assert.equal(await card.locator('.badge').first().textContent(), 'Rolled back');
    assert.equal(await card.locator('.reason').textContent(), 'Rolled back: The new model was too slow on this machine; keeping the current model.');
    const first = w.page.locator('#events li').first();
    assert.equal(await first.getAttribute('data-type'), 'rolled_back');
    assert.equal(await first.locator('.text').textContent(), 'Element detector: ui-detector 1.5.0 was rolled back. The new model was too slow on this machine; keeping the current model.');
    assert.equal(await first.getAttribute('class'), 'problem');
    await screenshot(w.page, 'rollback-light');
  } finally {
    await w.close();
    r.presenter.dispose();
  }
});

function luminance(rgb: string): number {
  const m = /rgba?\((\d+), (\d+), (\d+)/.exec(rgb);
  assert.ok(m, rgb);
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => Number(v) / 255) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

test('status window: light and dark follow the OS colour scheme (simulated: scripted agent view)', { skip }, async () => {
  for (const scheme of ['light', 'dark'] as const) {
    const r = rig('rolledBack');
    const w = await openWindow(browser, server.origin, r.presenter, { colorScheme: scheme });
    try {
      await w.page.locator('#role-detector').waitFor();
      const bg = luminance(await w.page.evaluate(() => getComputedStyle(document.body).backgroundColor));
      const fg = luminance(await w.page.evaluate(() => getComputedStyle(document.body).color));
      if (scheme === 'dark') assert.ok(bg < 0.15 && fg > 0.8, `dark: bg ${bg} fg ${fg}`);
      else assert.ok(bg > 0.85 && fg < 0.2, `light: bg ${bg} fg ${fg}`);
      await screenshot(w.page, `overview-${scheme}`);
    } finally {
      await w.close();
      r.presenter.dispose();
    }
  }
});

test('status window: readable at 200 % scale — no horizontal scrolling, nothing clipped (simulated: scripted agent view)', { skip }, async () => {
  const r = rig('fetching');
  // A 1280×1000 px window at 200 % is 640×500 CSS px with 2 device pixels per CSS pixel.
  const w = await openWindow(browser, server.origin, r.presenter, { width: 640, height: 500, deviceScaleFactor: 2 });
  try {
    await w.page.locator('#role-detector').waitFor();
    const m = await w.page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, font: parseFloat(getComputedStyle(document.body).fontSize) }));
    assert.ok(m.scroll <= m.client, `horizontal overflow: ${m.scroll} > ${m.client}`);
    assert.ok(m.font >= 14, `body text ${m.font}px`);
    for (const id of ['#act-pause', '#act-check-update', '#act-copy-diagnostics', '#role-detector', '#role-classifier', '#broker', '#endpoint']) {
      const box = await w.page.locator(id).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= m.client + 0.5, `${id} clipped: ${JSON.stringify(box)}`);
    }
    await screenshot(w.page, 'scale-200-light');
  } finally {
    await w.close();
    r.presenter.dispose();
  }
});

test('status window: keyboard only — Tab reaches every action; pause, resume and copy diagnostics work (simulated: scripted agent view)', { skip }, async () => {
  const r = rig('healthy');
  const w = await openWindow(browser, server.origin, r.presenter);
  try {
    await w.page.locator('#role-detector').waitFor();
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      await w.page.keyboard.press('Tab');
      order.push(await w.page.evaluate(() => document.activeElement?.id || document.activeElement?.className || document.activeElement?.tagName || ''));
    }
    // skip link, then the actions (install is hidden: no update ready), then the scrollable event list
    assert.deepEqual(order, ['skip', 'act-pause', 'act-check-update', 'act-copy-diagnostics', 'events-scroll']);
    await w.page.focus('#act-pause');
    await w.page.keyboard.press('Enter');
    await w.page.waitForFunction(() => document.querySelector('#act-pause')?.getAttribute('data-paused') === 'true');
    assert.equal(await w.page.textContent('#act-pause'), 'Resume detection (paused until 14:45)');
    assert.match((await w.page.textContent('#notice')) ?? '', /Detection paused for 15 minutes/);
    assert.deepEqual(r.agent.paused, [true]);
    assert.equal(await w.page.evaluate(() => document.activeElement?.id), 'act-pause', 'focus stays on the button across the refresh');
    await w.page.keyboard.press('Space');
    await w.page.waitForFunction(() => document.querySelector('#act-pause')?.getAttribute('data-paused') === 'false');
    assert.deepEqual(r.agent.paused, [true, false]);
    // A 15-minute pause ends by itself.
    await w.page.keyboard.press('Enter');
    await w.page.waitForFunction(() => document.querySelector('#act-pause')?.getAttribute('data-paused') === 'true');
    r.advance(15 * 60_000);
    await w.page.waitForFunction(() => document.querySelector('#act-pause')?.getAttribute('data-paused') === 'false');
    assert.deepEqual(r.agent.paused, [true, false, true, false]);
    await w.page.focus('#act-copy-diagnostics');
    await w.page.keyboard.press('Enter');
    await w.page.waitForFunction(() => /copied/.test(document.querySelector('#notice')?.textContent ?? ''));
    assert.equal(r.clipboard.length, 1);
    assert.equal(JSON.parse(r.clipboard[0]!).snapshot.agent.agentId, 'ws-0042');
    assert.deepEqual(w.problems, []);
  } finally {
    await w.close();
    r.presenter.dispose();
  }
});

test('status window: a downloaded agent update waits while a bot is mid-request (simulated: scripted agent view and updater)', { skip }, async () => {
  const r = rig('updateReady');
  r.agent.set(scenarioInputs.updateReady(1));
  const w = await openWindow(browser, server.origin, r.presenter);
  try {
    const install = w.page.locator('#act-install-update');
    await install.waitFor();
    assert.equal(await install.isDisabled(), true);
    assert.match((await install.textContent()) ?? '', /waiting: a bot is busy/);
    // Even if the window asks anyway (a stale button), main refuses while a request is in flight.
    const refused = await w.page.evaluate(() => (globalThis as unknown as { rpa: { installUpdate(): Promise<unknown> } }).rpa.installUpdate());
    assert.deepEqual(refused, { accepted: false, reason: 'A bot is in the middle of a request; try again in a moment.' });
    assert.equal(r.updater.installs, 0);
    r.agent.set(scenarioInputs.updateReady(0));
    await w.page.waitForFunction(() => !(document.querySelector('#act-install-update') as HTMLButtonElement).disabled);
    await install.click();
    await w.page.waitForFunction(() => /Restarting to install/.test(document.querySelector('#notice')?.textContent ?? ''));
    assert.equal(r.updater.installs, 1);
  } finally {
    await w.close();
    r.presenter.dispose();
  }
});

test('status window security: strict CSP blocks injected inline script; a frame off the app origin is refused by the bridge', { skip }, async () => {
  const r = rig('healthy');
  const w = await openWindow(browser, server.origin, r.presenter);
  try {
    await w.page.locator('#role-detector').waitFor();
    const ran = await w.page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = '(globalThis).__injected = 1';
      const violated = new Promise<boolean>((ok) => {
        document.addEventListener('securitypolicyviolation', () => ok(true), { once: true });
        setTimeout(() => ok(false), 2000);
      });
      document.body.append(s);
      return { injected: (globalThis as unknown as { __injected?: number }).__injected, violated: await violated };
    });
    assert.deepEqual(ran, { injected: undefined, violated: true });
    assert.equal(server.requests.filter((u) => u.includes('..')).length, 0);
    // Served files are an allow-list: the source map is, the TypeScript is not.
    const status = await w.page.evaluate(async () => (await fetch('/main.ts').catch(() => null))?.status ?? 'blocked');
    assert.equal(status, 'blocked', 'connect-src none blocks even same-origin fetch');
    // The same bridge binding, called from a page that is not the app origin, is refused.
    await w.page.goto('about:blank');
    const err = await w.page.evaluate(() =>
      (globalThis as unknown as { __rpaInvoke(c: string, r: unknown): Promise<unknown> }).__rpaInvoke('status:get', undefined).then(
        () => 'accepted',
        (e: Error) => e.message,
      ),
    );
    assert.match(err, /refused status:get from about:blank/);
  } finally {
    await w.close();
    r.presenter.dispose();
  }
});
