/**
 * The gate evidence, drawn: two inline SVG panels over the rollout's time — error rate and p95 —
 * each with the canary and the stable cohort as a line inside its 95 % confidence band, the gate as a
 * dashed line, wave starts and the end as vertical marks. No script or style inside the SVG (CSP);
 * colours come from the stylesheet's classes. A table with the same numbers follows for screen readers.
 */
import { h, s } from './dom.js';
import { clockTime, ms, pct } from './format.js';
import type { EvidenceSeries, Point, SeriesBucket } from './types.js';

const W = 720;
const H = 200;
const PAD = { l: 64, r: 16, t: 14, b: 28 };

interface Panel {
  title: string;
  value: (p: Point) => number;
  low: (p: Point) => number;
  high: (p: Point) => number;
  gate: number;
  fmt: (v: number) => string;
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const e = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * e >= v) return m * e;
  return 10 * e;
}

function band(buckets: SeriesBucket[], pick: (b: SeriesBucket) => Point | null, x: (t: number) => number, y: (v: number) => number, p: Panel): { line: string; area: string }[] {
  // one polyline + band per run of buckets that have data (a gap is not drawn as a slope)
  const runs: SeriesBucket[][] = [];
  let cur: SeriesBucket[] = [];
  for (const b of buckets) {
    if (pick(b)) cur.push(b);
    else if (cur.length) (runs.push(cur), (cur = []));
  }
  if (cur.length) runs.push(cur);
  return runs.map((run) => {
    const pts = run.map((b) => [x(b.t), y(p.value(pick(b)!))] as const);
    const hi = run.map((b) => `${x(b.t).toFixed(1)},${y(p.high(pick(b)!)).toFixed(1)}`);
    const lo = run.map((b) => `${x(b.t).toFixed(1)},${y(p.low(pick(b)!)).toFixed(1)}`).reverse();
    return { line: pts.map(([a, c]) => `${a.toFixed(1)},${c.toFixed(1)}`).join(' '), area: [...hi, ...lo].join(' ') };
  });
}

function panel(series: EvidenceSeries, p: Panel, id: string): SVGElement {
  const { buckets, from, to } = series;
  const span = Math.max(1, to - from);
  const x = (t: number) => PAD.l + ((t - from) / span) * (W - PAD.l - PAD.r);
  let top = p.gate;
  for (const b of buckets) for (const c of [b.canary, b.stable]) if (c) top = Math.max(top, p.high(c));
  const ymax = niceMax(top * 1.05);
  const y = (v: number) => PAD.t + (1 - Math.min(v, ymax) / ymax) * (H - PAD.t - PAD.b);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * ymax);
  const svg = s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, preserveAspectRatio: 'xMidYMid meet' },
    s('title', { id: `${id}-t` }, p.title),
    s('desc', { id: `${id}-d` }, describe(series, p)),
    ticks.map((v) => [
      s('line', { class: 'grid', x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v) }),
      s('text', { class: 'axis', x: PAD.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, p.fmt(v)),
    ]),
    s('text', { class: 'axis', x: PAD.l, y: H - 8 }, clockTime(from)),
    s('text', { class: 'axis', x: W - PAD.r, y: H - 8, 'text-anchor': 'end' }, clockTime(to)),
    series.marks.map((m) => [
      s('line', { class: `mark mark-${m.kind}`, x1: x(m.t), x2: x(m.t), y1: PAD.t, y2: H - PAD.b }),
      s('text', { class: 'mark-label', x: x(m.t) + 3, y: PAD.t + 10 }, m.label),
    ]),
    s('line', { class: 'gate', x1: PAD.l, x2: W - PAD.r, y1: y(p.gate), y2: y(p.gate) }),
    s('text', { class: 'gate-label', x: W - PAD.r - 4, y: y(p.gate) - 4, 'text-anchor': 'end' }, `gate ${p.fmt(p.gate)}`),
    (['stable', 'canary'] as const).map((cohort) =>
      band(buckets, (b) => b[cohort], x, y, p).map((r) => [
        s('polygon', { class: `band band-${cohort}`, points: r.area }),
        s('polyline', { class: `line line-${cohort}`, points: r.line }),
      ]),
    ),
  );
  return svg;
}

function last(series: EvidenceSeries, cohort: 'canary' | 'stable'): Point | undefined {
  for (let i = series.buckets.length - 1; i >= 0; i--) {
    const p = series.buckets[i]![cohort];
    if (p) return p;
  }
  return undefined;
}

function describe(series: EvidenceSeries, p: Panel): string {
  const c = last(series, 'canary');
  const st = last(series, 'stable');
  const one = (name: string, q: Point | undefined) => (q ? `${name} ${p.fmt(p.value(q))} (95 % bounds ${p.fmt(p.low(q))} to ${p.fmt(p.high(q))}, ${q.count} requests)` : `${name}: no data yet`);
  return `${p.title} over ${series.buckets.length} intervals of ${Math.round(series.bucketMs / 1000)} s; latest ${one('canary', c)}; ${one('stable', st)}; gate ${p.fmt(p.gate)}.`;
}

export function evidenceCharts(series: EvidenceSeries): HTMLElement {
  const errPanel: Panel = { title: 'Error rate, canary vs stable', value: (q) => q.errorRate, low: (q) => q.errorLow, high: (q) => q.errorHigh, gate: series.gates.maxErrorRate, fmt: pct };
  const p95Panel: Panel = { title: 'p95 latency, canary vs stable', value: (q) => q.p95, low: (q) => q.p95Low, high: (q) => q.p95High, gate: series.gates.maxP95Ms, fmt: ms };
  const rows = series.buckets.filter((b) => b.canary || b.stable);
  return h(
    'div',
    { class: 'charts' },
    h('p', { class: 'legend' }, h('span', { class: 'key key-canary' }, 'canary'), ' ', h('span', { class: 'key key-stable' }, 'stable'), ' — lines are the measured value, shaded bands the 95 % confidence bounds; the dashed line is the gate.'),
    h('figure', {}, panel(series, errPanel, 'ev-err')),
    h('figure', {}, panel(series, p95Panel, 'ev-p95')),
    h(
      'details',
      { class: 'chart-data' },
      h('summary', {}, 'Evidence as a table'),
      h(
        'table',
        {},
        h('caption', {}, 'Per interval: error rate and p95 with 95 % bounds'),
        h('thead', {}, h('tr', {}, ['time', 'canary requests', 'canary error rate', 'canary p95', 'stable requests', 'stable error rate', 'stable p95'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          rows.map((b) =>
            h(
              'tr',
              {},
              h('td', {}, clockTime(b.t)),
              [b.canary, b.stable].map((q) =>
                q
                  ? [h('td', {}, String(q.count)), h('td', {}, `${pct(q.errorRate)} [${pct(q.errorLow)}, ${pct(q.errorHigh)}]`), h('td', {}, `${ms(q.p95)} [${ms(q.p95Low)}, ${ms(q.p95High)}]`)]
                  : [h('td', {}, '—'), h('td', {}, '—'), h('td', {}, '—')],
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
