/** Box geometry and non-maximum suppression (DESIGN.md "Vision pipeline"). Boxes are [x1, y1, x2, y2]. */
export type Box = [number, number, number, number];

export function area(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** The area two boxes share. */
export function intersectionArea(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  return ix * iy;
}

export function iou(a: Box, b: Box): number {
  const inter = intersectionArea(a, b);
  const union = area(a) + area(b) - inter;
  return union <= 0 ? 0 : inter / union;
}

export function cxcywhToXyxy(cx: number, cy: number, w: number, h: number): Box {
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

/**
 * Greedy NMS; per class unless `classAgnostic`. Returns indices of kept items, best first.
 * Each kept box is only compared with the lower-scored boxes after it, with areas computed once, so a frame
 * with a few thousand candidates stays in the low milliseconds.
 */
export function nms(
  items: readonly { box: Box; score: number; classId: number }[],
  iouThreshold: number,
  maxDetections = 300,
  classAgnostic = false,
): number[] {
  const n = items.length;
  const order = items.map((_, i) => i).sort((a, b) => items[b]!.score - items[a]!.score);
  const x1 = new Float64Array(n);
  const y1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const y2 = new Float64Array(n);
  const ar = new Float64Array(n);
  const cls = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const it = items[order[k]!]!;
    x1[k] = it.box[0];
    y1[k] = it.box[1];
    x2[k] = it.box[2];
    y2[k] = it.box[3];
    ar[k] = area(it.box);
    cls[k] = it.classId;
  }
  const kept: number[] = [];
  const suppressed = new Uint8Array(n);
  for (let a = 0; a < n; a++) {
    if (suppressed[a]) continue;
    kept.push(order[a]!);
    if (kept.length >= maxDetections) break;
    for (let b = a + 1; b < n; b++) {
      if (suppressed[b]) continue;
      if (!classAgnostic && cls[b] !== cls[a]) continue;
      const ix = Math.min(x2[a]!, x2[b]!) - Math.max(x1[a]!, x1[b]!);
      if (ix <= 0) continue;
      const iy = Math.min(y2[a]!, y2[b]!) - Math.max(y1[a]!, y1[b]!);
      if (iy <= 0) continue;
      const inter = ix * iy;
      const union = ar[a]! + ar[b]! - inter;
      // same rule as iou(): a degenerate union counts as no overlap
      if (union > 0 && inter / union > iouThreshold) suppressed[b] = 1;
    }
  }
  return kept;
}
