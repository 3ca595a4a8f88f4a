/** Box geometry and non-maximum suppression (DESIGN.md "Vision pipeline"). Boxes are [x1, y1, x2, y2]. */
export type Box = [number, number, number, number];

export function area(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = area(a) + area(b) - inter;
  return union <= 0 ? 0 : inter / union;
}

export function cxcywhToXyxy(cx: number, cy: number, w: number, h: number): Box {
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

/** Greedy NMS; per class unless `classAgnostic`. Returns indices of kept items, best first. */
export function nms(
  items: readonly { box: Box; score: number; classId: number }[],
  iouThreshold: number,
  maxDetections = 300,
  classAgnostic = false,
): number[] {
  const order = items.map((_, i) => i).sort((a, b) => items[b]!.score - items[a]!.score);
  const kept: number[] = [];
  const suppressed = new Uint8Array(items.length);
  for (const i of order) {
    if (suppressed[i]) continue;
    kept.push(i);
    if (kept.length >= maxDetections) break;
    for (const j of order) {
      if (suppressed[j] || j === i) continue;
      if (!classAgnostic && items[j]!.classId !== items[i]!.classId) continue;
      if (iou(items[i]!.box, items[j]!.box) > iouThreshold) suppressed[j] = 1;
    }
  }
  return kept;
}
