/**
 * Agent telemetry → Mosquitto → controller: across a broker outage every metrics window is stored
 * exactly once (by agentId, seq), duplicates and out-of-order windows change nothing, and the
 * controller's Prometheus /metrics reports them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { startTelemetry } from '../../src/agent/telemetry/index.js';
import { FakeTimers } from '../../src/common/lifetime.js';
import { FleetController } from '../../src/fleet/controller/controller.js';
import { controllerRegistry, serveMetrics } from '../../src/fleet/controller/prometheus.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { generateSigningKey } from '../../src/fleet/signer.js';
import { startMosquitto } from '../helpers/brokers.js';

const M1 = 'd'.repeat(64);
const manualTimers = new FakeTimers(Date.now()); // FAKE timers: never advanced, so windows are cut by the test

async function waitFor(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('broker outage: every metrics window reaches the controller exactly once after reconnect', async () => {
  const broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'rpa-telctl-'));
  const store = new ControllerStore(join(dir, 'fleet.db'));
  // The controller keeps a persistent session so windows sent while it reconnects wait for it.
  const ctlClient = await connectBroker({ url: broker.url, protocolVersion: 5, clientId: 'controller-1', mqttOptions: { reconnectPeriod: 100, clean: false, properties: { sessionExpiryInterval: 600 } } });
  const ctl = new FleetController({ client: ctlClient, store, releaseKeys: [generateSigningKey()], tickMs: 100, flushMs: 20 });
  await ctl.start();
  const metrics = await serveMetrics(controllerRegistry(ctl), 0);
  const agentDb = new Database(join(dir, 'agent.db'));
  const agent = mqtt.connect(broker.url, { clientId: 'agent-1', protocolVersion: 5, reconnectPeriod: 1500, connectTimeout: 2000 });
  agent.on('error', () => {});
  await new Promise<void>((r) => agent.once('connect', () => r()));
  const tel = startTelemetry({ client: agent, db: agentDb, agentId: 'agent-1', timers: manualTimers });
  try {
    tel.setRoleInfo('detector', { modelId: M1, provider: 'cpu', cohort: 'stable' });
    const cut = (errors: number) => {
      for (let i = 0; i < 20; i++) tel.recorder.record('detector', { latencyMs: 4 + i, ok: i >= errors, confidences: [0.9] });
      tel.cutWindow();
    };
    for (let i = 0; i < 3; i++) cut(0);
    await waitFor(() => (ctl.flushIngest(), store.windowSeqs('agent-1').length === 3), 10_000, () => `3 windows stored (${store.windowSeqs('agent-1')})`);

    await broker.stop();
    for (let i = 0; i < 4; i++) cut(1); // held in the agent's SQLite outbox during the outage
    assert.equal(tel.outbox.pending(), 4);
    await broker.start();
    await waitFor(() => tel.outbox.pending() === 0, 20_000, () => `outbox drained (${tel.outbox.pending()} left)`);
    await waitFor(() => (ctl.flushIngest(), store.windowSeqs('agent-1').length === 7), 10_000, () => `7 windows stored (${store.windowSeqs('agent-1')})`);
    assert.deepEqual(store.windowSeqs('agent-1'), [0, 1, 2, 3, 4, 5, 6], 'each window once, none lost');

    // Redelivery and reordering on the wire change nothing: replay seq 5 and 2 (late) as raw publishes.
    const dupBefore = ctl.stats.duplicates;
    const stored = new Map(store.recentWindows('agent-1', 10).map((w) => [w.seq, w]));
    await agent.publishAsync('rpa/v1/agents/agent-1/metrics', JSON.stringify(stored.get(5)), { qos: 1 });
    await agent.publishAsync('rpa/v1/agents/agent-1/metrics', JSON.stringify(stored.get(2)), { qos: 1 });
    await waitFor(() => (ctl.flushIngest(), ctl.stats.duplicates - dupBefore === 2), 5000, () => `duplicates counted (${ctl.stats.duplicates})`);
    assert.deepEqual(store.windowSeqs('agent-1'), [0, 1, 2, 3, 4, 5, 6]);
    const rows = store.roleRows('detector', M1, 0);
    assert.equal(rows.length, 7);
    assert.equal(rows.reduce((s, r) => s + r.count, 0), 140);
    assert.equal(rows.reduce((s, r) => s + r.errors, 0), 4, 'one error in each outage window, counted once');

    const text = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
    assert.match(text, /rpa_fleet_windows_total \d+/);
    assert.match(text, /rpa_fleet_windows_duplicate_total [1-9]/);
    assert.match(text, /rpa_fleet_error_rate\{role="detector",cohort="stable",model="dddddddddddd",provider="cpu"\} 0\.028/);
  } finally {
    await tel.close();
    agent.end(true);
    agentDb.close();
    await metrics.close();
    await ctl.close();
    ctlClient.end(true);
    store.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
