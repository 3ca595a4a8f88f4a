/**
 * sharp is imported once, on first use, with libvips' operation cache off (src/agent/vision/sharp-lazy.ts, issue 17
 * §2): screen frames never repeat, so in the agent process the cache (up to 50 MB by default) only holds memory.
 * That the idle agent has not loaded it at all is test/e2e/agent-lazy-load.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSharp } from '../../src/agent/vision/sharp-lazy.js';

test('loadSharp: one module for every caller, libvips operation cache off (memory, files, items)', async () => {
  const [a, b] = await Promise.all([loadSharp(), loadSharp()]);
  assert.equal(a, b);
  assert.equal(await loadSharp(), a);
  const c = a.cache();
  assert.deepEqual([c.memory.max, c.files.max, c.items.max], [0, 0, 0]);
});
