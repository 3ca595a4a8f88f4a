/**
 * Agent lifecycle beyond one release: rollout cohorts by the bucket rule, instant switch to a stored
 * version, keeping the last N versions per role, an activation failure (contract) that leaves the
 * active model serving, restart from the encrypted store with no broker, and a production-like
 * connection (Mosquitto over TLS with a pinned CA, ACL, password from the OS credential store).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { rolloutBucket } from '../../src/common/bucket.js';
import { AgentError } from '../../src/common/errors.js';
import { AgentStatusSchema, type RoleRelease } from '../../src/common/wire.js';
import { buildManifest, type BuiltModel } from '../../src/fleet/manifest.js';
import { generateSigningKey, type SigningKey } from '../../src/fleet/signer.js';
import type { AgentSnapshot } from '../../src/agent/agent.js';
import type { AgentConfigInput } from '../../src/agent/config.js';
import { SecretAccounts } from '../../src/agent/secrets/secret-store.js';
import { Registry, REGISTRY_FILE } from '../../src/agent/store/registry.js';
import { makeTestPki, startAedes, startMosquitto, type TestBroker } from '../helpers/brokers.js';
import { adminClient, buildModel, detectorOutput, fixture, makeFleet, pub, publishBuilt, publishRelease, releaseOf, signManifestRaw, startTestAgent, T, TINY_A_Y, TINY_B_Y, workspace } from './agent-harness.js';
import type { AgentWorkspace, Fleet, TestAgent } from './agent-harness.js';

const tinyA = () => buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
const tinyB = () => buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '2.0.0' });

/** The detector's part of a release: `stable` for everyone, `candidate` for `percent` % of the agents under `rolloutId` (no gates). */
const withCandidate = (stable: BuiltModel, candidate: BuiltModel, rolloutId: string, percent = 100): RoleRelease => ({
  stable: stable.modelId,
  candidate: { modelId: candidate.modelId, rolloutId, percent, shadow: false, gates: {} as never },
});

/** A broker, a fleet, the agent's workspace and a fleet-side admin client, for one test. */
interface Scene {
  broker: TestBroker;
  fleet: Fleet;
  ws: AgentWorkspace;
  /** a test that reconnects puts its new client here, so that one is ended with the scene */
  admin: MqttClient;
  /** an agent on this workspace and broker, closed with the scene (closing it earlier is fine) */
  startAgent(overrides?: Partial<AgentConfigInput>): Promise<TestAgent>;
  /** signs (model keys) and publishes each model, retained */
  publishModels(...models: BuiltModel[]): Promise<void>;
  /** a release on the agent's channel naming only the detector; signed with the fleet's release keys unless `keys` */
  release(seq: number, detector: RoleRelease, keys?: readonly SigningKey[]): Promise<void>;
}

/** Runs `fn` in a fresh scene (aedes unless `startBroker`), then closes its agents, the admin client, the broker and the workspace. */
async function inScene(fn: (sc: Scene) => Promise<void>, opts: { startBroker?: () => Promise<TestBroker>; agentId?: string } = {}): Promise<void> {
  const broker = await (opts.startBroker ?? startAedes)();
  const fleet = makeFleet();
  const agents: TestAgent[] = [];
  let ws: AgentWorkspace | undefined;
  let sc: Scene | undefined;
  try {
    ws = await workspace(fleet, opts.agentId);
    const scene: Scene = {
      broker,
      fleet,
      ws,
      admin: await adminClient(broker),
      async startAgent(overrides) {
        const ta = await startTestAgent(scene.ws, broker, overrides);
        agents.push(ta);
        return ta;
      },
      async publishModels(...models) {
        for (const m of models) await publishBuilt(scene.admin, m, fleet.modelKeys);
      },
      async release(seq, detector, keys = fleet.releaseKeys) {
        await publishRelease(scene.admin, releaseOf({ seq, roles: { detector } }), keys);
      },
    };
    sc = scene;
    await fn(scene);
  } finally {
    for (const ta of agents) await ta.close();
    await sc?.admin.endAsync();
    await broker.close();
    await ws?.cleanup();
  }
}

