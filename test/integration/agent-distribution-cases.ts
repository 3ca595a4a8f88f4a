/**
 * Issue 2 acceptance cases for the agent, as one function of the broker so the same cases run
 * against aedes and Mosquitto: the happy path, and every rejection with its own reason code while
 * the active model keeps serving and nothing is written to the active slot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { AgentStatusSchema, AgentEventSchema, type AgentEvent, type ModelManifest } from '../../src/common/wire.js';
import { generateSigningKey } from '../../src/fleet/signer.js';
import { BlobStore } from '../../src/agent/store/blob-store.js';
import { Registry, REGISTRY_FILE } from '../../src/agent/store/registry.js';
import { SecretAccounts } from '../../src/agent/secrets/secret-store.js';
import type { BuiltModel } from '../../src/fleet/manifest.js';
import type { TestBroker } from '../helpers/brokers.js';
import {
  adminClient,
  buildModel,
  detectorOutput,
  fixture,
  makeFleet,
  publishBuilt,
  publishRaw,
  publishRelease,
  releaseOf,
  startTestAgent,
  T,
  TINY_A_Y,
  TINY_B_Y,
  workspace,
  type Fleet,
  type TestAgent,
  type AgentWorkspace,
} from './agent-harness.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Ctx {
  broker: TestBroker;
  fleet: Fleet;
  ws: AgentWorkspace;
  admin: MqttClient;
  ta: TestAgent;
  a: BuiltModel;
  b: BuiltModel;
  /** every message the agent published on its events topic */
  wireEvents: AgentEvent[];
}

/** Broker + agent with tiny-a active as the stable detector (release seq `seq`). */
async function setup(startBroker: () => Promise<TestBroker>, opts: { fleet?: Fleet; seq?: number; config?: Parameters<typeof startTestAgent>[2] } = {}): Promise<Ctx> {
  const broker = await startBroker();
  const fleet = opts.fleet ?? makeFleet();
  const ws = await workspace(fleet);
  const admin = await adminClient(broker);
  const wireEvents: AgentEvent[] = [];
  await admin.subscribeAsync(T.agentEvents('agent-1'), { qos: 1 });
  admin.on('message', (topic, payload) => {
    if (topic === T.agentEvents('agent-1')) wireEvents.push(AgentEventSchema.parse(JSON.parse(payload.toString())));
  });
  const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a', version: '1.0.0' });
  const b = await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '2.0.0' });
  await publishBuilt(admin, a, fleet.modelKeys);
  const ta = await startTestAgent(ws, broker, opts.config);
  await publishRelease(admin, releaseOf({ seq: opts.seq ?? 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys.slice(0, fleet.trust.roles.releases.threshold));
  await ta.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId && s.roles.detector.state === 'committed', { timeoutMs: 15_000 });
  return { broker, fleet, ws, admin, ta, a, b, wireEvents };
}

async function teardown(c: Ctx | undefined): Promise<void> {
  if (!c) return;
  await c.ta.close().catch(() => {});
  await c.admin.endAsync().catch(() => {});
  await c.broker.close().catch(() => {});
  await c.ws.cleanup();
}

/** The agent rejected with `reason`; tiny-a still serves; the store and the active slot are untouched. */
async function assertRejectedKeepingA(c: Ctx, type: AgentEvent['type'], reason: string): Promise<AgentEvent> {
  const ev = await c.ta.agent.waitForEvent((e) => e.reason !== undefined && e.seq > 0 && (e.type === type || e.reason === reason), { timeoutMs: 15_000 });
  assert.equal(ev.reason, reason, `reason code: ${JSON.stringify(ev)}`);
  assert.equal(ev.type, type);
  const s = c.ta.agent.snapshot();
  assert.equal(s.roles.detector?.modelId, c.a.modelId, 'the active model is still tiny-a');
  assert.equal(c.ta.activator.activeModelId('detector'), c.a.modelId);
  assert.deepEqual(await detectorOutput(c.ta.activator), TINY_A_Y, 'tiny-a still serves');
  const blobs = readdirSync(join(c.ta.config.dataDir, 'blobs'));
  assert.deepEqual(blobs, [c.a.modelId], 'nothing but tiny-a in the model store');
  // the rejection went upstream too (QoS 1 events topic)
  await waitUntil(() => c.wireEvents.some((e) => e.seq === ev.seq && e.reason === reason), 5000, 'rejection event on the wire');
  // and into the audit log
  await waitUntil(() => auditLines(c.ta.config.dataDir).some((l) => l.seq === ev.seq && l.reason === reason), 5000, 'rejection in the audit log');
  return ev;
}

