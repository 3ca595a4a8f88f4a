/**
 * Telemetry outbox against real brokers (aedes in-process, Mosquitto as a process): windows are held in
 * SQLite until PUBACK, survive a broker outage and an agent restart during it, and every window
 * arrives exactly once by (agentId, seq) after reconnect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { startTelemetry } from '../../src/agent/telemetry/index.js';
import { FakeTimers } from '../../src/common/lifetime.js';
import { MetricsWindowSchema, type MetricsWindow } from '../../src/common/wire.js';
import { brokerKinds } from '../helpers/brokers.js';

const M1 = 'c'.repeat(64);
const manualTimers = new FakeTimers(Date.now()); // FAKE timers: never advanced, so windows are cut by the test

async function waitFor(cond: () => boolean, ms = 10_000, what: string | (() => string) = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function connect(url: string, clientId: string, protocolVersion: 4 | 5, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId, protocolVersion, reconnectPeriod: 100, connectTimeout: 2000, ...extra });
  return new Promise((res, rej) => {
    c.once('connect', () => res(c));
    c.once('error', rej);
  });
}

for (const kind of brokerKinds) {
  test(`telemetry outbox (${kind.name}): broker outage + agent restart lose nothing; each window arrives once`, async () => {
    const broker = await kind.start();
    const dir = mkdtempSync(join(tmpdir(), 'rpa-outbox-'));
    const dbPath = join(dir, 'agent.db');
    const received: MetricsWindow[] = [];
    // Persistent session (clean: false) so the listener itself misses nothing during the outage.
    const listener = await connect(broker.url, 'listener-1', broker.protocolVersion, { clean: false, ...(broker.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 300 } } : {}) });
    listener.on('message', (_t, p) => received.push(MetricsWindowSchema.parse(JSON.parse(p.toString()))));
    await listener.subscribeAsync('rpa/v1/agents/+/metrics', { qos: 1 });
    let db = new Database(dbPath);
    let client = await connect(broker.url, 'agent-1', broker.protocolVersion);
    let tel = startTelemetry({ client, db, agentId: 'agent-1', timers: manualTimers, windowMs: 1000 });
    try {
      tel.setRoleInfo('detector', { modelId: M1, provider: 'cpu', cohort: 'stable' });
      for (let w = 0; w < 3; w++) {
        for (let i = 0; i < 10; i++) tel.recorder.record('detector', { latencyMs: 5 + i, ok: true, confidences: [0.9] });
        tel.cutWindow();
      }
      await waitFor(() => received.length === 3 && tel.outbox.pending() === 0, 10_000, 'first three windows acknowledged');

      await broker.stop();
      await waitFor(() => !client.connected, 5000, 'agent to notice the outage');
      for (let w = 0; w < 2; w++) {
        tel.recorder.record('detector', { latencyMs: 7, ok: false });
        tel.cutWindow();
      }
      assert.equal(tel.outbox.pending(), 2, 'windows held in SQLite during the outage');
      // Agent restart during the outage: process state gone, only the SQLite file remains.
      await tel.close();
      client.end(true);
      db.close();
      db = new Database(dbPath);
      // manualConnect: the restarted agent connects only once the listener is back (the listener's own
      // reconnect is not what this test is about).
      client = mqtt.connect(broker.url, { clientId: 'agent-1', protocolVersion: broker.protocolVersion, reconnectPeriod: 100, connectTimeout: 2000, manualConnect: true });
      client.on('error', () => {});
      tel = startTelemetry({ client, db, agentId: 'agent-1', timers: manualTimers, windowMs: 1000 });
      tel.setRoleInfo('detector', { modelId: M1, provider: 'cpu', cohort: 'stable' });
      tel.cutWindow(); // a window cut while still offline, after the restart
      assert.equal(tel.outbox.pending(), 3);

      let listenerBack = false;
      listener.once('connect', () => (listenerBack = true));
      await broker.start();
      await waitFor(() => listenerBack, 10_000, 'listener reconnected');
      await listener.subscribeAsync('rpa/v1/agents/+/metrics', { qos: 1 });
      client.connect();
      await waitFor(() => tel.outbox.pending() === 0, 15_000, 'outbox drained after reconnect');
      await waitFor(() => new Set(received.map((w) => w.seq)).size === 6, 10_000, () => `all six windows at the listener (got ${JSON.stringify(received.map((w) => w.seq))})`);
      const seqs = [...new Set(received.map((w) => w.seq))].sort((a, b) => a - b);
      assert.deepEqual(seqs, [0, 1, 2, 3, 4, 5], 'seq continues across the restart, nothing lost');
      // QoS 1 is at-least-once on each leg (agent→broker, broker→listener): a redelivery is legal on the
      // wire and is dropped by (agentId, seq) downstream; the controller test checks that it is.
      const w4 = received.find((w) => w.seq === 3)!;
      assert.equal(w4.roles.detector!.errors, 1);
      assert.ok(w4.process && w4.process.rssBytes > 0);
    } finally {
      await tel.close();
      client.end(true);
      listener.end(true);
      db.close();
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
