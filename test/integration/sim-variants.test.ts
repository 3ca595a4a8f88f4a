/**
 * Issue 21 §1: the simulator follows the agent's variant rule (common/variants.ts chooseVariant): a simulated
 * agent with the preferred CPU flag fetches only the variant's chunks and reports it in status; one without it
 * (or pinned to fp32) fetches the base; a variant whose chunks were tampered with falls back to fp32 with the
 * event. Real aedes, real signatures, real chunk checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAYLOAD_TYPE_RELEASE } from '../../src/common/dsse.js';
import type { AgentEvent } from '../../src/common/wire.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { signManifest } from '../../src/fleet/manifest.js';
import { publishModel } from '../../src/fleet/publisher.js';
import { signJson } from '../../src/fleet/signer.js';
import { makeSimKeys, ProfileBook, SimAgent } from '../../src/fleet/sim/index.js';
import { buildManifestWithVariants } from '../../src/fleet/variants.js';
import { startAedes } from '../helpers/brokers.js';
import { fixture, TINY_B_Y } from './agent-harness.js';
import { selfTestOf, sha256, variantJson, withDocString } from './variant-fixtures.js';

async function until(f: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('simulated agents choose variants by the agent\'s rule and fetch only the chosen file; a tampered variant falls back to fp32', { timeout: 60_000 }, async () => {
  const broker = await startAedes();
  const keys = makeSimKeys();
  const admin = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const events: AgentEvent[] = [];
  const sim = (agentId: string, variant: { setting?: string; cpuFlags?: string[] }) =>
    new SimAgent({ url: broker.url, agentId, channel: 'c1', trust: keys.trust, profiles: new ProfileBook(), windowMs: 60_000, variant, mqtt: { protocolVersion: broker.protocolVersion }, onEvent: (e) => events.push(e) });
  const agents = [sim('vnni', { cpuFlags: ['avx512_vnni'] }), sim('plain', { cpuFlags: ['sse2'] }), sim('pinned', { setting: 'fp32', cpuFlags: ['avx512_vnni'] })];
  const release = async (seq: number, stable: string) => {
    const r = { schemaVersion: 1, channel: 'c1', seq, issued: new Date().toISOString(), expires: new Date(Date.now() + 3.6e6).toISOString(), roles: { detector: { stable } } };
    await admin.publishAsync('rpa/v1/channels/c1/release', JSON.stringify(signJson(PAYLOAD_TYPE_RELEASE, r, [keys.releases])), { qos: 1, retain: true });
  };
  const model = async (version: string, tamper: boolean) => {
    const base = withDocString(fixture('tiny-a.onnx'), version);
    const built = await buildManifestWithVariants({ bytes: base, role: 'detector', name: 'tiny', version, chunkSize: 64 }, [
      { name: 'int8', bytes: withDocString(fixture('tiny-b.onnx'), version), file: variantJson({ baseSha256: sha256(base), baseVersion: version, selfTest: selfTestOf(TINY_B_Y), cpuFlags: ['avx512_vnni'] }), source: 'sim test' },
    ]);
    await publishModel(admin, { manifestEnvelope: signManifest(built.manifest, [keys.models]), chunks: built.chunks, variantChunks: built.variantChunks });
    const v = built.manifest.variants![0]!;
    if (tamper) await admin.publishAsync(`rpa/v1/models/${v.sha256}/chunks/0`, Buffer.alloc(64, 7), { qos: 1, retain: true });
    return { built, v, baseBytes: built.manifest.size, variantBytes: v.size };
  };
  try {
    await Promise.all(agents.map((a) => a.ready()));
    const m1 = await model('1.0.0', false);
    await release(1, m1.built.modelId);
    await until(() => agents.every((a) => a.activeModel('detector') === m1.built.modelId), 10_000, 'all on m1');
    const [vnni, plain, pinned] = agents as [SimAgent, SimAgent, SimAgent];
    assert.equal(vnni.status().roles.detector?.variant?.name, 'int8');
    assert.equal(vnni.counters.bytesFetched, m1.variantBytes, 'vnni fetched the variant\'s bytes only');
    for (const a of [plain, pinned]) {
      assert.equal(a.status().roles.detector?.variant?.name, 'fp32', a.agentId);
      assert.equal(a.counters.bytesFetched, m1.baseBytes, `${a.agentId} fetched the base's bytes only`);
    }
    // tampered variant chunks: chunk_hash_mismatch → variant_fallback, the base is fetched instead
    const m2 = await model('1.0.1', true);
    await release(2, m2.built.modelId);
    await until(() => vnni.activeModel('detector') === m2.built.modelId, 10_000, 'vnni on m2');
    const fb = events.find((e) => e.agentId === 'vnni' && e.type === 'variant_fallback');
    assert.equal(fb?.reason, 'chunk_hash_mismatch');
    assert.equal(vnni.status().roles.detector?.variant?.name, 'fp32');
  } finally {
    for (const a of agents) await a.close();
    admin.end(true);
    await broker.close();
  }
});
