/**
 * The session process's bulk pipe reader (issue 17 §2, bulk-reader.ts), fed by hand: bytes that arrive before their
 * announcement, loads back to back split anywhere across reads, a load awaited before or after its bytes are in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BulkReader } from '../../src/agent/inference/bulk-reader.js';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

test('bulk reader: two loads back to back, split across reads at odd places, the first read before any announcement', async () => {
  const r = new BulkReader();
  const a = bytes(1000, 1);
  const b = bytes(777, 2);
  const stream = new Uint8Array([...a, ...b]);
  r.push(stream.subarray(0, 10)); // before load_bulk: kept
  const early = r.take(7); // awaited before its bytes are in
  r.expect(7, a.length);
  r.expect(8, b.length);
  r.push(stream.subarray(10, 999));
  r.push(stream.subarray(999, 1003)); // the boundary inside one read
  r.push(stream.subarray(1003));
  assert.deepEqual(await early, a);
  assert.deepEqual(await r.take(8), b, 'taken after its bytes are in');
});

test('bulk reader: a load is not answered before its last byte', async () => {
  const r = new BulkReader();
  r.expect(1, 4);
  let got: Uint8Array | undefined;
  void r.take(1).then((b) => (got = b));
  r.push(Uint8Array.from([1, 2, 3]));
  await new Promise((res) => setImmediate(res));
  assert.equal(got, undefined);
  r.push(Uint8Array.from([4]));
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(got, Uint8Array.from([1, 2, 3, 4]));
});
