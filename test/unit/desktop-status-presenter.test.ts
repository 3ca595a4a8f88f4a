import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStatusPresenter, type AgentView, type UpdaterPort } from '../../src/desktop/status-presenter.js';
import { toStatusSnapshot, pauseAt } from '../../src/desktop/snapshot.js';
import { createAgentSource } from '../../src/desktop/agent-source.js';
import type { UpdateStatus } from '../../src/common/bridge.js';
import type { AgentEvent, AgentStatus } from '../../src/common/wire.js';
import { scenarioInputs, event, NOW, MODEL_A, MODEL_B } from './desktop-snapshots.js';

test('snapshot: events newest first, download progress kept out of the list, latency series from windows with requests', () => {
  const input = scenarioInputs.healthy();
  input.events = [
    event({ type: 'download_progress', role: 'detector', modelId: MODEL_B, details: { progress: 0.5 } }),
    ...input.events,
    event({ type: 'model_verified', role: 'detector', modelId: MODEL_B }),
  ];
  const s = toStatusSnapshot(input);
  assert.ok(!s.events.some((e) => e.type === 'download_progress'));
  assert.deepEqual(s.events.map((e) => e.seq), [...s.events.map((e) => e.seq)].sort((a, b) => b - a));
  const det = s.roles.find((r) => r.role === 'detector')!;
  assert.equal(det.latency.series.length, 30);
  assert.equal(det.latency.p95, det.latency.series.at(-1)!.p95);
  assert.deepEqual(s.roles.map((r) => r.role), ['detector', 'classifier']);
});

test('snapshot: a CPU fallback counts until a later activation; an expired pause shows as not paused', () => {
  const s = toStatusSnapshot(scenarioInputs.degradedCpu());
  assert.equal(s.roles[0]!.providerFallback, true);
  const later = scenarioInputs.degradedCpu();
  later.events = [...later.events, event({ type: 'activated', role: 'detector', modelId: MODEL_A })];
  assert.equal(toStatusSnapshot(later).roles[0]!.providerFallback, false);
  assert.deepEqual(pauseAt({ paused: true, until: new Date(NOW.getTime() - 1).toISOString() }, NOW), { paused: false });
});

test('status presenter: pause auto-resumes after its time; install refused while a bot is mid-request (simulated: clock, updater)', async () => {
  let now = NOW.getTime();
  const timers: Array<{ at: number; fn: () => void }> = [];
  const input = scenarioInputs.updateReady(1);
  const { detection: _d, update, now: _n, ...view } = input;
  const paused: boolean[] = [];
  let installs = 0;
  const updater: UpdaterPort = { status: (): UpdateStatus => update, check: async () => update, installNow: async () => void installs++, subscribe: () => () => {} };
  let current: AgentView = view;
  const c = createStatusPresenter({
    source: { view: () => current, subscribe: () => () => {}, setDetectionPaused: (p) => void paused.push(p) },
    updater,
    writeClipboard: () => {},
    clock: {
      now: () => new Date(now),
      setTimeout: (fn, ms) => {
        const t = { at: now + ms, fn };
        timers.push(t);
        return t;
      },
      clearTimeout: (h) => void timers.splice(timers.indexOf(h as never), 1),
    },
  });
  const seen: boolean[] = [];
  c.subscribe((s) => seen.push(s.detection.paused));
  assert.deepEqual(await c.handlers['detection:pause']({ minutes: 15 }), { paused: true, until: new Date(NOW.getTime() + 900_000).toISOString() });
  now += 15 * 60_000;
  timers.shift()!.fn();
  assert.deepEqual(paused, [true, false]);
  assert.deepEqual(seen, [true, false]);
  assert.equal((await c.handlers['update:install'](undefined)).accepted, false);
  assert.equal(installs, 0);
  current = { ...view, endpoint: { ...view.endpoint, inFlight: 0 } };
  assert.deepEqual(await c.handlers['update:install'](undefined), { accepted: true });
  assert.equal(installs, 1);
  c.dispose();
  assert.equal(timers.length, 0, 'nothing left scheduled');
});

test('agent source: broker state and since tracked from the agent; events get model names it has seen', () => {
  let connected = true;
  let t = NOW.getTime();
  const status: AgentStatus = { agentId: 'a1', online: true, ts: NOW.toISOString(), agentVersion: '0.1.0', roles: { detector: { state: 'active', modelId: MODEL_B, name: 'ui-detector', version: '1.1.0', cohort: 'candidate' } } };
  const events: AgentEvent[] = [];
  const listeners: Array<() => void> = [];
  const src = createAgentSource({
    agent: { snapshot: () => ({ ...status, connected, recentEvents: events }), subscribe: (l) => (listeners.push(l as () => void), () => {}) },
    brokerUrl: 'mqtts://agent:pw@broker:8883',
    now: () => new Date(t),
  });
  const v1 = src.view();
  assert.deepEqual(v1.broker, { state: 'connected', url: 'mqtts://broker:8883', since: NOW.toISOString() });
  status.roles = { detector: { state: 'rolled_back', modelId: MODEL_A, name: 'ui-detector', version: '1.0.0' } };
  events.push(event({ type: 'rolled_back', role: 'detector', modelId: MODEL_B, reason: 'guard_breach' }));
  connected = false;
  t += 5_000;
  const v2 = src.view();
  assert.equal(v2.broker.state, 'offline');
  assert.equal(v2.broker.since, new Date(t).toISOString());
  assert.deepEqual(v2.events[0]!.details, { name: 'ui-detector', version: '1.1.0' });
  src.dispose();
});
