/**
 * The simulator speaks the real protocol with real checks (aedes in-process): it rejects a release
 * signed by an untrusted key and a replayed seq, refuses a model whose chunk does not match the signed
 * manifest, takes the candidate exactly when its bucket is below the percent, and its last will marks
 * it offline when it dies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { rolloutBucket } from '../../src/common/bucket.js';
import { PAYLOAD_TYPE_RELEASE } from '../../src/common/dsse.js';
import { AgentStatusSchema, type AgentEvent } from '../../src/common/wire.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { generateSigningKey, signJson } from '../../src/fleet/signer.js';
import { makeSimKeys, publishSimModel, startFleetSim } from '../../src/fleet/sim/index.js';
import { join } from 'node:path';
import { startAedes } from '../helpers/brokers.js';
import { lastJsonLine, runUntilExit } from '../helpers/child-exit.js';

async function waitFor(f: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('simulated agents: signatures, replay, chunk integrity, bucket rule and last will are real', async () => {
  const broker = await startAedes();
  const keys = makeSimKeys();
  const admin: MqttClient = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const events: AgentEvent[] = [];
  const sim = await startFleetSim({ url: broker.url, count: 30, channel: 'c1', trust: keys.trust, windowMs: 60_000, mqtt: { protocolVersion: broker.protocolVersion }, onEvent: (e) => events.push(e) });
  const watcher = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  // Signed by the trusted releases key, published raw (the retained release may be the forged one).
  const release = async (seq: number, roles: Record<string, unknown>) => {
    const r = { schemaVersion: 1, channel: 'c1', seq, issued: new Date().toISOString(), expires: new Date(Date.now() + 3.6e6).toISOString(), roles };
    await admin.publishAsync('rpa/v1/channels/c1/release', JSON.stringify(signJson(PAYLOAD_TYPE_RELEASE, r, [keys.releases])), { qos: 1, retain: true });
  };
  try {
    const stable = await publishSimModel(admin, { keys, role: 'detector', name: 'd', version: '1.0.0', size: 2500, chunkSize: 1000 });
    const cand = await publishSimModel(admin, { keys, role: 'detector', name: 'd', version: '1.1.0', size: 2500, chunkSize: 1000 });
    // A release signed by a key the agents do not trust is rejected by every agent.
    const rogue = generateSigningKey();
    const forged = { schemaVersion: 1, channel: 'c1', seq: 99, issued: new Date().toISOString(), expires: new Date(Date.now() + 3.6e6).toISOString(), roles: { detector: { stable } } };
    await admin.publishAsync('rpa/v1/channels/c1/release', JSON.stringify(signJson(PAYLOAD_TYPE_RELEASE, forged, [rogue])), { qos: 1, retain: true });
    await waitFor(() => events.filter((e) => e.type === 'release_rejected' && e.reason === 'untrusted_key').length === 30, 10_000, () => `rejections ${events.filter((e) => e.type === 'release_rejected').length}`);
    assert.ok(sim.agents.every((a) => a.activeModel('detector') === undefined));

    // Genuine release: everyone fetches (every chunk checked) and activates stable.
    await release(1, { detector: { stable } });
    await waitFor(() => sim.countActive('detector', stable) === 30, 10_000, () => `on stable ${sim.countActive('detector', stable)}`);
    assert.ok(sim.agents.every((a) => a.counters.bytesFetched === 2500));

    // 40 % candidate: exactly the agents whose bucket is below 40 take it.
    await release(2, { detector: { stable, candidate: { modelId: cand, rolloutId: 'r1', percent: 40, shadow: false, gates: { maxErrorRate: 0.01, maxLatencyP95Ms: 100, guardWindowSec: 60, minSamples: 20 } } } });
    const expected = sim.agents.filter((a) => rolloutBucket(a.agentId, 'r1') < 40).map((a) => a.agentId).sort();
    await waitFor(() => sim.countActive('detector', cand) === expected.length, 10_000, () => `on candidate ${sim.countActive('detector', cand)} of ${expected.length}`);
    assert.deepEqual(sim.agents.filter((a) => a.activeModel('detector') === cand).map((a) => a.agentId).sort(), expected);

    // Replaying the older seq-1 release is refused (rollback attack).
    await release(1, { detector: { stable } });
    await waitFor(() => events.some((e) => e.reason === 'release_replayed'), 5000, () => 'replay rejected');
    assert.equal(sim.countActive('detector', cand), expected.length, 'nothing changed');

    // A model whose chunk was swapped on the broker is refused, and the agents keep their model.
    const bad = await publishSimModel(admin, { keys, role: 'detector', name: 'd', version: '1.2.0', size: 2500, chunkSize: 1000 });
    await admin.publishAsync(`rpa/v1/models/${bad}/chunks/1`, Buffer.alloc(1000, 7), { qos: 1, retain: true });
    await release(3, { detector: { stable: bad } });
    await waitFor(() => events.filter((e) => e.type === 'model_rejected' && e.reason === 'chunk_hash_mismatch').length === 30, 10_000, () => `chunk rejections ${events.filter((e) => e.type === 'model_rejected').length}`);
    assert.equal(sim.countActive('detector', bad), 0);
    assert.equal(sim.countActive('detector', cand) + sim.countActive('detector', stable), 30);

    // Presence: a crashed agent's last will marks it offline (retained).
    const victim = sim.agents[0]!;
    const statuses: boolean[] = [];
    watcher.on('message', (_t, p) => p.length && statuses.push(AgentStatusSchema.parse(JSON.parse(p.toString())).online));
    await watcher.subscribeAsync(`rpa/v1/agents/${victim.agentId}/status`, { qos: 1 });
    await waitFor(() => statuses.at(-1) === true, 5000, () => 'online status');
    await victim.close({ crash: true });
    await waitFor(() => statuses.at(-1) === false, 10_000, () => `offline via will (${statuses})`);
  } finally {
    watcher.end(true);
    await sim.close();
    admin.end(true);
    await broker.close();
  }
});

test('a process whose simulated agents are closed while waiting for chunks and for a manifest exits by itself (no wait timer outlives close)', { timeout: 60_000 }, async () => {
  const script = join(import.meta.dirname, '..', 'fixtures', 'scripts', 'sim-close-exit.ts');
  const { code, out, err } = await runUntilExit(script, { marker: '"closed":true', graceMs: 10_000 });
  assert.equal(code, 0, `child ${code}\n${err}`);
  // every agent really was inside both waits when it was closed (a run where nothing waited proves nothing)
  assert.deepEqual(lastJsonLine(out), { closed: true, waiting: 4 });
});
