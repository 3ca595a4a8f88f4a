import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bucketIndex,
  classifierAgreement,
  confidenceBucket,
  confidenceHistogram,
  createHistogram,
  detectionAgreementF1,
  histogramPercentiles,
  histogramQuantile,
  histogramTotal,
  mergeHistograms,
  observe,
  psi,
  quantile,
} from '../../src/common/metrics.js';

test('bucketIndex uses "le" semantics and an overflow bucket', () => {
  const b = [1, 5, 10];
  assert.equal(bucketIndex(b, 0), 0);
  assert.equal(bucketIndex(b, 1), 0);
  assert.equal(bucketIndex(b, 1.0001), 1);
  assert.equal(bucketIndex(b, 10), 2);
  assert.equal(bucketIndex(b, 11), 3);
});

test('createHistogram rejects unsorted bounds', () => {
  assert.throws(() => createHistogram([5, 1]), RangeError);
});

test('histogram percentiles interpolate within buckets and track a uniform distribution', () => {
  const h = createHistogram([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  for (let v = 0.5; v < 100; v += 1) observe(h, v); // 100 values uniform on (0,100)
  assert.equal(histogramTotal(h), 100);
  const p = histogramPercentiles(h);
  assert.ok(Math.abs(p.p50 - 50) <= 1, `p50 ${p.p50}`);
  assert.ok(Math.abs(p.p95 - 95) <= 1, `p95 ${p.p95}`);
  assert.ok(Math.abs(p.p99 - 99) <= 1, `p99 ${p.p99}`);
  assert.equal(histogramQuantile(createHistogram([1, 2]), 0.5), 0, 'empty → 0');
});

test('overflow values report the last bound, not a made-up value', () => {
  const h = createHistogram([10, 20]);
  for (let i = 0; i < 10; i++) observe(h, 500);
  assert.equal(histogramQuantile(h, 0.95), 20);
});

test('histograms from many agents merge bucket by bucket; a different layout is re-bucketed', () => {
  const a = createHistogram([10, 20, 30]);
  const b = createHistogram([10, 20, 30]);
  for (let i = 0; i < 90; i++) observe(a, 5);
  for (let i = 0; i < 10; i++) observe(b, 25);
  const m = mergeHistograms([a, b], [10, 20, 30]);
  assert.deepEqual(m.counts, [90, 0, 10, 0]);
  assert.ok(histogramQuantile(m, 0.95) > 20 && histogramQuantile(m, 0.95) <= 30);
  const other = createHistogram([15, 100]);
  observe(other, 12);
  const m2 = mergeHistograms([other], [10, 20, 30]);
  assert.deepEqual(m2.counts, [0, 1, 0, 0], '12 in (10,15] is re-bucketed at its upper bound 15 → (10,20]');
});

test('exact quantile uses nearest rank', () => {
  assert.equal(quantile([5, 1, 3, 2, 4], 0.5), 3);
  assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95), 10);
  assert.equal(quantile([], 0.5), 0);
});

test('confidence histogram has 10 deciles; 1.0 lands in the top bucket', () => {
  assert.equal(confidenceBucket(0), 0);
  assert.equal(confidenceBucket(0.0999), 0);
  assert.equal(confidenceBucket(0.1), 1);
  assert.equal(confidenceBucket(0.95), 9);
  assert.equal(confidenceBucket(1), 9);
  assert.equal(confidenceBucket(Number.NaN), 0);
  const h = confidenceHistogram([0.05, 0.15, 0.95, 1, 0.999]);
  assert.deepEqual(h, [1, 1, 0, 0, 0, 0, 0, 0, 0, 3]);
});

test('PSI is 0 for identical distributions, grows with drift, and matches a hand computation', () => {
  const base = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
  assert.ok(psi(base, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10])! < 1e-12);
  const small = psi(base, [12, 8, 10, 10, 10, 10, 10, 10, 10, 10])!;
  const large = psi(base, [0, 0, 0, 0, 0, 0, 0, 0, 50, 50])!;
  assert.ok(small > 0 && small < 0.1, `small drift ${small}`);
  assert.ok(large > 0.25, `large drift ${large}`);
  // hand: two buckets 0.5/0.5 vs 0.8/0.2 → (0.3·ln1.6) + (−0.3·ln0.4)
  const expected = 0.3 * Math.log(1.6) + -0.3 * Math.log(0.4);
  assert.ok(Math.abs(psi([0.5, 0.5], [8, 2])! - expected) < 1e-12);
  assert.equal(psi(base, new Array(10).fill(0)), undefined, 'no mass → undefined');
  assert.throws(() => psi([1], [1, 2]), RangeError);
});

test('detection agreement: IoU-matched F1 at 0.5, one-to-one, class-aware', () => {
  const a = [{ box: [0, 0, 10, 10] as [number, number, number, number] }, { box: [20, 20, 30, 30] as [number, number, number, number] }];
  assert.equal(detectionAgreementF1(a, a), 1);
  assert.equal(detectionAgreementF1([], []), 1);
  assert.equal(detectionAgreementF1(a, []), 0);
  // second box shifted so IoU < 0.5 → 1 match of (2+2) → F1 = 0.5
  const b = [{ box: [0, 0, 10, 10] as [number, number, number, number] }, { box: [26, 26, 36, 36] as [number, number, number, number] }];
  assert.equal(detectionAgreementF1(a, b), 0.5);
  // two candidates on one box: only one may match
  const dup = [{ box: [0, 0, 10, 10] as [number, number, number, number] }, { box: [0, 0, 10, 9] as [number, number, number, number] }];
  assert.equal(detectionAgreementF1([a[0]!], dup), 2 / 3);
  // same box, different class → no match
  assert.equal(detectionAgreementF1([{ box: [0, 0, 10, 10], classId: 1 }], [{ box: [0, 0, 10, 10], classId: 2 }]), 0);
});

test('classifier agreement is the fraction of equal labels', () => {
  assert.equal(classifierAgreement(['a', 'b', 'c', 'd'], ['a', 'b', 'x', 'd']), 0.75);
  assert.equal(classifierAgreement([], []), 1);
  assert.equal(classifierAgreement([1, 2], [1]), 0.5);
});
