/**
 * Issue 3 §6 and §7 on real sessions: a candidate breaching its gates is reverted to stable at once
 * (instant rollback to the still-loaded previous generation, and a full re-activation), and a restart
 * with a corrupt active model falls back to the previous good version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceHost, type HostEvent } from '../../src/agent/inference/host.js';
import { CandidateGuard, type GuardEvidence } from '../../src/agent/inference/guard.js';
import { activateFirstGood } from '../../src/agent/inference/restart.js';
import { A_OUT, B_OUT, fixture, waitUntil, xFeeds } from './inference-fixtures.js';

const a = fixture('tiny-a.onnx', A_OUT);
const b = fixture('tiny-b.onnx', B_OUT);

test('guard breach (error rate) reverts to stable at once: instant rollback to the previous generation', async () => {
  const events: HostEvent[] = [];
  const reverts: GuardEvidence[] = [];
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 2, keepPrevious: true, onEvent: (e) => events.push(e) });
  const guard = new CandidateGuard({
    onEvent: (e) => events.push(e),
    revertToStable: (role, ev) => {
      reverts.push(ev);
      host.rollback(role, a.modelId);
    },
  });
  host.addObserver(guard);
  try {
    await host.activate({ role: 'detector', ...a });
    await host.activate({ role: 'detector', ...b });
    assert.equal(host.status().roles.detector?.previous, a.modelId);
    guard.watch('detector', b.modelId, { maxErrorRate: 0.2, maxLatencyP95Ms: 1000, guardWindowSec: 60, minSamples: 10 });
    // the candidate answers good requests…
    for (let i = 0; i < 4; i++) assert.deepEqual(Array.from((await host.run('detector', xFeeds())).y!.data as Float32Array), B_OUT);
    // …and fails on these (wrong shape for its [1,4] input): 6 errors in 10 = 60 %, ≥ 30 % at 95 % confidence > 20 %
    const bad = { x: { type: 'float32', data: new Float32Array(8), dims: [1, 8] } };
    for (let i = 0; i < 6; i++) await assert.rejects(host.run('detector', bad));
    await waitUntil(() => reverts.length === 1);
    assert.equal(guard.phase('detector'), 'breached');
    assert.equal(host.status().roles.detector?.modelId, a.modelId);
    assert.deepEqual(Array.from((await host.run('detector', xFeeds())).y!.data as Float32Array), A_OUT);
    const rb = events.find((e) => e.type === 'rolled_back');
    assert.equal(rb?.modelId, b.modelId);
    assert.equal(rb?.reason, 'max_error_rate');
    assert.equal(rb?.details?.samples, 10);
    assert.equal(rb?.details?.errors, 6);
    assert.equal(rb?.details?.errorRate, 0.6);
  } finally {
    await host.close();
  }
});

test('guard breach (latency p95) reverts by re-activating stable; the slow candidate stops serving', async () => {
  const events: HostEvent[] = [];
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 2, onEvent: (e) => events.push(e) });
  const slow = fixture('slow.onnx', undefined, { budgetMs: 5000 });
  let reverted: Promise<unknown> | undefined;
  const guard = new CandidateGuard({
    onEvent: (e) => events.push(e),
    revertToStable: (role) => {
      reverted = host.activate({ role, ...a });
    },
  });
  host.addObserver(guard);
  try {
    await host.activate({ role: 'detector', ...a });
    await host.activate({ role: 'detector', ...slow });
    guard.watch('detector', slow.modelId, { maxErrorRate: 0.5, maxLatencyP95Ms: 3, guardWindowSec: 60, minSamples: 5 });
    for (let i = 0; i < 5; i++) await host.run('detector', xFeeds());
    await waitUntil(() => reverted !== undefined);
    await reverted;
    assert.equal(host.status().roles.detector?.modelId, a.modelId);
    assert.deepEqual(Array.from((await host.run('detector', xFeeds())).y!.data as Float32Array), A_OUT);
    const rb = events.find((e) => e.type === 'rolled_back');
    assert.equal(rb?.reason, 'max_latency_p95');
    assert.ok((rb?.details?.latencyP95Ms as number) > 3);
  } finally {
    await host.close();
  }
});

test('restart safety: a corrupt active model fails its sha256 re-check; the previous good version loads and is reported', async () => {
  const events: HostEvent[] = [];
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 1, prespawn: false, onEvent: (e) => events.push(e) });
  try {
    const corruptB = new Uint8Array(b.bytes);
    corruptB[corruptB.length - 3] = corruptB[corruptB.length - 3]! ^ 0x01;
    const r = await activateFirstGood(
      host,
      'detector',
      [
        { modelId: b.modelId, manifest: b.manifest, readBytes: async () => corruptB },
        { modelId: a.modelId, manifest: a.manifest, readBytes: async () => a.bytes },
      ],
      { onEvent: (e) => events.push(e) },
    );
    assert.equal(r.modelId, a.modelId);
    assert.deepEqual(r.skipped.map((s) => [s.modelId, s.code]), [[b.modelId, 'sha256_mismatch']]);
    assert.equal(host.status().roles.detector?.modelId, a.modelId);
    const rec = events.find((e) => e.type === 'store_recovered');
    assert.equal(rec?.reason, 'store_corrupt');
    assert.equal(rec?.modelId, a.modelId);
  } finally {
    await host.close();
  }
});
