import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TelemetryRecorder } from '../../src/agent/telemetry/recorder.js';
import { ShadowRunner, detectionAgreement } from '../../src/agent/telemetry/shadow.js';
import { MetricsWindowSchema } from '../../src/common/wire.js';

const M1 = 'a'.repeat(64);
const M2 = 'b'.repeat(64);

test('recorder: counts, errors, latency percentiles and confidence deciles per role, then a fresh window', () => {
  let now = 1_000_000;
  const r = new TelemetryRecorder({ clock: () => now, latencyBoundsMs: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100] });
  r.setRoleInfo('detector', { modelId: M1, version: '1.0.0', provider: 'cpu', cohort: 'stable' });
  for (let i = 0; i < 100; i++) r.record('detector', { latencyMs: i + 0.5, ok: i % 10 !== 0, confidences: [0.95, 0.45] });
  r.recordFrameCache(true);
  r.recordFrameCache(false);
  r.recordFrameCache(true);
  now += 60_000;
  const w = r.cut();
  const d = w.roles.detector!;
  assert.equal(d.count, 100);
  assert.equal(d.errors, 10);
  assert.ok(Math.abs(d.latency.p95 - 95) <= 1, `p95 ${d.latency.p95}`);
  assert.ok(Math.abs(d.latency.p50 - 50) <= 1);
  assert.deepEqual(d.confidenceHistogram, [0, 0, 0, 0, 90, 0, 0, 0, 0, 90], 'errors contribute no confidences');
  assert.equal(d.modelId, M1);
  assert.equal(d.provider, 'cpu');
  assert.deepEqual(w.frameCache, { hits: 2, misses: 1 });
  assert.equal(Date.parse(w.windowEnd) - Date.parse(w.windowStart), 60_000);
  // schema-valid once the sender adds agentId/seq
  MetricsWindowSchema.parse({ agentId: 'a1', seq: 0, ...w });
  now += 1000;
  const w2 = r.cut();
  assert.equal(w2.roles.detector!.count, 0, 'next window starts empty but keeps the role info');
  assert.equal(w2.roles.detector!.modelId, M1);
  assert.equal(w2.windowStart, w.windowEnd, 'windows are contiguous');
  assert.equal(w2.frameCache, undefined);
});

test('recorder: PSI against the manifest baseline is reported, near 0 when matching and large under drift', () => {
  let now = 0;
  const r = new TelemetryRecorder({ clock: () => now });
  const baseline = [0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5];
  r.setRoleInfo('classifier', { modelId: M1, baselineConfidence: baseline });
  for (let i = 0; i < 50; i++) r.record('classifier', { latencyMs: 2, ok: true, confidences: [0.85, 0.95] });
  now = 1;
  assert.ok(r.cut().roles.classifier!.psi! < 0.001);
  for (let i = 0; i < 50; i++) r.record('classifier', { latencyMs: 2, ok: true, confidences: [0.35] });
  now = 2;
  assert.ok(r.cut().roles.classifier!.psi! > 1);
});

test('recorder: setRoleInfo reports a model change over recorded requests so the window can be cut', () => {
  const r = new TelemetryRecorder({ clock: () => 0 });
  assert.equal(r.setRoleInfo('detector', { modelId: M1 }), false, 'nothing recorded yet');
  r.record('detector', { latencyMs: 1, ok: true });
  assert.equal(r.setRoleInfo('detector', { modelId: M1, provider: 'cpu' }), false, 'same model');
  assert.equal(r.setRoleInfo('detector', { modelId: M2 }), true, 'model changed with requests in the window');
});

test('shadow runner (simulated time): samples, caps concurrency, respects the CPU share and reports agreement', async () => {
  let now = 0;
  const rec = new TelemetryRecorder({ clock: () => now });
  const rolls = [0.05, 0.5, 0.01, 0.02, 0.03];
  const shadow = new ShadowRunner({ recorder: rec, sampleRate: 0.1, maxConcurrent: 1, maxCpuShare: 0.1, burstMs: 100, clock: () => now, random: () => rolls.shift() ?? 0 });
  const stable = [{ box: [0, 0, 10, 10] as [number, number, number, number] }];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  // 1st: sampled (0.05 < 0.1) and started; it takes 150 ms of (simulated) time
  assert.equal(
    shadow.offer('detector', M2, stable, async () => {
      await gate;
      now += 150;
      return [{ box: [0, 0, 10, 10] as [number, number, number, number] }, { box: [50, 50, 60, 60] as [number, number, number, number] }];
    }, detectionAgreement),
    true,
  );
  // 2nd: not sampled (0.5)
  assert.equal(shadow.offer('detector', M2, stable, async () => stable, detectionAgreement), false);
  // 3rd: sampled but one is already running
  assert.equal(shadow.offer('detector', M2, stable, async () => stable, detectionAgreement), false);
  release();
  await new Promise((r) => setImmediate(r));
  // budget was 100 ms, the run took 150 → −50; 4th is refused on CPU share
  assert.equal(shadow.offer('detector', M2, stable, async () => stable, detectionAgreement), false);
  assert.deepEqual(shadow.skipped, { sampled: 1, concurrency: 1, cpu: 1 });
  now += 1000; // 1000 ms × 0.1 share refills 100 ms → +50
  assert.equal(shadow.offer('detector', M2, stable, async () => stable, detectionAgreement), true);
  await shadow.close();
  const s = rec.cut().roles.detector!.shadow!;
  assert.equal(s.samples, 2);
  assert.equal(s.modelId, M2);
  // agreements: 2·1/(1+2) = 0.667 and 1 → mean 0.833
  assert.ok(Math.abs(s.agreement - (2 / 3 + 1) / 2) < 1e-9, `agreement ${s.agreement}`);
  assert.ok(s.latencyP95 > 100, 'the slow run shows in the candidate latency');
});

test('shadow runner: a failing candidate counts as a shadow error and never throws to the caller', async () => {
  const rec = new TelemetryRecorder({ clock: () => 0 });
  const shadow = new ShadowRunner({ recorder: rec, sampleRate: 1, random: () => 0 });
  assert.equal(shadow.offer('classifier', M2, ['a'], async () => { throw new Error('boom'); }, () => 1), true);
  await shadow.close();
  const s = rec.cut().roles.classifier!.shadow!;
  assert.equal(s.errors, 1);
  assert.equal(s.samples, 0);
});
