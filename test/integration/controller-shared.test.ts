/**
 * Two controllers on one Mosquitto with an MQTT 5 shared subscription ($share/ctl/…) and one SQLite
 * file: the metrics stream is split between them (each gets part, none gets all), every window is
 * stored once, both see every agent's retained status, and only the lease holder drives the rollout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetController, startRollout } from '../../src/fleet/controller/controller.js';
import { DEFAULT_SPEC } from '../../src/fleet/controller/judge.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { makeSimKeys, publishSimModel, publishSimRelease, startFleetSim } from '../../src/fleet/sim/index.js';
import { startMosquitto } from '../helpers/brokers.js';

async function waitFor(f: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('two controllers share the metric stream via $share and one SQLite file; one drives the rollout', async () => {
  const broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'rpa-ctl-shared-'));
  const keys = makeSimKeys();
  const admin = await connectBroker({ url: broker.url, protocolVersion: 5 });
  const ctls: { ctl: FleetController; store: ControllerStore; client: Awaited<ReturnType<typeof connectBroker>> }[] = [];
  let fleet: Awaited<ReturnType<typeof startFleetSim>> | undefined;
  try {
    const stable = await publishSimModel(admin, { keys, role: 'detector', name: 'd', version: '1.0.0', size: 2000 });
    const cand = await publishSimModel(admin, { keys, role: 'detector', name: 'd', version: '1.1.0', size: 2000 });
    await publishSimRelease(admin, { keys, channel: 'prod', roles: { detector: { stable } } });
    for (const name of ['ctl-a', 'ctl-b']) {
      const store = new ControllerStore(join(dir, 'fleet.db'));
      const client = await connectBroker({ url: broker.url, protocolVersion: 5, clientId: name });
      const ctl = new FleetController({ client, store, releaseKeys: [keys.releases], tickMs: 150, sharedGroup: 'ctl', instanceId: name });
      await ctl.start();
      ctls.push({ ctl, store, client });
    }
    fleet = await startFleetSim({ url: broker.url, count: 12, channel: 'prod', trust: keys.trust, windowMs: 300, requestsPerWindow: 30 });
    const store = ctls[0]!.store;
    await waitFor(() => store.agents().filter((a) => a.online).length === 12, 10_000, () => 'statuses');
    await waitFor(() => ctls.every((c) => c.ctl.stats.windows > 5), 10_000, () => `both receive windows (${ctls.map((c) => c.ctl.stats.windows)})`);
    const [a, b] = ctls.map((c) => c.ctl.stats.windows) as [number, number];
    const total = fleet.agents.reduce((s, x) => s + x.counters.windows, 0);
    assert.ok(a < total && b < total, `the stream is split: ${a} + ${b} of ${total}`);

    const id = startRollout(store, { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate: cand, waves: [50, 100], waveMinDurationMs: 800, minAgents: 2, minRequests: 30, breachLookbackMs: 1500 }, Date.now());
    await waitFor(() => store.rollout(id)!.state === 'completed', 30_000, () => `state ${store.rollout(id)?.state}`);
    await waitFor(() => fleet!.countActive('detector', cand) === 12, 10_000, () => 'all on candidate');
    const published = ctls.map((c) => c.ctl.stats.releasesPublished);
    assert.ok(published.filter((n) => n > 0).length === 1, `one lease holder published every release (${published})`);
    // every window stored once, whichever controller received it
    for (const ag of fleet.agents) {
      const seqs = store.windowSeqs(ag.agentId);
      assert.equal(new Set(seqs).size, seqs.length);
    }
  } finally {
    await fleet?.close();
    for (const c of ctls) {
      await c.ctl.close();
      c.client.end(true);
      c.store.close();
    }
    admin.end(true);
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
