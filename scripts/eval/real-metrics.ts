/**
 * Metrics of the real-program families (issue 15 §4; docs/EVALUATION.md "Real programs"). Pure functions over
 * what the pipeline answered for each screenshot, unit-tested on hand-computed cases in
 * test/unit/eval-real-metrics.test.ts. Detection AP, precision and recall reuse src/agent/vision/metrics.ts.
 *
 * - type top-1: on the pairs (answer element, truth element) matched at IoU ≥ 0.5 (greedy by detector score,
 *   each answer takes the unmatched truth of highest IoU, as COCO matching), the share whose type is right;
 * - click-hit: the share of truth elements for which the answer holds an element of the right type whose
 *   click point lies inside the truth box (what a bot needs);
 * - a truth type the classifier does not know (a type added by issue 15) can never be right: it counts as a
 *   miss in both;
 * - the same two figures at the level of the UIA control type (`typeTop1Uia`, `clickHitUia`): `button`,
 *   `icon_button` and `toggle` are all UIA Button, so a bot selecting by control type sees no difference between
 *   them. Reported beside the strict figures, which are the ones the targets are judged on.
 * - ignore regions (a sample's optional `ignore` boxes: a visible, clickable area its ground truth cannot give, e.g. a
 *   custom-drawn widget whose parts the accessibility tree does not expose; docs/AUDIT-ATSPI.md): a detection or answer
 *   element that matches no truth box (IoU < 0.5 with each) and lies at least half inside one of them is neither right
 *   nor wrong — dropped before AP, precision and recall. Truth elements are never dropped.
 */
import { splitByAppHash } from '../dataset/lib/split.mjs';
import type { Box } from '../../src/common/geometry.js';
import { area, intersectionArea, iou } from '../../src/common/geometry.js';
import { pointInBox, uiaControlTypeOf, type Point } from '../../src/common/element-types.js';
import { evaluateDetections, type EvalImage } from '../../src/agent/vision/metrics.js';

/** 'fresh': the fresh held-out set (docs/DATASET.md) — held out like 'heldout', but never looked at by a training round */
export type Split = 'train' | 'heldout' | 'fresh';

export interface TruthElement {
  box: Box;
  type: string;
}
export interface AnswerElement {
  box: Box;
  score: number;
  type: string;
  click: Point;
}
/** One screenshot: its truth and what the pipeline answered. */
export interface ImageRecord {
  family: string;
  app: string;
  split: Split;
  truth: readonly TruthElement[];
  /** class-agnostic detections at a low threshold, for AP */
  detections: readonly { box: Box; score: number }[];
  /** the answer a bot gets from detect() at the default threshold, classified */
  answer: readonly AnswerElement[];
  /** areas whose unmatched detections count neither way (the sample's `ignore` boxes) */
  ignore?: readonly Box[];
}

/** The share of `box`'s area that lies inside `region`. */
function insideShare(box: Box, region: Box): number {
  const a = area(box);
  return a > 0 ? intersectionArea(box, region) / a : 0;
}

/** `found` without the elements that lie at least half inside an ignore region and match no truth box at IoU ≥ 0.5. */
export function withoutIgnored<T extends { box: Box }>(found: readonly T[], truth: readonly { box: Box }[], ignore: readonly Box[] = []): T[] {
  if (ignore.length === 0) return [...found];
  return found.filter((f) => !ignore.some((r) => insideShare(f.box, r) >= 0.5) || truth.some((t) => iou(f.box, t.box) >= 0.5));
}

/** Greedy matching at `iouThreshold`: answers in descending score each take the unmatched truth of highest IoU. */
export function matchPairs(answer: readonly { box: Box; score: number }[], truth: readonly { box: Box }[], iouThreshold = 0.5): { answer: number; truth: number }[] {
  const order = answer.map((_, i) => i).sort((a, b) => answer[b]!.score - answer[a]!.score);
  const used = truth.map(() => false);
  const pairs: { answer: number; truth: number }[] = [];
  for (const a of order) {
    let best = -1;
    let bestIou = iouThreshold;
    for (let t = 0; t < truth.length; t++) {
      if (used[t]) continue;
      const v = iou(answer[a]!.box, truth[t]!.box);
      if (v >= bestIou && (best < 0 || v > bestIou)) {
        best = t;
        bestIou = v;
      }
    }
    if (best >= 0) {
      used[best] = true;
      pairs.push({ answer: a, truth: best });
    }
  }
  return pairs;
}

/** One truth element's click hit, strict (the same type) and at the UIA control type level. */
export interface ClickHit {
  strict: boolean;
  uia: boolean;
}

/**
 * For each truth element: does the answer hold an element of its type (`strict`), or of its UIA control type
 * (`uia`), whose click point lies inside its box? One pass over the answer gives both: a strict hit is a UIA hit.
 */
export function clickHits(answer: readonly AnswerElement[], truth: readonly TruthElement[]): ClickHit[] {
  return truth.map((t) => {
    let uia = false;
    for (const a of answer) {
      if (!pointInBox(a.click, t.box) || !sameUiaControl(a.type, t.type)) continue;
      if (a.type === t.type) return { strict: true, uia: true };
      uia = true;
    }
    return { strict: false, uia };
  });
}

/** Two types are the same UIA control (e.g. `button` and `icon_button` are both Button). */
export function sameUiaControl(a: string, b: string): boolean {
  return uiaControlTypeOf(a) === uiaControlTypeOf(b);
}

export interface TypeRow {
  n: number;
  /** truth elements matched by an answer element at IoU ≥ 0.5 */
  matched: number;
  /** matched with the right type */
  typeRight: number;
  clickHit: number;
  /** predicted type → count, on matched pairs */
  predicted: Record<string, number>;
}

