/**
 * Detector output → elements of one frame (DESIGN.md "Vision pipeline"): YOLOv8 decode with the manifest's
 * thresholds, boxes mapped back through the letterbox to frame pixels (clamped) and to screen pixels, each with
 * its click point and UI Automation control type; and the classifier's answer applied to an element.
 */
import type { Box } from '../../common/geometry.js';
import { clickPoint, uiaControlTypeOf } from '../../common/element-types.js';
import type { LetterboxTransform } from './letterbox.js';
import type { ClassifyResult, ElementInFrame } from './pipeline-types.js';
import type { Frame, VisionModelSpec, VisionTensor } from './types.js';
import { decodeYolov8 } from './yolo.js';

export function elementsFromDetector(out: VisionTensor, det: VisionModelSpec, minScore: number, frame: Frame, tr: LetterboxTransform): ElementInFrame[] {
  const dets = decodeYolov8(out.data, out.dims, {
    scoreThreshold: minScore,
    iouThreshold: det.postprocess.iouThreshold ?? 0.45,
    maxDetections: det.postprocess.maxDetections ?? 300,
    numClasses: det.labels.length > 0 ? det.labels.length : undefined,
    // per-class NMS for a multi-class detector (the Ultralytics default); one class is the same either way
    classAgnosticNms: det.labels.length <= 1,
  });
  const s = frame.pixelScale ?? 1;
  return dets.map((d) => {
    // input pixels → frame pixels (clamped) → screen pixels
    const fx1 = clamp((d.box[0] - tr.left) / tr.scaleX, 0, frame.width);
    const fy1 = clamp((d.box[1] - tr.top) / tr.scaleY, 0, frame.height);
    const fx2 = clamp((d.box[2] - tr.left) / tr.scaleX, 0, frame.width);
    const fy2 = clamp((d.box[3] - tr.top) / tr.scaleY, 0, frame.height);
    const label = det.labels[d.classId] ?? String(d.classId);
    const box: Box = [frame.originX + fx1 / s, frame.originY + fy1 / s, frame.originX + fx2 / s, frame.originY + fy2 / s];
    return {
      frameBox: [fx1, fy1, fx2, fy2] as Box,
      box,
      score: d.score,
      type: label,
      ...(s !== 1 ? { monitorScale: s } : {}),
      // set again by applyClassification when the classifier names the type
      click: clickPoint(box, label),
      uiaControlType: uiaControlTypeOf(label),
    };
  });
}

/** The classifier's type (and checked state) replaces the detector's label; the click point follows the type. */
export function applyClassification(e: ElementInFrame, r: ClassifyResult): void {
  e.type = r.type;
  e.click = clickPoint(e.box, r.type);
  e.uiaControlType = uiaControlTypeOf(r.type);
  e.typeScore = r.score;
  e.label = r.label;
  if (r.checked !== undefined) e.checked = r.checked;
  e.ranked = r.ranked;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
