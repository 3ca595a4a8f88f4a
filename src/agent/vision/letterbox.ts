/**
 * Letterbox geometry (DESIGN.md "Vision pipeline"; docs/MODELS.md preprocessing contract): the frame is scaled
 * by r = min(inW / w, inH / h), keeping its aspect ratio, to round(w·r) x round(h·r), and placed at
 * left = floor((inW − nw) / 2), top = floor((inH − nh) / 2) on a canvas filled with the pad value —
 * the Ultralytics / scripts/train/common.py `letterbox_params` rule, so train-time and run-time agree.
 * Pure: no node:* imports, so it can move to src/common if another side needs it.
 */
import type { Box } from '../../common/geometry.js';

export interface LetterboxTransform {
  /** detector input size */
  inputWidth: number;
  inputHeight: number;
  /** size of the resized frame inside the canvas */
  resizedWidth: number;
  resizedHeight: number;
  left: number;
  top: number;
  /** input pixels per frame pixel, per axis (equal when letterboxing) */
  scaleX: number;
  scaleY: number;
}

/** Python's round(): half to even, so sizes match the training recipe bit for bit. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function letterboxTransform(frameWidth: number, frameHeight: number, inputWidth: number, inputHeight: number, letterbox = true): LetterboxTransform {
  if (!letterbox) {
    // plain stretch: each axis scaled on its own, no padding
    return { inputWidth, inputHeight, resizedWidth: inputWidth, resizedHeight: inputHeight, left: 0, top: 0, scaleX: inputWidth / frameWidth, scaleY: inputHeight / frameHeight };
  }
  const r = Math.min(inputWidth / frameWidth, inputHeight / frameHeight);
  const resizedWidth = Math.max(1, Math.min(inputWidth, roundHalfEven(frameWidth * r)));
  const resizedHeight = Math.max(1, Math.min(inputHeight, roundHalfEven(frameHeight * r)));
  const left = Math.floor((inputWidth - resizedWidth) / 2);
  const top = Math.floor((inputHeight - resizedHeight) / 2);
  // r (not resizedWidth / frameWidth) is what the model saw the geometry through; the rounding of the size is < 1 px
  return { inputWidth, inputHeight, resizedWidth, resizedHeight, left, top, scaleX: r, scaleY: r };
}

/** Detector-input pixels → frame pixels (then + origin for screen pixels), clamped to the frame. */
export function inputBoxToFrame(b: Box, t: LetterboxTransform, frameWidth: number, frameHeight: number): Box {
  const x1 = (b[0] - t.left) / t.scaleX;
  const y1 = (b[1] - t.top) / t.scaleY;
  const x2 = (b[2] - t.left) / t.scaleX;
  const y2 = (b[3] - t.top) / t.scaleY;
  return [clamp(x1, 0, frameWidth), clamp(y1, 0, frameHeight), clamp(x2, 0, frameWidth), clamp(y2, 0, frameHeight)];
}

/** Frame pixels → detector-input pixels (used by tests and the evaluation). */
export function frameBoxToInput(b: Box, t: LetterboxTransform): Box {
  return [b[0] * t.scaleX + t.left, b[1] * t.scaleY + t.top, b[2] * t.scaleX + t.left, b[3] * t.scaleY + t.top];
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
