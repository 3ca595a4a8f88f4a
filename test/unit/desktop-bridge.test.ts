import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BRIDGE_METHODS,
  IPC_CHANNELS,
  createIpcDispatcher,
  isTrustedSenderUrl,
  makeBridge,
  type IpcHandlers,
  type IpcChannel,
} from '../../src/common/bridge.js';
import { ErrorCodes, AgentError } from '../../src/common/errors.js';
import { describeEvent, hasPlainReason, plainReason } from '../../src/common/plain-words.js';
import { EVENT_TYPES } from '../../src/common/wire.js';
import { scenarios, event } from './desktop-snapshots.js';

const ORIGIN = 'rpa://status/';

function handlers(calls: string[]): IpcHandlers {
  return {
    'status:get': () => (calls.push('status:get'), scenarios.healthy()),
    'detection:pause': (r) => (calls.push(`pause:${r.minutes}`), { paused: true, until: '2026-11-23T14:45:00.000Z' }),
    'detection:resume': () => (calls.push('resume'), { paused: false }),
    'update:check': () => (calls.push('check'), { state: 'checking', currentVersion: '0.1.0' }),
    'update:install': () => (calls.push('install'), { accepted: false, reason: 'A bot is mid-request.' }),
    'diagnostics:copy': () => (calls.push('diag'), { copied: true, bytes: 10 }),
  };
}

test('bridge: one preload function per IPC message, and every message has one', () => {
  const channels = Object.values(BRIDGE_METHODS).sort();
  assert.deepEqual(channels, (Object.keys(IPC_CHANNELS) as IpcChannel[]).sort());
  const invoked: Array<[string, unknown]> = [];
  const bridge = makeBridge({
    invoke: async (c, r) => (invoked.push([c, r]), null),
    subscribe: () => () => {},
  });
  for (const m of Object.keys(BRIDGE_METHODS)) assert.equal(typeof (bridge as Record<string, unknown>)[m], 'function', m);
  void bridge.pauseDetection({ minutes: 15 });
  void bridge.getStatus();
  assert.deepEqual(invoked, [['detection:pause', { minutes: 15 }], ['status:get', undefined]]);
  assert.throws(() => bridge.onStatus(undefined as never), TypeError);
});

test('bridge: sender check accepts only the app protocol origin', () => {
  assert.ok(isTrustedSenderUrl('rpa://status/index.html', ORIGIN));
  assert.ok(isTrustedSenderUrl('rpa://status/', ORIGIN));
  for (const bad of ['file:///C:/app/index.html', 'https://status/index.html', 'rpa://evil/index.html', 'rpa://status.evil/x', 'about:blank', '', undefined, null, 'not a url', 'rpa://user:pw@status/']) {
    assert.equal(isTrustedSenderUrl(bad as string, ORIGIN), false, String(bad));
  }
});

test('bridge dispatcher: refuses an untrusted sender before any handler runs', async () => {
  const calls: string[] = [];
  const dispatch = createIpcDispatcher(handlers(calls), ORIGIN);
  await assert.rejects(dispatch('https://example.com/', 'status:get', undefined), (e: unknown) => e instanceof AgentError && e.code === 'forbidden_sender');
  assert.deepEqual(calls, []);
});

test('bridge dispatcher: validates channel and payload, then the answer', async () => {
  const calls: string[] = [];
  const dispatch = createIpcDispatcher(handlers(calls), ORIGIN);
  const url = 'rpa://status/index.html';
  await assert.rejects(dispatch(url, 'shell:openExternal', 'x'), (e: unknown) => e instanceof AgentError && e.code === 'bad_argument');
  await assert.rejects(dispatch(url, '__proto__', undefined), (e: unknown) => e instanceof AgentError && e.code === 'bad_argument');
  await assert.rejects(dispatch(url, 'detection:pause', { minutes: 100000 }), /detection:pause/);
  await assert.rejects(dispatch(url, 'detection:pause', { minutes: 15, extra: 1 }), /detection:pause/);
  await assert.rejects(dispatch(url, 'status:get', { sneaky: true }), /status:get/);
  assert.deepEqual(calls, []);
  assert.deepEqual(await dispatch(url, 'detection:pause', { minutes: 15 }), { paused: true, until: '2026-11-23T14:45:00.000Z' });
  const snap = (await dispatch(url, 'status:get', undefined)) as { roles: unknown[] };
  assert.equal(snap.roles.length, 2);
  assert.deepEqual(calls, ['pause:15', 'status:get']);
  // A handler answering off-contract is caught at the boundary, not shown to the window.
  const broken = createIpcDispatcher({ ...handlers([]), 'update:check': () => ({ state: 'bogus' }) as never }, ORIGIN);
  await assert.rejects(broken(url, 'update:check', undefined));
});

test('plain words: every error code has a sentence; unknown codes fall back to the message', () => {
  for (const code of Object.keys(ErrorCodes)) {
    assert.ok(hasPlainReason(code), code);
    assert.match(plainReason(code), /^[A-Z].*\.$/, code);
  }
  assert.equal(plainReason('release_expired'), 'The update channel has not been refreshed in time; keeping the current model.');
  assert.equal(plainReason('some_new_code', 'the disk is full'), 'The disk is full.');
  assert.equal(plainReason('some_new_code'), 'Something went wrong (some_new_code).');
});

test('plain words: every event type has a description, rollbacks carry their reason', () => {
  for (const type of EVENT_TYPES) {
    const d = describeEvent(event({ type, role: 'detector', reason: 'load_failed' }));
    assert.ok(d.length > 10, type);
    assert.ok(!/undefined/.test(d), `${type}: ${d}`);
  }
  const rb = describeEvent(event({ type: 'rolled_back', role: 'classifier', reason: 'latency_budget_exceeded', details: { name: 'ui-classifier', version: '2.2.0' } }));
  assert.equal(rb, 'Element classifier: ui-classifier 2.2.0 was rolled back. The new model was too slow on this machine; keeping the current model.');
});
