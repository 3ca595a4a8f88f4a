/**
 * Per-session run queue (issue 3 §1). DirectML cannot exist on this Linux box, so the DirectML case is
 * simulated: the provider name drives the limit, and a fake session records overlap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunQueue } from '../../src/agent/inference/run-queue.js';
import { maxConcurrentRuns, sessionOptionsFor } from '../../src/agent/inference/providers.js';

async function hammer(q: RunQueue, n: number) {
  let active = 0;
  let maxActive = 0;
  const order: number[] = [];
  const fakeRun = async (i: number) => {
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise((r) => setTimeout(r, 1 + (i % 3)));
    order.push(i);
    active--;
    return i * 2;
  };
  const results = await Promise.all(Array.from({ length: n }, (_, i) => q.run(() => fakeRun(i))));
  return { results, maxActive, order };
}

test('run queue (simulated: dml provider): runs on one DirectML session never overlap and keep arrival order', async () => {
  assert.equal(maxConcurrentRuns('dml'), 1);
  const q = new RunQueue(maxConcurrentRuns('dml'));
  const { results, maxActive, order } = await hammer(q, 25);
  assert.equal(maxActive, 1);
  assert.deepEqual(order, Array.from({ length: 25 }, (_, i) => i));
  assert.deepEqual(results, Array.from({ length: 25 }, (_, i) => i * 2));
  assert.equal(q.inFlight, 0);
  assert.equal(q.queued, 0);
});

test('run queue: a newcomer cannot overtake a waiter when a slot frees (limit holds under churn)', async () => {
  const q = new RunQueue(1);
  let active = 0;
  let maxActive = 0;
  const job = async () => {
    active++;
    maxActive = Math.max(maxActive, active);
    await Promise.resolve();
    active--;
  };
  const all: Promise<void>[] = [];
  for (let i = 0; i < 50; i++) {
    all.push(q.run(job));
    if (i % 5 === 0) await Promise.resolve();
  }
  await Promise.all(all);
  assert.equal(maxActive, 1);
});

test('run queue: a failing run frees its slot', async () => {
  const q = new RunQueue(1);
  await assert.rejects(q.run(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await q.run(async () => 7), 7);
  assert.equal(q.inFlight, 0);
});

test('run queue (cpu): runs may overlap', async () => {
  const q = new RunQueue(maxConcurrentRuns('cpu'));
  const { maxActive } = await hammer(q, 10);
  assert.ok(maxActive > 1);
});

test('DirectML session options (simulated: dml provider): no memory pattern, sequential execution', () => {
  assert.deepEqual(sessionOptionsFor('dml'), { executionProviders: ['dml'], enableMemPattern: false, executionMode: 'sequential' });
  assert.deepEqual(sessionOptionsFor('cpu'), { executionProviders: ['cpu'] });
});