/** Releases `model` as the stable detector (seq `seq`) and waits until the agent's detector is on it. */
async function releaseStableAndWait(sc: Scene, ta: TestAgent, seq: number, model: BuiltModel, timeoutMs = 15_000): Promise<AgentSnapshot> {
  await sc.release(seq, { stable: model.modelId });
  return ta.agent.waitFor((s) => s.roles.detector?.modelId === model.modelId, { timeoutMs });
}

/** Starts an agent and makes tiny-a its detector: published, released as stable (seq 1), active. */
async function agentOnTinyA(sc: Scene): Promise<{ ta: TestAgent; a: BuiltModel }> {
  const ta = await sc.startAgent();
  const a = await tinyA();
  await sc.publishModels(a);
  await releaseStableAndWait(sc, ta, 1, a);
  return { ta, a };
}

test('agent lifecycle: candidate by the bucket rule, then back to the stored stable instantly (no download)', { timeout: 60_000 }, () =>
  inScene(async (sc) => {
    const ta = await sc.startAgent();
    const a = await tinyA();
    const b = await tinyB();
    await sc.publishModels(a, b);
    const bucket = rolloutBucket('agent-1', 'r1');
    // percent just below this agent's bucket: not in the cohort → stable
    await sc.release(1, withCandidate(a, b, 'r1', Math.max(0, bucket - 0.5)));
    await ta.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId, { timeoutMs: 15_000 });
    assert.equal(ta.agent.snapshot().roles.detector?.cohort, 'stable');
    // raised just above it → candidate, "active" (under guard), not committed
    await sc.release(2, withCandidate(a, b, 'r1', Math.min(100, bucket + 0.5)));
    const s = await ta.agent.waitFor((x) => x.roles.detector?.modelId === b.modelId, { timeoutMs: 15_000 });
    assert.equal(s.roles.detector?.cohort, 'candidate');
    assert.equal(s.roles.detector?.rolloutId, 'r1');
    assert.equal(s.roles.detector?.state, 'active');
    assert.deepEqual(await detectorOutput(ta.activator), TINY_B_Y);
    // rolled back by the controller: a newer release without the candidate → stable from the store
    const downloadsBefore = ta.agent.snapshot().recentEvents.filter((e) => e.type === 'download_started').length;
    const back = await releaseStableAndWait(sc, ta, 3, a);
    assert.equal(back.roles.detector?.state, 'committed');
    assert.equal(back.roles.detector?.cohort, 'stable');
    assert.equal(ta.agent.snapshot().recentEvents.filter((e) => e.type === 'download_started').length, downloadsBefore, 'no download for a stored version');
    assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y);
  }),
);

test('agent lifecycle: keeps the last keepVersions models per role and removes older blobs', { timeout: 60_000 }, () =>
  inScene(async (sc) => {
    const ta = await sc.startAgent({ keepVersions: 2, latencyBudgetMs: 10_000 });
    const models = [await tinyA(), await tinyB(), await buildModel(fixture('slow.onnx'), { name: 'slow', version: '3.0.0', chunkSize: 256 * 1024 })];
    let seq = 1;
    for (const m of models) {
      await sc.publishModels(m);
      await releaseStableAndWait(sc, ta, seq++, m, 20_000);
    }
    const blobs = readdirSync(join(ta.config.dataDir, 'blobs')).sort();
    assert.deepEqual(blobs, [models[1]!.modelId, models[2]!.modelId].sort(), 'the oldest version was collected');
  }),
);

test('agent lifecycle: a model breaking its declared contract → activation_failed[contract_mismatch], the active one keeps serving', { timeout: 60_000 }, () =>
  inScene(async (sc) => {
    const { ta, a } = await agentOnTinyA(sc);
    // a signed manifest that declares tiny's contract (x→y) for the wrong-contract file (z→w)
    const wrong = await buildManifest({
      bytes: fixture('wrong-contract.onnx'),
      role: 'detector',
      name: 'wrong',
      version: '9.0.0',
      chunkSize: 64,
      readContract: async () => a.manifest.contract,
    });
    await sc.publishModels(wrong);
    await sc.release(2, { stable: wrong.modelId });
    const ev = await ta.agent.waitForEvent((e) => e.type === 'activation_failed', { timeoutMs: 15_000 });
    assert.equal(ev.reason, 'contract_mismatch');
    const s = ta.agent.snapshot();
    assert.equal(s.roles.detector?.modelId, a.modelId);
    assert.equal(s.roles.detector?.lastError?.code, 'contract_mismatch');
    assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y);
  }),
);