export function auditLines(dataDir: string): Record<string, unknown>[] {
  const dir = join(dataDir, 'logs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function registerDistributionCases(kind: string, startBroker: () => Promise<TestBroker>): void {
  const t = (name: string, fn: (c: () => Ctx, set: (c: Ctx) => void) => Promise<void>) =>
    test(`agent distribution (${kind}): ${name}`, { timeout: 60_000 }, async () => {
      let ctx: Ctx | undefined;
      try {
        await fn(
          () => ctx!,
          (c) => (ctx = c),
        );
      } finally {
        await teardown(ctx);
      }
    });

  t('happy path: publish → verify → activate; the stored blob decrypts to the exact bytes; status shows it', async (get, set) => {
    set(await setup(startBroker));
    const c = get();
    assert.deepEqual(await detectorOutput(c.ta.activator), TINY_A_Y);
    // encrypted at rest: the blob is not the plaintext, and decrypts (key from the credential store) to the exact file
    const blobPath = join(c.ta.config.dataDir, 'blobs', c.a.modelId);
    const raw = readFileSync(blobPath);
    assert.equal(raw.indexOf(Buffer.from(fixture('tiny-a.onnx')).subarray(0, 32)), -1, 'no plaintext in the blob');
    const key = Buffer.from((await c.ws.secretStore.get(SecretAccounts.modelKey))!, 'base64');
    const store = new BlobStore(c.ta.config.dataDir, key);
    assert.deepEqual(Buffer.from(await store.read(c.a.modelId)), Buffer.from(fixture('tiny-a.onnx')));
    // registry (read-only, as `rpa-agent status` does)
    const reg = Registry.open(join(c.ta.config.dataDir, REGISTRY_FILE), { readonly: true });
    try {
      const row = reg.getRole('detector')!;
      assert.equal(row.state, 'committed');
      assert.equal(row.activeModelId, c.a.modelId);
      assert.equal(reg.getAcceptedRelease('stable')?.seq, 1);
    } finally {
      reg.close();
    }
    // retained status upstream
    const status = await new Promise<unknown>((resolve) => {
      c.admin.on('message', (topic, payload) => {
        if (topic === T.agentStatus('agent-1')) {
          const s = AgentStatusSchema.parse(JSON.parse(payload.toString()));
          if (s.roles.detector?.modelId === c.a.modelId) resolve(s);
        }
      });
      void c.admin.subscribeAsync(T.agentStatus('agent-1'), { qos: 1 });
    });
    const s = AgentStatusSchema.parse(status);
    assert.equal(s.online, true);
    assert.equal(s.roles.detector?.provider, 'cpu');
    assert.equal(s.releaseSeq, 1);
    // events: accepted release, download, verification, activation
    const types = c.ta.agent.snapshot().recentEvents.map((e) => e.type);
    for (const ty of ['release_accepted', 'download_started', 'model_verified', 'activated'] as const) assert.ok(types.includes(ty), `${ty} in ${types.join(',')}`);
    // then tiny-b replaces it with release seq 2
    await publishBuilt(c.admin, c.b, c.fleet.modelKeys);
    await publishRelease(c.admin, releaseOf({ seq: 2, roles: { detector: { stable: c.b.modelId } } }), c.fleet.releaseKeys);
    await c.ta.agent.waitFor((x) => x.roles.detector?.modelId === c.b.modelId, { timeoutMs: 15_000 });
    assert.deepEqual(await detectorOutput(c.ta.activator), TINY_B_Y);
  });

  const newRelease = (c: Ctx, seq = 2) => releaseOf({ seq, roles: { detector: { stable: c.b.modelId } } });

  t('bad signature → bad_signature', async (get, set) => {
    set(await setup(startBroker));
    const c = get();
    await publishBuilt(c.admin, c.b, c.fleet.modelKeys);
    await publishRelease(c.admin, newRelease(c), c.fleet.releaseKeys, (env) => {
      const sig = Buffer.from(env.signatures[0]!.sig, 'base64');
      sig[10] = sig[10]! ^ 0xff;
      env.signatures[0]!.sig = sig.toString('base64');
    });
    await assertRejectedKeepingA(c, 'release_rejected', 'bad_signature');
  });

  t('a key not in the trust file → untrusted_key', async (get, set) => {
    set(await setup(startBroker));
    const c = get();
    await publishBuilt(c.admin, c.b, c.fleet.modelKeys);
    await publishRelease(c.admin, newRelease(c), [generateSigningKey()]);
    await assertRejectedKeepingA(c, 'release_rejected', 'untrusted_key');
  });

  t('fewer signatures than the threshold (2) → threshold_not_met', async (get, set) => {
    set(await setup(startBroker, { fleet: makeFleet({ releaseKeys: 2, releasesThreshold: 2 }) }));
    const c = get();
    await publishBuilt(c.admin, c.b, c.fleet.modelKeys);
    await publishRelease(c.admin, newRelease(c), [c.fleet.releaseKeys[0]!]);
    await assertRejectedKeepingA(c, 'release_rejected', 'threshold_not_met');
  });

  t('release seq not above the last accepted one → release_replayed', async (get, set) => {
    set(await setup(startBroker, { seq: 5 }));
    const c = get();
    await publishBuilt(c.admin, c.b, c.fleet.modelKeys);
    await publishRelease(c.admin, newRelease(c, 4), c.fleet.releaseKeys);
    const ev = await assertRejectedKeepingA(c, 'release_rejected', 'release_replayed');
    assert.equal(ev.releaseSeq, 4);
    // same seq, different content: also a replay
    await publishRelease(c.admin, newRelease(c, 5), c.fleet.releaseKeys);
    await c.ta.agent.waitForEvent((e) => e.reason === 'release_replayed' && e.releaseSeq === 5, { timeoutMs: 10_000 });
    assert.equal(c.ta.agent.snapshot().roles.detector?.modelId, c.a.modelId);
  });

  t('expired release → release_expired (keeps the active model, activates nothing)', async (get, set) => {
    set(await setup(startBroker));
    const c = get();
    await publishBuilt(c.admin, c.b, c.fleet.modelKeys);
    const issued = new Date(Date.now() - 7_200_000);
    await publishRelease(c.admin, releaseOf({ seq: 2, roles: { detector: { stable: c.b.modelId } }, issued, expires: new Date(Date.now() - 1000) }), c.fleet.releaseKeys);
    await assertRejectedKeepingA(c, 'release_rejected', 'release_expired');
  });

  t('tampered chunk → chunk_hash_mismatch', async (get, set) => {
    set(await setup(startBroker));
    const c = get();
    const chunks = c.b.chunks.map((x) => Uint8Array.from(x));
    chunks[1]![5] = chunks[1]![5]! ^ 0x01;
    await publishRaw(c.admin, { modelId: c.b.modelId, manifest: c.b.manifest, chunks, keys: c.fleet.modelKeys });
    await publishRelease(c.admin, newRelease(c), c.fleet.releaseKeys);
    await assertRejectedKeepingA(c, 'model_rejected', 'chunk_hash_mismatch');
  });

  t('assembled file whose sha256 differs from the manifest → sha256_mismatch', async (get, set) => {
    set(await setup(startBroker));
    const c = get();
    // A signed manifest whose chunk hashes are tiny-b's but whose sha256 (and so modelId) is another file's.
    const fakeId = sha(randomBytes(64));
    const manifest: ModelManifest = { ...c.b.manifest, sha256: fakeId };
    await publishRaw(c.admin, { modelId: fakeId, manifest, chunks: c.b.chunks, keys: c.fleet.modelKeys });
    await publishRelease(c.admin, releaseOf({ seq: 2, roles: { detector: { stable: fakeId } } }), c.fleet.releaseKeys);
    await assertRejectedKeepingA(c, 'model_rejected', 'sha256_mismatch');
  });

  t('assembled file whose size differs from the manifest → size_mismatch', async (get, set) => {
    set(await setup(startBroker));
    const c = get();
    const manifest: ModelManifest = { ...c.b.manifest, size: c.b.manifest.size - 1 }; // same chunk count, one byte short
    assert.equal(Math.ceil(manifest.size / manifest.chunkSize), manifest.chunkSha256.length);
    await publishRaw(c.admin, { modelId: c.b.modelId, manifest, chunks: c.b.chunks, keys: c.fleet.modelKeys });
    await publishRelease(c.admin, newRelease(c), c.fleet.releaseKeys);
    await assertRejectedKeepingA(c, 'model_rejected', 'size_mismatch');
  });

  t('manifest over 1 MiB → manifest_too_large (checked before parsing)', async (get, set) => {
    set(await setup(startBroker));
    const c = get();
    const manifest = { ...c.b.manifest, padding: 'x'.repeat(1024 * 1024 + 10) }; // validly signed, just too big
    await publishRaw(c.admin, { modelId: c.b.modelId, manifest, chunks: c.b.chunks, keys: c.fleet.modelKeys });
    await publishRelease(c.admin, newRelease(c), c.fleet.releaseKeys);
    await assertRejectedKeepingA(c, 'model_rejected', 'manifest_too_large');
  });

  t('chunk count ≠ ceil(size / chunkSize) → chunk_count_mismatch', async (get, set) => {
    set(await setup(startBroker));
    const c = get();
    const manifest: ModelManifest = { ...c.b.manifest, chunkSha256: [...c.b.manifest.chunkSha256, sha(randomBytes(8))] };
    await publishRaw(c.admin, { modelId: c.b.modelId, manifest, chunks: c.b.chunks, keys: c.fleet.modelKeys });
    await publishRelease(c.admin, newRelease(c), c.fleet.releaseKeys);
    await assertRejectedKeepingA(c, 'model_rejected', 'chunk_count_mismatch');
  });

  t('model over the configured maximum → model_too_large', async (get, set) => {
    set(await setup(startBroker, { config: { limits: { maxModelBytes: 4096 } } }));
    const c = get();
    const big = await buildModel(fixture('slow.onnx'), { name: 'slow', chunkSize: 64 * 1024 });
    await publishBuilt(c.admin, big, c.fleet.modelKeys);
    await publishRelease(c.admin, releaseOf({ seq: 2, roles: { detector: { stable: big.modelId } } }), c.fleet.releaseKeys);
    await assertRejectedKeepingA(c, 'model_rejected', 'model_too_large');
  });

  t('release naming a model of another role → model_role_mismatch', async (get, set) => {
    set(await setup(startBroker));
    const c = get();
    const cls = await buildModel(fixture('tiny-b.onnx'), { role: 'classifier', name: 'tiny-b-cls' });
    await publishBuilt(c.admin, cls, c.fleet.modelKeys);
    await publishRelease(c.admin, releaseOf({ seq: 2, roles: { detector: { stable: cls.modelId } } }), c.fleet.releaseKeys);
    await assertRejectedKeepingA(c, 'model_rejected', 'model_role_mismatch');
  });

  t('release naming a modelId whose manifest is missing → manifest_missing', async (get, set) => {
    set(await setup(startBroker, { config: { timeouts: { manifestMs: 700 } } }));
    const c = get();
    const missing = sha(randomBytes(32));
    await publishRelease(c.admin, releaseOf({ seq: 2, roles: { detector: { stable: missing } } }), c.fleet.releaseKeys);
    const ev = await assertRejectedKeepingA(c, 'model_rejected', 'manifest_missing');
    assert.equal(ev.modelId, missing);
  });
}
