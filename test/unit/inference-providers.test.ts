/** Provider order and fallback logic (issue 3 §1); the real fallback on onnxruntime is in the integration test. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWithFallback, defaultProviders, ProvidersExhausted, selectProviders } from '../../src/agent/inference/providers.js';

test('providers: platform defaults (win32 dml then cpu, linux cuda then cpu); webgpu never by default', () => {
  assert.deepEqual(defaultProviders('win32'), ['dml', 'cpu']);
  assert.deepEqual(defaultProviders('linux'), ['cuda', 'cpu']);
  assert.deepEqual(selectProviders('win32'), ['dml', 'cpu']);
  assert.deepEqual(selectProviders('linux', []), ['cuda', 'cpu']);
  assert.ok(!selectProviders('win32').includes('webgpu'));
});

test('providers: config order kept, filtered by platform, duplicates dropped, webgpu only if asked', () => {
  assert.deepEqual(selectProviders('linux', ['dml', 'cuda', 'cpu', 'CUDA']), ['cuda', 'cpu']);
  assert.deepEqual(selectProviders('win32', ['cpu', 'dml', 'cuda']), ['cpu', 'dml']);
  assert.deepEqual(selectProviders('win32', ['webgpu', 'dml', 'cpu']), ['webgpu', 'dml', 'cpu']);
  assert.deepEqual(selectProviders('linux', ['dml']), ['cpu']);
});

test('providers (simulated: win32 platform, DirectML import failure): falls back in order and reports what failed', async () => {
  const tried: string[] = [];
  const r = await createWithFallback(selectProviders('win32'), async (p) => {
    tried.push(p);
    if (p === 'dml') throw new Error('DirectML.dll failed to load');
    return { p };
  });
  assert.deepEqual(tried, ['dml', 'cpu']);
  assert.equal(r.provider, 'cpu');
  assert.deepEqual(r.failed, [{ provider: 'dml', reason: 'DirectML.dll failed to load' }]);
  await assert.rejects(
    createWithFallback(['cuda', 'cpu'], async (p) => {
      throw new Error(`${p} broken`);
    }),
    (e: unknown) => e instanceof ProvidersExhausted && e.failed.length === 2 && e.failed[1]!.provider === 'cpu',
  );
});
