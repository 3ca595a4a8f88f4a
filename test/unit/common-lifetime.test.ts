/**
 * The lifetime kit (src/common/lifetime.ts, issue 18 §4): the owner, the one timers type with its real and
 * FAKE implementations, and the bounded shutdown runner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DisposableStore, FakeTimers, createShutdown, realTimers, runShutdown, toDisposable } from '../../src/common/lifetime.js';

test('store: add returns its argument; dispose ends in reverse order, awaits async disposers, once', async () => {
  const order: string[] = [];
  const s = new DisposableStore();
  const a = s.add(() => void order.push('a'));
  assert.equal(typeof a, 'function');
  const b = s.add({ close: async () => { await new Promise((r) => setImmediate(r)); order.push('b'); } });
  assert.ok(typeof b.close === 'function');
  s.add({ dispose: () => void order.push('c') });
  assert.equal(s.size, 3);
  const p1 = s.dispose();
  const p2 = s.dispose();
  assert.equal(p1, p2, 'a second dispose shares the first');
  await p1;
  assert.deepEqual(order, ['c', 'b', 'a'], 'reverse order, the async one awaited before the next');
  await s.dispose();
  assert.deepEqual(order, ['c', 'b', 'a'], 'idempotent');
  assert.ok(s.isDisposed);
});

test('store: a failing disposer does not stop the rest; errors are thrown together at the end', async () => {
  const order: string[] = [];
  const s = new DisposableStore();
  s.add(() => void order.push('first-added'));
  s.add(() => {
    throw new Error('boom 1');
  });
  s.add(async () => {
    throw new Error('boom 2');
  });
  s.add(() => void order.push('last-added'));
  await assert.rejects(s.dispose(), (e: unknown) => e instanceof AggregateError && e.errors.length === 2 && /boom 2/.test(String(e.errors[0].message)));
  assert.deepEqual(order, ['last-added', 'first-added'], 'both healthy disposers ran');

  const one = new DisposableStore();
  one.add(() => {
    throw new Error('only');
  });
  await assert.rejects(one.dispose(), /only/);
});

test('store: adding after dispose ends the newcomer at once; delete hands ownership back', async () => {
  const s = new DisposableStore();
  let kept = 0;
  const keep = s.add(() => void kept++);
  assert.ok(s.delete(keep));
  assert.equal(s.delete(keep), false);
  await s.dispose();
  assert.equal(kept, 0, 'a deleted disposer is not run');
  let late = 0;
  s.add(() => void late++);
  await new Promise((r) => setImmediate(r));
  assert.equal(late, 1, 'a late resource does not outlive its owner');

  let n = 0;
  const d = toDisposable(() => void n++);
  d.dispose();
  d.dispose();
  assert.equal(n, 1);
});

test('store: drainSteps hands the resources to the shutdown runner in reverse order, by name', async () => {
  const order: string[] = [];
  const s = new DisposableStore();
  s.add(() => void order.push('db'), 'db');
  s.add(() => void order.push('endpoint'), 'endpoint');
  const r = await runShutdown('test', s.drainSteps(), { timers: new FakeTimers() });
  assert.deepEqual(order, ['endpoint', 'db']);
  assert.deepEqual(r.steps.map((x) => x.name), ['endpoint', 'db']);
  assert.ok(r.ok);
  assert.ok(s.isDisposed);
});

test('timers (FAKE): advance fires due timers in time order, re-arms intervals; clear removes', () => {
  const t = new FakeTimers(1000);
  const seen: string[] = [];
  const a = t.setTimeout(() => seen.push(`a@${t.now()}`), 50);
  t.setTimeout(() => seen.push(`b@${t.now()}`), 20);
  const i = t.setInterval(() => seen.push(`i@${t.now()}`), 30);
  assert.equal(t.pending(), 3);
  t.advance(60);
  assert.deepEqual(seen, ['b@1020', 'i@1030', 'a@1050', 'i@1060']);
  assert.equal(t.now(), 1060);
  t.clearInterval(i);
  t.clearTimeout(a); // already fired: harmless
  assert.equal(t.pending(), 0);
  t.advance(1000);
  assert.equal(seen.length, 4);
});

test('timers (real): fire and clear; unref lets the process exit but the owner must still clear', async () => {
  const t = realTimers({ unref: true });
  assert.ok(Math.abs(t.now() - Date.now()) < 1000);
  const timeouts = () => process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
  const before = timeouts();
  const h = t.setInterval(() => {}, 10_000);
  assert.equal(timeouts(), before, "an unref'd timer does not hold the process (and is invisible here: leak tests use async_hooks)");
  t.clearInterval(h);
  const ref = realTimers();
  const h2 = ref.setTimeout(() => {}, 10_000);
  assert.equal(timeouts(), before + 1);
  ref.clearTimeout(h2);
  assert.equal(timeouts(), before);
  // the unref'd timer still fires; a ref'd guard keeps this process alive meanwhile (on a loaded box the loop could
  // otherwise run empty first, and node:test cancels the file's pending tests: full suite, 2026-12-07 04:53 UTC)
  const guard = setTimeout(() => {}, 10_000);
  await new Promise<void>((resolve) => t.setTimeout(resolve, 1));
  clearTimeout(guard);
});

test('shutdown: ordered steps; a failing step does not stop the next; the overrunning step is named and aborted', async () => {
  const t = new FakeTimers();
  const order: string[] = [];
  let aborted = false;
  const p = runShutdown(
    'quit',
    [
      { name: 'endpoint', run: () => void order.push('endpoint') },
      {
        name: 'stuck',
        run: (signal) =>
          new Promise<void>(() => {
            order.push('stuck');
            signal.addEventListener('abort', () => (aborted = true));
          }),
      },
      {
        name: 'fails',
        run: () => {
          order.push('fails');
          throw new Error('nope');
        },
      },
      { name: 'agent', run: async () => void order.push('agent') },
    ],
    { stepTimeoutMs: 1000, totalTimeoutMs: 5000, timers: t },
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['endpoint', 'stuck'], 'waits on the stuck step up to its deadline');
  t.advance(999);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['endpoint', 'stuck']);
  t.advance(1);
  const r = await p;
  assert.deepEqual(order, ['endpoint', 'stuck', 'fails', 'agent']);
  assert.ok(aborted, 'the stuck step was told to stop');
  assert.equal(r.ok, false);
  assert.equal(r.overran, 'stuck');
  assert.deepEqual(
    r.steps.map((s) => [s.name, s.ok, s.overran ?? false]),
    [
      ['endpoint', true, false],
      ['stuck', false, true],
      ['fails', false, false],
      ['agent', true, false],
    ],
  );
  assert.match(r.steps[1]!.error!, /timed out after 1000 ms/);
  assert.match(r.steps[2]!.error!, /nope/);
  assert.equal(t.pending(), 0, 'no deadline timer left behind');
});

test('shutdown: the overall deadline bounds the sum; later steps still start but are not waited for', async () => {
  const t = new FakeTimers();
  const started: string[] = [];
  const hang = (name: string) => ({ name, run: () => new Promise<void>(() => void started.push(name)) });
  const p = runShutdown('logoff', [hang('a'), hang('b'), { name: 'sync', run: () => void started.push('sync') }, hang('c')], { stepTimeoutMs: 3000, totalTimeoutMs: 4000, timers: t });
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setImmediate(r));
    t.advance(500);
  }
  const r = await p;
  assert.deepEqual(started, ['a', 'b', 'sync', 'c'], 'every step was started');
  assert.deepEqual([r.steps[0]!.ms, r.steps[1]!.ms], [3000, 1000], 'the second step got what was left of the overall bound');
  assert.ok(r.ms <= 4500, `the shutdown took about the overall bound, not 3 x 3000 ms (${r.ms} ms)`);
  assert.equal(r.overran, 'a');
  assert.match(r.steps[1]!.error!, /shutdown's 4000 ms ran out/);
  assert.equal(r.steps[2]!.ok, true, 'a synchronous step still completes after the bound');
  assert.equal(r.steps[3]!.overran, true);
  assert.equal(t.pending(), 0);
});

test('shutdown: createShutdown runs once whatever the trigger', async () => {
  let runs = 0;
  const s = createShutdown([{ name: 'x', run: () => void runs++ }], { timers: new FakeTimers() });
  assert.equal(s.started, false);
  const [a, b] = await Promise.all([s.run('quit'), s.run('logoff')]);
  assert.equal(runs, 1);
  assert.equal(a, b);
  assert.equal(a.reason, 'quit');
  assert.ok(s.started);
});
