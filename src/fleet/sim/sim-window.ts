/**
 * One simulated metrics window of one role (issue 6 "Fleet simulator"): `n` requests drawn from the
 * active model's profile (log-normal latency, error rate, confidence) and, when a shadow candidate
 * runs, its samples (agreement with stable, latency, errors), shaped like the real agent's RoleMetrics.
 */
import { addConfidences, createHistogram, emptyConfidenceHistogram, histogramPercentiles, histogramQuantile, observe } from '../../common/metrics.js';
import type { RoleMetrics } from '../../common/wire.js';
import { gaussian, type ProfileBook } from './profiles.js';

export interface SimRoleState {
  modelId: string;
  cohort: 'stable' | 'candidate';
  rolloutId?: string;
  version?: string;
  shadow?: { modelId: string; rolloutId: string };
}

export function simulateRoleMetrics(a: SimRoleState, profiles: ProfileBook, rand: () => number, n: number, shadowSampleRate: number): RoleMetrics {
  const p = profiles.get(a.modelId);
  const h = createHistogram();
  const conf = emptyConfidenceHistogram();
  let errors = 0;
  const confs: number[] = [];
  for (let i = 0; i < n; i++) {
    observe(h, p.latencyMs * Math.exp(p.latencySigma * gaussian(rand)));
    if (rand() < p.errorRate) errors++;
    else confs.push(Math.min(1, Math.max(0, p.confidence + 0.1 * gaussian(rand))));
  }
  addConfidences(conf, confs);
  const m: RoleMetrics = {
    modelId: a.modelId,
    version: a.version ?? '0.0.0',
    provider: 'sim',
    cohort: a.shadow ? 'shadow' : a.cohort,
    count: n,
    errors,
    latency: { boundsMs: [...h.boundsMs], counts: [...h.counts], ...histogramPercentiles(h) },
    confidenceHistogram: conf,
  };
  if (a.rolloutId) m.rolloutId = a.rolloutId;
  if (a.shadow) {
    const sp = profiles.get(a.shadow.modelId);
    const samples = Math.max(1, Math.round(n * shadowSampleRate));
    const sh = createHistogram();
    let agreeSum = 0;
    let shErrors = 0;
    for (let i = 0; i < samples; i++) {
      observe(sh, sp.latencyMs * Math.exp(sp.latencySigma * gaussian(rand)));
      if (rand() < sp.errorRate) shErrors++;
      agreeSum += Math.min(1, Math.max(0, sp.agreement + 0.03 * gaussian(rand)));
    }
    m.rolloutId = a.shadow.rolloutId;
    m.shadow = { modelId: a.shadow.modelId, samples: samples - shErrors, agreement: agreeSum / samples, latencyP95: histogramQuantile(sh, 0.95), errors: shErrors };
  }
  return m;
}
