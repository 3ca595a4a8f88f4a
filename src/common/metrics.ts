/**
 * Metric math shared by the agent's telemetry, the fleet simulator and the rollout controller
 * (DESIGN.md "Telemetry"): fixed-bound latency histograms that merge across agents, percentiles,
 * the 10-bucket confidence histogram, drift as PSI against a manifest baseline, and the shadow-mode
 * agreement between two detection lists. Pure functions, no environment.
 */
import { iou, type Box } from './geometry.js';

/**
 * Default latency bucket upper bounds (ms). Fixed bounds let the controller add histograms from many
 * agents bucket by bucket and take a fleet percentile (the Prometheus histogram model).
 */
export const DEFAULT_LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2, 3, 5, 7.5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 90, 100, 125, 150, 200, 250, 300, 400, 500, 750, 1000, 2000, 5000, 10000,
];

export interface Histogram {
  /** ascending upper bounds; counts has one more entry, for values above the last bound */
  boundsMs: number[];
  counts: number[];
}

export function createHistogram(boundsMs: readonly number[] = DEFAULT_LATENCY_BOUNDS_MS): Histogram {
  for (let i = 1; i < boundsMs.length; i++) {
    if (!(boundsMs[i]! > boundsMs[i - 1]!)) throw new RangeError('histogram bounds must be strictly ascending');
  }
  return { boundsMs: [...boundsMs], counts: new Array<number>(boundsMs.length + 1).fill(0) };
}

/** Index of the bucket for v: the first bound ≥ v (Prometheus `le` semantics), else the overflow bucket. */
export function bucketIndex(boundsMs: readonly number[], v: number): number {
  let lo = 0;
  let hi = boundsMs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= boundsMs[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function observe(h: Histogram, v: number, n = 1): void {
  if (!Number.isFinite(v)) return;
  const i = bucketIndex(h.boundsMs, Math.max(0, v));
  h.counts[i] = (h.counts[i] ?? 0) + n;
}

export function histogramTotal(h: Pick<Histogram, 'counts'>): number {
  let t = 0;
  for (const c of h.counts) t += c;
  return t;
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Adds `src` into `into` (same bounds), or re-buckets src by each bucket's upper bound when bounds differ. */
export function mergeInto(into: Histogram, src: Histogram): Histogram {
  if (sameBounds(into.boundsMs, src.boundsMs) && src.counts.length === into.counts.length) {
    for (let i = 0; i < src.counts.length; i++) into.counts[i]! += src.counts[i]!;
    return into;
  }
  for (let i = 0; i < src.counts.length; i++) {
    const c = src.counts[i]!;
    if (c === 0) continue;
    const upper = i < src.boundsMs.length ? src.boundsMs[i]! : (src.boundsMs[src.boundsMs.length - 1] ?? 0) * 2 + 1;
    observe(into, upper, c);
  }
  return into;
}

export function mergeHistograms(hs: readonly Histogram[], boundsMs: readonly number[] = DEFAULT_LATENCY_BOUNDS_MS): Histogram {
  const out = createHistogram(boundsMs);
  for (const h of hs) mergeInto(out, h);
  return out;
}

/**
 * q-quantile (0..1) of a histogram with linear interpolation inside the bucket (as Prometheus's
 * histogram_quantile). Values in the overflow bucket report the last bound: an estimate can only
 * say "above". 0 for an empty histogram.
 */
export function histogramQuantile(h: Histogram, q: number): number {
  const total = histogramTotal(h);
  if (total === 0) return 0;
  const rank = Math.min(Math.max(q, 0), 1) * total;
  let cum = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i]!;
    if (c > 0 && cum + c >= rank) {
      if (i >= h.boundsMs.length) return h.boundsMs[h.boundsMs.length - 1] ?? 0;
      const lower = i === 0 ? 0 : h.boundsMs[i - 1]!;
      const upper = h.boundsMs[i]!;
      return lower + (upper - lower) * ((rank - cum) / c);
    }
    cum += c;
  }
  return h.boundsMs[h.boundsMs.length - 1] ?? 0;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export function histogramPercentiles(h: Histogram): Percentiles {
  return { p50: histogramQuantile(h, 0.5), p95: histogramQuantile(h, 0.95), p99: histogramQuantile(h, 0.99) };
}

/** Exact q-quantile of raw samples (nearest rank on a sorted copy); 0 when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(Math.min(Math.max(q, 0), 1) * s.length);
  return s[Math.max(0, rank - 1)]!;
}

/** Confidence deciles [0,0.1), …, [0.8,0.9), [0.9,1.0] (DESIGN.md: a 10-bucket confidence histogram). */
export const CONFIDENCE_BUCKETS = 10;

export function confidenceBucket(c: number): number {
  if (!(c > 0)) return 0; // NaN and negatives land in the lowest bucket
  return Math.min(CONFIDENCE_BUCKETS - 1, Math.floor(c * CONFIDENCE_BUCKETS));
}

export function emptyConfidenceHistogram(): number[] {
  return new Array<number>(CONFIDENCE_BUCKETS).fill(0);
}

export function addConfidences(hist: number[], confidences: Iterable<number>): number[] {
  for (const c of confidences) hist[confidenceBucket(c)]! += 1;
  return hist;
}

export function confidenceHistogram(confidences: Iterable<number>): number[] {
  return addConfidences(emptyConfidenceHistogram(), confidences);
}

/** Counts → fractions summing to 1 (all zeros stay zeros). */
export function toFractions(counts: readonly number[]): number[] {
  const t = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (t > 0 ? c / t : 0));
}

/** Floor for empty buckets so ln() stays finite; the usual choice for PSI on sparse histograms. */
export const PSI_EPSILON = 1e-4;

/**
 * Population stability index of `actual` against `expected` (both counts or fractions, same length):
 * Σ (a − e) · ln(a / e) over normalised buckets, empty buckets floored at PSI_EPSILON.
 * Rule of thumb: < 0.1 stable, 0.1–0.25 moderate drift, > 0.25 significant drift.
 * Undefined when either side has no mass (nothing to compare).
 */
export function psi(expected: readonly number[], actual: readonly number[], epsilon = PSI_EPSILON): number | undefined {
  if (expected.length !== actual.length || expected.length === 0) throw new RangeError('psi: histograms differ in length');
  const e = toFractions(expected);
  const a = toFractions(actual);
  if (e.every((x) => x === 0) || a.every((x) => x === 0)) return undefined;
  let sum = 0;
  for (let i = 0; i < e.length; i++) {
    const ei = Math.max(e[i]!, epsilon);
    const ai = Math.max(a[i]!, epsilon);
    sum += (ai - ei) * Math.log(ai / ei);
  }
  return Math.max(0, sum);
}

export function errorRate(count: number, errors: number): number {
  return count > 0 ? errors / count : 0;
}

/**
 * Exact (Clopper–Pearson) one-sided lower confidence bound of an error rate: the largest rate p for
 * which seeing `errors` or more in `count` requests would still be surprising (P(X ≥ errors | p) ≤
 * 1 − confidence). A gate fails on this, not on the raw ratio, so 1 error in 20 requests or 2 in 140
 * from a healthy model does not roll a fleet back, while 30 % errors fail within a few dozen requests.
 * Exact rather than a normal approximation because gates are judged on small early counts.
 */
export function errorRateLowerBound(count: number, errors: number, confidence = 0.95): number {
  if (count <= 0 || errors <= 0) return 0;
  const k = Math.min(errors, count);
  const alpha = 1 - confidence;
  // P(X ≥ k | n, p) = I_p(k, n − k + 1), increasing in p: bisect for the p where it equals alpha
  let lo = 0;
  let hi = k / count;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedBeta(mid, k, count - k + 1) < alpha) lo = mid;
    else hi = mid;
  }
  return lo;
}

function lnGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), |error| < 1e-13 for x > 0
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** I_x(a, b), the regularized incomplete beta function (continued fraction, Numerical Recipes §6.4). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-12) break;
  }
  return h;
}

export interface LabelledBox {
  box: Box;
  /** class id or label; when both sides carry one, a match also needs equal classes */
  classId?: number | string;
}

/**
 * Shadow-mode agreement of two detection lists (issue 6): greedy one-to-one matching of pairs with
 * IoU ≥ threshold (default 0.5, highest IoU first, classes equal when given), then
 * F1 = 2·matched / (|a| + |b|). Two empty lists agree fully (1).
 */
export function detectionAgreementF1(a: readonly LabelledBox[], b: readonly LabelledBox[], iouThreshold = 0.5): number {
  if (a.length === 0 && b.length === 0) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const pairs: { i: number; j: number; v: number }[] = [];
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      const ca = a[i]!.classId;
      const cb = b[j]!.classId;
      if (ca !== undefined && cb !== undefined && ca !== cb) continue;
      const v = iou(a[i]!.box, b[j]!.box);
      if (v >= iouThreshold) pairs.push({ i, j, v });
    }
  }
  pairs.sort((x, y) => y.v - x.v);
  const usedA = new Uint8Array(a.length);
  const usedB = new Uint8Array(b.length);
  let matched = 0;
  for (const p of pairs) {
    if (usedA[p.i] || usedB[p.j]) continue;
    usedA[p.i] = 1;
    usedB[p.j] = 1;
    matched++;
  }
  return (2 * matched) / (a.length + b.length);
}

/** Classifier agreement: fraction of positions where the two label lists agree (1 for two empty lists). */
export function classifierAgreement(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  const n = Math.max(a.length, b.length);
  if (n === 0) return 1;
  let same = 0;
  for (let i = 0; i < n; i++) if (i < a.length && i < b.length && a[i] === b[i]) same++;
  return same / n;
}
