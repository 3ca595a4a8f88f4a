// Issue 15's split by application, decided before any model sees the data: order a family's app ids by hex
// sha256(appId) ascending; the first ceil(0.3 * n) are "heldout", the rest "train". Apps added later: splitOfList.
import { createHash } from 'node:crypto';

export const HELDOUT_SHARE = 0.3;

export function appHash(app) {
  return createHash('sha256').update(app, 'utf8').digest('hex');
}

/** Map app id -> 'train' | 'heldout' for one family's app ids (duplicates refused). */
export function splitByAppHash(apps) {
  if (new Set(apps).size !== apps.length) throw new Error('duplicate app id in one family');
  const ordered = [...apps].sort((a, b) => (appHash(a) < appHash(b) ? -1 : appHash(a) > appHash(b) ? 1 : 0));
  const heldout = Math.ceil(HELDOUT_SHARE * apps.length);
  return new Map(ordered.map((a, i) => [a, i < heldout ? 'heldout' : 'train']));
}

/** The share of a family's applications that must stay held out once applications are added after its split. */
export const MIN_HELDOUT_SHARE = 0.25;

/**
 * The split of a family's apps list [{app, addedAfterSplit?, fresh?}]. The sha256 rule above decides the applications
 * the family had when its split was decided; an application added later (field `addedAfterSplit`: the date it was
 * added) is always "train", so adding one never moves an existing application across the split (a model may
 * already have trained on it, or been measured on it). An application of the FRESH held-out set (field `fresh`: the
 * date it was added; docs/DATASET.md "Fresh held-out set") is "fresh": never trained or validated on, never used for a
 * decision, evaluated apart like a held-out one; it takes no part in the rule nor in the quarter below. An application
 * of a later BATCH (field `splitBatch`: the date the batch was added, round 7 on) is split by the same sha256 rule among
 * the applications of its own batch only (the first ceil(0.3 m) of the batch's m ids in hash order are "heldout"): no
 * application outside the batch moves, and the batch keeps the family above its quarter (added-after-split apps had
 * filled it: round 7's brief). Refuses a list whose held-out share (of its train and held-out applications) falls
 * below a quarter, and an entry marked two ways.
 */
export function splitOfList(entries) {
  if (new Set(entries.map((e) => e.app)).size !== entries.length) throw new Error('duplicate app id in one family');
  for (const e of entries) if (e.fresh && e.addedAfterSplit) throw new Error(`${e.app}: both fresh and addedAfterSplit`);
  for (const e of entries) {
    if (e.splitBatch && (e.fresh || e.addedAfterSplit)) throw new Error(`${e.app}: splitBatch with fresh or addedAfterSplit`);
  }
  const rule = splitByAppHash(entries.filter((e) => !e.addedAfterSplit && !e.fresh && !e.splitBatch).map((e) => e.app));
  for (const batch of new Set(entries.filter((e) => e.splitBatch).map((e) => e.splitBatch))) {
    for (const [app, s] of splitByAppHash(entries.filter((e) => e.splitBatch === batch).map((e) => e.app))) rule.set(app, s);
  }
  const split = new Map(entries.map((e) => [e.app, e.fresh ? 'fresh' : e.addedAfterSplit ? 'train' : rule.get(e.app)]));
  const held = [...split.values()].filter((s) => s === 'heldout').length;
  const judged = entries.filter((e) => !e.fresh).length;
  if (held < MIN_HELDOUT_SHARE * judged) {
    throw new Error(`only ${held} of ${judged} applications held out (at least a quarter must be)`);
  }
  return split;
}
