/**
 * The capability gate (docs/MODELS.md "Crop rule"): a multi-view classifier (preprocess.crop.views) never
 * goes to a channel where an agent known to the controller lacks `crop-views`. Real aedes broker, signed
 * manifests read back from it, a real controller ingesting the agents' retained statuses into SQLite.
 * Agents are retained status messages (what an agent publishes), so an old agent is one that sends no
 * `features`, as agents before the list do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { AgentError } from '../../src/common/errors.js';
import { topics } from '../../src/common/topics.js';
import { PreprocessSchema, type AgentStatus, type Preprocess } from '../../src/common/wire.js';
import { brokerManifests, enforceAgentFeatures } from '../../src/fleet/agent-features-gate.js';
import { FleetController, startRollout } from '../../src/fleet/controller/controller.js';
import { DEFAULT_SPEC, type RolloutSpec } from '../../src/fleet/controller/judge.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { buildManifest, signManifest } from '../../src/fleet/manifest.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { publishModel } from '../../src/fleet/publisher.js';
import { makeSimKeys, publishSimRelease, type SimKeys } from '../../src/fleet/sim/index.js';
import { startAedes } from '../helpers/brokers.js';
import { waitFor } from './controller-world.js';

const T = topics();
const CONTRACT = { inputs: [{ name: 'x', dtype: 'float32' as const, shape: [1, 6, 8, 8] }], outputs: [{ name: 'probs', dtype: 'float32' as const, shape: [1, 2] }] };
const VIEWS: Preprocess['crop'] = { expand: 0.1, minPad: 4, size: 8, views: [{ expand: 0.1, minPad: 4 }, { expand: 0.25, minPad: 8 }] };

/** a signed classifier manifest on the broker; `views` adds preprocess.crop.views (set after building: the bytes are not a real graph) */
async function publishClassifier(admin: MqttClient, keys: SimKeys, version: string, views: boolean): Promise<string> {
  const built = await buildManifest({ bytes: new Uint8Array(randomBytes(2048)), role: 'classifier', name: 'cls', version, chunkSize: 1024, readContract: async () => CONTRACT });
  const manifest = views ? { ...built.manifest, preprocess: PreprocessSchema.parse({ inputWidth: 8, inputHeight: 8, crop: VIEWS }) } : built.manifest;
  await publishModel(admin, { manifestEnvelope: signManifest(manifest, [keys.models]), chunks: built.chunks });
  return built.modelId;
}

async function publishStatus(admin: MqttClient, agentId: string, channel: string, features: string[] | undefined): Promise<void> {
  const s: AgentStatus = { agentId, online: true, ts: new Date().toISOString(), agentVersion: features ? '3.0.0' : '2.9.0', channel, roles: {}, ...(features ? { features } : {}) };
  await admin.publishAsync(T.agentStatus(agentId), JSON.stringify(s), { qos: 1, retain: true });
}