test('agent lifecycle: restart with the broker down restores the active model from the encrypted store', { timeout: 60_000 }, () =>
  inScene(async (sc) => {
    const { ta: first, a } = await agentOnTinyA(sc);
    await first.close();
    await sc.broker.stop();
    const second = await sc.startAgent(); // same port, nothing listening
    const s = second.agent.snapshot();
    assert.equal(s.connected, false);
    assert.equal(s.roles.detector?.modelId, a.modelId);
    assert.equal(second.activator.activeModelId('detector'), a.modelId);
    assert.deepEqual(await detectorOutput(second.activator), TINY_A_Y);
  }),
);

test('agent connection: Mosquitto over TLS (pinned CA) with ACL and the password from the OS credential store', { timeout: 60_000 }, () =>
  inScene(
    async (sc) => {
      const otherPki = mkdtempSync(join(tmpdir(), 'rpa-other-pki-'));
      try {
        const creds = sc.broker.agentOptions('agent-tls');
        const caPath = join(sc.ws.dir, 'ca.crt');
        writeFileSync(caPath, creds.ca!);
        const tlsBroker = { broker: { url: sc.broker.url, username: 'agent-tls', passwordFromCredentialStore: true, ca: caPath } };
        // no password stored yet → secret_missing, before any connection
        await assert.rejects(sc.startAgent(tlsBroker), (e: AgentError) => e.code === 'secret_missing');
        await sc.ws.secretStore.set(SecretAccounts.brokerPassword, creds.password!);
        // a CA that did not sign the broker's certificate: never connects
        makeTestPki(otherPki, []);
        const wrongCa = await sc.startAgent({ broker: { ...tlsBroker.broker, ca: join(otherPki, 'ca.crt') } });
        await assert.rejects(wrongCa.agent.waitFor((s) => s.connected, { timeoutMs: 1500 }), (e: AgentError) => e.code === 'timeout');
        await wrongCa.close();
        const ta = await sc.startAgent(tlsBroker);
        await ta.agent.ready;
        const a = await tinyA();
        await sc.publishModels(a);
        await releaseStableAndWait(sc, ta, 1, a);
        // the ACL let it write its retained status under agents/agent-tls/
        const status = await new Promise<unknown>((resolve) => {
          sc.admin.on('message', (topic, payload) => {
            if (topic === T.agentStatus('agent-tls')) {
              const st = AgentStatusSchema.parse(JSON.parse(payload.toString()));
              if (st.roles.detector?.modelId === a.modelId) resolve(st);
            }
          });
          void sc.admin.subscribeAsync(T.agentStatus('agent-tls'), { qos: 1 });
        });
        assert.equal(AgentStatusSchema.parse(status).online, true);
      } finally {
        rmSync(otherPki, { recursive: true, force: true });
      }
    },
    { startBroker: () => startMosquitto({ tls: true, acl: true, agents: ['agent-tls'] }), agentId: 'agent-tls' },
  ),
);

