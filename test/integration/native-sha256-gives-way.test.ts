/**
 * The native session host's load pipeline hashes a model on the agent's event loop in 1 MiB slices
 * (native-session-worker.ts sha256InSlices); while a bot request runs (fetch-pacing.ts botActivity, counted by the
 * endpoint) it waits between slices, at most 100 ms a slice (issue 17 §2: a swap gives way to a bot's detect). Real
 * sha256 over real bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { sha256InSlices } from '../../src/agent/inference/native-session-worker.js';
import { botActivity } from '../../src/agent/fetch-pacing.js';

test('sha256InSlices: exact digest; it waits while a bot request runs and finishes once it is answered', async () => {
  const bytes = randomBytes(4 << 20);
  const want = createHash('sha256').update(bytes).digest('hex');
  assert.equal(await sha256InSlices(bytes), want, 'no bot request: the digest, at once');

  let answer!: () => void;
  const request = botActivity.during(() => new Promise<void>((r) => (answer = r)));
  let done = false;
  const hashing = sha256InSlices(bytes).then((d) => ((done = true), d));
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(done, false, 'held after its first slice while the request runs');
  answer();
  await request;
  assert.equal(await hashing, want);
  assert.equal(botActivity.busy, false);
});
