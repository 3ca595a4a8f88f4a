/**
 * Classifier output → ClassifyResult per crop (docs/MODELS.md: one row of label scores per crop; the label folds
 * in the checked state). Checks the output against the batch and the label list (contract_mismatch otherwise).
 */
import { AgentError } from '../../common/errors.js';
import { BACKGROUND_LABEL, labelToKind, softmax } from './labels.js';
import type { ClassifyResult } from './pipeline-types.js';
import type { VisionModelSpec, VisionTensor } from './types.js';

/** Results of rows [0, n) of `out` (a [n, k] output). */
export function classifierResults(spec: VisionModelSpec, out: VisionTensor, n: number): ClassifyResult[] {
  const k = out.dims[out.dims.length - 1]!;
  if (out.data.length < n * k) throw new AgentError('contract_mismatch', 'classifier output is shorter than its batch');
  if (spec.labels.length && spec.labels.length !== k) throw new AgentError('contract_mismatch', `classifier has ${k} outputs but ${spec.labels.length} labels`);
  const bg = spec.labels.indexOf(BACKGROUND_LABEL);
  const results: ClassifyResult[] = [];
  for (let i = 0; i < n; i++) {
    const probs = asProbabilities(out.data, i * k, k, spec.postprocess.format);
    if (bg < 0) {
      const ranked = Array.from(probs, (score, c) => ({ label: spec.labels[c] ?? String(c), score })).sort((a, b) => b.score - a.score);
      const top = ranked[0]!;
      results.push({ ...labelToKind(top.label), label: top.label, score: top.score, ranked });
      continue;
    }
    results.push(withBackground(probs, spec.labels, bg));
  }
  return results;
}

/**
 * A classifier with a `background` label (docs/MODELS.md "Background label"): the type is the best of the other
 * labels, whose probabilities are renormalised to p(label | a control) so type scores keep their meaning;
 * p(background) is reported beside them (detect drops or re-scores the element with it, background.ts).
 */
function withBackground(probs: Float64Array, labels: readonly string[], bg: number): ClassifyResult {
  const background = probs[bg]!;
  const rest = Math.max(1 - background, Number.MIN_VALUE);
  const ranked: { label: string; score: number }[] = [];
  probs.forEach((p, c) => {
    if (c !== bg) ranked.push({ label: labels[c]!, score: Math.min(1, p / rest) });
  });
  ranked.sort((a, b) => b.score - a.score);
  const top = ranked[0]!;
  return { ...labelToKind(top.label), label: top.label, score: top.score, ranked, background };
}

/**
 * Classifier output row → probabilities. 'logits' always gets a softmax; otherwise a row that already is a
 * distribution (non-negative, sums to ~1) is kept and anything else is treated as logits.
 */
function asProbabilities(data: ArrayLike<number>, offset: number, k: number, format: string): Float64Array {
  if (format !== 'logits') {
    let sum = 0;
    let neg = false;
    for (let i = 0; i < k; i++) {
      const v = data[offset + i]!;
      if (v < 0) neg = true;
      sum += v;
    }
    if (!neg && Math.abs(sum - 1) < 1e-3) return Float64Array.from({ length: k }, (_, i) => data[offset + i]!);
  }
  return softmax(data, offset, k);
}
