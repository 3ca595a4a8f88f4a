/**
 * Issue 16 §2 and §6 on the real agent: it reports its config labels, takes a candidate only when its
 * bucket AND the candidate's selector say so (real agent, real onnxruntime, aedes); its metrics
 * windows carry an epoch kept with the seq counter's database, so a re-imaged machine (new database,
 * seq from 0) is not taken for a duplicate by the controller.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { parseAgentConfig } from '../../src/agent/config.js';
import { startTelemetry } from '../../src/agent/telemetry/index.js';
import { FakeTimers } from '../../src/common/lifetime.js';
import { FleetController } from '../../src/fleet/controller/controller.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { generateSigningKey } from '../../src/fleet/signer.js';
import { startAedes } from '../helpers/brokers.js';
import { adminClient, buildModel, fixture, makeFleet, publishBuilt, publishRelease, releaseOf, startTestAgent, workspace } from './agent-harness.js';

const gates = { maxErrorRate: 0.05, maxLatencyP95Ms: 1000, guardWindowSec: 60, minSamples: 20 };

test('agent: reports its labels and takes a candidate only when the selector matches them', async () => {
  const broker = await startAedes();
  const fleet = makeFleet();
  const ws = await workspace(fleet);
  const admin = await adminClient(broker);
  const ta = await startTestAgent(ws, broker, { labels: { site: 'paris', dept: 'finance' } });
  try {
    const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a', version: '1.0.0' });
    const b = await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '2.0.0' });
    await publishBuilt(admin, a, fleet.modelKeys);
    await publishBuilt(admin, b, fleet.modelKeys);
    await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
    const s1 = await ta.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId && s.roles.detector.state === 'committed', { timeoutMs: 15_000 });
    assert.deepEqual(s1.labels, { site: 'paris', dept: 'finance', profile: 'default' }); // the profile label (issue 21 §2)
    const epochs = new Set(s1.recentEvents.map((e) => e.epoch));
    assert.ok(epochs.size === 1 && /^[0-9a-f]{16}$/.test(String([...epochs][0])), `events carry one epoch (${[...epochs]})`);
    // 100 % of the channel, but only site=berlin: this agent stays on stable
    const cand = (selector: string) => ({ modelId: b.modelId, rolloutId: 'ro-sel', percent: 100, shadow: false, gates, selector });
    await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: { stable: a.modelId, candidate: cand('site=berlin') } } }), fleet.releaseKeys);
    await ta.agent.waitFor((s) => s.releaseSeq === 2, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(ta.agent.snapshot().roles.detector?.modelId, a.modelId, 'not targeted: stays on stable');
    // the selector now names its labels: it takes the candidate
    await publishRelease(admin, releaseOf({ seq: 3, roles: { detector: { stable: a.modelId, candidate: cand('site in (berlin,paris),dept in (finance,hr)') } } }), fleet.releaseKeys);
    const s3 = await ta.agent.waitFor((s) => s.roles.detector?.modelId === b.modelId, { timeoutMs: 15_000 });
    assert.equal(s3.roles.detector?.cohort, 'candidate');
  } finally {
    await ta.close();
    await admin.endAsync();
    await broker.close();
    await ws.cleanup();
  }
});

test('agent config: labels are validated at the edge', () => {
  const base = { broker: { url: 'mqtt://127.0.0.1:1883' }, agentId: 'a1', channel: 'prod', trustFile: '/t.json', dataDir: '/d' };
  assert.deepEqual(parseAgentConfig({ ...base, labels: { site: 'berlin', 'industry.profile': 'banking' } }).labels, { site: 'berlin', 'industry.profile': 'banking', profile: 'default' });
  assert.deepEqual(parseAgentConfig(base).labels, { profile: 'default' });
  assert.deepEqual(parseAgentConfig({ ...base, profile: 'healthcare' }).labels, { profile: 'healthcare' });
  assert.throws(() => parseAgentConfig({ ...base, profile: 'health care' }), (e: Error & { code?: string }) => e.code === 'bad_config' && /profile/.test(e.message));
  assert.throws(() => parseAgentConfig({ ...base, profile: 'healthcare', labels: { profile: 'banking' } }), (e: Error & { code?: string }) => e.code === 'bad_config' && /labels.profile/.test(e.message));
  assert.throws(() => parseAgentConfig({ ...base, labels: { site: 'Berlin Mitte' } }), (e: Error & { code?: string }) => e.code === 'bad_config' && /labels/.test(e.message));
});

const manualTimers = new FakeTimers(Date.now()); // FAKE timers: never advanced, so windows are cut by the test

test('telemetry epoch: kept across restarts with the database, new for a re-imaged machine; the controller keeps every window', async () => {
  const broker = await startAedes();
  const dir = mkdtempSync(join(tmpdir(), 'rpa-epoch-'));
  const store = new ControllerStore(join(dir, 'fleet.db'));
  const ctlClient = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const ctl = new FleetController({ client: ctlClient, store, releaseKeys: [generateSigningKey()], tickMs: 100, flushMs: 20 });
  await ctl.start();
  const agent = mqtt.connect(broker.url, { clientId: 'agent-1', protocolVersion: broker.protocolVersion });
  await new Promise<void>((r) => agent.once('connect', () => r()));
  const run = async (dbFile: string, windows: number) => {
    const db = new Database(join(dir, dbFile));
    const tel = startTelemetry({ client: agent, db, agentId: 'agent-1', timers: manualTimers });
    tel.setRoleInfo('detector', { modelId: 'd'.repeat(64), provider: 'cpu', cohort: 'stable' });
    const seqs: number[] = [];
    for (let i = 0; i < windows; i++) {
      tel.recorder.record('detector', { latencyMs: 5, ok: true, confidences: [0.9] });
      seqs.push(tel.cutWindow().seq);
    }
    const deadline = Date.now() + 5000;
    while (tel.outbox.pending() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await tel.close();
    db.close();
    return { epoch: tel.epoch, seqs };
  };
  try {
    const first = await run('agent.db', 2);
    const restarted = await run('agent.db', 2); // same install, process restarted
    const reimaged = await run('agent-reimaged.db', 2); // same agent id, fresh disk
    assert.equal(restarted.epoch, first.epoch);
    assert.deepEqual([first.seqs, restarted.seqs, reimaged.seqs], [[0, 1], [2, 3], [0, 1]]);
    assert.notEqual(reimaged.epoch, first.epoch);
    const deadline = Date.now() + 5000;
    while ((ctl.flushIngest(), store.windowKeys('agent-1').length) < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      store.windowKeys('agent-1').map((k) => `${k.epoch === first.epoch ? 'install-1' : k.epoch === reimaged.epoch ? 'install-2' : k.epoch}/${k.seq}`).sort(),
      ['install-1/0', 'install-1/1', 'install-1/2', 'install-1/3', 'install-2/0', 'install-2/1'],
    );
    assert.equal(ctl.drops.total.duplicate, 0);
  } finally {
    await ctl.close();
    ctlClient.end(true);
    agent.end(true);
    store.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
