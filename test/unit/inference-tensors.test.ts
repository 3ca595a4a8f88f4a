/** Contract check and self-test helpers (issue 3 §2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contractMismatches, mod7919, selfTestInput, selfTestMaxDiff } from '../../src/agent/inference/tensors.js';
import { percentile } from '../../src/agent/inference/stats.js';
import type { SelfTest } from '../../src/common/wire.js';

const contract = {
  inputs: [{ name: 'images', dtype: 'float32' as const, shape: ['batch', 3, 640, 640] }],
  outputs: [{ name: 'output0', dtype: 'float32' as const, shape: [1, 84, 'anchors'] }],
};

test('contract: symbolic dims match anything, fixed dims and dtypes must match, names must exist', () => {
  const ok = contractMismatches(contract, [{ name: 'images', isTensor: true, type: 'float32', shape: [1, 3, 640, 640] }], [{ name: 'output0', isTensor: true, type: 'float32', shape: [1, 84, 8400] }]);
  assert.deepEqual(ok, []);
  const dynamicModel = contractMismatches(contract, [{ name: 'images', isTensor: true, type: 'float32', shape: ['n', 3, 'h', 'w'] }], [{ name: 'output0', isTensor: true, type: 'float32', shape: ['n', 84, 'a'] }]);
  assert.deepEqual(dynamicModel, []);
  const bad = contractMismatches(
    contract,
    [
      { name: 'images', isTensor: true, type: 'uint8', shape: [1, 3, 320, 320] },
      { name: 'extra', isTensor: true, type: 'float32', shape: [1] },
    ],
    [{ name: 'out', isTensor: true, type: 'float32', shape: [1] }],
  );
  assert.equal(bad.length, 5, bad.join('\n'));
  assert.ok(bad.some((p) => /dtype uint8 != float32/.test(p)));
  assert.ok(bad.some((p) => /dim 2 is 320, contract says 640/.test(p)));
  assert.ok(bad.some((p) => /"extra" not in the contract/.test(p)));
  assert.ok(bad.some((p) => /output "output0" missing/.test(p)));
});

test('self-test: mod7919 pattern, data input, comparison at indices and in full', () => {
  const x = mod7919(300);
  assert.equal(x[0], 0);
  assert.equal(x[1], Math.fround((7919 % 256) / 255));
  assert.equal(x[299], Math.fround(((299 * 7919) % 256) / 255));
  const st: SelfTest = { input: { name: 'x', shape: [1, 3, 10, 10], pattern: 'mod7919' }, expected: { name: 'y', indices: [0, 5], values: [1, 2] }, tolerance: 0.01 };
  const inp = selfTestInput(st);
  assert.equal(inp.data.length, 300);
  assert.deepEqual(inp.dims, [1, 3, 10, 10]);
  assert.equal(selfTestMaxDiff(st, new Float32Array([1, 9, 9, 9, 9, 2.005])), Math.fround(2.005) - 2);
  assert.equal(selfTestMaxDiff(st, new Float32Array([1])), Infinity);
  const full: SelfTest = { input: { name: 'x', shape: [1, 2], data: [1, 2] }, expected: { name: 'y', values: [3, 4] }, tolerance: 0.01 };
  assert.equal(selfTestMaxDiff(full, new Float32Array([3, 4.5])), 0.5);
  assert.equal(selfTestMaxDiff(full, new Float32Array([3, 4, 5])), Infinity);
  assert.equal(selfTestMaxDiff(full, new Float32Array([3, NaN])), Infinity);
  assert.throws(() => selfTestInput({ ...full, input: { name: 'x', shape: [1, 3], data: [1, 2] } }), /needs 3/);
});

test('percentile: nearest rank', () => {
  assert.equal(percentile([], 95), 0);
  assert.equal(percentile([5], 95), 5);
  assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95), 95);
  assert.equal(percentile([3, 1, 2], 50), 2);
});
