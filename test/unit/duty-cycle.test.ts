/**
 * Issue 17 §2: a load's self-test and warm-up runs keep to a share of their thread (src/agent/inference/duty-cycle.ts),
 * since a load thread of the serving session process runs beside the sessions serving the bots, at their priority.
 * The arithmetic with fake timers (named so: only the clock is fake), then once with real timers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { dutyCycle } from '../../src/agent/inference/duty-cycle.js';
import { loadOptions, WARMUP_SHARE } from '../../src/agent/inference/host-load.js';

function fakeTimers() {
  const asked: number[] = [];
  return { asked, timers: { setTimeout: (fn: () => void, ms: number) => (asked.push(ms), fn()) } };
}

test('duty cycle: after a run of t ms the load waits t × (1/share − 1), at most 1 s; share 1 (or none) waits nothing', async () => {
  const f = fakeTimers();
  await dutyCycle(20, 0.5, f.timers);
  await dutyCycle(20, 0.25, f.timers);
  await dutyCycle(900, 0.25, f.timers);
  assert.deepEqual(f.asked, [20, 60, 1000]);
  await dutyCycle(20, 1, f.timers);
  await dutyCycle(20, undefined, f.timers);
  await dutyCycle(20, 0, f.timers);
  assert.deepEqual(f.asked, [20, 60, 1000], 'no wait without a share below 1');
});

test('duty cycle with real timers: a 30 ms run at share 0.4 is followed by ≥ 45 ms of idle; the host asks for half the thread by default', async () => {
  const t0 = performance.now();
  await dutyCycle(30, 0.4);
  assert.ok(performance.now() - t0 >= 44, `waited ${(performance.now() - t0).toFixed(1)} ms`);
  assert.equal(WARMUP_SHARE, 0.5);
  assert.equal(loadOptions({}, ['cpu'], 100).warmupShare, 0.5);
  assert.equal(loadOptions({ warmupShare: 1 }, ['cpu'], 100).warmupShare, 1);
});
