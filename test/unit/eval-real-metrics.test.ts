/**
 * The real-program metrics of `npm run eval` (scripts/eval/real-metrics.ts; issue 15 §4) on hand-computed cases:
 * type top-1 on matched pairs, click-hit, per-app grouping (held-out never mixed with train) and the split rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clickHits, confusions, expectedSplits, groupByApp, matchPairs, summarise, withoutIgnored, type AnswerElement, type ImageRecord, type TruthElement } from '../../scripts/eval/real-metrics.js';
import { buildRealReport, realTargetLines, renderRealApps } from '../../scripts/eval/real-report.js';

const truth: TruthElement[] = [
  { box: [0, 0, 100, 20], type: 'checkbox' },
  { box: [200, 0, 260, 30], type: 'button' },
  // a type the shipped classifier does not know: it can only be a miss
  { box: [0, 100, 300, 120], type: 'list_item' },
];
const answer: AnswerElement[] = [
  { box: [0, 0, 100, 20], score: 0.9, type: 'checkbox', click: { x: 10, y: 10 } },
  { box: [200, 0, 260, 30], score: 0.8, type: 'link', click: { x: 230, y: 15 } },
  { box: [0, 100, 300, 120], score: 0.7, type: 'menu_item', click: { x: 150, y: 110 } },
  // a false positive of the right type for the button, but its click is not in the button
  { box: [500, 500, 520, 520], score: 0.6, type: 'button', click: { x: 510, y: 510 } },
];
const rec = (family: string, app: string, split: 'train' | 'heldout' | 'fresh', t = truth, a = answer): ImageRecord => ({ family, app, split, truth: t, answer: a, detections: a.map((x) => ({ box: x.box, score: x.score })) });

test('matchPairs: greedy by score, each answer takes the unmatched truth of highest IoU ≥ 0.5', () => {
  assert.deepEqual(matchPairs(answer, truth), [{ answer: 0, truth: 0 }, { answer: 1, truth: 1 }, { answer: 2, truth: 2 }]);
  // two answers on one truth: the higher score takes it, the other is unmatched
  assert.deepEqual(matchPairs([{ box: [0, 0, 10, 10], score: 0.2 }, { box: [0, 0, 10, 9], score: 0.5 }], [{ box: [0, 0, 10, 10] }]), [{ answer: 1, truth: 0 }]);
  // IoU 0.45 is not a match
  assert.deepEqual(matchPairs([{ box: [0, 0, 9, 10], score: 1 }], [{ box: [0, 0, 20, 10] }]), []);
});

test('click-hit needs the right type AND the click inside the truth box, whatever the IoU', () => {
  const strict = (hits: { strict: boolean }[]) => hits.map((h) => h.strict);
  assert.deepEqual(strict(clickHits(answer, truth)), [true, false, false]);
  // matched (IoU 100/130) and of the right type, but the indicator click (30, 10) is left of the truth box
  assert.deepEqual(strict(clickHits([{ box: [20, 0, 150, 20], score: 1, type: 'checkbox', click: { x: 30, y: 10 } }], [{ box: [50, 0, 150, 20], type: 'checkbox' }])), [false]);
  // not matched (IoU 0.09) but a button whose click lands in the truth button: a bot clicking it succeeds
  assert.deepEqual(strict(clickHits([{ box: [0, 0, 30, 30], score: 1, type: 'button', click: { x: 15, y: 15 } }], [{ box: [0, 0, 100, 100], type: 'button' }])), [true]);
  // the same pass gives the UIA-level hit: an icon_button is a UIA Button, a link is not; a strict hit is a UIA hit
  assert.deepEqual(clickHits([{ box: [0, 0, 30, 30], score: 1, type: 'icon_button', click: { x: 15, y: 15 } }, { box: [0, 0, 30, 30], score: 1, type: 'link', click: { x: 20, y: 20 } }], [{ box: [0, 0, 100, 100], type: 'button' }, { box: [0, 0, 100, 100], type: 'icon_button' }, { box: [0, 0, 100, 100], type: 'checkbox' }]), [{ strict: false, uia: true }, { strict: true, uia: true }, { strict: false, uia: false }]);
});

test('summarise: AP, precision/recall at the threshold, type top-1 on matched pairs, click-hit, per type', () => {
  const s = summarise([rec('atspi', 'app-a', 'heldout')], 0.5);
  // detections 0.9 TP, 0.8 TP, 0.7 TP, 0.6 FP over 3 truths: recall 1 at precision 1 → AP 1 at every IoU (exact boxes)
  assert.equal(s.ap50, 1);
  assert.equal(s.ap50_95, 1);
  assert.equal(s.precision, 0.75);
  assert.equal(s.recall, 1);
  assert.equal(s.pairs, 3);
  assert.equal(s.typeTop1, 1 / 3);
  assert.equal(s.clickHit, 1 / 3);
  assert.deepEqual(s.perType.list_item, { n: 1, matched: 1, typeRight: 0, clickHit: 0, predicted: { menu_item: 1 } });
  assert.deepEqual(s.perType.checkbox, { n: 1, matched: 1, typeRight: 1, clickHit: 1, predicted: { checkbox: 1 } });
  // at threshold 0.75 only two answers count for precision/recall; type and click use the answer as given
  const hi = summarise([rec('atspi', 'app-a', 'heldout')], 0.75);
  assert.equal(hi.precision, 1);
  assert.equal(hi.recall, 2 / 3);
  assert.deepEqual(confusions(s).map((c) => [c.type, c.top, c.topCount]), [['button', 'link', 1], ['checkbox', 'checkbox', 1], ['list_item', 'menu_item', 1]]);
});

test('summarise: the answer scored as detections (answerAp50 / answerPrecision / answerRecall), apart from the detector figures', () => {
  // the answer dropped the false positive and one truth's element (a background label); the detector pass still has all four
  const kept = answer.filter((_, i) => i !== 3 && i !== 2);
  const r: ImageRecord = { ...rec('atspi', 'app-a', 'heldout'), answer: kept };
  const s = summarise([r], 0.5);
  assert.equal(s.precision, 0.75, 'detector precision unchanged');
  assert.equal(s.answerPrecision, 1);
  assert.equal(s.answerRecall, 2 / 3);
  // two TPs at the top over three truths: 101-point AP = 67 points at precision 1
  assert.ok(Math.abs(s.answerAp50 - 67 / 101) < 1e-12, String(s.answerAp50));
  const all = summarise([rec('atspi', 'app-a', 'heldout')], 0.5);
  assert.equal(all.answerPrecision, 0.75);
  assert.equal(all.answerAp50, 1);
});

test('ignore regions: an unmatched detection at least half inside one counts neither way; a matched one and the truth stay', () => {
  // the false positive at [500,500,520,520] lies in a custom-drawn grid the ground truth cannot give
  const grid: [number, number, number, number] = [490, 490, 600, 600];
  const s = summarise([{ ...rec('atspi', 'gucharmap', 'heldout'), ignore: [grid] }], 0.5);
  assert.equal(s.precision, 1, 'the detection in the grid is not a false positive');
  assert.equal(s.answerPrecision, 1);
  assert.equal(s.recall, 1);
  assert.equal(s.elements, 3, 'truth elements are never dropped');
  // only a quarter of it inside the region: still a false positive
  const quarter: [number, number, number, number] = [510, 510, 600, 600];
  assert.equal(summarise([{ ...rec('atspi', 'gucharmap', 'heldout'), ignore: [quarter] }], 0.5).precision, 0.75);
  // a region over a truth element: its matching detection still counts as right, a miss inside it is still a miss
  const overTruth: [number, number, number, number] = [0, 0, 300, 130];
  const onTruth = summarise([{ ...rec('atspi', 'a', 'heldout'), ignore: [overTruth] }], 0.5);
  assert.equal(onTruth.pairs, 3);
  assert.equal(onTruth.recall, 1);
  const missed = summarise([{ ...rec('atspi', 'a', 'heldout', truth, answer.slice(0, 2)), ignore: [overTruth] }], 0.5);
  assert.equal(missed.recall, 2 / 3);
  assert.deepEqual(withoutIgnored(answer, truth, []), answer, 'no region: nothing dropped');
});

test('summarise pools over images: a missed element lowers click-hit, not type top-1', () => {
  const missed = rec('atspi', 'app-a', 'heldout', [{ box: [0, 0, 10, 10], type: 'button' }], []);
  const s = summarise([rec('atspi', 'app-a', 'heldout'), missed], 0.5);
  assert.equal(s.images, 2);
  assert.equal(s.elements, 4);
  assert.equal(s.typeTop1, 1 / 3);
  assert.equal(s.clickHit, 1 / 4);
  assert.equal(s.recall, 3 / 4);
});

test('UIA-level figures: an icon_button answer for a button is one UIA Button (secondary figures only)', () => {
  const t: TruthElement[] = [{ box: [0, 0, 40, 40], type: 'button' }, { box: [100, 0, 200, 20], type: 'link' }];
  const a: AnswerElement[] = [
    { box: [0, 0, 40, 40], score: 0.9, type: 'icon_button', click: { x: 20, y: 20 } },
    { box: [100, 0, 200, 20], score: 0.8, type: 'tab', click: { x: 150, y: 10 } },
  ];
  const s = summarise([rec('wine', 'w', 'heldout', t, a)], 0.5);
  assert.equal(s.typeTop1, 0);
  assert.equal(s.clickHit, 0);
  // Button = Button; Hyperlink ≠ TabItem
  assert.equal(s.typeTop1Uia, 1 / 2);
  assert.equal(s.clickHitUia, 1 / 2);
});

test('groupByApp: by family, then split, then app, sorted; train never lands among held-out', () => {
  const g = groupByApp([rec('wine', 'w2', 'train'), rec('atspi', 'b', 'heldout'), rec('atspi', 'a', 'train'), rec('atspi', 'b', 'heldout'), rec('atspi', 'c', 'heldout'), rec('wine', 'w1', 'heldout')]);
  assert.deepEqual(g.map((f) => f.family), ['atspi', 'wine']);
  assert.deepEqual([...g[0]!.heldout].map(([app, rs]) => [app, rs.length]), [['b', 2], ['c', 1]]);
  assert.deepEqual([...g[0]!.train.keys()], ['a']);
  assert.deepEqual([...g[1]!.heldout.keys()], ['w1']);
  assert.deepEqual([...g[1]!.train.keys()], ['w2']);
  for (const f of g) for (const [, rs] of f.heldout) for (const r of rs) assert.equal(r.split, 'heldout');
});

test('groupByApp and the report: the fresh held-out set is its own group, never pooled with held-out or train', () => {
  const g = groupByApp([rec('atspi', 'f1', 'fresh'), rec('atspi', 'b', 'heldout'), rec('atspi', 'a', 'train'), rec('atspi', 'f0', 'fresh'), rec('atspi', 'f1', 'fresh')]);
  assert.deepEqual([...g[0]!.fresh].map(([app, rs]) => [app, rs.length]), [['f0', 1], ['f1', 2]]);
  assert.deepEqual([...g[0]!.heldout.keys()], ['b']);
  assert.deepEqual([...g[0]!.train.keys()], ['a']);
  const loaded = { samples: [], skipped: [], splitChecks: [{ family: 'atspi', source: 'apps list' as const, problems: [] }] };
  const recs = [rec('atspi', 'b', 'heldout'), rec('atspi', 'f0', 'fresh', [{ box: [0, 0, 10, 10], type: 'button' }], [])];
  const rep = buildRealReport('/d', loaded, recs, 0.5, [1], []);
  assert.equal(rep.families[0]!.fresh!.apps.map((a) => a.app).join(), 'f0');
  assert.equal(rep.families[0]!.fresh!.all!.recall, 0);
  assert.equal(rep.families[0]!.heldout.all!.recall, 1);
  // pooled (the selection rule's group since round 6): one summary over all boxes of both groups — b's 3 truths all
  // found, f0's one truth missed: recall 3/4, not the mean of 1 and 0
  assert.equal(rep.families[0]!.pooled!.recall, 0.75);
  assert.equal(rep.families[0]!.pooled!.elements, 4);
  const lines = realTargetLines(rep);
  assert.equal(lines.length, 3);
  assert.match(lines[1]!, /^- atspi, fresh held-out applications \(1\): AP@0.5 \*\*0.0 %/);
  assert.match(lines[2]!, /^- atspi, held-out and fresh applications pooled \(2\): AP@0.5/);
  const md = renderRealApps(rep).join('\n');
  assert.match(md, /\| `f0` \| fresh \|/);
  assert.match(md, /\| \*\*all fresh\*\* \| fresh \|/);
  assert.match(md, /\| \*\*held-out and fresh pooled\*\* \| both \| 2 \/ 4 \|/);
  // no fresh samples: the pooled group is the held-out one (and no pooled row or line is printed); no samples: none
  const heldOnly = buildRealReport('/d', loaded, [rec('atspi', 'b', 'heldout')], 0.5, [1], []);
  assert.deepEqual(heldOnly.families[0]!.pooled, heldOnly.families[0]!.heldout.all);
  assert.equal(realTargetLines(heldOnly).length, 1);
  assert.equal(buildRealReport('/d', loaded, [rec('atspi', 'a', 'train')], 0.5, [1], []).families[0]!.pooled, null);
  // a report written before the fresh set existed still renders
  const old = { ...rep, families: rep.families.map(({ fresh: _f, ...f }) => f) };
  assert.doesNotMatch(renderRealApps(old).join('\n'), /fresh \|/);
});

test('expectedSplits: ids ordered by hex sha256 ascending, the first ceil(0.3 n) held out', () => {
  // sha256: a ca97…, b 3e23…, c 2e7d…, d 18ac…, e 3f79…, f 252f…, g cd0a… → d f c b e a g; ceil(2.1) = 3
  const s = expectedSplits(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  assert.deepEqual([...s].filter(([, v]) => v === 'heldout').map(([k]) => k), ['d', 'f', 'c']);
  assert.equal(s.get('g'), 'train');
  // n = 10: exactly 3 (0.3 · 10 must not round up to 4)
  const ten = expectedSplits(Array.from({ length: 10 }, (_, i) => `app-${i}`));
  assert.equal([...ten.values()].filter((v) => v === 'heldout').length, 3);
  assert.equal(expectedSplits(['only']).get('only'), 'heldout');
});