async function world() {
  const broker = await startAedes();
  const keys = makeSimKeys();
  const admin = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const plain = await publishClassifier(admin, keys, '1.0.0', false);
  const plainNext = await publishClassifier(admin, keys, '1.1.0', false);
  const views = await publishClassifier(admin, keys, '2.0.0', true);
  // prod: one current agent, one from before `features`; edge: current agents only; lab: old agents only
  await publishStatus(admin, 'ws-new', 'prod', ['crop-views']);
  await publishStatus(admin, 'ws-old', 'prod', undefined);
  await publishStatus(admin, 'edge-1', 'edge', ['crop-views']);
  await publishStatus(admin, 'edge-2', 'edge', ['crop-views', 'some-future-feature']);
  await publishStatus(admin, 'lab-old-1', 'lab', undefined);
  await publishStatus(admin, 'lab-old-2', 'lab', []);
  for (const channel of ['prod', 'edge', 'lab']) await publishSimRelease(admin, { keys, channel, roles: { classifier: { stable: plain } } });
  const dir = mkdtempSync(join(tmpdir(), 'rpa-features-'));
  const store = new ControllerStore(join(dir, 'fleet.db'));
  const ctlClient = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const ctl = new FleetController({ client: ctlClient, store, releaseKeys: [keys.releases], tickMs: 100 });
  await ctl.start();
  await waitFor(() => { ctl.flushIngest(); return store.agents().length === 6 && ['prod', 'edge', 'lab'].every((c) => store.release(c)); }, 10_000, () => `controller sees ${store.agents().length} agents`);
  const manifests = brokerManifests(ctlClient, {});
  return {
    store, plain, plainNext, views, manifests,
    spec: (channel: string, candidate: string): Omit<RolloutSpec, 'stable'> => ({ ...DEFAULT_SPEC, channel, role: 'classifier', candidate, waves: [10, 100], waveMinDurationMs: 60_000 }),
    /** a rollout's first tick: refused (failed) or its first wave published (running) */
    settled: (id: string) => waitFor(() => { const r = store.rollout(id)!; return r.state !== 'pending' ? r : undefined; }, 10_000, () => `rollout ${id} still pending`),
    async close() {
      await ctl.close();
      ctlClient.end(true);
      store.close();
      admin.end(true);
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as AgentError);

test('capability gate: a views model is refused on a channel with an agent lacking crop-views, naming that agent; allowed where every agent has it; a plain model is allowed anywhere; other channels do not count', { timeout: 60_000 }, async () => {
  const w = await world();
  try {
    // (a) prod has ws-old (no features): refused with the code, the feature and the old agent, never the new one
    const e = await refusal(enforceAgentFeatures(w.store.db, 'prod', [{ role: 'classifier', modelId: w.views }], w.manifests));
    assert.equal(e?.code, 'agent_unsupported', String(e));
    assert.match(e!.message, /channel prod: 1 of 2 known agent\(s\) lack feature crop-views, which classifier model .* needs: ws-old;/);
    assert.doesNotMatch(e!.message, /ws-new/);
    assert.deepEqual(e!.details, { channel: 'prod', role: 'classifier', modelId: w.views, feature: 'crop-views', missing: 1, known: 2, agents: ['ws-old'] });
    // ... and the controller refuses the rollout before its first wave: nothing is published to prod
    const a = startRollout(w.store, w.spec('prod', w.views), Date.now());
    const ra = await w.settled(a);
    assert.equal(ra.state, 'failed', JSON.stringify(ra.result));
    assert.equal(ra.result?.code, 'agent_unsupported');
    assert.match(String(ra.result?.reason), /crop-views.*ws-old/);
    assert.equal(w.store.release('prod')!.roles.classifier!.candidate, undefined, 'no wave was released to prod');

    // (b) edge: every agent lists crop-views (one also lists a feature this build does not know): allowed
    await enforceAgentFeatures(w.store.db, 'edge', [{ role: 'classifier', modelId: w.views }], w.manifests);
    const b = startRollout(w.store, w.spec('edge', w.views), Date.now());
    const rb = await w.settled(b);
    assert.equal(rb.state, 'running', JSON.stringify(rb.result));
    assert.equal(w.store.release('edge')!.roles.classifier!.candidate?.modelId, w.views, 'the first wave went out');

    // (c) a model without views needs nothing: allowed on prod and on lab, whose agents have no features at all
    await enforceAgentFeatures(w.store.db, 'prod', [{ role: 'classifier', modelId: w.plainNext }], w.manifests);
    await enforceAgentFeatures(w.store.db, 'lab', [{ role: 'classifier', modelId: w.plainNext }], w.manifests);
    const c = startRollout(w.store, w.spec('prod', w.plainNext), Date.now());
    assert.equal((await w.settled(c)).state, 'running');

    // (d) only THIS channel's agents count: lab's two old agents block lab (count + ids), not edge (checked above while they were known)
    const d = await refusal(enforceAgentFeatures(w.store.db, 'lab', [{ role: 'classifier', modelId: w.views }], w.manifests));
    assert.equal(d?.code, 'agent_unsupported');
    assert.deepEqual((d!.details as { agents: string[] }).agents, ['lab-old-1', 'lab-old-2']);
    assert.match(d!.message, /2 of 2 known agent\(s\)/);
    assert.doesNotMatch(d!.message, /ws-old/);
    // a channel with no known agents has nobody to protect
    await enforceAgentFeatures(w.store.db, 'empty', [{ role: 'classifier', modelId: w.views }], w.manifests);
    // a manifest that cannot be read is not waved through
    const m = await refusal(enforceAgentFeatures(w.store.db, 'prod', [{ role: 'classifier', modelId: 'f'.repeat(64) }], w.manifests));
    assert.equal(m?.code, 'manifest_missing');
  } finally {
    await w.close();
  }
});
