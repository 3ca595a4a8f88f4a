/**
 * Types shared by the vision pipeline (DESIGN.md "Vision pipeline"). Coordinates handed to bots are always
 * screen pixels ([x1, y1, x2, y2], virtual-desktop origin), never detector-input or CSS pixels.
 */
import type { Box } from '../../common/geometry.js';
import type { Point } from '../../common/element-types.js';
import type { Postprocess, Preprocess, Role } from '../../common/wire.js';

/**
 * The tensor shape the vision code exchanges with the inference host. An onnxruntime-node `Tensor` satisfies
 * it structurally, so the host can pass its own tensors through without copying.
 */
export interface VisionTensor {
  readonly type: string;
  readonly data: Float32Array | ArrayLike<number>;
  readonly dims: readonly number[];
}

/** Injected by the inference host (src/agent/inference): runs the live model of `role` on `feeds`. */
export type ModelRunner = (
  role: Role,
  feeds: Record<string, VisionTensor>,
  opts?: { signal?: AbortSignal },
) => Promise<Record<string, VisionTensor>>;

/** What the pipeline needs to know about the active model of a role: read from its manifest / metadata.json. */
export interface VisionModelSpec {
  inputName: string;
  /** the output to read; the first output when absent */
  outputName?: string;
  preprocess: Preprocess;
  postprocess: Postprocess;
  labels: string[];
  /** the active model's id (sha256); part of the frame-cache key so a swap never reuses an old result */
  modelId?: string;
}

/** Resolves the spec of the model currently active for a role (it changes on a hot swap). */
export type ModelSpecProvider = (role: Role) => VisionModelSpec | undefined;

/** An RGBA or RGB frame in memory with its place on the virtual desktop. */
export interface Frame {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
  /** screen position of pixel (0,0) of this frame, in screen pixels */
  originX: number;
  originY: number;
  /** captured pixels per screen pixel (1 unless the OS reports logical monitor sizes); screen = origin + px / pixelScale */
  pixelScale?: number;
}

export interface MonitorInfo {
  id: number;
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
  scaleFactor: number;
  rotation: number;
  isPrimary: boolean;
}

export type CaptureSource =
  | { kind: 'screen' }
  | { kind: 'monitor'; id?: number; index?: number }
  | { kind: 'region'; x: number; y: number; width: number; height: number }
  | { kind: 'png'; png: Buffer | Uint8Array; originX?: number; originY?: number }
  /** pixels already in memory (e.g. captured by Electron's desktopCapturer, or a benchmark) */
  | { kind: 'frame'; frame: Frame };

export interface Detection {
  /** screen pixels */
  box: Box;
  score: number;
  /** detector class (e.g. "element" for a class-agnostic detector) */
  detectorLabel: string;
  classId: number;
}

export interface UiElement {
  /** stable within one result: index into `elements` */
  index: number;
  box: Box;
  /** detector confidence */
  score: number;
  /** element type from the classifier (e.g. "checkbox"), or the detector label when no classifier ran */
  type: string;
  /** classifier top-1 probability */
  typeScore?: number;
  /** raw classifier label, e.g. "checkbox_checked" */
  label?: string;
  /** checkboxes, radios and toggles only */
  checked?: boolean;
  /** screen pixels of the monitor the element's centre lies on (DPI scale of that monitor) */
  monitorScale?: number;
  /** where a bot should click, screen pixels, inside `box` (src/common/element-types.ts clickPoint) */
  click: Point;
  /** UI Automation control type of `type` (src/common/element-types.ts) */
  uiaControlType: string;
}

export interface DetectResult {
  elements: UiElement[];
  frame: { x: number; y: number; width: number; height: number };
  monitors: MonitorInfo[];
  cached: boolean;
  timings: Record<string, number>;
}
