/**
 * The candidate guard's decisions (issue 3 §6) with an injected clock (time is faked; run outcomes are
 * fed directly). The end-to-end revert on real sessions is in test/integration/inference-guard.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CandidateGuard, type GuardEvidence } from '../../src/agent/inference/guard.js';
import type { HostEvent } from '../../src/agent/inference/host.js';

const gates = { maxErrorRate: 0.1, maxLatencyP95Ms: 50, guardWindowSec: 60, minSamples: 20 };

function setup() {
  let now = 1_000_000;
  const reverts: GuardEvidence[] = [];
  const passed: GuardEvidence[] = [];
  const events: HostEvent[] = [];
  const guard = new CandidateGuard({
    clock: () => now,
    revertToStable: (_role, ev) => {
      reverts.push(ev);
    },
    onPassed: (_role, ev) => passed.push(ev),
    onEvent: (e) => events.push(e),
  });
  return { guard, reverts, passed, events, advance: (ms: number) => (now += ms) };
}

test('guard: error rate over the gate breaches once minSamples are in and the excess is significant (exact binomial), reverts once, reports rolled_back with numbers', async () => {
  const { guard, reverts, events } = setup();
  guard.watch('detector', 'cand', gates);
  // 3 errors in 10 runs: 30 % but below minSamples -> no judgement yet
  for (let i = 0; i < 10; i++) guard.onRun('detector', 'cand', i % 3 !== 0, 5);
  assert.equal(guard.phase('detector'), 'watching');
  for (let i = 0; i < 10; i++) guard.onRun('detector', 'cand', true, 5);
  // 20 samples, 4 errors (i = 0, 3, 6, 9) = 20 %: over 10 %, but not at 95 % confidence (exact lower bound 7.1 %)
  assert.equal(guard.phase('detector'), 'watching');
  guard.onRun('detector', 'cand', false, 5);
  assert.equal(guard.phase('detector'), 'watching', '5 of 21: lower bound 9.9 %');
  guard.onRun('detector', 'cand', false, 5);
  // 6 of 22 = 27 %: lower bound 12.6 % > 10 %
  assert.equal(guard.phase('detector'), 'breached');
  await new Promise((r) => setImmediate(r));
  assert.equal(reverts.length, 1);
  assert.equal(reverts[0]!.samples, 22);
  assert.equal(reverts[0]!.errors, 6);
  assert.equal(reverts[0]!.errorRate, 6 / 22);
  assert.deepEqual(reverts[0]!.breached, ['max_error_rate']);
  const rb = events.filter((e) => e.type === 'rolled_back');
  assert.equal(rb.length, 1);
  assert.equal(rb[0]!.modelId, 'cand');
  assert.equal(rb[0]!.details?.errorRate, 6 / 22);
  // further runs do not revert again
  for (let i = 0; i < 30; i++) guard.onRun('detector', 'cand', false, 5);
  await new Promise((r) => setImmediate(r));
  assert.equal(reverts.length, 1);
});

test('guard: latency p95 over the gate breaches', () => {
  const { guard, reverts } = setup();
  guard.watch('classifier', 'cand', gates);
  for (let i = 0; i < 18; i++) guard.onRun('classifier', 'cand', true, 10);
  for (let i = 0; i < 2; i++) guard.onRun('classifier', 'cand', true, 80);
  // 2 of 20 slow: p95 (nearest rank 19) = 80 > 50
  assert.equal(guard.phase('classifier'), 'breached');
  return new Promise<void>((r) =>
    setImmediate(() => {
      assert.deepEqual(reverts[0]!.breached, ['max_latency_p95']);
      assert.equal(reverts[0]!.latencyP95Ms, 80);
      r();
    }),
  );
});

test('guard: within gates for a whole window passes; runs of other models and roles do not count', () => {
  const { guard, reverts, passed, advance } = setup();
  guard.watch('detector', 'cand', gates);
  for (let i = 0; i < 100; i++) guard.onRun('detector', 'stable', false, 500); // the stable model's failures are not the candidate's
  for (let i = 0; i < 100; i++) guard.onRun('classifier', 'cand', false, 500);
  for (let i = 0; i < 30; i++) {
    guard.onRun('detector', 'cand', i !== 7, 20); // 1 error in 30 = 3.3 %
    advance(1000);
  }
  assert.equal(guard.phase('detector'), 'watching');
  advance(31_000);
  guard.onRun('detector', 'cand', true, 20);
  assert.equal(guard.phase('detector'), 'passed');
  assert.equal(passed.length, 1);
  assert.equal(reverts.length, 0);
});

test('guard: old samples leave the sliding window', () => {
  const run = (slide: boolean) => {
    const { guard, reverts, advance } = setup();
    guard.watch('detector', 'cand', { ...gates, guardWindowSec: 10 });
    // an early burst of errors while there are too few samples to judge
    for (let i = 0; i < 5; i++) guard.onRun('detector', 'cand', false, 5);
    if (slide) advance(11_000);
    for (let i = 0; i < 25; i++) guard.onRun('detector', 'cand', true, 5);
    return { phase: guard.phase('detector'), reverts: reverts.length };
  };
  // the control shows the burst would breach (5 errors in 20 = 25 %) if it were still in the window
  assert.equal(run(false).phase, 'breached');
  const slid = run(true);
  assert.equal(slid.phase, 'passed');
  assert.equal(slid.reverts, 0);
});
