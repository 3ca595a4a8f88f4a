/**
 * The fleet simulator fetches model bytes from the manifest's HTTPS origin too (DESIGN.md "Scale path";
 * issue 6), checking every chunk against the signed manifest, and falls back to the broker's chunks
 * (reported as origin_fallback) when the origin fails. Real Mosquitto, real HTTPS server, test CA.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { AgentEvent } from '../../src/common/wire.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { makeSimKeys, publishSimModel, publishSimRelease, startFleetSim } from '../../src/fleet/sim/index.js';
import { startMosquitto } from '../helpers/brokers.js';
import { startOrigin, type OriginFaults } from '../helpers/origin-server.js';

const SIZE = 300 * 1024 + 17;
const CHUNK = 64 * 1024;

async function scenario(faults: OriginFaults, agents = 4) {
  const broker = await startMosquitto();
  const origin = await startOrigin();
  const admin = await connectBroker({ url: broker.url, protocolVersion: 5 });
  const events: AgentEvent[] = [];
  const keys = makeSimKeys();
  const bytes = new Uint8Array(randomBytes(SIZE));
  const id = createHash('sha256').update(bytes).digest('hex');
  origin.put(id, bytes);
  origin.faults = faults;
  const stable = await publishSimModel(admin, { keys, role: 'detector', name: 'd', version: '1.0.0', size: 1024 });
  const cand = await publishSimModel(admin, { keys, role: 'detector', name: 'd', version: '2.0.0', bytes, chunkSize: CHUNK, origins: [origin.modelUrl(id)] });
  assert.equal(cand, id);
  const sim = await startFleetSim({ url: broker.url, count: agents, channel: 'c', trust: keys.trust, preinstalled: [stable], originCa: origin.ca, windowMs: 60_000, onEvent: (e) => events.push(e) });
  await publishSimRelease(admin, { keys, channel: 'c', roles: { detector: { stable: cand } } });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && sim.countActive('detector', cand) + events.filter((e) => e.type === 'model_rejected').length < agents) await new Promise((r) => setTimeout(r, 50));
  return {
    sim,
    origin,
    events,
    cand,
    async close() {
      await sim.close();
      admin.end(true);
      await origin.close();
      await broker.close();
    },
  };
}

test('simulator: agents fetch the candidate from the HTTPS origin (pinned test CA), chunk-verified; nothing from the broker', { timeout: 60_000 }, async () => {
  const s = await scenario({});
  try {
    assert.equal(s.sim.countActive('detector', s.cand), 4);
    const sum = s.sim.summary();
    assert.equal(sum.bytesFromOrigin, 4 * SIZE);
    assert.equal(sum.bytesFetched, 4 * SIZE);
    assert.equal(sum.originFallbacks, 0);
    assert.equal(s.origin.requests.length, 4);
  } finally {
    await s.close();
  }
});

test('simulator: tampered origin bytes → model_rejected chunk_hash_mismatch; origin down → origin_fallback and the broker chunks', { timeout: 90_000 }, async () => {
  const bad = await scenario({ tamperAt: CHUNK + 5 }, 2);
  try {
    assert.equal(bad.sim.countActive('detector', bad.cand), 0);
    const rej = bad.events.filter((e) => e.type === 'model_rejected');
    assert.equal(rej.length, 2);
    assert.ok(rej.every((e) => e.reason === 'chunk_hash_mismatch'), JSON.stringify(rej));
  } finally {
    await bad.close();
  }
  const down = await scenario({ status: 503 }, 2);
  try {
    assert.equal(down.sim.countActive('detector', down.cand), 2);
    assert.equal(down.events.filter((e) => e.type === 'origin_fallback' && e.reason === 'origin_unavailable').length, 2);
    const sum = down.sim.summary();
    assert.equal(sum.bytesFromOrigin, 0);
    assert.equal(sum.bytesFetched, 2 * SIZE);
  } finally {
    await down.close();
  }
});
