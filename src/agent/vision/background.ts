/**
 * The classifier's `background` label applied to detect's answer (issue 15 precision; docs/MODELS.md "Background
 * label"): an element the classifier judges not to be a control — p(background) above the model's
 * postprocess.backgroundThreshold (default 0.5) — is dropped; every other element's score becomes
 * detector score × (1 − p(background)), so the answer's ranking reflects the classifier's doubt.
 * A classifier without the label gives no `background` probability and changes nothing.
 */
import { DEFAULT_BACKGROUND_THRESHOLD } from './labels.js';
import type { ClassifyResult, ElementInFrame } from './pipeline-types.js';
import type { VisionModelSpec } from './types.js';

export function backgroundThreshold(cls: VisionModelSpec): number {
  return cls.postprocess.backgroundThreshold ?? DEFAULT_BACKGROUND_THRESHOLD;
}

/** `elements[i]` was classified as `results[i]`; returns the elements that are controls, re-scored. */
export function dropBackground(elements: ElementInFrame[], results: readonly ClassifyResult[], threshold: number): ElementInFrame[] {
  const kept: ElementInFrame[] = [];
  elements.forEach((e, i) => {
    const p = results[i]?.background;
    if (p === undefined) {
      kept.push(e);
      return;
    }
    if (p > threshold) return;
    e.score *= 1 - p;
    kept.push(e);
  });
  return kept;
}
