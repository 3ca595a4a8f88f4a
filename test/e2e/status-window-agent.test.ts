/**
 * The status window against a REAL headless agent core: in-process aedes broker, models signed and
 * published with the fleet library (src/fleet/publisher.ts), the agent verifying, fetching (with
 * progress) and activating them on real onnxruntime, a real bot endpoint with a real client, and the
 * real desktop adapter (createAgentSource) + presenter + sender-checked dispatcher feeding Chromium.
 * Simulated: the self-update server (none exists here), and the guard breach that triggers the
 * rollback (signalled to the agent the way the inference host's CandidateGuard does).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import type { UpdateStatus } from '../../src/common/bridge.js';
import { PAYLOAD_TYPE_MODEL } from '../../src/common/dsse.js';
import { publishModel } from '../../src/fleet/publisher.js';
import { signJson } from '../../src/fleet/signer.js';
import { connect, startBotEndpoint, type BotClient, type BotEndpoint } from '../../src/agent/endpoint/index.js';
import { newEndpointSecret } from '../../src/agent/endpoint/handshake.js';
import { createAgentSource, EndpointCounter, type AgentSource } from '../../src/desktop/agent-source.js';
import { endpointAttachment, observedServices } from '../../src/desktop/endpoint-attachment.js';
import { createStatusPresenter, type StatusPresenter, type UpdaterPort } from '../../src/desktop/status-presenter.js';
import { TelemetryRecorder } from '../../src/agent/telemetry/recorder.js';
import { MetricsWindowSchema } from '../../src/common/wire.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';
import { drawScreen, OnnxTestServices } from '../helpers/endpoint-harness.js';
import { adminClient, buildModel, fixture, makeFleet, pub, publishRelease, releaseOf, T, startTestAgent, workspace, type AgentWorkspace, type TestAgent } from '../integration/agent-harness.js';
import { chromiumMissing, launch, openWindow, screenshot, startServer } from './status-window-harness.js';

const skip = chromiumMissing();

const noUpdateServer: UpdaterPort = {
  status: (): UpdateStatus => ({ state: 'idle', currentVersion: '0.1.0' }),
  check: async () => ({ state: 'idle', currentVersion: '0.1.0' }),
  installNow: async () => {},
  subscribe: () => () => {},
};

let browser: Browser;
let server: Awaited<ReturnType<typeof startServer>>;
let broker: TestBroker;
let ws: AgentWorkspace;
let ta: TestAgent;
let admin: MqttClient;
let services: OnnxTestServices;
let endpoint: BotEndpoint;
let source: AgentSource;
let presenter: StatusPresenter;
let bot: { path: string; secret: string };
let clockMs = Date.parse('2026-11-23T09:00:00Z');
const recorder = new TelemetryRecorder({ clock: () => clockMs });
const fleet = makeFleet();

before(async () => {
  if (skip) return;
  server = await startServer();
  browser = await launch();
  broker = await startAedes();
  ws = await workspace(fleet, 'ws-desk-1');
  ta = await startTestAgent(ws, broker);
  admin = await adminClient(broker);
  // A real bot endpoint whose calls the desktop counts (requests per minute, in flight).
  services = await OnnxTestServices.create();
  const counter = new EndpointCounter();
  const pause = { paused: false };
  const sockDir = join(ws.dir, 'ep');
  mkdirSync(sockDir, { mode: 0o700 });
  const path = join(sockDir, 'endpoint.sock');
  const secret = newEndpointSecret();
  endpoint = await startBotEndpoint({ path, secret, services: observedServices(services, counter, pause, (m, ms, ok) => {
    if (m === 'detect') recorder.record('detector', { latencyMs: ms, ok });
  }), agentVersion: '0.1.0' });
  const attachment = endpointAttachment({ endpoint, path, counter, pause });
  source = createAgentSource({ agent: ta.agent, brokerUrl: broker.url, endpoint: attachment.stats, onDetectionPaused: (p) => attachment.setPaused(p) });
  presenter = createStatusPresenter({ source, updater: noUpdateServer, writeClipboard: () => {} });
  bot = { path, secret };
});

after(async () => {
  presenter?.dispose();
  source?.dispose();
  await endpoint?.close();
  await services?.dispose();
  await ta?.close();
  await admin?.endAsync();
  await broker?.close();
  await ws?.cleanup();
  await browser?.close();
  await server?.close();
});

async function publish(bytes: Uint8Array, version: string) {
  const built = await buildModel(bytes, { role: 'detector', name: 'ui-detector', version, chunkSize: 8 });
  await publishModel(admin, { manifestEnvelope: signJson(PAYLOAD_TYPE_MODEL, built.manifest, fleet.modelKeys), chunks: built.chunks });
  return built;
}

test('status window with a real agent: activation, bot endpoint traffic, fetch with progress, candidate cohort, rollback with its reason, offline (simulated: update server; guard breach signal)', { skip, timeout: 120_000 }, async () => {
  const a = await publish(fixture('tiny-a.onnx'), '1.0.0');
  await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
  await ta.agent.waitFor((s) => s.roles.detector?.state === 'committed', { timeoutMs: 30_000 });

  const w = await openWindow(browser, server.origin, presenter, { colorScheme: 'light', height: 1000 });
  let client: BotClient | undefined;
  try {
    const card = w.page.locator('#role-detector');
    await card.waitFor();
    assert.equal(await card.getAttribute('data-state'), 'committed');
    assert.match(await card.locator('dl.facts').innerText(), /Model\s+ui-detector[\s\S]*Version\s+1\.0\.0[\s\S]*Channel\s+stable[\s\S]*Canary cohort\s+No[\s\S]*Provider\s+CPU/);
    assert.match(await w.page.locator('#broker').innerText(), /Connected/);

    // Real bot traffic: one client, three detections → the window shows them.
    client = await connect({ path: bot.path, secret: bot.secret, clientName: 'desk-test-bot' });
    const png = await drawScreen(160, 100, [{ x: 20, y: 20, w: 60, h: 20, color: '#1060d0' }]);
    for (let i = 0; i < 3; i++) await client.call('detect', { source: { kind: 'png', png: png.toString('base64') } });
    source.touch();
    // Metrics windows from the real telemetry recorder, fed with the measured latency of real detect
    // calls (window boundaries driven by an injected clock: six one-minute windows).
    for (let win = 0; win < 6; win++) {
      for (let i = 0; i < 2; i++) await client.call('detect', { source: { kind: 'png', png: png.toString('base64') } });
      clockMs += 60_000;
      source.addMetricsWindow(MetricsWindowSchema.parse({ agentId: 'ws-desk-1', seq: win, ...recorder.cut() }));
    }
    await w.page.waitForFunction(() => (document.querySelector('#role-detector svg polyline.p50')?.getAttribute('points') ?? '').split(' ').length === 6);
    assert.match(await card.locator('dl.facts').innerText(), /Latency\s+p50 \d+(\.\d)? ms · p95 \d+(\.\d)? ms/);
    await w.page.waitForFunction(() => /Clients\s+1[\s\S]*15 per minute/.test((document.querySelector('#endpoint') as HTMLElement | null)?.innerText ?? ''));
    assert.equal(await w.page.textContent('#overall-badge'), 'Healthy');

    // Pausing from the window makes the real endpoint refuse detection.
    await w.page.click('#act-pause');
    await w.page.waitForFunction(() => document.querySelector('#act-pause')?.getAttribute('data-paused') === 'true');
    await assert.rejects(client.call('detect', { source: { kind: 'png', png: png.toString('base64') } }), /paused by the user/);
    await w.page.click('#act-pause');
    await w.page.waitForFunction(() => document.querySelector('#act-pause')?.getAttribute('data-paused') === 'false');

    // Record every progress value the page renders during the fetch.
    await w.page.evaluate(() => {
      const seen: number[] = [];
      (globalThis as unknown as { __progress: number[] }).__progress = seen;
      new MutationObserver(() => {
        const p = document.querySelector('#role-detector progress');
        if (p && document.querySelector('#role-detector')?.getAttribute('data-state') === 'fetching') seen.push(Number(p.getAttribute('value')));
      }).observe(document.getElementById('roles')!, { childList: true, subtree: true });
    });
    // A candidate for 100 % of agents: this machine is in the canary cohort.
    // Like a slow link: the signed manifest and the release first, then the chunks one by one (the
    // publisher library sends them back-to-back, which a local broker delivers in one batch).
    const b = await buildModel(fixture('tiny-b.onnx'), { role: 'detector', name: 'ui-detector', version: '1.1.0', chunkSize: 8 });
    await pub(admin, T.manifest(b.modelId), JSON.stringify(signJson(PAYLOAD_TYPE_MODEL, b.manifest, fleet.modelKeys)));
    await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: { stable: a.modelId, candidate: { modelId: b.modelId, rolloutId: 'det-1.1.0-r1', percent: 100, shadow: false, gates: { maxErrorRate: 0.01, maxLatencyP95Ms: 100, guardWindowSec: 60, minSamples: 20 } } } } }), fleet.releaseKeys);
    await ta.agent.waitFor((s) => s.roles.detector?.state === 'fetching', { timeoutMs: 30_000 });
    for (const [i, chunk] of b.chunks.entries()) {
      await pub(admin, T.chunk(b.modelId, i), chunk);
      await new Promise((r) => setTimeout(r, 70));
    }
    await ta.agent.waitFor((s) => s.roles.detector?.state === 'active' && s.roles.detector.modelId === b.modelId, { timeoutMs: 30_000 });
    await w.page.waitForFunction(() => document.querySelector('#role-detector')?.getAttribute('data-state') === 'active');
    const progress = await w.page.evaluate(() => (globalThis as unknown as { __progress: number[] }).__progress);
    assert.ok(progress.some((p) => p > 0 && p < 1), `the window showed intermediate fetch progress: ${JSON.stringify(progress)}`);
    assert.deepEqual([...progress].sort((x, y) => x - y), progress, 'progress only goes forward');
    assert.match(await card.locator('dl.facts').innerText(), /Version\s+1\.1\.0[\s\S]*Canary cohort\s+Yes \(rollout det-1\.1\.0-r1\)/);
    assert.equal(await card.locator('.badge.s-canary').textContent(), 'Canary');
    assert.equal(await card.locator('.badge').first().textContent(), 'Active (on trial)');
    await screenshot(w.page, 'agent-canary-light');

    // The candidate breaches its gate: the agent rolls back to the stable model and says why.
    await ta.agent.rollbackCandidate('detector', { reason: 'latency_budget_exceeded', message: 'p95 180 ms over the 100 ms gate' });
    await ta.agent.waitFor((s) => s.roles.detector?.state === 'rolled_back' && s.roles.detector.modelId === a.modelId, { timeoutMs: 30_000 });
    await w.page.waitForFunction(() => document.querySelector('#role-detector')?.getAttribute('data-state') === 'rolled_back');
    assert.equal(await card.locator('.reason').textContent(), 'Rolled back: The new model was too slow on this machine; keeping the current model.');
    assert.match(await card.locator('dl.facts').innerText(), /Version\s+1\.0\.0/);
    const rolled = w.page.locator('#events li[data-type="rolled_back"]').first();
    assert.match((await rolled.locator('.text').textContent()) ?? '', /^Element detector: ui-detector 1\.1\.0 was rolled back\. The new model was too slow on this machine/);
    assert.equal(await w.page.textContent('#overall-badge'), 'Degraded');
    await screenshot(w.page, 'agent-rollback-light');

    // The broker goes away: the window says offline (detection keeps working).
    await broker.stop();
    await w.page.waitForFunction(() => document.body.dataset['state'] === 'offline', undefined, { timeout: 20_000 });
    assert.match((await w.page.textContent('#overall-reason')) ?? '', /^Offline from the update server since \d\d:\d\d; detection keeps working\.$/);
    assert.match(await w.page.locator('#broker').innerText(), /Offline[\s\S]*The update server cannot be reached/);
    await screenshot(w.page, 'agent-offline-light');
    await broker.start();
    await w.page.waitForFunction(() => document.querySelector('#broker')?.getAttribute('data-state') === 'connected', undefined, { timeout: 20_000 });
    assert.deepEqual(w.problems, []);
  } finally {
    client?.close();
    await w.close();
  }
});

test('status window with a real agent, dark mode (OS colour scheme)', { skip, timeout: 60_000 }, async () => {
  const w = await openWindow(browser, server.origin, presenter, { colorScheme: 'dark', height: 1000 });
  try {
    await w.page.locator('#role-detector').waitFor();
    const bg = await w.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(22, 24, 28)');
    await screenshot(w.page, 'agent-dark');
  } finally {
    await w.close();
  }
});
