/**
 * The channel quality gate (issue 20 §4): pure checks on signed provenance, then the controller itself
 * refusing a rollout whose candidate's signed evidence fails the gate (real aedes broker, real SQLite,
 * real signatures): the rollout fails with the figures and no release ever names the candidate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProvenance, type ProvenanceStatement } from '../../src/common/provenance.js';
import { FleetController, startRollout } from '../../src/fleet/controller/controller.js';
import { DEFAULT_SPEC } from '../../src/fleet/controller/judge.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { publishProvenance, signProvenance } from '../../src/fleet/provenance.js';
import { showRelease, type VerifiedDocument } from '../../src/fleet/publisher.js';
import { checkQualityGate, enforceQualityGate, parseMinQuality, setChannelGates } from '../../src/fleet/quality-gate.js';
import { makeSimKeys, publishSimModel, publishSimRelease } from '../../src/fleet/sim/index.js';
import { startAedes } from '../helpers/brokers.js';

const statement = (sha256: string, ap50: number): ProvenanceStatement =>
  buildProvenance({ model: { name: 'det', version: '1.1.0', sha256 }, recipe: 'scripts/train/detector.sh', commit: 'abcdef1', dataset: { manifest: 'manifest.json', sha256: 'c'.repeat(64) }, evaluation: { set: { name: 'held-out-v3' }, metrics: { 'detector.ap50': ap50 } }, builderId: 'test' });
const doc = (value: ProvenanceStatement, signature: 'valid' | 'invalid'): VerifiedDocument<ProvenanceStatement> => ({ topic: 't', envelope: undefined, value, signature, signedBy: [] });
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
  return 'passed';
};

test('checkQualityGate: passing figures pass; failing ones are refused with the figures; unsigned evidence is no evidence', () => {
  const id = 'a'.repeat(64);
  const gates = [parseMinQuality('detector.ap50=0.85')];
  assert.equal(code(() => checkQualityGate('prod', gates, 'detector', id, doc(statement(id, 0.9), 'valid'))), 'passed');
  assert.match(code(() => checkQualityGate('prod', gates, 'detector', id, doc(statement(id, 0.8), 'valid'))), /^quality_gate_failed: .*detector\.ap50 0\.8 < 0\.85 \(measured on held-out-v3\)/);
  assert.match(code(() => checkQualityGate('prod', gates, 'detector', id, doc(statement(id, 0.9), 'invalid'))), /^provenance_missing/, 'good figures under a bad signature do not count');
  assert.match(code(() => checkQualityGate('prod', gates, 'detector', id, undefined)), /^provenance_missing/);
  assert.equal(code(() => checkQualityGate('prod', gates, 'classifier', id, undefined)), 'passed', 'a detector gate says nothing about classifiers');
  assert.match(code(() => parseMinQuality('ap50=0.85')), /bad_argument/);
});

test('aedes: the controller refuses a rollout whose candidate fails the channel quality gate; the candidate is never released', { timeout: 60_000 }, async () => {
  const broker = await startAedes();
  const dir = mkdtempSync(join(tmpdir(), 'rpa-quality-gate-'));
  const keys = makeSimKeys();
  const admin = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const store = new ControllerStore(join(dir, 'fleet.db'));
  const client = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion, mqttOptions: { reconnectPeriod: 200 } });
  const ctl = new FleetController({
    client,
    store,
    releaseKeys: [keys.releases],
    tickMs: 100,
    qualityGate: (channel, role, modelId) => enforceQualityGate(store.db, channel, [{ role, modelId }], { client, modelsTrust: keys.trust.models }),
  });
  try {
    const stable = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.0.0', size: 3000, chunkSize: 1024 });
    const weak = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.1.0', size: 5000, chunkSize: 1024 });
    const strong = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.2.0', size: 5000, chunkSize: 1024 });
    await publishProvenance(admin, weak, signProvenance(statement(weak, 0.7), [keys.models]));
    await publishProvenance(admin, strong, signProvenance(statement(strong, 0.93), [keys.models]));
    await publishSimRelease(admin, { keys, channel: 'prod', roles: { detector: { stable } } });
    setChannelGates(store.db, 'prod', [parseMinQuality('detector.ap50=0.85')], Date.now());
    await ctl.start();
    const spec = { ...DEFAULT_SPEC, channel: 'prod', role: 'detector' as const, stable, waves: [50, 100], minAgents: 0 };
    const id = startRollout(store, { ...spec, candidate: weak }, Date.now());
    const deadline = Date.now() + 15_000;
    while (store.rollout(id)!.state === 'pending' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const r = store.rollout(id)!;
    assert.equal(r.state, 'failed', JSON.stringify(r));
    assert.equal(r.result?.['code'], 'quality_gate_failed');
    assert.match(String(r.result?.['reason']), /detector\.ap50 0\.7 < 0\.85/);
    const rel = await showRelease(admin, 'prod', { trust: keys.trust.releases });
    assert.equal(rel?.value?.roles.detector?.candidate, undefined, 'no release named the weak candidate');
    // a candidate with passing signed evidence goes out
    const ok = startRollout(store, { ...spec, candidate: strong }, Date.now());
    while (store.rollout(ok)!.state === 'pending' && Date.now() < deadline + 15_000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(store.rollout(ok)!.state, 'running', JSON.stringify(store.rollout(ok)));
  } finally {
    await ctl.close();
    await client.endAsync();
    await admin.endAsync();
    store.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
