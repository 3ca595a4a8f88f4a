/**
 * The fleet publisher against real brokers (in-process aedes and a real Mosquitto): chunks then
 * manifest, retained and readable by a fresh subscriber; releases with increasing seq; reads verify.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { PAYLOAD_TYPE_RELEASE, verifyEnvelope } from '../../src/common/dsse.js';
import { AgentError } from '../../src/common/errors.js';
import { ReleaseSchema } from '../../src/common/wire.js';
import { topics } from '../../src/common/topics.js';
import { buildManifest, signManifest } from '../../src/fleet/manifest.js';
import { connectBroker, readRetained } from '../../src/fleet/mqtt.js';
import { listModels, publishModel, publishRelease, resolveModelRef, showRelease, signRelease, buildRelease } from '../../src/fleet/publisher.js';
import { generateSigningKey, nodeEd25519Verifier } from '../../src/fleet/signer.js';
import { brokerKinds, type TestBroker } from '../helpers/brokers.js';

const tinyA = new Uint8Array(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'models', 'tiny-a.onnx')));
const code = (c: string) => (e: unknown) => e instanceof AgentError && e.code === c;
const contract = async () => ({ inputs: [{ name: 'x', dtype: 'float32' as const, shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32' as const, shape: [1, 4] }] });

async function withBroker(kind: (typeof brokerKinds)[number], fn: (b: TestBroker, c: MqttClient) => Promise<void>) {
  const b = await kind.start();
  const c = await connectBroker({ url: b.url, ...b.adminOptions });
  try {
    await fn(b, c);
  } finally {
    await c.endAsync();
    await b.close();
  }
}

for (const kind of brokerKinds) {
  test(`${kind.name}: publishModel sends every chunk retained, then the manifest; a new subscriber reassembles the file`, async () => {
    await withBroker(kind, async (b, c) => {
      const models = generateSigningKey();
      const bytes = randomBytes(300_000);
      const built = await buildManifest({ bytes, role: 'classifier', name: 'rand', version: '1.0.0', chunkSize: 64 * 1024, readContract: contract });
      const order: string[] = [];
      c.on('packetsend', (p) => {
        if (p.cmd === 'publish') order.push(p.topic);
      });
      const progress: number[] = [];
      const r = await publishModel(c, { manifestEnvelope: signManifest(built.manifest, [models]), chunks: built.chunks, maxInFlight: 3, onProgress: (p) => progress.push(p.chunksSent) });
      assert.equal(r.modelId, built.modelId);
      assert.equal(order.at(-1), topics().manifest(built.modelId), 'manifest is published last');
      assert.equal(order.length, built.chunks.length + 1);
      assert.equal(progress.at(-1), built.chunks.length);
      // a fresh client sees the retained chunks and can rebuild the exact bytes
      const reader = await connectBroker({ url: b.url, ...b.adminOptions });
      try {
        const got = await readRetained(reader, topics().chunksWildcard(built.modelId), { expect: built.chunks.length, timeoutMs: 5000 });
        const parts = [...got.entries()].map(([t, p]) => [topics().parseChunkTopic(t)!.index, p] as const).sort((x, y) => x[0] - y[0]);
        assert.equal(createHash('sha256').update(Buffer.concat(parts.map((p) => p[1]))).digest('hex'), built.modelId);
        const list = await listModels(reader, { trust: { keys: [{ publicKey: models.publicKey }], threshold: 1 } });
        assert.equal(list.length, 1);
        assert.equal(list[0]!.signature, 'valid');
        assert.equal(list[0]!.value?.name, 'rand');
        const other = generateSigningKey();
        const bad = await listModels(reader, { trust: { keys: [{ publicKey: other.publicKey }], threshold: 1 } });
        assert.equal(bad[0]!.signature, 'invalid');
        assert.equal(bad[0]!.error?.code, 'untrusted_key');
        assert.equal((await resolveModelRef(reader, 'rand@1.0.0', 'classifier')).modelId, built.modelId);
        assert.equal((await resolveModelRef(reader, built.modelId, 'classifier')).modelId, built.modelId);
        await assert.rejects(resolveModelRef(reader, 'rand@1.0.0', 'detector'), code('manifest_missing'));
        await assert.rejects(resolveModelRef(reader, built.modelId, 'detector'), code('model_role_mismatch'));
        await assert.rejects(resolveModelRef(reader, 'f'.repeat(64), 'detector'), code('manifest_missing'));
      } finally {
        await reader.endAsync();
      }
    });
  });

  test(`${kind.name}: publishRelease numbers seq from the retained release and refuses a forged one`, async () => {
    await withBroker(kind, async (_b, c) => {
      const rel = generateSigningKey();
      const id = createHash('sha256').update(tinyA).digest('hex');
      const trust = { keys: [{ publicKey: rel.publicKey }], threshold: 1 };
      assert.equal(await showRelease(c, 'stable', { timeoutMs: 300, idleMs: 300 }), undefined);
      const r1 = await publishRelease(c, { channel: 'stable', roles: { detector: { stable: id } }, expiresInMs: 86_400_000, keys: [rel], readTimeoutMs: 300 });
      assert.equal(r1.release.seq, 1);
      assert.equal(r1.previousSeq, undefined);
      const r2 = await publishRelease(c, {
        channel: 'stable',
        roles: { detector: { stable: id, candidate: { modelId: id, rolloutId: 'r1', percent: 5, shadow: false, gates: { maxErrorRate: 0.01, maxLatencyP95Ms: 100, guardWindowSec: 60, minSamples: 20 } } } },
        expiresInMs: 86_400_000,
        keys: [rel],
      });
      assert.equal(r2.release.seq, 2);
      assert.equal(r2.previousSeq, 1);
      const shown = await showRelease(c, 'stable', { trust });
      assert.equal(shown?.signature, 'valid');
      assert.equal(shown?.value?.seq, 2);
      assert.equal(shown?.value?.roles.detector?.candidate?.percent, 5);
      verifyEnvelope(shown!.envelope, PAYLOAD_TYPE_RELEASE, trust.keys, 1, nodeEd25519Verifier);
      await assert.rejects(publishRelease(c, { channel: 'stable', roles: { detector: { stable: id } }, expiresInMs: 1000, keys: [rel], seq: 2 }), code('release_replayed'));
      // someone without our key put a release with a huge seq on the topic
      const mallory = generateSigningKey();
      const forged = signRelease(buildRelease({ channel: 'stable', seq: 1_000_000, roles: { detector: { stable: id } }, issued: new Date(), expires: new Date(Date.now() + 1e7) }), [mallory]);
      await c.publishAsync(topics().release('stable'), JSON.stringify(forged), { qos: 1, retain: true });
      await assert.rejects(publishRelease(c, { channel: 'stable', roles: { detector: { stable: id } }, expiresInMs: 1000, keys: [rel] }), code('untrusted_key'));
      const shownForged = await showRelease(c, 'stable', { trust });
      assert.equal(shownForged?.signature, 'invalid');
      // an explicit seq replaces it
      const r3 = await publishRelease(c, { channel: 'stable', roles: { detector: { stable: id } }, expiresInMs: 1000, keys: [rel], seq: 1_000_001 });
      assert.ok(ReleaseSchema.safeParse(r3.release).success);
    });
  });
}

test('publishModel refuses chunks that do not match the manifest, before sending anything', async () => {
  const kind = brokerKinds[0]!;
  await withBroker(kind, async (_b, c) => {
    const k = generateSigningKey();
    const built = await buildManifest({ bytes: randomBytes(1000), role: 'detector', name: 'x', version: '1.0.0', chunkSize: 256, readContract: contract });
    let sent = 0;
    c.on('packetsend', (p) => {
      if (p.cmd === 'publish') sent++;
    });
    const env = signManifest(built.manifest, [k]);
    const chunks = built.chunks.map((x) => Uint8Array.from(x));
    chunks[2]![0] = chunks[2]![0]! ^ 1;
    await assert.rejects(publishModel(c, { manifestEnvelope: env, chunks }), code('chunk_hash_mismatch'));
    await assert.rejects(publishModel(c, { manifestEnvelope: env, chunks: built.chunks.slice(1) }), code('chunk_count_mismatch'));
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(publishModel(c, { manifestEnvelope: env, chunks: built.chunks, signal: ac.signal }), code('aborted'));
    assert.equal(sent, 0);
  });
});

test('connectBroker: unreachable broker is broker_unreachable, and the password never appears in the message', async () => {
  const { freePort } = await import('../helpers/brokers.js');
  const port = await freePort();
  await assert.rejects(connectBroker({ url: `mqtt://admin:s3cret-pw@127.0.0.1:${port}`, connectTimeoutMs: 2000 }), (e: unknown) => {
    assert.ok(e instanceof AgentError);
    assert.equal(e.code, 'broker_unreachable');
    assert.doesNotMatch(e.message, /s3cret-pw/);
    return true;
  });
});
