/**
 * The rollout controller driving simulated agents over a real broker (aedes in-process): waves with
 * healthy metrics, automatic rollback on error rate and on p95 (reaching every canary agent), the
 * approval gate, shadow-first agreement, and a controller restart mid-rollout resuming from SQLite.
 * Durations are short (wave-min-duration 1 s, 300 ms metrics windows); the clock is real.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { FleetController, controlRollout, startRollout } from '../../src/fleet/controller/controller.js';
import { DEFAULT_SPEC, type RolloutSpec } from '../../src/fleet/controller/judge.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { makeSimKeys, publishSimModel, publishSimRelease, startFleetSim, type FleetSim, type SimKeys } from '../../src/fleet/sim/index.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';
import { inCandidateCohort } from '../../src/common/bucket.js';
import { rolloutIdWithCohort, waitFor } from './controller-world.js';
import { buildProvenance } from '../../src/common/provenance.js';
import { publishProvenance, signProvenance } from '../../src/fleet/provenance.js';
import { enforceQualityGate, parseMinQuality, setChannelGates } from '../../src/fleet/quality-gate.js';
import { AuditLog } from '../../src/fleet/audit/audit-log.js';

const CHANNEL = 'prod';

interface World {
  broker: TestBroker;
  keys: SimKeys;
  admin: MqttClient;
  sim: FleetSim;
  stable: string;
  candidate: string;
  dir: string;
  dbPath: string;
  store: ControllerStore;
  ctl: FleetController;
  ctlClient: MqttClient;
  close(): Promise<void>;
}

type GateFor = (store: ControllerStore, client: MqttClient) => ConstructorParameters<typeof FleetController>[0]['qualityGate'];

async function startController(w: Pick<World, 'broker' | 'keys' | 'dbPath'>, gate?: GateFor): Promise<{ ctl: FleetController; store: ControllerStore; ctlClient: MqttClient }> {
  const store = new ControllerStore(w.dbPath);
  const ctlClient = await connectBroker({ url: w.broker.url, protocolVersion: w.broker.protocolVersion, mqttOptions: { reconnectPeriod: 200 } });
  const ctl = new FleetController({ client: ctlClient, store, releaseKeys: [w.keys.releases], tickMs: 150, ...(gate ? { qualityGate: gate(store, ctlClient) } : {}) });
  await ctl.start();
  return { ctl, store, ctlClient };
}

async function world(agents = 20, gate?: GateFor): Promise<World> {
  const broker = await startAedes();
  const keys = makeSimKeys();
  const admin = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const stable = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.0.0', size: 3000, chunkSize: 1024 });
  const candidate = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.1.0', size: 5000, chunkSize: 1024 });
  await publishSimRelease(admin, { keys, channel: CHANNEL, roles: { detector: { stable } } });
  const sim = await startFleetSim({
    url: broker.url,
    count: agents,
    channel: CHANNEL,
    trust: keys.trust,
    windowMs: 300,
    requestsPerWindow: 20,
    mqtt: { protocolVersion: broker.protocolVersion },
  });
  await waitFor(() => sim.countActive('detector', stable) === agents, 10_000, () => `all agents on stable (${sim.countActive('detector', stable)})`);
  const dir = mkdtempSync(join(tmpdir(), 'rpa-ctl-'));
  const dbPath = join(dir, 'fleet.db');
  const c = await startController({ broker, keys, dbPath }, gate);
  const w: World = {
    broker, keys, admin, sim, stable, candidate, dir, dbPath, ...c,
    async close() {
      await w.ctl.close();
      w.ctlClient.end(true);
      w.store.close();
      await sim.close();
      admin.end(true);
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // the controller has seen every agent's status and the channel's release
  await waitFor(() => { w.ctl.flushIngest(); return w.store.agents().filter((a) => a.online).length === agents && w.store.release(CHANNEL); }, 10_000, () => 'controller sees the fleet');
  return w;
}

function spec(w: World, over: Partial<RolloutSpec> = {}): Omit<RolloutSpec, 'stable'> {
  return { ...DEFAULT_SPEC, channel: CHANNEL, role: 'detector', candidate: w.candidate, waves: [10, 50, 100], waveMinDurationMs: 1000, minAgents: 2, minRequests: 20, breachLookbackMs: 1500, maxP95Ms: 100, ...over };
}

test('rollout: healthy canary advances through every wave to 100 % and becomes stable', async () => {
  const w = await world();
  try {
    // an empty 10 % cohort would hold (issue 16 §1): pick an id whose first wave has agents
    const id = startRollout(w.store, spec(w), Date.now(), rolloutIdWithCohort(w.sim.agents.map((a) => a.agentId), 10, 1));
    const done = await waitFor(() => { const r = w.store.rollout(id)!; return r.state !== 'running' && r.state !== 'pending' ? r : undefined; }, 30_000, () => JSON.stringify(w.store.rollout(id)?.result));
    assert.equal(done.state, 'completed', JSON.stringify(done.result));
    await waitFor(() => w.sim.countActive('detector', w.candidate) === 20, 10_000, () => `all on candidate (${w.sim.countActive('detector', w.candidate)})`);
    const log = w.store.logOf(id).map((l) => l.kind);
    assert.deepEqual(log.filter((k) => k === 'phase_started').length, 3, 'three waves published');
    assert.equal(log.filter((k) => k === 'phase_passed').length, 2);
    assert.equal(w.store.release(CHANNEL)!.roles.detector!.stable, w.candidate, 'the candidate is the new stable');
    assert.equal(w.store.release(CHANNEL)!.roles.detector!.candidate, undefined);
    // every agent verified and fetched the candidate's bytes itself
    assert.ok(w.sim.agents.every((a) => a.counters.bytesFetched >= 5000));
  } finally {
    await w.close();
  }
});

test('rollout: the canary error rate breaks the gate → automatic rollback reaches every canary agent, evidence recorded', async () => {
  const w = await world();
  try {
    w.sim.setProfile(w.candidate, { errorRate: 0.3 });
    const id = startRollout(w.store, spec(w, { waves: [50, 100] }), Date.now());
    const cohort = w.sim.agents.filter((a) => inCandidateCohort(a.agentId, id, 50));
    assert.ok(cohort.length > 0);
    const r = await waitFor(() => { const r = w.store.rollout(id)!; return r.state === 'rolled_back' ? r : undefined; }, 20_000, () => `state ${w.store.rollout(id)?.state}`);
    const verdict = (r.result as { verdict: { breach: string; reasons: string[]; summary: { canary: { errors: number } } } }).verdict;
    assert.equal(verdict.breach, 'error_rate');
    assert.ok(verdict.summary.canary.errors > 0);
    assert.match(verdict.reasons[0]!, /error rate/);
    await waitFor(() => cohort.every((a) => a.activeModel('detector') === w.stable), 10_000, () => 'every canary agent back on stable');
    const confirmed = await waitFor(() => w.store.rollout(id)!.result?.confirmedAt !== undefined && w.store.rollout(id)!, 10_000, () => 'controller confirms the rollback');
    assert.ok(Number(confirmed.result!.confirmMs) >= 0);
    assert.equal(w.store.release(CHANNEL)!.roles.detector!.candidate, undefined, 'rollback release has no candidate');
    assert.equal(w.store.release(CHANNEL)!.roles.detector!.stable, w.stable);
    assert.ok(cohort.some((a) => a.counters.activations >= 2), 'canary agents had activated the candidate before rolling back');
  } finally {
    await w.close();
  }
});

test('rollout: canary p95 over the gate rolls back', async () => {
  const w = await world();
  try {
    w.sim.setProfile(w.candidate, { latencyMs: 250 });
    const id = startRollout(w.store, spec(w, { waves: [50, 100] }), Date.now());
    const r = await waitFor(() => { const r = w.store.rollout(id)!; return r.state === 'rolled_back' ? r : undefined; }, 20_000, () => `state ${w.store.rollout(id)?.state}`);
    assert.equal((r.result as { verdict: { breach: string } }).verdict.breach, 'p95');
    await waitFor(() => w.sim.countActive('detector', w.stable) === 20, 10_000, () => 'all back on stable');
  } finally {
    await w.close();
  }
});

test('rollout: --approve-each-wave waits at the gate until approved', async () => {
  const w = await world();
  try {
    const id = startRollout(w.store, spec(w, { waves: [50, 100], approveEachWave: true }), Date.now());
    await waitFor(() => w.store.rollout(id)!.state === 'awaiting_approval', 20_000, () => `state ${w.store.rollout(id)?.state}`);
    const seqBefore = w.store.release(CHANNEL)!.seq;
    await new Promise((r) => setTimeout(r, 1500)); // it keeps waiting: no new release, still 50 %
    assert.equal(w.store.rollout(id)!.state, 'awaiting_approval');
    assert.equal(w.store.release(CHANNEL)!.seq, seqBefore);
    assert.equal(w.store.release(CHANNEL)!.roles.detector!.candidate!.percent, 50);
    controlRollout(w.store, id, 'approve', Date.now());
    const r = await waitFor(() => { const r = w.store.rollout(id)!; return r.phase === 1 ? r : undefined; }, 10_000, () => 'advanced after approval');
    assert.equal(r.state, 'running');
    assert.equal(w.store.release(CHANNEL)!.roles.detector!.candidate!.percent, 100);
  } finally {
    await w.close();
  }
});

test('rollout: shadow-first runs the candidate in shadow and reports agreement before the first wave', async () => {
  const w = await world();
  try {
    w.sim.setProfile(w.candidate, { agreement: 0.95 });
    const id = startRollout(w.store, spec(w, { waves: [50, 100], shadowFirst: true, shadowPercent: 50, minAgreement: 0.9 }), Date.now());
    const shadowCohort = w.sim.agents.filter((a) => inCandidateCohort(a.agentId, id, 50));
    await waitFor(() => shadowCohort.every((a) => a.roles.get('detector')?.shadow?.modelId === w.candidate), 10_000, () => 'shadow running');
    // answers still come from stable during shadow
    assert.ok(shadowCohort.every((a) => a.activeModel('detector') === w.stable));
    const passed = await waitFor(() => w.store.logOf(id).find((l) => l.kind === 'phase_passed' && l.data.phase === 0), 40_000, () => `state ${w.store.rollout(id)?.state}`);
    const summary = (passed.data.verdict as { summary: { shadow: { agreement: number; samples: number } } }).summary.shadow;
    assert.ok(summary.agreement > 0.9 && summary.agreement < 1, `agreement ${summary.agreement}`);
    assert.ok(summary.samples > 0);
    const r = await waitFor(() => { const r = w.store.rollout(id)!; return r.state === 'completed' ? r : undefined; }, 20_000, () => `state ${w.store.rollout(id)?.state}`);
    assert.equal(r.state, 'completed');
  } finally {
    await w.close();
  }
});

test('rollout: shadow agreement below the minimum rolls back before any agent serves the candidate', async () => {
  const w = await world();
  try {
    w.sim.setProfile(w.candidate, { agreement: 0.5 });
    const id = startRollout(w.store, spec(w, { waves: [50, 100], shadowFirst: true, shadowPercent: 50, minAgreement: 0.9 }), Date.now());
    const r = await waitFor(() => { const r = w.store.rollout(id)!; return r.state === 'rolled_back' ? r : undefined; }, 20_000, () => `state ${w.store.rollout(id)?.state}`);
    assert.equal((r.result as { verdict: { breach: string } }).verdict.breach, 'agreement');
    assert.ok(w.sim.agents.every((a) => a.counters.activations === 1), 'nobody ever activated the candidate');
  } finally {
    await w.close();
  }
});

test('rollout: a controller restart mid-rollout resumes from SQLite', async () => {
  const w = await world();
  try {
    const id = startRollout(w.store, spec(w, { waves: [10, 50, 100], waveMinDurationMs: 1500 }), Date.now(), rolloutIdWithCohort(w.sim.agents.map((a) => a.agentId), 10, 1));
    await waitFor(() => w.store.rollout(id)!.phase === 1, 20_000, () => `phase ${w.store.rollout(id)?.phase}`);
    const seqAtStop = w.store.release(CHANNEL)!.seq;
    await w.ctl.close();
    w.ctlClient.end(true);
    w.store.close();
    await new Promise((r) => setTimeout(r, 500));
    const c = await startController(w);
    Object.assign(w, c);
    const r = await waitFor(() => { const r = w.store.rollout(id)!; return r.state === 'completed' ? r : undefined; }, 30_000, () => `state ${w.store.rollout(id)?.state} phase ${w.store.rollout(id)?.phase}`);
    assert.equal(r.state, 'completed');
    assert.ok(w.store.release(CHANNEL)!.seq > seqAtStop, 'seq keeps increasing across the restart');
    const started = w.store.logOf(id).filter((l) => l.kind === 'phase_started').map((l) => l.data.phase);
    assert.deepEqual(started, [0, 1, 2], 'no wave was published twice');
    await waitFor(() => w.sim.countActive('detector', w.candidate) === 20, 10_000, () => 'all on candidate');
  } finally {
    await w.close();
  }
});

test('rollout: pause holds the wave, resume continues, abort returns every agent to stable', async () => {
  const w = await world();
  try {
    const id = startRollout(w.store, spec(w, { waves: [50, 100], waveMinDurationMs: 1500 }), Date.now());
    await waitFor(() => w.store.rollout(id)!.state === 'running', 10_000, () => 'running');
    controlRollout(w.store, id, 'pause', Date.now());
    await new Promise((r) => setTimeout(r, 2500)); // well past the wave's minimum duration
    assert.equal(w.store.rollout(id)!.state, 'paused');
    assert.equal(w.store.rollout(id)!.phase, 0, 'a paused rollout does not advance');
    controlRollout(w.store, id, 'resume', Date.now());
    await waitFor(() => w.store.rollout(id)!.phase === 1, 10_000, () => 'advanced after resume');
    await waitFor(() => w.sim.countActive('detector', w.candidate) > 0, 10_000, () => 'some agents on the candidate');
    controlRollout(w.store, id, 'abort', Date.now());
    const r = await waitFor(() => { const r = w.store.rollout(id)!; return r.state === 'aborted' ? r : undefined; }, 10_000, () => `state ${w.store.rollout(id)?.state}`);
    assert.equal(w.store.release(CHANNEL)!.roles.detector!.candidate, undefined);
    assert.equal(w.store.release(CHANNEL)!.roles.detector!.stable, w.stable);
    await waitFor(() => w.sim.countActive('detector', w.stable) === 20, 10_000, () => 'all back on stable');
    assert.equal(typeof r.result?.rolledBackAt, 'number');
  } finally {
    await w.close();
  }
});

test('rollout: a quality gate raised mid-rollout pauses it before the next wave widens (issue 20 §4); nothing wider is released', async () => {
  const w = await world(20, (store, client) => (channel, role, modelId) => enforceQualityGate(store.db, channel, [{ role, modelId }], { client, modelsTrust: w.keys.trust.models }));
  try {
    const evidence = buildProvenance({ model: { name: 'det', version: '1.1.0', sha256: w.candidate }, recipe: 'scripts/train/retrain.sh', commit: 'abcdef1', dataset: { manifest: 'manifest.json', sha256: 'c'.repeat(64) }, evaluation: { set: { name: 'held-out' }, metrics: { 'detector.ap50': 0.9 } }, builderId: 'test' });
    await publishProvenance(w.admin, w.candidate, signProvenance(evidence, [w.keys.models]));
    setChannelGates(w.store.db, CHANNEL, [parseMinQuality('detector.ap50=0.85')], Date.now());
    const id = startRollout(w.store, spec(w, { waves: [10, 50, 100], waveMinDurationMs: 1500 }), Date.now(), rolloutIdWithCohort(w.sim.agents.map((a) => a.agentId), 10, 1));
    await waitFor(() => w.store.rollout(id)!.state === 'running', 10_000, () => `state ${w.store.rollout(id)?.state} ${JSON.stringify(w.store.rollout(id)?.result)}`);
    // an admin raises the gate while the first wave runs: the candidate's signed 0.9 no longer passes
    setChannelGates(w.store.db, CHANNEL, [parseMinQuality('detector.ap50=0.95')], Date.now());
    const r = await waitFor(() => { const r = w.store.rollout(id)!; return r.state === 'paused' ? r : undefined; }, 20_000, () => `state ${w.store.rollout(id)?.state} phase ${w.store.rollout(id)?.phase}`);
    assert.equal(r.phase, 0, 'still the first wave');
    assert.equal(w.store.release(CHANNEL)!.roles.detector!.candidate!.percent, 10, 'no wider release was published');
    const pause = w.store.logOf(id).find((l) => l.kind === 'pause');
    assert.match(String(pause?.data.actor), /^controller:/, 'the controller is the actor');
    const audited = new AuditLog(w.store.db).entries({ rolloutId: id }).filter((e) => e.action === 'rollout.paused');
    assert.equal(audited.length, 1, 'the automatic pause is in the audit trail');
    assert.match(audited[0]!.reason ?? '', /detector\.ap50 0\.9 < 0\.95/);
    assert.equal(pause?.data.code, 'quality_gate_failed');
    assert.match(String(pause?.data.reason), /detector\.ap50 0\.9 < 0\.95/);
    // a resume checks again: still refused, paused again, still 10 %
    controlRollout(w.store, id, 'resume', Date.now());
    await waitFor(() => w.store.logOf(id).filter((l) => l.kind === 'pause').length === 2, 20_000, () => 'paused again after the resume');
    assert.equal(w.store.release(CHANNEL)!.roles.detector!.candidate!.percent, 10);
    // the gate lowered again: a resume lets it go on to 100 %
    setChannelGates(w.store.db, CHANNEL, [parseMinQuality('detector.ap50=0.85')], Date.now());
    controlRollout(w.store, id, 'resume', Date.now());
    const done = await waitFor(() => { const x = w.store.rollout(id)!; return x.state === 'completed' ? x : undefined; }, 30_000, () => `state ${w.store.rollout(id)?.state}`);
    assert.equal(done.state, 'completed');
  } finally {
    await w.close();
  }
});
