/**
 * Issue 21 §1: the controller's Prometheus view says which variant serves each role across the fleet
 * (`rpa_fleet_agent_variants{role, variant}`), from the agents' retained status (roles.<role>.variant).
 * Real Mosquitto, real controller store (SQLite).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentStatus } from '../../src/common/wire.js';
import { FleetController } from '../../src/fleet/controller/controller.js';
import { controllerRegistry, serveMetrics } from '../../src/fleet/controller/prometheus.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { generateSigningKey } from '../../src/fleet/signer.js';
import { startMosquitto } from '../helpers/brokers.js';

test('controller metrics: agents by role and serving variant', { timeout: 60_000 }, async () => {
  const broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'rpa-ctl-variants-'));
  const store = new ControllerStore(join(dir, 'fleet.db'));
  const client = await connectBroker({ url: broker.url, protocolVersion: 5, clientId: 'controller-v' });
  const ctl = new FleetController({ client, store, releaseKeys: [generateSigningKey()], tickMs: 100, flushMs: 20 });
  await ctl.start();
  const metrics = await serveMetrics(controllerRegistry(ctl), 0);
  const pub = await connectBroker({ url: broker.url, protocolVersion: 5, clientId: 'status-writer' });
  const M = 'a'.repeat(64);
  const status = (agentId: string, variant?: string): AgentStatus => ({
    agentId,
    online: true,
    ts: new Date().toISOString(),
    agentVersion: '0.1.0',
    channel: 'stable',
    roles: { detector: { state: 'committed', modelId: M, ...(variant ? { variant: { name: variant, precision: variant } } : {}) } },
  });
  try {
    for (const [id, v] of [['a1', 'int8'], ['a2', 'int8'], ['a3', 'fp32'], ['old', undefined]] as const)
      await pub.publishAsync(`rpa/v1/agents/${id}/status`, JSON.stringify(status(id, v)), { qos: 1, retain: true });
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!/variant="int8"\} 2/.test(text) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      text = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
    }
    assert.match(text, /rpa_fleet_agent_variants\{role="detector",variant="int8"\} 2/);
    assert.match(text, /rpa_fleet_agent_variants\{role="detector",variant="fp32"\} 1/);
    assert.match(text, /rpa_fleet_agent_variants\{role="detector",variant=""\} 1/, 'an agent older than variants reports none');
  } finally {
    pub.end(true);
    await metrics.close();
    await ctl.close();
    client.end(true);
    store.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
