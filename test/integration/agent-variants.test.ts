/**
 * Issue 21 §1, hardware variants end to end: the fleet library builds one signed manifest listing an "int8"
 * variant (a real ONNX file, see variant-fixtures.ts), publishes base and variant chunks, and real agents
 * (aedes, onnxruntime sessions, SQLite registry, keytar) choose by the one rule: an agent whose real CPU flags
 * include the variant's preferred one serves it and fetches ONLY its chunks (the broker sees which chunk
 * topics each agent subscribes to); config "fp32" or flags without it serve the base. A variant that fails its
 * self-test, or whose chunks were tampered with, falls back to fp32 with `variant_fallback` while the active
 * model keeps serving; a manifest without variants works as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentEvent, Role } from '../../src/common/wire.js';
import { publishModel } from '../../src/fleet/publisher.js';
import { signManifest } from '../../src/fleet/manifest.js';
import { buildManifestWithVariants, type BuiltModelWithVariants } from '../../src/fleet/variants.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';
import { adminClient, buildModel, detectorOutput, fixture, makeFleet, publishBuilt, publishRaw, publishRelease, releaseOf, startTestAgent, T, TINY_A_Y, TINY_B_Y, workspace, type Fleet, type TestAgent } from './agent-harness.js';
import type { AgentConfigInput } from '../../src/agent/config.js';
import { aFlagThisCpuHas, selfTestOf, sha256, variantJson, withDocString } from './variant-fixtures.js';

const flag = aFlagThisCpuHas();
const base = fixture('tiny-a.onnx');
const int8 = withDocString(fixture('tiny-b.onnx'), 'int8 stand-in');

async function buildWithInt8(fleet: Fleet, o: { cpuFlags?: string[] } = {}): Promise<BuiltModelWithVariants> {
  return buildManifestWithVariants({ bytes: base, role: 'detector', name: 'tiny', version: '1.0.0', chunkSize: 64 }, [
    { name: 'int8', bytes: int8, file: variantJson({ baseSha256: sha256(base), selfTest: selfTestOf(TINY_B_Y), ...(o.cpuFlags ? { cpuFlags: o.cpuFlags } : {}) }), source: 'test int8' },
  ]);
}

/** Chunk topics each client subscribed to, by model id: what an agent asked the broker for. */
function watchChunkSubscriptions(broker: TestBroker): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  broker.aedes!.on('subscribe', (subs, client) => {
    for (const s of subs) {
      const m = /\/models\/([0-9a-f]{64})\/chunks\//.exec(s.topic);
      if (!m || !client) continue;
      const set = seen.get(client.id) ?? new Set<string>();
      set.add(m[1]!);
      seen.set(client.id, set);
    }
  });
  return seen;
}

async function agentOn(broker: TestBroker, fleet: Fleet, agentId: string, overrides: Partial<AgentConfigInput> = {}) {
  const ws = await workspace(fleet, agentId);
  const ta = await startTestAgent(ws, broker, overrides);
  const events: AgentEvent[] = [];
  ta.agent.subscribe((c) => c.kind === 'event' && events.push(c.event));
  return { ws, ta, events, close: async () => (await ta.close().catch(() => {}), await ws.cleanup()) };
}

const served = (ta: TestAgent, role: Role = 'detector') => ta.agent.snapshot().roles[role];