export interface GroupSummary {
  images: number;
  elements: number;
  ap50: number;
  ap50_95: number;
  precision: number;
  recall: number;
  /** matched pairs and how many had the right type */
  pairs: number;
  typeTop1: number;
  clickHit: number;
  /** the same two at the level of the UIA control type (secondary; targets use the strict ones) */
  typeTop1Uia: number;
  clickHitUia: number;
  /**
   * the answer a bot gets (classified, elements judged not-a-control dropped, scores re-scored — docs/MODELS.md
   * "Background label") scored as detections: AP@0.5 over its scores, precision and recall of all its elements.
   * The figures above are the detector's alone (the low-threshold pass runs without the classifier).
   */
  answerAp50: number;
  answerPrecision: number;
  answerRecall: number;
  perType: Record<string, TypeRow>;
}

/** Every figure of one group of screenshots (an application, or all held-out / train apps of a family). */
export function summarise(records: readonly ImageRecord[], operatingThreshold: number): GroupSummary {
  const images: EvalImage[] = records.map((r) => ({
    detections: withoutIgnored(r.detections, r.truth, r.ignore).map((d) => ({ box: d.box, score: d.score, classId: 0 })),
    groundTruth: r.truth.map((t) => ({ box: t.box, classId: 0 })),
  }));
  const det = evaluateDetections(images, operatingThreshold);
  const ans = evaluateDetections(
    records.map((r, i) => ({ detections: withoutIgnored(r.answer, r.truth, r.ignore).map((a) => ({ box: a.box, score: a.score, classId: 0 })), groundTruth: images[i]!.groundTruth })),
    0,
    [0.5],
  );
  const perType: Record<string, TypeRow> = {};
  let pairs = 0;
  let right = 0;
  let rightUia = 0;
  let hits = 0;
  let hitsUia = 0;
  let elements = 0;
  for (const r of records) {
    const rows = r.truth.map((t) => (perType[t.type] ??= { n: 0, matched: 0, typeRight: 0, clickHit: 0, predicted: {} }));
    rows.forEach((row) => row.n++);
    elements += r.truth.length;
    for (const p of matchPairs(r.answer, r.truth)) {
      const t = r.truth[p.truth]!;
      const a = r.answer[p.answer]!;
      const row = rows[p.truth]!;
      row.matched++;
      row.predicted[a.type] = (row.predicted[a.type] ?? 0) + 1;
      pairs++;
      if (a.type === t.type) {
        right++;
        row.typeRight++;
      }
      if (sameUiaControl(a.type, t.type)) rightUia++;
    }
    clickHits(r.answer, r.truth).forEach((h, i) => {
      if (h.uia) hitsUia++;
      if (h.strict) {
        hits++;
        rows[i]!.clickHit++;
      }
    });
  }
  return {
    images: records.length,
    elements,
    ap50: det.mAP50,
    ap50_95: det.mAP50_95,
    precision: det.precision,
    recall: det.recall,
    pairs,
    typeTop1: pairs ? right / pairs : 0,
    clickHit: elements ? hits / elements : 0,
    typeTop1Uia: pairs ? rightUia / pairs : 0,
    clickHitUia: elements ? hitsUia / elements : 0,
    answerAp50: ans.mAP50,
    answerPrecision: ans.precision,
    answerRecall: ans.recall,
    perType: Object.fromEntries(Object.entries(perType).sort(([a], [b]) => a.localeCompare(b))),
  };
}

export interface FamilyGroups {
  family: string;
  /** app → its screenshots, apps sorted by id */
  heldout: Map<string, ImageRecord[]>;
  train: Map<string, ImageRecord[]>;
  fresh: Map<string, ImageRecord[]>;
}

/** Records grouped by family (sorted), then by split, then by application. Held-out, fresh and train never mix. */
export function groupByApp(records: readonly ImageRecord[]): FamilyGroups[] {
  const fams = new Map<string, FamilyGroups>();
  for (const r of records) {
    let f = fams.get(r.family);
    if (!f) fams.set(r.family, (f = { family: r.family, heldout: new Map(), train: new Map(), fresh: new Map() }));
    const bySplit = r.split === 'heldout' ? f.heldout : r.split === 'fresh' ? f.fresh : f.train;
    const list = bySplit.get(r.app);
    if (list) list.push(r);
    else bySplit.set(r.app, [r]);
  }
  const sortMap = (m: Map<string, ImageRecord[]>) => new Map([...m].sort(([a], [b]) => a.localeCompare(b)));
  return [...fams.values()].sort((a, b) => a.family.localeCompare(b.family)).map((f) => ({ family: f.family, heldout: sortMap(f.heldout), train: sortMap(f.train), fresh: sortMap(f.fresh) }));
}

/**
 * The split rule of issue 15 (order a family's app ids by hex sha256 ascending, the first ceil(0.3 · n) held out),
 * written once in scripts/dataset/lib/split.mjs, which the harvesters use; here to check the datasets' own split.
 */
export function expectedSplits(appIds: readonly string[]): Map<string, Split> {
  return splitByAppHash([...new Set(appIds)]) as Map<string, Split>;
}

/** Truth type → the type most often predicted for it on matched pairs (with its share), and the miss count. */
export function confusions(s: GroupSummary): { type: string; n: number; matched: number; top: string | null; topCount: number; typeRight: number }[] {
  return Object.entries(s.perType).map(([type, row]) => {
    const [top, topCount] = Object.entries(row.predicted).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [null, 0];
    return { type, n: row.n, matched: row.matched, top, topCount, typeRight: row.typeRight };
  });
}
