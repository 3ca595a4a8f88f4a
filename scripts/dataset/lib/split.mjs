// Issue 15's split by application, decided before any model sees the data: order a family's app ids by hex
// sha256(appId) ascending; the first ceil(0.3 * n) are "heldout", the rest "train".
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
