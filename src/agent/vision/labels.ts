/**
 * Classifier labels → element type and checked state. The classifier folds the state into its label
 * (docs/MODELS.md): checkbox_checked / checkbox_unchecked, radio_checked / radio_unchecked, toggle_on /
 * toggle_off; every other label is a plain type.
 */
/**
 * The classifier label that means "not a control" (docs/MODELS.md "Background label"): a detection whose crop the
 * classifier gives p(background) above the model's postprocess.backgroundThreshold is dropped from the answer; it is
 * never an element type.
 */
export const BACKGROUND_LABEL = 'background';
/** backgroundThreshold when the classifier's metadata names none */
export const DEFAULT_BACKGROUND_THRESHOLD = 0.5;

export interface ElementKind {
  type: string;
  checked?: boolean;
}

const STATE_SUFFIXES: ReadonlyArray<readonly [string, boolean]> = [
  ['_checked', true],
  ['_unchecked', false],
  ['_on', true],
  ['_off', false],
  ['_selected', true],
  ['_unselected', false],
];

export function labelToKind(label: string): ElementKind {
  for (const [suffix, checked] of STATE_SUFFIXES) {
    if (label.length > suffix.length && label.endsWith(suffix)) return { type: label.slice(0, -suffix.length), checked };
  }
  return { type: label };
}

/** The probability of element type `type`: the classifier's label probabilities summed over that type's states. */
export function typeProbability(ranked: readonly { label: string; score: number }[], type: string): number {
  let p = 0;
  for (const r of ranked) if (labelToKind(r.label).type === type) p += r.score;
  return p;
}

/**
 * findElement's rule for a look-alike (an element whose top-ranked type is another one): it matches `type` when the
 * classifier gives that type a probability above 0 and at least `minScore`; returns that probability (its type
 * score), or undefined when it does not match.
 */
export function lookAlikeTypeScore(ranked: readonly { label: string; score: number }[], type: string, minScore: number): number | undefined {
  const p = typeProbability(ranked, type);
  return p > 0 && p >= minScore ? p : undefined;
}

/** Numerically stable softmax of one row. */
export function softmax(logits: ArrayLike<number>, offset = 0, n = logits.length): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]!);
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Math.exp(logits[offset + i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < n; i++) out[i]! /= sum;
  return out;
}
