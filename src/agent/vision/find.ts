/**
 * findElement's ranking (DESIGN.md "Vision pipeline"): every criterion given — a template's similarity, a type,
 * a label's location ("near text") — must be met by a candidate, and the score is the product of the component
 * scores. Pure: the pipeline detects, embeds and classifies; this only ranks.
 */
import type { Box } from '../../common/geometry.js';
import { lookAlikeTypeScore } from './labels.js';
import type { ElementInFrame, FindCandidate, FindRequest } from './pipeline-types.js';
import type { UiElement } from './types.js';

/**
 * Candidates for `q`, best first. `sims`: cosine similarity per element (when a template was given);
 * `inFrame`: the elements with their ranked classifier labels, indexed like `elements` (for `typeMinScore`).
 */
export function rankCandidates(q: FindRequest, elements: readonly UiElement[], sims: ReadonlyMap<UiElement, number> | undefined, inFrame: readonly ElementInFrame[]): FindCandidate[] {
  const candidates: FindCandidate[] = [];
  for (const el of elements) {
    let typeScore = el.typeScore ?? 1;
    let lookAlike = false;
    if (q.type && el.type !== q.type) {
      const p = q.typeMinScore === undefined ? undefined : lookAlikeTypeScore(inFrame[el.index]?.ranked ?? [], q.type, q.typeMinScore);
      if (p === undefined) continue;
      typeScore = p;
      lookAlike = true;
    }
    const scores: FindCandidate['scores'] = { detector: el.score };
    let score = 1;
    if (sims) {
      // cosine in [-1, 1] → [0, 1]
      scores.similarity = sims.get(el) ?? -1;
      score *= (scores.similarity + 1) / 2;
    }
    if (q.near) {
      scores.proximity = proximityScore(q.near.box, el.box);
      score *= scores.proximity;
    }
    if (q.type) {
      scores.type = typeScore;
      // a look-alike (another type ranks first) always pays its probability, so it ranks after real matches
      if ((!sims && !q.near) || lookAlike) score *= scores.type;
    }
    if (!sims && !q.near && !q.type) score *= el.score;
    candidates.push({ element: el, score, scores });
  }
  return candidates.sort((a, b) => b.score - a.score);
}

/**
 * Where a form field sits relative to its label (the "near text" rule). 1.0 for an element that overlaps the
 * label or starts right of it on the same row (vertical centre within the label's height) or right below it
 * (left edges within the label's width); otherwise it decays with the gap between the boxes, measured in label
 * heights: score = 1 / (1 + gap / labelHeight) × (0.5 if above or left of the label).
 */
export function proximityScore(label: Box, el: Box): number {
  const lh = Math.max(1, label[3] - label[1]);
  const dx = Math.max(0, el[0] - label[2], label[0] - el[2]);
  const dy = Math.max(0, el[1] - label[3], label[1] - el[3]);
  const gap = Math.hypot(dx, dy);
  const elCy = (el[1] + el[3]) / 2;
  const sameRowRight = el[0] >= label[0] && elCy >= label[1] - lh / 2 && elCy <= label[3] + lh / 2;
  const below = el[1] >= label[1] && el[0] <= label[2] && el[2] >= label[0];
  const penalty = sameRowRight || below ? 1 : 0.5;
  return penalty / (1 + gap / lh);
}