test('aedes: the agent whose CPU has the preferred flag serves int8 and fetches only its chunks; fp32 config and other flags serve the base', { timeout: 120_000, skip: flag ? false : 'no /proc/cpuinfo flags on this machine' }, async () => {
  const broker = await startAedes();
  const subs = watchChunkSubscriptions(broker);
  const fleet = makeFleet();
  const admin = await adminClient(broker);
  const built = await buildWithInt8(fleet, { cpuFlags: [flag!] });
  const variantSha = built.manifest.variants![0]!.sha256;
  await publishModel(admin, { manifestEnvelope: signManifest(built.manifest, fleet.modelKeys), chunks: built.chunks, variantChunks: built.variantChunks });
  const agents = [
    await agentOn(broker, fleet, 'fast-cpu'), // auto, real /proc/cpuinfo
    await agentOn(broker, fleet, 'pinned-fp32', { variant: 'fp32' }),
    await agentOn(broker, fleet, 'old-cpu', { cpuFlags: ['sse2-only-test-flag'] }), // flags without the preferred one
  ];
  try {
    await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: built.modelId } } }), fleet.releaseKeys);
    for (const a of agents) await a.ta.agent.waitFor((s) => s.roles.detector?.state === 'committed', { timeoutMs: 30_000 });
    const [fast, fp32, old] = agents as [(typeof agents)[0], (typeof agents)[0], (typeof agents)[0]];
    // the int8 agent: status names the release's modelId and the variant; its session runs the variant's graph
    assert.equal(served(fast.ta)?.modelId, built.modelId);
    assert.deepEqual(served(fast.ta)?.variant, { name: 'int8', precision: 'int8', sha256: variantSha });
    assert.deepEqual(await detectorOutput(fast.ta.activator), TINY_B_Y);
    assert.deepEqual([...(subs.get('fast-cpu') ?? [])], [variantSha], 'fast-cpu asked only for the variant\'s chunks');
    const verified = fast.events.filter((e) => e.type === 'model_verified');
    assert.deepEqual(verified.map((e) => [e.modelId, e.details?.['chunks']]), [[variantSha, built.manifest.variants![0]!.chunkSha256.length]], 'one download: the variant\'s chunks, all of them');
    assert.equal(fast.events.find((e) => e.type === 'activated')?.details?.['variant'], 'int8');
    // the base agents
    for (const [a, id] of [[fp32, 'pinned-fp32'], [old, 'old-cpu']] as const) {
      assert.equal(served(a.ta)?.modelId, built.modelId);
      assert.equal(served(a.ta)?.variant?.name, 'fp32', id);
      assert.deepEqual(await detectorOutput(a.ta.activator), TINY_A_Y, id);
      assert.deepEqual([...(subs.get(id) ?? [])], [built.modelId], `${id} asked only for the base's chunks`);
    }
  } finally {
    for (const a of agents) await a.close();
    await admin.endAsync().catch(() => {});
    await broker.close().catch(() => {});
  }
});

test('aedes: a variant that fails its self-test, or whose chunks were tampered with, falls back to fp32 with variant_fallback; serving never stops', { timeout: 120_000 }, async () => {
  const broker = await startAedes();
  const fleet = makeFleet();
  const admin = await adminClient(broker);
  const a = await agentOn(broker, fleet, 'agent-fallback', { cpuFlags: ['test-flag'] });
  try {
    // serving first: tiny-b alone (a manifest without variants: the old path)
    const first = await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '1.0.0' });
    await publishBuilt(admin, first, fleet.modelKeys);
    await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: first.modelId } } }), fleet.releaseKeys);
    await a.ta.agent.waitFor((s) => s.roles.detector?.modelId === first.modelId && s.roles.detector.state === 'committed', { timeoutMs: 20_000 });
    assert.equal(served(a.ta)?.variant?.name, 'fp32');

    const cases = [
      { reason: 'self_test_failed', doc: 'bad self-test', mutate: (m: Record<string, any>) => (m.variants[0].selfTest = selfTestOf([9, 9, 9, 9])), tamper: false },
      { reason: 'chunk_hash_mismatch', doc: 'tampered chunks', mutate: () => {}, tamper: true },
    ];
    let seq = 1;
    for (const c of cases) {
      const variantBytes = withDocString(fixture('tiny-b.onnx'), c.doc);
      const baseBytes = withDocString(base, `base for ${c.doc}`);
      const built = await buildManifestWithVariants({ bytes: baseBytes, role: 'detector', name: 'tiny', version: `1.0.${seq}`, chunkSize: 64 }, [
        { name: 'int8', bytes: variantBytes, file: variantJson({ baseSha256: sha256(baseBytes), baseVersion: `1.0.${seq}`, selfTest: selfTestOf(TINY_B_Y), cpuFlags: ['test-flag'] }), source: c.doc },
      ]);
      const manifest = JSON.parse(JSON.stringify(built.manifest)) as Record<string, any>;
      c.mutate(manifest); // signed by the real models key: only the agent's own gates stand between it and the session
      const v = manifest.variants[0];
      const vChunks = [...built.variantChunks.get(v.sha256)!].map((ch, i) => (c.tamper && i === 0 ? ch.map((b) => b ^ 0xff) : ch));
      for (let i = 0; i < vChunks.length; i++) await admin.publishAsync(T.chunk(v.sha256, i), Buffer.from(vChunks[i]!), { qos: 1, retain: true });
      await publishRaw(admin, { modelId: built.modelId, manifest, chunks: built.chunks, keys: fleet.modelKeys });
      const mark = a.events.length;
      const before = a.ta.activator.activeModelId('detector');
      let activeAtFallback: string | undefined;
      const off = a.ta.agent.subscribe((ch) => {
        if (ch.kind === 'event' && ch.event.type === 'variant_fallback') activeAtFallback = a.ta.activator.activeModelId('detector');
      });
      await publishRelease(admin, releaseOf({ seq: ++seq, roles: { detector: { stable: built.modelId } } }), fleet.releaseKeys);
      const fb = await a.ta.agent.waitForEvent((e) => e.type === 'variant_fallback' && e.modelId === built.modelId, { timeoutMs: 30_000 });
      assert.equal(fb.reason, c.reason, JSON.stringify(fb));
      assert.equal(fb.details?.['variant'], 'int8');
      // the model active before was still serving when the variant failed
      assert.equal(activeAtFallback, before);
      await a.ta.agent.waitFor((s) => s.roles.detector?.modelId === built.modelId && s.roles.detector.state === 'committed', { timeoutMs: 30_000 });
      assert.equal(served(a.ta)?.variant?.name, 'fp32', 'the base serves after the fallback');
      assert.deepEqual(await detectorOutput(a.ta.activator), TINY_A_Y);
      off();
      const after = a.events.slice(mark);
      assert.ok(!after.some((e) => e.type === 'activated' && e.details?.['variant'] === 'int8'), 'the failed variant never became active');
      assert.ok(!after.some((e) => e.type === 'activation_failed' || e.type === 'model_rejected'), `a variant failure is a fallback, not a failed role: ${JSON.stringify(after.map((e) => e.type))}`);
    }
  } finally {
    await a.close();
    await admin.endAsync().catch(() => {});
    await broker.close().catch(() => {});
  }
});

