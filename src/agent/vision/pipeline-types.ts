/**
 * The request and result shapes of the VisionPipeline (pipeline.ts), and the per-frame entry it caches.
 */
import type { Box } from '../../common/geometry.js';
import type { CaptureStats } from './capture.js';
import type { CaptureSource, MonitorInfo, UiElement } from './types.js';

export interface DetectRequest {
  source: CaptureSource;
  /** keep only these element types (after classification) */
  types?: readonly string[];
  /** detector score threshold for this call; the manifest's otherwise */
  minScore?: number;
  /** run the classifier on the detections (default true when a classifier is active) */
  classify?: boolean;
}

export interface ElementWithCrop extends UiElement {
  /** frame index in the result and the box in that frame's pixels (for crops) */
  frameIndex: number;
}

export interface DetectResponse {
  elements: UiElement[];
  frames: { x: number; y: number; width: number; height: number; pixelScale: number; monitorId?: number }[];
  monitors: MonitorInfo[];
  cached: boolean;
  timings: Record<string, number>;
}

export interface ClassifyResult {
  type: string;
  checked?: boolean;
  label: string;
  score: number;
  /** every label with its probability, best first (a `background` label left out, the others renormalised) */
  ranked: { label: string; score: number }[];
  /** p(background) when the classifier has that label (docs/MODELS.md "Background label"); absent otherwise */
  background?: number;
}

export interface FindRequest {
  source: CaptureSource;
  /** an image of the element to find (PNG): ranked by cosine similarity of embeddings */
  template?: Buffer | Uint8Array;
  /** element type (classifier type, e.g. "checkbox") */
  type?: string;
  /**
   * With `type`: an element also matches when the classifier gives `type` at least this probability (summed
   * over its states) though another type ranks first; its type score is then that probability. Absent: only
   * elements whose top-ranked type is `type`.
   */
  typeMinScore?: number;
  /**
   * "Near text": the bot found a text label (by its own OCR or accessibility API — the agent has no OCR
   * model) and passes the label's box in screen pixels. Candidates are ranked by how well they sit where a
   * form field belongs relative to its label: to the right on the same row, or just below, best.
   */
  near?: { text?: string; box: Box };
  minScore?: number;
  limit?: number;
}

export interface FindCandidate {
  element: UiElement;
  /** combined score in 0..1, higher is better */
  score: number;
  /** component scores that made it */
  scores: { similarity?: number; proximity?: number; type?: number; detector: number };
}

export interface VisionStats {
  frameCache: { hits: number; misses: number; entries: number };
  /** screen grabs vs frames reused on the change signal (absent without a capturer) */
  capture?: CaptureStats;
  calls: { detect: number; classify: number; embed: number; findElement: number };
  lastTimings: Record<string, number>;
}

export interface FrameEntry {
  elements: ElementInFrame[];
  /** similarity embeddings of the elements' crops, computed on first findElement */
  embeddings?: { modelId: string; vectors: Float32Array[] };
}

export interface ElementInFrame extends Omit<UiElement, 'index'> {
  /** box in frame pixels (crop coordinates) */
  frameBox: Box;
  /** every classifier label with its probability (ClassifyResult.ranked), for findElement's typeMinScore; never sent to bots */
  ranked?: ClassifyResult['ranked'];
}
