/**
 * Agent lifecycle beyond one release: rollout cohorts by the bucket rule, instant switch to a stored
 * version, keeping the last N versions per role, an activation failure (contract) that leaves the
 * active model serving, restart from the encrypted store with no broker, and a production-like
 * connection (Mosquitto over TLS with a pinned CA, ACL, password from the OS credential store).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rolloutBucket } from '../../src/common/bucket.js';
import { AgentError } from '../../src/common/errors.js';
import { AgentStatusSchema } from '../../src/common/wire.js';
import { buildManifest } from '../../src/fleet/manifest.js';
import { SecretAccounts } from '../../src/agent/secrets/secret-store.js';
import { makeTestPki, startAedes, startMosquitto, type TestBroker } from '../helpers/brokers.js';
import {
  adminClient,
  buildModel,
  detectorOutput,
  fixture,
  makeFleet,
  publishBuilt,
  publishRelease,
  releaseOf,
  startTestAgent,
  T,
  TINY_A_Y,
  TINY_B_Y,
  workspace,
} from './agent-harness.js';

async function withAedes(fn: (broker: TestBroker) => Promise<void>): Promise<void> {
  const broker = await startAedes();
  try {
    await fn(broker);
  } finally {
    await broker.close();
  }
}

test('agent lifecycle: candidate by the bucket rule, then back to the stored stable instantly (no download)', { timeout: 60_000 }, () =>
  withAedes(async (broker) => {
    const fleet = makeFleet();
    const ws = await workspace(fleet);
    const admin = await adminClient(broker);
    const ta = await startTestAgent(ws, broker);
    try {
      const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
      const b = await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '2.0.0' });
      await publishBuilt(admin, a, fleet.modelKeys);
      await publishBuilt(admin, b, fleet.modelKeys);
      const bucket = rolloutBucket('agent-1', 'r1');
      // percent just below this agent's bucket: not in the cohort → stable
      await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId, candidate: { modelId: b.modelId, rolloutId: 'r1', percent: Math.max(0, bucket - 0.5), shadow: false, gates: {} as never } } } }), fleet.releaseKeys);
      await ta.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId, { timeoutMs: 15_000 });
      assert.equal(ta.agent.snapshot().roles.detector?.cohort, 'stable');
      // raised just above it → candidate, "active" (under guard), not committed
      await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: { stable: a.modelId, candidate: { modelId: b.modelId, rolloutId: 'r1', percent: Math.min(100, bucket + 0.5), shadow: false, gates: {} as never } } } }), fleet.releaseKeys);
      const s = await ta.agent.waitFor((x) => x.roles.detector?.modelId === b.modelId, { timeoutMs: 15_000 });
      assert.equal(s.roles.detector?.cohort, 'candidate');
      assert.equal(s.roles.detector?.rolloutId, 'r1');
      assert.equal(s.roles.detector?.state, 'active');
      assert.deepEqual(await detectorOutput(ta.activator), TINY_B_Y);
      // rolled back by the controller: a newer release without the candidate → stable from the store
      const downloadsBefore = ta.agent.snapshot().recentEvents.filter((e) => e.type === 'download_started').length;
      await publishRelease(admin, releaseOf({ seq: 3, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
      const back = await ta.agent.waitFor((x) => x.roles.detector?.modelId === a.modelId, { timeoutMs: 15_000 });
      assert.equal(back.roles.detector?.state, 'committed');
      assert.equal(back.roles.detector?.cohort, 'stable');
      assert.equal(ta.agent.snapshot().recentEvents.filter((e) => e.type === 'download_started').length, downloadsBefore, 'no download for a stored version');
      assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y);
    } finally {
      await ta.close();
      await admin.endAsync();
      await ws.cleanup();
    }
  }),
);

test('agent lifecycle: keeps the last keepVersions models per role and removes older blobs', { timeout: 60_000 }, () =>
  withAedes(async (broker) => {
    const fleet = makeFleet();
    const ws = await workspace(fleet);
    const admin = await adminClient(broker);
    const ta = await startTestAgent(ws, broker, { keepVersions: 2, latencyBudgetMs: 10_000 });
    try {
      const models = [
        await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' }),
        await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '2.0.0' }),
        await buildModel(fixture('slow.onnx'), { name: 'slow', version: '3.0.0', chunkSize: 256 * 1024 }),
      ];
      let seq = 1;
      for (const m of models) {
        await publishBuilt(admin, m, fleet.modelKeys);
        await publishRelease(admin, releaseOf({ seq: seq++, roles: { detector: { stable: m.modelId } } }), fleet.releaseKeys);
        await ta.agent.waitFor((s) => s.roles.detector?.modelId === m.modelId, { timeoutMs: 20_000 });
      }
      const blobs = readdirSync(join(ta.config.dataDir, 'blobs')).sort();
      assert.deepEqual(blobs, [models[1]!.modelId, models[2]!.modelId].sort(), 'the oldest version was collected');
    } finally {
      await ta.close();
      await admin.endAsync();
      await ws.cleanup();
    }
  }),
);

test('agent lifecycle: a model breaking its declared contract → activation_failed[contract_mismatch], the active one keeps serving', { timeout: 60_000 }, () =>
  withAedes(async (broker) => {
    const fleet = makeFleet();
    const ws = await workspace(fleet);
    const admin = await adminClient(broker);
    const ta = await startTestAgent(ws, broker);
    try {
      const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
      await publishBuilt(admin, a, fleet.modelKeys);
      await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
      await ta.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId, { timeoutMs: 15_000 });
      // a signed manifest that declares tiny's contract (x→y) for the wrong-contract file (z→w)
      const wrong = await buildManifest({
        bytes: fixture('wrong-contract.onnx'),
        role: 'detector',
        name: 'wrong',
        version: '9.0.0',
        chunkSize: 64,
        readContract: async () => a.manifest.contract,
      });
      await publishBuilt(admin, wrong, fleet.modelKeys);
      await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: { stable: wrong.modelId } } }), fleet.releaseKeys);
      const ev = await ta.agent.waitForEvent((e) => e.type === 'activation_failed', { timeoutMs: 15_000 });
      assert.equal(ev.reason, 'contract_mismatch');
      const s = ta.agent.snapshot();
      assert.equal(s.roles.detector?.modelId, a.modelId);
      assert.equal(s.roles.detector?.lastError?.code, 'contract_mismatch');
      assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y);
    } finally {
      await ta.close();
      await admin.endAsync();
      await ws.cleanup();
    }
  }),
);

test('agent lifecycle: restart with the broker down restores the active model from the encrypted store', { timeout: 60_000 }, async () => {
  const fleet = makeFleet();
  const ws = await workspace(fleet);
  const broker = await startAedes();
  const admin = await adminClient(broker);
  const first = await startTestAgent(ws, broker);
  const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
  await publishBuilt(admin, a, fleet.modelKeys);
  await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
  await first.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId, { timeoutMs: 15_000 });
  await first.close();
  await admin.endAsync();
  await broker.close();
  const second = await startTestAgent(ws, broker); // same port, nothing listening
  try {
    const s = second.agent.snapshot();
    assert.equal(s.connected, false);
    assert.equal(s.roles.detector?.modelId, a.modelId);
    assert.equal(second.activator.activeModelId('detector'), a.modelId);
    assert.deepEqual(await detectorOutput(second.activator), TINY_A_Y);
  } finally {
    await second.close();
    await ws.cleanup();
  }
});

test('agent connection: Mosquitto over TLS (pinned CA) with ACL and the password from the OS credential store', { timeout: 60_000 }, async () => {
  const broker = await startMosquitto({ tls: true, acl: true, agents: ['agent-tls'] });
  const fleet = makeFleet();
  const ws = await workspace(fleet, 'agent-tls');
  const otherPki = mkdtempSync(join(tmpdir(), 'rpa-other-pki-'));
  const admin = await adminClient(broker);
  try {
    const creds = broker.agentOptions('agent-tls');
    const caPath = join(ws.dir, 'ca.crt');
    (await import('node:fs')).writeFileSync(caPath, creds.ca!);
    const tlsBroker = { broker: { url: broker.url, username: 'agent-tls', passwordFromCredentialStore: true, ca: caPath } };
    // no password stored yet → secret_missing, before any connection
    await assert.rejects(startTestAgent(ws, broker, tlsBroker), (e: AgentError) => e.code === 'secret_missing');
    await ws.secretStore.set(SecretAccounts.brokerPassword, creds.password!);
    // a CA that did not sign the broker's certificate: never connects
    makeTestPki(otherPki, []);
    const wrongCa = await startTestAgent(ws, broker, { broker: { ...tlsBroker.broker, ca: join(otherPki, 'ca.crt') } });
    await assert.rejects(wrongCa.agent.waitFor((s) => s.connected, { timeoutMs: 1500 }), (e: AgentError) => e.code === 'timeout');
    await wrongCa.close();
    const ta = await startTestAgent(ws, broker, tlsBroker);
    try {
      await ta.agent.ready;
      const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
      await publishBuilt(admin, a, fleet.modelKeys);
      await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
      await ta.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId, { timeoutMs: 15_000 });
      // the ACL let it write its retained status under agents/agent-tls/
      const status = await new Promise<unknown>((resolve) => {
        admin.on('message', (topic, payload) => {
          if (topic === T.agentStatus('agent-tls')) {
            const st = AgentStatusSchema.parse(JSON.parse(payload.toString()));
            if (st.roles.detector?.modelId === a.modelId) resolve(st);
          }
        });
        void admin.subscribeAsync(T.agentStatus('agent-tls'), { qos: 1 });
      });
      assert.equal(AgentStatusSchema.parse(status).online, true);
    } finally {
      await ta.close();
    }
  } finally {
    await admin.endAsync().catch(() => {});
    await broker.close();
    await ws.cleanup();
    rmSync(otherPki, { recursive: true, force: true });
  }
});

test('agent lifecycle: close() releases everything (socket, timers, DB, sessions, audit log)', { timeout: 60_000 }, async () => {
  const resources = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').sort();
  const before = resources();
  const broker = await startAedes();
  const fleet = makeFleet();
  const ws = await workspace(fleet);
  const admin = await adminClient(broker);
  const ta = await startTestAgent(ws, broker);
  const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
  await publishBuilt(admin, a, fleet.modelKeys);
  await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
  await ta.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId, { timeoutMs: 15_000 });
  assert.ok(resources().length > before.length, 'the agent holds resources while running');
  await ta.close();
  await admin.endAsync();
  await broker.close();
  await ws.cleanup();
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(resources(), before);
  // after close, snapshot() still answers (offline, last known roles) for a window that is closing
  const last = ta.agent.snapshot();
  assert.equal(last.online, false);
  assert.equal(last.roles.detector?.modelId, a.modelId);
});

test('agent lifecycle: guard hooks — rollbackCandidate → stable from the store, rolled_back, not retaken; commitCandidate → committed', { timeout: 60_000 }, () =>
  withAedes(async (broker) => {
    const fleet = makeFleet();
    const ws = await workspace(fleet);
    const admin = await adminClient(broker);
    const ta = await startTestAgent(ws, broker);
    try {
      const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
      const b = await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '2.0.0' });
      await publishBuilt(admin, a, fleet.modelKeys);
      await publishBuilt(admin, b, fleet.modelKeys);
      const cand = (rolloutId: string) => ({ stable: a.modelId, candidate: { modelId: b.modelId, rolloutId, percent: 100, shadow: false, gates: {} as never } });
      await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
      await ta.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId, { timeoutMs: 15_000 });
      await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: cand('r1') } }), fleet.releaseKeys);
      await ta.agent.waitFor((s) => s.roles.detector?.modelId === b.modelId && s.roles.detector.state === 'active', { timeoutMs: 15_000 });
      await ta.agent.rollbackCandidate('detector', { details: { errorRate: 0.4 } });
      const s = ta.agent.snapshot();
      assert.equal(s.roles.detector?.modelId, a.modelId);
      assert.equal(s.roles.detector?.state, 'rolled_back');
      assert.equal(s.roles.detector?.cohort, 'stable');
      assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y);
      const ev = s.recentEvents.find((e) => e.type === 'rolled_back')!;
      assert.equal(ev.reason, 'guard_breach');
      assert.equal(ev.modelId, b.modelId);
      assert.equal(ev.details?.errorRate, 0.4);
      // the same rollout in a newer release is not taken again by this agent…
      await publishRelease(admin, releaseOf({ seq: 3, roles: { detector: cand('r1') } }), fleet.releaseKeys);
      await ta.agent.waitForEvent((e) => e.type === 'release_accepted' && e.releaseSeq === 3, { timeoutMs: 10_000 });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(ta.agent.snapshot().roles.detector?.modelId, a.modelId);
      // …a new rollout is, and passing its guard commits it
      await publishRelease(admin, releaseOf({ seq: 4, roles: { detector: cand('r2') } }), fleet.releaseKeys);
      await ta.agent.waitFor((x) => x.roles.detector?.modelId === b.modelId && x.roles.detector.rolloutId === 'r2', { timeoutMs: 15_000 });
      ta.agent.commitCandidate('detector');
      assert.equal(ta.agent.snapshot().roles.detector?.state, 'committed');
      assert.ok(ta.agent.snapshot().recentEvents.some((e) => e.type === 'committed' && e.modelId === b.modelId));
    } finally {
      await ta.close();
      await admin.endAsync();
      await ws.cleanup();
    }
  }),
);

test('agent lifecycle: a stored blob tampered with between runs → store_corrupt on restart, dropped, fetched again and activated', { timeout: 60_000 }, () =>
  withAedes(async (broker) => {
    const fleet = makeFleet();
    const ws = await workspace(fleet);
    const admin = await adminClient(broker);
    const first = await startTestAgent(ws, broker);
    const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
    await publishBuilt(admin, a, fleet.modelKeys);
    await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
    await first.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId, { timeoutMs: 15_000 });
    await first.close();
    const { readFileSync, writeFileSync } = await import('node:fs');
    const blob = join(first.config.dataDir, 'blobs', a.modelId);
    const raw = readFileSync(blob);
    raw[raw.length - 20] = raw[raw.length - 20]! ^ 0x40;
    writeFileSync(blob, raw);
    const second = await startTestAgent(ws, broker);
    try {
      const failed = await second.agent.waitForEvent((e) => e.type === 'activation_failed', { timeoutMs: 10_000 });
      assert.equal(failed.reason, 'store_corrupt');
      await second.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId && s.roles.detector.state === 'committed', { timeoutMs: 15_000 });
      assert.ok(second.agent.snapshot().recentEvents.some((e) => e.type === 'download_started' && e.modelId === a.modelId), 'fetched again');
      assert.deepEqual(await detectorOutput(second.activator), TINY_A_Y);
    } finally {
      await second.close();
      await admin.endAsync();
      await ws.cleanup();
    }
  }),
);

test('agent lifecycle: a newer release supersedes a download in progress; the abandoned partial file is dropped', { timeout: 60_000 }, () =>
  withAedes(async (broker) => {
    const fleet = makeFleet();
    const ws = await workspace(fleet);
    const admin = await adminClient(broker);
    const ta = await startTestAgent(ws, broker, { latencyBudgetMs: 10_000 });
    try {
      const slow = await buildModel(fixture('slow.onnx'), { name: 'slow', chunkSize: 4096 });
      const b = await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '2.0.0' });
      // only the manifest and a few chunks of the big model: its download stalls mid-way
      const { pub, signManifestRaw } = await import('./agent-harness.js');
      await pub(admin, T.manifest(slow.modelId), JSON.stringify(signManifestRaw(slow.manifest, fleet.modelKeys)));
      for (let i = 0; i < 10; i++) await pub(admin, T.chunk(slow.modelId, i), slow.chunks[i]!);
      await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: slow.modelId } } }), fleet.releaseKeys);
      await ta.agent.waitForEvent((e) => e.type === 'download_started' && e.modelId === slow.modelId, { timeoutMs: 15_000 });
      await new Promise((r) => setTimeout(r, 300)); // the first chunks land in the partial file
      assert.equal(readdirSync(join(ta.config.dataDir, 'partial')).length, 1);
      assert.equal(ta.agent.snapshot().roles.detector?.state, 'fetching');
      await publishBuilt(admin, b, fleet.modelKeys);
      await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: { stable: b.modelId } } }), fleet.releaseKeys);
      const s = await ta.agent.waitFor((x) => x.roles.detector?.modelId === b.modelId, { timeoutMs: 15_000 });
      assert.equal(s.roles.detector?.state, 'committed');
      assert.equal(s.roles.detector?.pending, undefined);
      assert.deepEqual(await detectorOutput(ta.activator), TINY_B_Y);
      assert.deepEqual(readdirSync(join(ta.config.dataDir, 'partial')), [], 'abandoned partial file removed');
      assert.ok(!s.recentEvents.some((e) => e.reason !== undefined), 'a superseded download is not a rejection');
    } finally {
      await ta.close();
      await admin.endAsync();
      await ws.cleanup();
    }
  }),
);

test('agent lifecycle: the role walks fetching → verifying → loading → self_test → committed; a failing self-test never replaces the active model', { timeout: 60_000 }, () =>
  withAedes(async (broker) => {
    const fleet = makeFleet();
    const ws = await workspace(fleet);
    const admin = await adminClient(broker);
    const ta = await startTestAgent(ws, broker);
    try {
      const states: string[] = [];
      ta.agent.subscribe((c) => {
        const st = c.kind === 'status' ? c.status.roles.detector?.state : undefined;
        if (st && states.at(-1) !== st) states.push(st);
      });
      const selfTest = (expected: number[]) => ({
        input: { name: 'x', shape: [1, 4], data: [1, 2, 3, 4] },
        expected: { name: 'y', values: expected },
        tolerance: 1e-4,
      });
      const a = await buildManifest({ bytes: fixture('tiny-a.onnx'), role: 'detector', name: 'tiny-a', version: '1.0.0', chunkSize: 64, metadata: { selfTest: selfTest(TINY_A_Y) } });
      await publishBuilt(admin, a, fleet.modelKeys);
      await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
      await ta.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId, { timeoutMs: 15_000 });
      assert.deepEqual(states, ['fetching', 'verifying', 'loading', 'self_test', 'committed']);
      // tiny-b with tiny-a's expected outputs: its self-test fails
      const b = await buildManifest({ bytes: fixture('tiny-b.onnx'), role: 'detector', name: 'tiny-b', version: '2.0.0', chunkSize: 64, metadata: { selfTest: selfTest(TINY_A_Y) } });
      await publishBuilt(admin, b, fleet.modelKeys);
      await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: { stable: b.modelId } } }), fleet.releaseKeys);
      const ev = await ta.agent.waitForEvent((e) => e.type === 'activation_failed', { timeoutMs: 15_000 });
      assert.equal(ev.reason, 'self_test_failed');
      assert.equal(ta.agent.snapshot().roles.detector?.modelId, a.modelId);
      assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y);
    } finally {
      await ta.close();
      await admin.endAsync();
      await ws.cleanup();
    }
  }),
);

test('agent lifecycle: a retained bad release redelivered after a broker restart is reported once', { timeout: 60_000 }, () =>
  withAedes(async (broker) => {
    const fleet = makeFleet();
    const ws = await workspace(fleet);
    let admin = await adminClient(broker);
    const ta = await startTestAgent(ws, broker);
    try {
      const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
      await publishBuilt(admin, a, fleet.modelKeys);
      const { generateSigningKey } = await import('../../src/fleet/signer.js');
      await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), [generateSigningKey()]);
      await ta.agent.waitForEvent((e) => e.reason === 'untrusted_key', { timeoutMs: 10_000 });
      await admin.endAsync();
      let disconnected = false;
      ta.agent.subscribe((c) => {
        if (c.kind === 'status' && !c.status.connected) disconnected = true;
      });
      await broker.restart(200);
      await ta.agent.waitFor((s) => disconnected && s.connected, { timeoutMs: 15_000 });
      admin = await adminClient(broker);
      // the retained forged release came again with the resubscription; a marker event proves we waited long enough
      await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
      await ta.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId, { timeoutMs: 15_000 });
      assert.equal(ta.agent.snapshot().recentEvents.filter((e) => e.reason === 'untrusted_key').length, 1);
    } finally {
      await ta.close();
      await admin.endAsync().catch(() => {});
      await ws.cleanup();
    }
  }),
);

test('agent lifecycle (simulated: crash while loading a new model): restart reverts to the active model, reports it, then resumes and activates', { timeout: 60_000 }, () =>
  withAedes(async (broker) => {
    const fleet = makeFleet();
    const ws = await workspace(fleet);
    const admin = await adminClient(broker);
    const first = await startTestAgent(ws, broker);
    const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
    const b = await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '2.0.0' });
    await publishBuilt(admin, a, fleet.modelKeys);
    await publishBuilt(admin, b, fleet.modelKeys);
    await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
    await first.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId, { timeoutMs: 15_000 });
    await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: { stable: b.modelId } } }), fleet.releaseKeys);
    await first.agent.waitFor((s) => s.roles.detector?.modelId === b.modelId, { timeoutMs: 15_000 });
    await first.close();
    // What a process killed while loading B leaves behind (the registry is the only state that survives
    // a kill): B verified and in the store, release 2 accepted, the role still on A, "loading" B.
    const { Registry, REGISTRY_FILE } = await import('../../src/agent/store/registry.js');
    const reg = Registry.open(join(first.config.dataDir, REGISTRY_FILE));
    reg.updateRole('detector', { state: 'loading', activeModelId: a.modelId, previousModelId: null, pendingModelId: b.modelId, pendingProgress: 1 }, new Date().toISOString());
    reg.close();
    const second = await startTestAgent(ws, broker);
    try {
      const recovered = await second.agent.waitForEvent((e) => e.type === 'store_recovered', { timeoutMs: 10_000 });
      assert.equal(recovered.modelId, b.modelId);
      await second.agent.waitFor((s) => s.roles.detector?.modelId === b.modelId && s.roles.detector.state === 'committed', { timeoutMs: 15_000 });
      assert.deepEqual(await detectorOutput(second.activator), TINY_B_Y);
      assert.ok(!second.agent.snapshot().recentEvents.some((e) => e.type === 'download_started'), 'B came from the store, not the broker');
    } finally {
      await second.close();
      await admin.endAsync();
      await ws.cleanup();
    }
  }),
);
