import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartGeometry, niceCeil, CHART_H, CHART_W } from '../../renderer/chart.js';

test('chart: nice axis maximum is 1, 2 or 5 × 10^n at or above the peak', () => {
  assert.equal(niceCeil(0), 1);
  assert.equal(niceCeil(7), 10);
  assert.equal(niceCeil(10), 10);
  assert.equal(niceCeil(11), 20);
  assert.equal(niceCeil(240), 500);
  assert.equal(niceCeil(0.03), 0.05);
});

test('chart: points span the width, higher latency is higher up, p95 above p50', () => {
  const series = [
    { t: '2026-11-23T14:00:00Z', p50: 10, p95: 20 },
    { t: '2026-11-23T14:01:00Z', p50: 20, p95: 40 },
    { t: '2026-11-23T14:02:00Z', p50: 5, p95: 50 },
  ];
  const g = chartGeometry(series);
  assert.equal(g.maxMs, 50);
  const pts = (s: string) => s.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
  const p50 = pts(g.p50);
  const p95 = pts(g.p95);
  assert.deepEqual(p50.map((p) => p[0]), [0, CHART_W / 2, CHART_W]);
  assert.equal(p95[2]![1], 4, 'the peak touches the top (after padding)');
  assert.ok(p50[1]![1] < p50[0]![1], '20 ms is drawn above 10 ms');
  for (let i = 0; i < 3; i++) assert.ok(p95[i]![1] <= p50[i]![1]);
  for (const [, y] of [...p50, ...p95]) assert.ok(y >= 0 && y <= CHART_H);
  assert.equal(chartGeometry([{ t: '2026-11-23T14:00:00Z', p50: 1, p95: 2 }]).p50, `${CHART_W / 2},${CHART_H - (CHART_H - 4) * 0.5}`);
});