test('agent lifecycle: close() releases everything (socket, timers, DB, sessions, audit log)', { timeout: 60_000 }, async () => {
  const resources = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').sort();
  // the previous test's broker process may still be on its way out: take the baseline once it is steady
  let before = resources();
  for (let steady = 0, i = 0; steady < 5 && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = resources();
    steady = JSON.stringify(now) === JSON.stringify(before) ? steady + 1 : 0;
    before = now;
  }
  let ta: TestAgent | undefined;
  let a: BuiltModel | undefined;
  // the scene closes the agent, the admin client, the broker and the workspace on its way out
  await inScene(async (sc) => {
    ({ ta, a } = await agentOnTinyA(sc));
    assert.ok(resources().length > before.length, 'the agent holds resources while running');
  });
  // whatever the agent held must be gone within a few seconds of close() (a leak stays and fails here)
  for (let i = 0; i < 50 && JSON.stringify(resources()) !== JSON.stringify(before); i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(resources(), before);
  // after close, snapshot() still answers (offline, last known roles) for a window that is closing
  const last = ta!.agent.snapshot();
  assert.equal(last.online, false);
  assert.equal(last.roles.detector?.modelId, a!.modelId);
});

test('agent lifecycle: guard hooks — rollbackCandidate → stable from the store, rolled_back, not retaken; commitCandidate → committed', { timeout: 60_000 }, () =>
  inScene(async (sc) => {
    const { ta, a } = await agentOnTinyA(sc);
    const b = await tinyB();
    await sc.publishModels(b);
    await sc.release(2, withCandidate(a, b, 'r1'));
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
    await sc.release(3, withCandidate(a, b, 'r1'));
    await ta.agent.waitForEvent((e) => e.type === 'release_accepted' && e.releaseSeq === 3, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(ta.agent.snapshot().roles.detector?.modelId, a.modelId);
    // …a new rollout is, and passing its guard commits it
    await sc.release(4, withCandidate(a, b, 'r2'));
    await ta.agent.waitFor((x) => x.roles.detector?.modelId === b.modelId && x.roles.detector.rolloutId === 'r2', { timeoutMs: 15_000 });
    ta.agent.commitCandidate('detector');
    assert.equal(ta.agent.snapshot().roles.detector?.state, 'committed');
    assert.ok(ta.agent.snapshot().recentEvents.some((e) => e.type === 'committed' && e.modelId === b.modelId));
  }),
);

test('agent lifecycle: a stored blob tampered with between runs → store_corrupt on restart, dropped, fetched again and activated', { timeout: 60_000 }, () =>
  inScene(async (sc) => {
    const { ta: first, a } = await agentOnTinyA(sc);
    await first.close();
    const blob = join(first.config.dataDir, 'blobs', a.modelId);
    const raw = readFileSync(blob);
    raw[raw.length - 20] = raw[raw.length - 20]! ^ 0x40;
    writeFileSync(blob, raw);
    const second = await sc.startAgent();
    const failed = await second.agent.waitForEvent((e) => e.type === 'activation_failed', { timeoutMs: 10_000 });
    assert.equal(failed.reason, 'store_corrupt');
    await second.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId && s.roles.detector.state === 'committed', { timeoutMs: 15_000 });
    assert.ok(second.agent.snapshot().recentEvents.some((e) => e.type === 'download_started' && e.modelId === a.modelId), 'fetched again');
    assert.deepEqual(await detectorOutput(second.activator), TINY_A_Y);
  }),
);

test('agent lifecycle: a newer release supersedes a download in progress; the abandoned partial file is dropped', { timeout: 60_000 }, () =>
  inScene(async (sc) => {
    const ta = await sc.startAgent({ latencyBudgetMs: 10_000 });
    const slow = await buildModel(fixture('slow.onnx'), { name: 'slow', chunkSize: 4096 });
    const b = await tinyB();
    // only the manifest and a few chunks of the big model: its download stalls mid-way
    await pub(sc.admin, T.manifest(slow.modelId), JSON.stringify(signManifestRaw(slow.manifest, sc.fleet.modelKeys)));
    for (let i = 0; i < 10; i++) await pub(sc.admin, T.chunk(slow.modelId, i), slow.chunks[i]!);
    await sc.release(1, { stable: slow.modelId });
    await ta.agent.waitForEvent((e) => e.type === 'download_started' && e.modelId === slow.modelId, { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 300)); // the first chunks land in the partial file
    assert.equal(readdirSync(join(ta.config.dataDir, 'partial')).length, 1);
    assert.equal(ta.agent.snapshot().roles.detector?.state, 'fetching');
    await sc.publishModels(b);
    const s = await releaseStableAndWait(sc, ta, 2, b);
    assert.equal(s.roles.detector?.state, 'committed');
    assert.equal(s.roles.detector?.pending, undefined);
    assert.deepEqual(await detectorOutput(ta.activator), TINY_B_Y);
    assert.deepEqual(readdirSync(join(ta.config.dataDir, 'partial')), [], 'abandoned partial file removed');
    assert.ok(!s.recentEvents.some((e) => e.reason !== undefined), 'a superseded download is not a rejection');
  }),
);

test('agent lifecycle: the role walks fetching → verifying → loading → self_test → committed; a failing self-test never replaces the active model', { timeout: 60_000 }, () =>
  inScene(async (sc) => {
    const ta = await sc.startAgent();
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
    await sc.publishModels(a);
    await releaseStableAndWait(sc, ta, 1, a);
    assert.deepEqual(states, ['fetching', 'verifying', 'loading', 'self_test', 'committed']);
    // tiny-b with tiny-a's expected outputs: its self-test fails
    const b = await buildManifest({ bytes: fixture('tiny-b.onnx'), role: 'detector', name: 'tiny-b', version: '2.0.0', chunkSize: 64, metadata: { selfTest: selfTest(TINY_A_Y) } });
    await sc.publishModels(b);
    await sc.release(2, { stable: b.modelId });
    const ev = await ta.agent.waitForEvent((e) => e.type === 'activation_failed', { timeoutMs: 15_000 });
    assert.equal(ev.reason, 'self_test_failed');
    assert.equal(ta.agent.snapshot().roles.detector?.modelId, a.modelId);
    assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y);
  }),
);

