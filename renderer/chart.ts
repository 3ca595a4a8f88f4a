/**
 * The small latency chart: pure geometry (unit-tested in Node) plus an SVG builder. Drawn with SVG
 * attributes and CSS classes only, so the strict CSP (no inline styles) holds.
 */
import type { LatencyPoint } from '../src/common/bridge.js';

export interface ChartGeometry {
  /** SVG polyline "x,y x,y" strings */
  p50: string;
  p95: string;
  /** top of the y axis in ms (a "nice" round number above the largest p95) */
  maxMs: number;
}

export const CHART_W = 300;
export const CHART_H = 80;
const PAD_TOP = 4;

/** 1, 2, 5 × 10^n at or above v (so the axis label reads as a round number) */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const exp = Math.floor(Math.log10(v));
  const base = 10 ** exp;
  for (const m of [1, 2, 5, 10]) if (m * base >= v) return m * base;
  return 10 * base;
}

export function chartGeometry(series: readonly LatencyPoint[], w = CHART_W, h = CHART_H): ChartGeometry {
  const maxMs = niceCeil(Math.max(0, ...series.map((p) => Math.max(p.p50, p.p95))));
  const n = series.length;
  const x = (i: number) => (n <= 1 ? w / 2 : (i / (n - 1)) * w);
  const y = (ms: number) => PAD_TOP + (h - PAD_TOP) * (1 - Math.min(ms, maxMs) / maxMs);
  const line = (pick: (p: LatencyPoint) => number) => series.map((p, i) => `${round(x(i))},${round(y(pick(p)))}`).join(' ');
  return { p50: line((p) => p.p50), p95: line((p) => p.p95), maxMs };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

const SVG = 'http://www.w3.org/2000/svg';

export function chartSvg(doc: Document, series: readonly LatencyPoint[], label: string): SVGSVGElement {
  const g = chartGeometry(series);
  const svg = doc.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${CHART_W} ${CHART_H}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.classList.add('chart');
  const title = doc.createElementNS(SVG, 'title');
  title.textContent = label;
  svg.append(title);
  for (const frac of [0, 0.5, 1]) {
    const ln = doc.createElementNS(SVG, 'line');
    const yy = String(PAD_TOP + (CHART_H - PAD_TOP) * frac);
    ln.setAttribute('x1', '0');
    ln.setAttribute('x2', String(CHART_W));
    ln.setAttribute('y1', yy);
    ln.setAttribute('y2', yy);
    ln.setAttribute('vector-effect', 'non-scaling-stroke');
    ln.classList.add('grid');
    svg.append(ln);
  }
  for (const [cls, pts] of [['p95', g.p95], ['p50', g.p50]] as const) {
    const pl = doc.createElementNS(SVG, 'polyline');
    pl.setAttribute('points', pts);
    pl.setAttribute('vector-effect', 'non-scaling-stroke');
    pl.classList.add('line', cls);
    svg.append(pl);
  }
  return svg;
}
