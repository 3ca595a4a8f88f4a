/**
 * "Restart to update" (issue 17 §3): the bot endpoint drains and the agent closes BEFORE the installer
 * starts. electron-updater's quitAndInstall launches the NSIS installer at once, so it must be the last
 * step. Real here: the updater port (updater.ts), the desktop controller, the desktop shutdown sequence,
 * the endpoint attachment's request counting and drain. Fake, and named so: electron-updater's AppUpdater
 * (no NSIS installer or update feed on Linux) and the agent's close (recorded); a bot request is held open
 * by the test. Also: devtools only in an unpackaged app.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { AppUpdater } from 'electron-updater';
import type { BotServices } from '../../src/agent/endpoint/services.js';
import { APP_ORIGIN } from '../../src/common/bridge-names.js';
import { EndpointCounter } from '../../src/desktop/agent-source.js';
import { createStatusPresenter, type AgentView } from '../../src/desktop/status-presenter.js';
import { createDesktopShutdown } from '../../src/desktop/desktop-shutdown.js';
import { endpointAttachment, observedServices } from '../../src/desktop/endpoint-attachment.js';
import { createElectronUpdater } from '../../src/desktop/updater.js';
import { devToolsAllowed, requestAllowed } from '../../src/desktop/window-policy.js';
import { scenarioInputs, NOW } from './desktop-snapshots.js';

/** Fake electron-updater AppUpdater: no installer can run here; it records when quitAndInstall is called. */
class FakeElectronUpdater extends EventEmitter {
  autoDownload = false;
  autoInstallOnAppQuit = true;
  allowPrerelease = false;
  allowDowngrade = true;
  constructor(private readonly order: string[]) {
    super();
  }
  setFeedURL(): void {}
  checkForUpdates(): Promise<null> {
    return Promise.resolve(null);
  }
  quitAndInstall(isSilent: boolean, isForceRunAfter: boolean): void {
    this.order.push(`quitAndInstall(${isSilent}, ${isForceRunAfter})`);
  }
}

const noTimers = { now: () => NOW, setTimeout: () => 0, clearTimeout: () => {} };
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('Restart to update (fake electron-updater: no NSIS installer here): a bot request in flight finishes, the endpoint drains and the agent closes before quitAndInstall', async () => {
  const order: string[] = [];
  const fake = new FakeElectronUpdater(order);
  const counter = new EndpointCounter();
  const pause = { paused: false };
  // a bot request the test holds open: it is counted and drained by the real endpoint attachment
  let finishRequest!: () => void;
  const held = new Promise<void>((r) => (finishRequest = r));
  const unused = async () => assert.fail('not called');
  const inner = { detect: async () => (await held, order.push('bot request finished'), { elements: [] }), classify: unused, findElement: unused, embed: unused, submitFeedback: unused };
  const services = observedServices(inner as unknown as BotServices, counter, pause);
  const attachment = endpointAttachment({ endpoint: { stats: { connections: 1 } as never, close: async () => void order.push('endpoint closed') }, path: 'bot.sock', counter, pause, pollMs: 5 });

  const updater = createElectronUpdater({
    updater: fake as unknown as AppUpdater,
    config: { enabled: true, checkIntervalHours: 24, allowPrerelease: false },
    currentVersion: '1.0.0',
    packaged: true,
    clock: noTimers,
    closeAgentBeforeInstall: async () => void (await shutdown.run('update')),
  });
  const shutdown = createDesktopShutdown({
    updater,
    runtime: () => ({
      drainEndpoint: async (signal) => {
        await attachment.drain(signal);
        order.push('endpoint drained');
      },
      close: async () => {
        await attachment.close();
        order.push('agent closed');
      },
    }),
    disposeUi: () => void order.push('ui disposed'),
    stepTimeoutMs: 5_000,
  });
  const { detection: _d, update: _u, now: _n, ...view } = scenarioInputs.healthy();
  const controller = createStatusPresenter({
    source: { view: (): AgentView => ({ ...view, endpoint: { ...view.endpoint, inFlight: counter.inFlight } }), subscribe: () => () => {}, setDetectionPaused: () => {} },
    updater,
    writeClipboard: () => {},
    clock: noTimers,
  });

  fake.emit('update-downloaded', { version: '1.1.0' });
  assert.equal(updater.status().state, 'ready');
  // the user clicks "Restart to update"; a bot request arrives in the same instant
  const clicked = controller.handlers['update:install'](undefined);
  const request = services.detect({ source: { kind: 'screen' } } as never, {} as never);
  assert.equal(counter.inFlight, 1);
  await tick(50);
  assert.deepEqual(order, [], 'nothing closes and no installer starts while a bot is mid-request');
  finishRequest();
  await request;
  assert.deepEqual(await clicked, { accepted: true });
  assert.deepEqual(order, ['bot request finished', 'endpoint drained', 'endpoint closed', 'agent closed', 'ui disposed', 'quitAndInstall(true, true)']);
  assert.equal(fake.listenerCount('update-downloaded'), 0, 'update checks stopped (listeners removed) by the shutdown');
  // Quit after this (electron-updater quits the app) runs no second shutdown
  assert.equal(shutdown.started, true);
});

test('Restart to update (fake electron-updater): refused while a bot is mid-request, nothing closed, no installer', async () => {
  const order: string[] = [];
  const fake = new FakeElectronUpdater(order);
  let closed = 0;
  const updater = createElectronUpdater({ updater: fake as unknown as AppUpdater, config: { enabled: true, checkIntervalHours: 24, allowPrerelease: false }, currentVersion: '1.0.0', packaged: true, clock: noTimers, closeAgentBeforeInstall: async () => void closed++ });
  const { detection: _d, update: _u, now: _n, ...view } = scenarioInputs.healthy();
  const controller = createStatusPresenter({ source: { view: () => ({ ...view, endpoint: { ...view.endpoint, inFlight: 2 } }), subscribe: () => () => {}, setDetectionPaused: () => {} }, updater, writeClipboard: () => {}, clock: noTimers });
  fake.emit('update-downloaded', { version: '1.1.0' });
  const r = await controller.handlers['update:install'](undefined);
  assert.equal(r.accepted, false);
  assert.deepEqual(order, []);
  assert.equal(closed, 0);
  updater.dispose();
});

test('devtools only in an unpackaged app: a packaged app ignores RPA_DESKTOP_DEVTOOLS; devtools:// pages load only where devtools are allowed', () => {
  assert.equal(devToolsAllowed(true, { RPA_DESKTOP_DEVTOOLS: '1' }), false, 'packaged: never');
  assert.equal(devToolsAllowed(true, {}), false);
  assert.equal(devToolsAllowed(false, { RPA_DESKTOP_DEVTOOLS: '1' }), true, 'development, asked for');
  assert.equal(devToolsAllowed(false, {}), false, 'development, not asked for');
  assert.equal(requestAllowed(`${APP_ORIGIN}index.html`, false), true);
  assert.equal(requestAllowed('devtools://devtools/bundled/inspector.html', false), false);
  assert.equal(requestAllowed('devtools://devtools/bundled/inspector.html', true), true);
  assert.equal(requestAllowed('https://example.com/', true), false);
});