test('agent lifecycle: a retained bad release redelivered after a broker restart is reported once', { timeout: 60_000 }, () =>
  inScene(async (sc) => {
    const ta = await sc.startAgent();
    const a = await tinyA();
    await sc.publishModels(a);
    await sc.release(1, { stable: a.modelId }, [generateSigningKey()]);
    await ta.agent.waitForEvent((e) => e.reason === 'untrusted_key', { timeoutMs: 10_000 });
    await sc.admin.endAsync();
    let disconnected = false;
    ta.agent.subscribe((c) => {
      if (c.kind === 'status' && !c.status.connected) disconnected = true;
    });
    await sc.broker.restart(200);
    await ta.agent.waitFor((s) => disconnected && s.connected, { timeoutMs: 15_000 });
    sc.admin = await adminClient(sc.broker);
    // the retained forged release came again with the resubscription; a marker event proves we waited long enough
    await releaseStableAndWait(sc, ta, 2, a);
    assert.equal(ta.agent.snapshot().recentEvents.filter((e) => e.reason === 'untrusted_key').length, 1);
  }),
);

test('agent lifecycle (simulated: crash while loading a new model): restart reverts to the active model, reports it, then resumes and activates', { timeout: 60_000 }, () =>
  inScene(async (sc) => {
    const { ta: first, a } = await agentOnTinyA(sc);
    const b = await tinyB();
    await sc.publishModels(b);
    await releaseStableAndWait(sc, first, 2, b);
    await first.close();
    // What a process killed while loading B leaves behind (the registry is the only state that survives
    // a kill): B verified and in the store, release 2 accepted, the role still on A, "loading" B.
    const reg = Registry.open(join(first.config.dataDir, REGISTRY_FILE));
    reg.updateRole('detector', { state: 'loading', activeModelId: a.modelId, previousModelId: null, pendingModelId: b.modelId, pendingProgress: 1 }, new Date().toISOString());
    reg.close();
    const second = await sc.startAgent();
    const recovered = await second.agent.waitForEvent((e) => e.type === 'store_recovered', { timeoutMs: 10_000 });
    assert.equal(recovered.modelId, b.modelId);
    await second.agent.waitFor((s) => s.roles.detector?.modelId === b.modelId && s.roles.detector.state === 'committed', { timeoutMs: 15_000 });
    assert.deepEqual(await detectorOutput(second.activator), TINY_B_Y);
    assert.ok(!second.agent.snapshot().recentEvents.some((e) => e.type === 'download_started'), 'B came from the store, not the broker');
  }),
);