test('aedes: a candidate served by its int8 variant, rolled back, stays rolled back when the release comes again', { timeout: 120_000 }, async () => {
  const broker = await startAedes();
  const fleet = makeFleet();
  const admin = await adminClient(broker);
  const a = await agentOn(broker, fleet, 'agent-candidate', { cpuFlags: ['test-flag'] });
  try {
    const stable = await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '1.0.0' });
    await publishBuilt(admin, stable, fleet.modelKeys);
    const cand = await buildWithInt8(fleet, { cpuFlags: ['test-flag'] });
    await publishModel(admin, { manifestEnvelope: signManifest(cand.manifest, fleet.modelKeys), chunks: cand.chunks, variantChunks: cand.variantChunks });
    const roles = { detector: { stable: stable.modelId, candidate: { modelId: cand.modelId, rolloutId: 'r1', percent: 100, shadow: false, gates: { maxErrorRate: 0.5, maxLatencyP95Ms: 1000, guardWindowSec: 60, minSamples: 20 } } } };
    await publishRelease(admin, releaseOf({ seq: 1, roles }), fleet.releaseKeys);
    await a.ta.agent.waitFor((s) => s.roles.detector?.modelId === cand.modelId && s.roles.detector.cohort === 'candidate' && s.roles.detector.state === 'active', { timeoutMs: 30_000 });
    assert.equal(served(a.ta)?.variant?.name, 'int8');
    const r = await a.ta.agent.rollbackToPrevious('detector');
    assert.equal(r.to, stable.modelId);
    // the same rollout again: remembered as rolled back by the release's modelId, so not retaken
    await publishRelease(admin, releaseOf({ seq: 2, roles }), fleet.releaseKeys);
    await a.ta.agent.waitForEvent((e) => e.type === 'release_accepted' && e.releaseSeq === 2, { timeoutMs: 10_000 });
    await assert.rejects(a.ta.agent.waitFor((s) => s.roles.detector?.modelId === cand.modelId, { timeoutMs: 3000 }), 'the rolled-back candidate is not taken again');
    assert.deepEqual(await detectorOutput(a.ta.activator), TINY_B_Y);
    const rb = a.events.find((e) => e.type === 'rolled_back');
    assert.equal(rb?.modelId, cand.modelId, 'the event names the release\'s modelId, not the variant file');
  } finally {
    await a.close();
    await admin.endAsync().catch(() => {});
    await broker.close().catch(() => {});
  }
});
