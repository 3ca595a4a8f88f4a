/** glibc malloc tuning check (src/agent/inference/malloc.ts): only Linux needs it; either variable counts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mallocTuned, mallocTuningEnv } from '../../src/agent/inference/malloc.js';

test('mallocTuned / mallocTuningEnv: Linux without the variables needs MALLOC_MMAP_THRESHOLD_; set or tunable or non-Linux needs nothing', () => {
  assert.equal(mallocTuned('linux', {}), false);
  assert.deepEqual(mallocTuningEnv('linux', {}), { MALLOC_MMAP_THRESHOLD_: '32768' });
  assert.equal(mallocTuned('linux', { MALLOC_MMAP_THRESHOLD_: '65536' }), true);
  assert.equal(mallocTuned('linux', { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072' }), true);
  assert.equal(mallocTuned('linux', { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }), false);
  assert.deepEqual(mallocTuningEnv('win32', {}), {});
  assert.deepEqual(mallocTuningEnv('darwin', {}), {});
});
