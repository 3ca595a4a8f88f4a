/**
 * Issue 16 §5 with the real controller on a real broker (aedes in-process) and real SQLite; time is a
 * fake clock driven by the test (ticks are called by hand, the controller's timers are no-ops):
 *  - pause stops the wave clock: paused time does not count toward waveMinDuration;
 *  - the controller's heartbeat tells the CLI a controller is attached;
 *  - /health over real HTTP: 200 with the broker connected, 503 (readiness) once the broker is gone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetController, controlRollout, startRollout, type ControllerTimers } from '../../src/fleet/controller/controller.js';
import { DEFAULT_SPEC, type Verdict } from '../../src/fleet/controller/judge.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { ControllerHeartbeats } from '../../src/fleet/controller/heartbeat.js';
import { controllerHealth } from '../../src/fleet/controller/health.js';
import { controllerRegistry, serveMetrics } from '../../src/fleet/controller/prometheus.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { makeSimKeys } from '../../src/fleet/sim/index.js';
import { startAedes } from '../helpers/brokers.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
/** fake timers: the test calls tick() itself */
const manualTimers: ControllerTimers = { setInterval: () => 0, clearInterval: () => undefined };

async function setup() {
  const broker = await startAedes();
  const dir = mkdtempSync(join(tmpdir(), 'rpa-ctl-operable-'));
  const store = new ControllerStore(join(dir, 'fleet.db'));
  const client = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const clock = { now: Date.parse('2026-12-06T10:00:00Z') };
  const ctl = new FleetController({ client, store, releaseKeys: [makeSimKeys().releases], clock: () => clock.now, timers: manualTimers, tickMs: 1000 });
  await ctl.start();
  store.putRelease({ schemaVersion: 1, channel: 'prod', seq: 1, issued: new Date(0).toISOString(), expires: new Date(clock.now + 86_400_000).toISOString(), roles: { detector: { stable: B } } }, clock.now);
  return {
    broker, dir, store, client, clock, ctl,
    async close() {
      await ctl.close();
      client.end(true);
      store.close();
      await broker.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const elapsedOf = (store: ControllerStore, id: string) => ((store.rollout(id)!.result?.['latest'] as Verdict).summary.elapsedMs);

test('pause stops the wave clock: paused time does not count toward waveMinDuration (fake clock)', async () => {
  const w = await setup();
  try {
    const { clock, store, ctl } = w;
    const id = startRollout(store, { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate: A, waves: [100], waveMinDurationMs: 60_000 }, clock.now);
    await ctl.tick(); // publishes the wave
    assert.equal(store.rollout(id)!.state, 'running');
    clock.now += 10_000;
    await ctl.tick();
    assert.equal(elapsedOf(store, id), 10_000);
    controlRollout(store, id, 'pause', clock.now);
    clock.now += 600_000; // ten minutes paused
    await ctl.tick();
    assert.equal(elapsedOf(store, id), 10_000, 'the clock stood still while paused');
    assert.equal(store.rollout(id)!.state, 'paused');
    controlRollout(store, id, 'resume', clock.now);
    clock.now += 5_000;
    await ctl.tick();
    assert.equal(elapsedOf(store, id), 15_000, 'it runs again after resume');
    const latest = store.rollout(id)!.result?.['latest'] as Verdict;
    assert.equal(latest.kind === 'pass', false, 'the wave has not run its minimum yet');
    assert.ok(latest.reasons.some((r) => /wave has run 15 s of 60 s/.test(r)), latest.reasons.join('; '));
  } finally {
    await w.close();
  }
});

test('heartbeat: a ticking controller is attached for the CLI; /health is 200, then 503 when the broker is gone', async () => {
  const w = await setup();
  try {
    const { clock, store, ctl } = w;
    assert.equal(new ControllerHeartbeats(store.db).attachment(clock.now).kind, 'never');
    await ctl.tick();
    const att = new ControllerHeartbeats(store.db).attachment(clock.now);
    assert.equal(att.kind, 'attached');
    assert.equal(att.kind === 'attached' && att.heartbeat.instanceId, ctl.instanceId);
    assert.equal(new ControllerHeartbeats(store.db).attachment(clock.now + 60_000).kind, 'detached');

    const server = await serveMetrics(controllerRegistry(ctl, () => clock.now), 0, '127.0.0.1', { health: () => controllerHealth(ctl, clock.now) });
    try {
      const get = async (path: string) => {
        const r = await fetch(`http://127.0.0.1:${server.port}${path}`);
        return { status: r.status, type: r.headers.get('content-type'), body: (await r.json()) as { ready: boolean; live: boolean; checks: Record<string, { ok: boolean; detail: string }> } };
      };
      const ok = await get('/health');
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.type, 'application/json');
      assert.deepEqual([ok.body.live, ok.body.ready, ok.body.checks['broker']!.ok, ok.body.checks['store']!.ok], [true, true, true, true]);
      const metrics = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      assert.equal(metrics.status, 200, 'the same server still serves /metrics');
      await metrics.text();

      await w.broker.close(); // the broker goes away
      const deadline = Date.now() + 10_000;
      while (w.client.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const down = await get('/health');
      assert.equal(down.status, 503);
      assert.deepEqual([down.body.live, down.body.ready, down.body.checks['broker']!.ok], [true, false, false]);
      assert.equal((await get('/health/live')).status, 200, 'still alive: an orchestrator must not restart it for this');
      clock.now += 60_000; // no tick for a minute
      assert.equal((await get('/health/live')).status, 503);
    } finally {
      await server.close();
    }
  } finally {
    await w.close();
  }
});
