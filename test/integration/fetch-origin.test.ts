/**
 * Model bytes from an HTTPS origin listed in the signed manifest (DESIGN.md "Scale path"; issue 6):
 * a real HTTPS server under a test CA pinned in the agent config (`fetch.originCa`), a real broker for
 * the control traffic (and the fallback chunks), the real agent with keytar, SQLite and onnxruntime.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { AgentEvent } from '../../src/common/wire.js';
import { BlobStore } from '../../src/agent/store/blob-store.js';
import { Registry, REGISTRY_FILE } from '../../src/agent/store/registry.js';
import { SecretAccounts } from '../../src/agent/secrets/secret-store.js';
import { buildManifest, type BuiltModel } from '../../src/fleet/manifest.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';
import { startOrigin, type TestOrigin } from '../helpers/origin-server.js';
import { adminClient, fixture, makeFleet, pub, publishRelease, releaseOf, signManifestRaw, startTestAgent, T, workspace, type AgentWorkspace, type Fleet, type TestAgent } from './agent-harness.js';
import { waitUntil } from './agent-distribution-cases.js';

const CHUNK = 16 * 1024;

interface Ctx {
  broker: TestBroker;
  origin: TestOrigin;
  fleet: Fleet;
  ws: AgentWorkspace;
  admin: MqttClient;
  bytes: Uint8Array;
  m: BuiltModel;
  agents: TestAgent[];
}

async function setup(opts: { originUrls?: (o: TestOrigin, id: string) => string[] } = {}): Promise<Ctx> {
  const broker = await startAedes();
  const origin = await startOrigin();
  const fleet = makeFleet();
  const ws = await workspace(fleet, 'agent-origin');
  const admin = await adminClient(broker);
  const bytes = fixture('slow.onnx');
  const probe = await buildManifest({ bytes, role: 'detector', name: 'slow', version: '1.0.0', chunkSize: CHUNK });
  const urls = opts.originUrls ? opts.originUrls(origin, probe.modelId) : [origin.modelUrl(probe.modelId)];
  const m = await buildManifest({ bytes, role: 'detector', name: 'slow', version: '1.0.0', chunkSize: CHUNK, origins: urls });
  origin.put(m.modelId, bytes);
  return { broker, origin, fleet, ws, admin, bytes, m, agents: [] };
}

async function teardown(c: Ctx): Promise<void> {
  for (const a of c.agents) await a.close().catch(() => {});
  await c.admin.endAsync().catch(() => {});
  await c.origin.close();
  await c.broker.close();
  await c.ws.cleanup();
}

const publishManifest = (c: Ctx) => pub(c.admin, T.manifest(c.m.modelId), JSON.stringify(signManifestRaw(c.m.manifest, c.fleet.modelKeys)));
const publishChunks = async (c: Ctx) => {
  for (let i = 0; i < c.m.chunks.length; i++) await pub(c.admin, T.chunk(c.m.modelId, i), c.m.chunks[i]!);
};
const release = (c: Ctx, seq = 1) => publishRelease(c.admin, releaseOf({ seq, roles: { detector: { stable: c.m.modelId } } }), c.fleet.releaseKeys);

async function agent(c: Ctx, fetch: Record<string, unknown> = {}): Promise<TestAgent> {
  const a = await startTestAgent(c.ws, c.broker, { agentId: 'agent-origin', latencyBudgetMs: 10_000, fetch: { originCa: c.origin.caFile, ...fetch } as never });
  c.agents.push(a);
  return a;
}

const ended = (e: AgentEvent) => e.type === 'activated' || e.type === 'model_rejected' || e.type === 'activation_failed';

async function storedBytes(c: Ctx, a: TestAgent): Promise<Buffer> {
  const key = Buffer.from((await c.ws.secretStore.get(SecretAccounts.modelKey))!, 'base64');
  return Buffer.from(await new BlobStore(a.config.dataDir, key).read(c.m.modelId));
}

function fetchHave(dataDir: string, modelId: string): number {
  const reg = Registry.open(join(dataDir, REGISTRY_FILE), { readonly: true });
  try {
    return reg.getFetch(modelId)?.have ?? -1;
  } finally {
    reg.close();
  }
}

test('origin fetch: the manifest lists an HTTPS origin (pinned test CA) → every chunk comes from it, none from the broker; exact file', { timeout: 60_000 }, async () => {
  const c = await setup();
  try {
    await publishManifest(c); // no chunk topics on the broker at all
    const a = await agent(c);
    await release(c);
    const end = await a.agent.waitForEvent(ended, { timeoutMs: 30_000 });
    assert.equal(end.type, 'activated', JSON.stringify(end));
    const verified = a.agent.snapshot().recentEvents.find((e) => e.type === 'model_verified')!;
    assert.equal(verified.details?.fromOrigin, c.m.chunks.length);
    assert.equal(verified.details?.fellBack, false);
    assert.equal(verified.details?.mode, 'origin');
    assert.deepEqual(c.origin.requests, [{ path: `/models/${c.m.modelId}`, range: `bytes=0-${c.bytes.length - 1}` }], 'one streaming range GET');
    assert.deepEqual(await storedBytes(c, a), Buffer.from(c.bytes));
    assert.ok(!a.agent.snapshot().recentEvents.some((e) => e.type === 'origin_fallback'));
  } finally {
    await teardown(c);
  }
});

test('origin fetch: a tampered byte range from the origin → chunk_hash_mismatch, nothing activated, no blob', { timeout: 60_000 }, async () => {
  const c = await setup();
  try {
    c.origin.faults.tamperAt = 5 * CHUNK + 123;
    await publishManifest(c);
    await publishChunks(c); // the broker has the right bytes: a bad chunk is a rejection, not a fallback reason
    const a = await agent(c);
    await release(c);
    const end = await a.agent.waitForEvent(ended, { timeoutMs: 30_000 });
    assert.equal(end.type, 'model_rejected');
    assert.equal(end.reason, 'chunk_hash_mismatch');
    assert.equal((end.details as { index?: number } | undefined)?.index, 5);
    assert.equal(a.agent.snapshot().roles.detector?.modelId, undefined, 'nothing active');
    assert.ok(!existsSync(join(a.config.dataDir, 'blobs', c.m.modelId)), 'no blob');
    assert.ok(!a.agent.snapshot().recentEvents.some((e) => e.type === 'activated' || e.type === 'model_verified'));
  } finally {
    await teardown(c);
  }
});

test('origin fetch: origin down (connection refused, then HTTP 503) → origin_fallback event, the broker chunks are used, exact file', { timeout: 60_000 }, async () => {
  // first origin: a port nothing listens on; second: answers 503
  const c = await setup({ originUrls: (o, id) => ['https://127.0.0.1:1/models/' + id, o.modelUrl(id)] });
  try {
    c.origin.faults.status = 503;
    await publishManifest(c);
    await publishChunks(c);
    const a = await agent(c);
    await release(c);
    const end = await a.agent.waitForEvent(ended, { timeoutMs: 30_000 });
    assert.equal(end.type, 'activated', JSON.stringify(end));
    const fb = a.agent.snapshot().recentEvents.find((e) => e.type === 'origin_fallback');
    assert.ok(fb, 'origin_fallback reported');
    assert.equal(fb.reason, 'origin_unavailable');
    const failures = fb.details?.failures as { origin: string; code: string; message: string }[];
    assert.equal(failures.length, 2);
    assert.match(failures[0]!.message, /ECONNREFUSED/);
    assert.match(failures[1]!.message, /HTTP 503/);
    const verified = a.agent.snapshot().recentEvents.find((e) => e.type === 'model_verified')!;
    assert.equal(verified.details?.fellBack, true);
    assert.equal(verified.details?.fromOrigin, 0);
    assert.deepEqual(await storedBytes(c, a), Buffer.from(c.bytes));
  } finally {
    await teardown(c);
  }
});

test('origin fetch: connection cut mid-response → resumes by range from the first missing chunk; each chunk written once', { timeout: 60_000 }, async () => {
  const c = await setup();
  try {
    c.origin.faults.cutAfterBytes = 20 * CHUNK + 1000; // mid-chunk 20
    await publishManifest(c);
    const a = await agent(c);
    await release(c);
    const end = await a.agent.waitForEvent(ended, { timeoutMs: 30_000 });
    assert.equal(end.type, 'activated', JSON.stringify(end));
    const ranges = c.origin.requests.map((r) => r.range);
    assert.ok(ranges.length >= 2, JSON.stringify(ranges));
    assert.equal(ranges[0], `bytes=0-${c.bytes.length - 1}`);
    assert.equal(ranges[1], `bytes=${20 * CHUNK}-${c.bytes.length - 1}`, 'the second request starts at the first chunk not received');
    const verified = a.agent.snapshot().recentEvents.find((e) => e.type === 'model_verified')!;
    assert.equal(verified.details?.chunksWrittenTotal, c.m.chunks.length, 'each chunk written exactly once');
    assert.equal(verified.details?.fellBack, false);
    assert.deepEqual(await storedBytes(c, a), Buffer.from(c.bytes));
  } finally {
    await teardown(c);
  }
});

test('origin fetch: agent stopped mid-download (stalled origin), restarted → asks the origin for just the missing range, exact file', { timeout: 90_000 }, async () => {
  const c = await setup();
  try {
    c.origin.faults.stallAfterBytes = 30 * CHUNK;
    await publishManifest(c);
    const first = await agent(c, { originIdleMs: 60_000 });
    await release(c);
    await waitUntil(() => fetchHave(first.config.dataDir, c.m.modelId) >= 30, 30_000, '30 chunks durable');
    await first.close();
    c.agents = [];
    const have = fetchHave(first.config.dataDir, c.m.modelId);
    assert.equal(have, 30);
    c.origin.faults = {};
    c.origin.requests.length = 0;
    const second = await agent(c);
    const end = await second.agent.waitForEvent(ended, { timeoutMs: 30_000 });
    assert.equal(end.type, 'activated', JSON.stringify(end));
    assert.equal(second.agent.snapshot().recentEvents.find((e) => e.type === 'download_started')?.details?.have, 30);
    assert.deepEqual(c.origin.requests.map((r) => r.range), [`bytes=${30 * CHUNK}-${c.bytes.length - 1}`]);
    const verified = second.agent.snapshot().recentEvents.find((e) => e.type === 'model_verified')!;
    assert.equal(verified.details?.resumedFrom, 30);
    assert.equal(verified.details?.fromOrigin, c.m.chunks.length - 30);
    assert.equal(verified.details?.chunksWrittenTotal, c.m.chunks.length);
    assert.deepEqual(await storedBytes(c, second), Buffer.from(c.bytes));
  } finally {
    await teardown(c);
  }
});

test('origin fetch, shadow candidate: fetchShadowModel takes the bytes from the HTTPS origin too (no broker chunks), verified, stored, not activated', { timeout: 60_000 }, async () => {
  const c = await setup();
  try {
    await publishManifest(c); // no chunk topics on the broker at all
    const a = await agent(c);
    await a.agent.ready;
    const got = await a.agent.fetchShadowModel('detector', c.m.modelId);
    assert.deepEqual(Buffer.from(got.bytes), Buffer.from(c.bytes), 'exact bytes');
    assert.equal(got.manifest.sha256, c.m.modelId);
    const events = a.agent.snapshot().recentEvents;
    const verified = events.find((e) => e.type === 'model_verified' && e.modelId === c.m.modelId)!;
    assert.equal(verified.details?.shadow, true);
    assert.equal(verified.details?.mode, 'origin');
    assert.equal(verified.details?.fromOrigin, c.m.chunks.length);
    assert.deepEqual(c.origin.requests.map((r) => r.range), [`bytes=0-${c.bytes.length - 1}`]);
    assert.ok(!events.some((e) => e.type === 'activated'), 'a shadow model is never put in the active slot');
    assert.equal(a.agent.snapshot().roles.detector?.modelId, undefined);
  } finally {
    await teardown(c);
  }
});
