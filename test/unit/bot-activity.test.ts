/**
 * BotActivity's settle window (fetch-pacing.ts; issue 17 §2): a download's next piece waits while a bot request runs
 * and until none has run for `settleMs` after it, so back-to-back requests (gaps of a few ms) are not interleaved with
 * chunk work; never longer than `maxHoldMs` a piece. Real timers, margins of several ms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { BOT_SETTLE_MS, BotActivity, botActivity } from '../../src/agent/fetch-pacing.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** when (ms after `t0`) a piece queued now is let go */
function queued(bots: BotActivity, maxHoldMs: number, t0: number): Promise<number> {
  return new Promise((resolve) => bots.whenIdle(() => resolve(performance.now() - t0), maxHoldMs));
}

test('the agent settles 25 ms after its bots’ last request', () => {
  assert.equal(BOT_SETTLE_MS, 25);
  assert.equal(botActivity.settleMs, BOT_SETTLE_MS);
});

test('a piece waits for the running request and then the settle window; back-to-back requests keep holding it', async () => {
  const bots = new BotActivity(60);
  const t0 = performance.now();
  bots.begin();
  const at = queued(bots, 2_000, t0);
  await sleep(30);
  bots.end(); // answered at ~30 ms
  await sleep(20);
  assert.equal(bots.active, true, 'within the settle window');
  bots.begin(); // the next request 20 ms later: still held
  await sleep(30);
  bots.end(); // answered at ~80 ms: released at ~140 ms
  const released = await at;
  assert.ok(released >= 135, `released ${released.toFixed(1)} ms after it was queued, not before the window after the last answer`);
  assert.ok(released < 400, `but soon after (${released.toFixed(1)} ms)`);
  assert.equal(bots.active, false);
});

test('a piece queued while the bots settle goes once the window passes; with no request at all, at once', async () => {
  const bots = new BotActivity(50);
  let t0 = performance.now();
  assert.ok((await queued(bots, 2_000, t0)) < 20, 'no bot request ever: after one turn');
  bots.begin();
  bots.end();
  t0 = performance.now();
  await sleep(10);
  const released = await queued(bots, 2_000, t0);
  assert.ok(released >= 45 && released < 300, `queued 10 ms into a 50 ms window: released at ${released.toFixed(1)} ms`);
});

test('the hold is bounded: a bot that never pauses still lets a piece through after maxHoldMs', async () => {
  const bots = new BotActivity(1_000);
  const t0 = performance.now();
  bots.begin();
  const released = await queued(bots, 80, t0);
  bots.end();
  assert.ok(released >= 75 && released < 500, `released by the cap at ${released.toFixed(1)} ms`);
});

test('settleMs 0: released one turn after the answer (no window)', async () => {
  const bots = new BotActivity(0);
  const t0 = performance.now();
  bots.begin();
  const at = queued(bots, 2_000, t0);
  await sleep(20);
  bots.end();
  const released = await at;
  assert.ok(released >= 18 && released < 60, `released at ${released.toFixed(1)} ms`);
});
