/**
 * Issue 17 §1 "Stalls and leftovers", with real aedes, SQLite and onnxruntime:
 * - a stalled fetch (chunks missing on the broker) superseded by a release naming the active model leaves
 *   the role's status true: committed, no pending download (it stayed `fetching`);
 * - the blob store holds exactly what keepVersions and the active model need: blobs of models rejected at
 *   activation are garbage-collected (17 were seen with keepVersions 3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startAedes } from '../helpers/brokers.js';
import { adminClient, buildModel, fixture, makeFleet, pub, publishBuilt, publishRaw, publishRelease, releaseOf, signManifestRaw, startTestAgent, T, workspace } from './agent-harness.js';
import type { TestAgent } from './agent-harness.js';
import { variantBytes } from './service-helpers.js';

async function scene(agentId: string, fn: (s: { admin: Awaited<ReturnType<typeof adminClient>>; fleet: ReturnType<typeof makeFleet>; start: (o?: Record<string, unknown>) => Promise<TestAgent> }) => Promise<void>) {
  const broker = await startAedes();
  const fleet = makeFleet();
  const ws = await workspace(fleet, agentId);
  const admin = await adminClient(broker);
  const agents: TestAgent[] = [];
  try {
    await fn({ admin, fleet, start: async (o = {}) => agents[agents.push(await startTestAgent(ws, broker, o)) - 1]! });
  } finally {
    for (const a of agents) await a.close();
    await admin.endAsync();
    await broker.close();
    await ws.cleanup();
  }
}

test('a stalled fetch superseded by a release naming the active model: status back to committed, nothing pending', { timeout: 60_000 }, async () => {
  await scene('agent-stall-sup', async ({ admin, fleet, start }) => {
    const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
    const b = await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '2.0.0' });
    await publishBuilt(admin, a, fleet.modelKeys);
    await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
    const { agent } = await start();
    await agent.waitFor((s) => s.roles.detector?.state === 'committed', { timeoutMs: 20_000 });
    // B's manifest and its first chunk only: the fetch stalls
    await pub(admin, T.chunk(b.modelId, 0), b.chunks[0]!);
    await pub(admin, T.manifest(b.modelId), JSON.stringify(signManifestRaw(b.manifest, fleet.modelKeys)));
    await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: { stable: b.modelId } } }), fleet.releaseKeys);
    await agent.waitFor((s) => s.roles.detector?.state === 'fetching', { timeoutMs: 10_000 });
    // the fleet goes back to A, which is serving
    await publishRelease(admin, releaseOf({ seq: 3, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
    const s = await agent.waitFor((x) => x.releaseSeq === 3 && x.roles.detector?.state === 'committed', { timeoutMs: 5000 });
    assert.equal(s.roles.detector?.modelId, a.modelId);
    assert.equal(s.roles.detector?.pending, undefined, 'no download pending');
  });
});

test('blobs of models rejected at activation are garbage-collected: the store holds the active model and keepVersions, nothing else', { timeout: 90_000 }, async () => {
  await scene('agent-gc-rejected', async ({ admin, fleet, start }) => {
    const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
    await publishBuilt(admin, a, fleet.modelKeys);
    await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
    const ta = await start({ keepVersions: 1 });
    await ta.agent.waitFor((s) => s.roles.detector?.state === 'committed', { timeoutMs: 20_000 });
    for (let i = 0; i < 3; i++) {
      // a validly signed model whose self-test expects the wrong output: downloaded, stored, rejected at activation
      const bad = await buildModel(variantBytes(fixture('tiny-b.onnx'), `bad-${i}`), { name: 'tiny-b', version: `3.0.${i}` });
      const manifest = { ...bad.manifest, selfTest: { input: { name: 'x', shape: [1, 4], data: [1, 2, 3, 4] }, expected: { name: 'y', values: [0, 0, 0, 0] }, tolerance: 1e-4 } };
      await publishRaw(admin, { modelId: bad.modelId, manifest, chunks: bad.chunks, keys: fleet.modelKeys });
      await publishRelease(admin, releaseOf({ seq: 2 + i, roles: { detector: { stable: bad.modelId } } }), fleet.releaseKeys);
      await ta.agent.waitForEvent((e) => e.type === 'activation_failed' && e.modelId === bad.modelId, { timeoutMs: 20_000 });
    }
    assert.equal(ta.agent.snapshot().roles.detector?.modelId, a.modelId, 'A still active');
    const blobs = readdirSync(join(ta.config.dataDir, 'blobs')).filter((f) => /^[0-9a-f]{64}$/.test(f));
    assert.deepEqual(blobs, [a.modelId], 'only the active model is stored');
  });
});

test('a fetch missing a chunk: stall timeout, re-subscribed with backoff, fetch_stalled event and alert; it completes when the chunks come', { timeout: 60_000 }, async () => {
  await scene('agent-stall', async ({ admin, fleet, start }) => {
    const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
    const b = await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '2.0.0' });
    await publishBuilt(admin, a, fleet.modelKeys);
    await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
    const { agent } = await start({ fetch: { stallMs: 300 } });
    await agent.waitFor((s) => s.roles.detector?.state === 'committed', { timeoutMs: 20_000 });
    await pub(admin, T.chunk(b.modelId, 0), b.chunks[0]!);
    await pub(admin, T.manifest(b.modelId), JSON.stringify(signManifestRaw(b.manifest, fleet.modelKeys)));
    await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: { stable: b.modelId } } }), fleet.releaseKeys);
    const second = await agent.waitForEvent((e) => e.type === 'fetch_stalled' && e.details?.['attempt'] === 2, { timeoutMs: 10_000 });
    const first = agent.snapshot().recentEvents.find((e) => e.type === 'fetch_stalled' && e.details?.['attempt'] === 1);
    assert.equal(first?.details?.['waitedMs'], 300);
    assert.equal(second.details?.['waitedMs'], 600, 'backoff doubles');
    assert.equal(second.modelId, b.modelId);
    assert.ok(agent.snapshot().alerts?.some((x) => x.code === 'fetch_stalled' && x.role === 'detector'), 'status says the download stalled');
    for (let i = 1; i < b.chunks.length; i++) await pub(admin, T.chunk(b.modelId, i), b.chunks[i]!);
    const done = await agent.waitFor((s) => s.roles.detector?.modelId === b.modelId && s.roles.detector.state === 'committed', { timeoutMs: 20_000 });
    assert.ok(!done.alerts?.some((x) => x.code === 'fetch_stalled'), 'the alert ends with the download');
  });
});
