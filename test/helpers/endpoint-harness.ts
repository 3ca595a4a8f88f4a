/**
 * Test harness for the bot endpoint: a `BotServices` implementation over REAL onnxruntime sessions on the
 * fixture models, until the vision pipeline (src/agent/vision) and the agent core are wired in by the lead.
 *
 * What is real here and what is not:
 * - REAL: PNG decoding with sharp; screen capture with node-screenshots (under Xvfb); the element boxes,
 *   found by a connected-component scan of the decoded pixels (screen coordinates are exact, so tests can
 *   check them against what they drew); every score, type and embedding, computed by onnxruntime sessions
 *   on test/fixtures/models/tiny-a.onnx and tiny-b.onnx from features of the pixels; slow.onnx (~30 ms per
 *   run) for queue / timeout / cancel tests.
 * - NOT the product's model: the fixtures are affine maps, not a YOLO detector, so the types are only as
 *   meaningful as the features; near-text search needs OCR, which this harness does not have
 *   (it answers `not_supported`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EventEmitter } from 'node:events';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { ClassifyResult, DetectResult, ElementMatch, EmbedResult, ModelInfo, UiElement } from '../../src/common/bot-protocol.js';
import { AgentError } from '../../src/common/errors.js';
import { clickPoint, uiaControlTypeOf } from '../../src/common/element-types.js';
import type { AgentStatus } from '../../src/common/wire.js';
import type { BotServices, CallOptions, ServiceCropSource, ServiceImageSource } from '../../src/agent/endpoint/services.js';
import { createVisionBotServices } from '../../src/agent/endpoint/vision-services.js';
import { proximityScore, VisionPipeline } from '../../src/agent/vision/pipeline.js';
import { createOrtRunner } from '../../src/agent/vision/ort-runner.js';
import { createScreenCapturer } from '../../src/agent/vision/capture.js';
import type { VisionModelSpec } from '../../src/agent/vision/types.js';
import { PostprocessSchema, PreprocessSchema } from '../../src/common/wire.js';

const MODELS = resolve(import.meta.dirname, '..', 'fixtures', 'models');
export const HARNESS_LABELS = ['button', 'checkbox', 'textbox', 'label'] as const;

export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
  originX: number;
  originY: number;
}

function sha256File(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new AgentError('aborted');
}

export async function decodePng(png: Buffer, originX = 0, originY = 0): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(png, { limitInputPixels: 40_000_000 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, originX, originY };
  } catch (e) {
    throw new AgentError('bad_image', `the PNG could not be decoded: ${(e as Error).message}`);
  }
}

/** Screen capture under the test's Xvfb display (node-screenshots), RGBA → RGB. */
async function captureScreen(region?: { x: number; y: number; width: number; height: number }): Promise<RgbImage> {
  let mod: typeof import('node-screenshots');
  try {
    mod = await import('node-screenshots');
  } catch (e) {
    throw new AgentError('not_supported', `screen capture is not available: ${(e as Error).message}`);
  }
  let monitors: InstanceType<typeof mod.Monitor>[];
  let img: Awaited<ReturnType<InstanceType<typeof mod.Monitor>['captureImage']>>;
  let m: InstanceType<typeof mod.Monitor> | undefined;
  try {
    monitors = mod.Monitor.all();
    m = monitors.find((x) => x.isPrimary()) ?? monitors[0];
    if (!m) throw new Error('no monitor');
    img = await m.captureImage();
  } catch (e) {
    throw new AgentError('not_supported', `screen capture is not available here (${(e as Error).message})`);
  }
  let ox = m.x();
  let oy = m.y();
  if (region) {
    const x = Math.max(0, region.x - ox);
    const y = Math.max(0, region.y - oy);
    const w = Math.min(region.width, img.width - x);
    const h = Math.min(region.height, img.height - y);
    if (w <= 0 || h <= 0) throw new AgentError('invalid_params', 'the region lies outside the screen');
    img = await img.crop(x, y, w, h);
    ox += x;
    oy += y;
  }
  const rgba = await img.toRaw();
  const { data, info } = await sharp(rgba, { raw: { width: img.width, height: img.height, channels: 4 } }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, originX: ox, originY: oy };
}

/**
 * Connected components of "not background" on a 4×4-pixel cell grid (background = the top-left pixel's
 * colour). Returns boxes in image pixels.
 */
export function findBlobs(img: RgbImage, cell = 4, minCells = 2): [number, number, number, number][] {
  const { data, width, height } = img;
  const br = data[0]!, bg = data[1]!, bb = data[2]!;
  const gw = Math.ceil(width / cell), gh = Math.ceil(height / cell);
  const fg = new Uint8Array(gw * gh);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    const gy = ((y / cell) | 0) * gw;
    for (let x = 0; x < width; x++) {
      const i = row + x * 3;
      if (Math.abs(data[i]! - br) + Math.abs(data[i + 1]! - bg) + Math.abs(data[i + 2]! - bb) > 48) fg[gy + ((x / cell) | 0)] = 1;
    }
  }
  const seen = new Uint8Array(gw * gh);
  const boxes: [number, number, number, number][] = [];
  const stack: number[] = [];
  for (let s = 0; s < fg.length; s++) {
    if (!fg[s] || seen[s]) continue;
    let x1 = gw, y1 = gh, x2 = -1, y2 = -1, n = 0;
    stack.push(s);
    seen[s] = 1;
    while (stack.length) {
      const c = stack.pop()!;
      const cx = c % gw, cy = (c / gw) | 0;
      n++;
      if (cx < x1) x1 = cx;
      if (cy < y1) y1 = cy;
      if (cx > x2) x2 = cx;
      if (cy > y2) y2 = cy;
      for (const d of [c - 1, c + 1, c - gw, c + gw]) {
        if (d < 0 || d >= fg.length || seen[d] || !fg[d]) continue;
        if ((d === c - 1 && cx === 0) || (d === c + 1 && cx === gw - 1)) continue;
        seen[d] = 1;
        stack.push(d);
      }
    }
    if (n >= minCells) boxes.push([x1 * cell, y1 * cell, Math.min(width, (x2 + 1) * cell), Math.min(height, (y2 + 1) * cell)]);
  }
  return boxes;
}

/** [mean luma, fill ratio, aspect (w/(w+h)), mean saturation] of a box, all in 0..1 */
export function features(img: RgbImage, box: [number, number, number, number]): Float32Array {
  const [x1, y1, x2, y2] = box;
  const br = img.data[0]!, bg = img.data[1]!, bb = img.data[2]!;
  let luma = 0, fill = 0, sat = 0, n = 0;
  for (let y = y1; y < y2; y++) {
    for (let x = x1; x < x2; x++) {
      const i = (y * img.width + x) * 3;
      const r = img.data[i]!, g = img.data[i + 1]!, b = img.data[i + 2]!;
      luma += 0.299 * r + 0.587 * g + 0.114 * b;
      sat += Math.max(r, g, b) - Math.min(r, g, b);
      if (Math.abs(r - br) + Math.abs(g - bg) + Math.abs(b - bb) > 48) fill++;
      n++;
    }
  }
  const w = x2 - x1, h = y2 - y1;
  return Float32Array.from([luma / n / 255, fill / n, w / (w + h), sat / n / 255]);
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export interface HarnessOptions {
  /** run slow.onnx this many times (checking the abort signal between runs) in every detect */
  slowRuns?: number;
}

export class OnnxTestServices implements BotServices {
  readonly feedback: { id: string; kind: string; pngBytes: number }[] = [];
  private readonly events = new EventEmitter();
  private agentStatus: AgentStatus;
  /** how many detect calls actually ran to completion / were aborted mid-run (for cancel tests) */
  completedDetects = 0;
  abortedDetects = 0;

  private constructor(
    private readonly scorer: ort.InferenceSession,
    private readonly typer: ort.InferenceSession,
    private readonly slow: ort.InferenceSession,
    private readonly ids: { a: string; b: string },
    private readonly opts: HarnessOptions,
  ) {
    this.agentStatus = {
      agentId: 'endpoint-test-agent',
      online: true,
      ts: new Date().toISOString(),
      agentVersion: '0.1.0-test',
      roles: {
        detector: { state: 'active', modelId: ids.a, name: 'tiny-a', version: '1.0.0', provider: 'cpu', cohort: 'stable' },
        classifier: { state: 'active', modelId: ids.b, name: 'tiny-b', version: '1.0.0', provider: 'cpu', cohort: 'stable' },
      },
    };
  }

  static async create(opts: HarnessOptions = {}): Promise<OnnxTestServices> {
    const o: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 };
    const a = join(MODELS, 'tiny-a.onnx'), b = join(MODELS, 'tiny-b.onnx'), s = join(MODELS, 'slow.onnx');
    const [scorer, typer, slow] = await Promise.all([ort.InferenceSession.create(a, o), ort.InferenceSession.create(b, o), ort.InferenceSession.create(s, o)]);
    return new OnnxTestServices(scorer, typer, slow, { a: sha256File(a), b: sha256File(b) }, opts);
  }

  async dispose(): Promise<void> {
    this.events.removeAllListeners();
    await Promise.all([this.scorer.release(), this.typer.release(), this.slow.release()]);
  }

  /** drives a status change (as the agent core does on activation / rollback) */
  setDetectorState(state: AgentStatus['roles']['detector']): void {
    this.agentStatus = { ...this.agentStatus, ts: new Date().toISOString(), roles: { ...this.agentStatus.roles, detector: state } };
    this.events.emit('status', this.agentStatus);
  }

  private async run(session: ort.InferenceSession, f: Float32Array): Promise<Float32Array> {
    const out = await session.run({ x: new ort.Tensor('float32', f, [1, 4]) });
    return out.y!.data as Float32Array;
  }

  private async image(src: ServiceImageSource | ServiceCropSource): Promise<RgbImage> {
    switch (src.kind) {
      case 'png':
        return decodePng(src.png, 'originX' in src ? src.originX : 0, 'originY' in src ? src.originY : 0);
      case 'region':
        return captureScreen(src);
      default:
        return captureScreen();
    }
  }

  private async elements(img: RgbImage, signal: AbortSignal): Promise<UiElement[]> {
    const out: UiElement[] = [];
    for (const box of findBlobs(img)) {
      throwIfAborted(signal);
      const f = features(img, box);
      const y = await this.run(this.scorer, f); // tiny-a: y = 2x + 1
      const t = await this.run(this.typer, f); // tiny-b: y = 3x - 1
      const exps = Array.from(t, (v) => Math.exp(v));
      const sum = exps.reduce((a, b) => a + b, 0);
      let best = 0;
      for (let i = 1; i < exps.length; i++) if (exps[i]! > exps[best]!) best = i;
      const screenBox: [number, number, number, number] = [box[0] + img.originX, box[1] + img.originY, box[2] + img.originX, box[3] + img.originY];
      out.push({
        index: out.length,
        box: screenBox,
        score: sigmoid(y[1]! - 1 + (y[0]! - 1) / 4),
        type: HARNESS_LABELS[best]!,
        typeScore: exps[best]! / sum,
        label: HARNESS_LABELS[best]!,
        click: clickPoint(screenBox, HARNESS_LABELS[best]!),
        uiaControlType: uiaControlTypeOf(HARNESS_LABELS[best]!),
      });
    }
    return out;
  }

  async detect(req: Parameters<BotServices['detect']>[0], { signal }: CallOptions): Promise<DetectResult> {
    const t0 = performance.now();
    try {
      for (let i = 0; i < (this.opts.slowRuns ?? 0); i++) {
        throwIfAborted(signal);
        await this.slow.run({ x: new ort.Tensor('float32', new Float32Array(4).fill(0.5), [1, 4]) });
      }
      const img = await this.image(req.source);
      let els = await this.elements(img, signal);
      if (req.types) els = els.filter((e) => req.types!.includes(e.type));
      if (req.minScore !== undefined) els = els.filter((e) => e.score >= req.minScore!);
      els.sort((a, b) => b.score - a.score);
      if (req.maxResults) els = els.slice(0, req.maxResults);
      els = els.map((e, index) => ({ ...e, index }));
      this.completedDetects++;
      return {
        elements: els,
        frame: { x: img.originX, y: img.originY, width: img.width, height: img.height },
        modelId: this.ids.a,
        timings: { totalMs: performance.now() - t0 },
      };
    } catch (e) {
      if (signal.aborted) this.abortedDetects++;
      throw e;
    }
  }

  async classify(req: Parameters<BotServices['classify']>[0], { signal }: CallOptions): Promise<ClassifyResult> {
    const img = await this.image(req.source);
    throwIfAborted(signal);
    const t = await this.run(this.typer, features(img, [0, 0, img.width, img.height]));
    const exps = Array.from(t, (v) => Math.exp(v));
    const sum = exps.reduce((a, b) => a + b, 0);
    const labels = HARNESS_LABELS.map((label, i) => ({ label, type: label, score: exps[i]! / sum })).sort((a, b) => b.score - a.score);
    return { labels: labels.slice(0, req.topK ?? 5), modelId: this.ids.b };
  }

  private async vector(img: RgbImage, box: [number, number, number, number]): Promise<number[]> {
    const y = await this.run(this.scorer, features(img, box));
    const n = Math.hypot(...y) || 1;
    return Array.from(y, (v) => v / n);
  }

  async embed(req: Parameters<BotServices['embed']>[0], { signal }: CallOptions): Promise<EmbedResult> {
    const img = await this.image(req.source);
    throwIfAborted(signal);
    const vector = await this.vector(img, [0, 0, img.width, img.height]);
    return { vector, dims: vector.length, modelId: this.ids.a };
  }

  async findElement(req: Parameters<BotServices['findElement']>[0], { signal }: CallOptions): Promise<{ matches: ElementMatch[]; frame: DetectResult['frame'] }> {
    if (req.text !== undefined && !req.near) throw new AgentError('not_supported', 'near-text search needs an OCR model, and none is active');
    const img = await this.image(req.source);
    let els = await this.elements(img, signal);
    if (req.type) els = els.filter((e) => e.type === req.type);
    let matches: ElementMatch[];
    if (req.template) {
      const timg = await decodePng(req.template.png);
      const tv = await this.vector(timg, [0, 0, timg.width, timg.height]);
      matches = [];
      for (const e of els) {
        const b: [number, number, number, number] = [e.box[0] - img.originX, e.box[1] - img.originY, e.box[2] - img.originX, e.box[3] - img.originY];
        const v = await this.vector(img, b);
        const cos = v.reduce((s, x, i) => s + x * tv[i]!, 0);
        // size agreement keeps a same-looking but different-sized element below the right one
        const w = b[2] - b[0], h = b[3] - b[1];
        const sizeSim = Math.min(w, timg.width) / Math.max(w, timg.width) * (Math.min(h, timg.height) / Math.max(h, timg.height));
        matches.push({ box: e.box, score: Math.max(0, Math.min(1, cos * sizeSim)), type: e.type, click: e.click, uiaControlType: e.uiaControlType, by: req.type ? ['template', 'type'] : ['template'] });
      }
    } else if (req.near) {
      const label = req.near.box;
      matches = els.map((e) => ({ box: e.box, score: proximityScore(label, e.box), type: e.type, click: e.click, uiaControlType: e.uiaControlType, by: req.type ? ['near', 'type'] : ['near'] }));
    } else matches = els.map((e) => ({ box: e.box, score: e.score, type: e.type, click: e.click, uiaControlType: e.uiaControlType, by: ['type'] }));
    if (req.minScore !== undefined) matches = matches.filter((m) => m.score >= req.minScore!);
    matches.sort((a, b) => b.score - a.score);
    return { matches: matches.slice(0, req.maxResults ?? 10), frame: { x: img.originX, y: img.originY, width: img.width, height: img.height } };
  }

  status(): AgentStatus {
    return this.agentStatus;
  }

  modelsList(): ModelInfo[] {
    return [
      { role: 'detector', state: 'active', modelId: this.ids.a, name: 'tiny-a', version: '1.0.0', provider: 'cpu', labels: [...HARNESS_LABELS] },
      { role: 'classifier', state: 'active', modelId: this.ids.b, name: 'tiny-b', version: '1.0.0', provider: 'cpu', labels: [...HARNESS_LABELS] },
    ];
  }

  async submitFeedback(fb: Parameters<BotServices['submitFeedback']>[0]): Promise<{ id: string; stored: true }> {
    const id = `fb-${this.feedback.length + 1}`;
    this.feedback.push({ id, kind: fb.kind, pngBytes: fb.png?.length ?? 0 });
    return { id, stored: true };
  }

  onStatusChange(listener: (s: AgentStatus) => void): () => void {
    this.events.on('status', listener);
    return () => this.events.off('status', listener);
  }
}

/** A synthetic "screen": light background with coloured rectangles at known places. */
export async function drawScreen(
  width: number,
  height: number,
  rects: { x: number; y: number; w: number; h: number; color: string }[],
): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#f0f0f0"/>${rects
    .map((r) => `<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="${r.color}"/>`)
    .join('')}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

// ------------------------------------------------------------------------------------------------------
// The endpoint over the REAL vision pipeline (src/agent/vision) on real onnxruntime sessions over the vision
// fixture models (made by scripts/fixtures/make_yolo_fixture.py): detector-const-320 reports two fixed boxes
// (input px [60,90,100,110] score .92 and [170,135,230,165] score .75), classifier-mean and similarity-mean
// compute from the crop's pixels. What is NOT real: the agent core (status, models list, feedback outbox),
// which is a stub here until src/agent/agent.ts wires the endpoint in.

export const VISION_CLS_LABELS = ['button', 'text_input', 'checkbox_checked', 'checkbox_unchecked', 'radio_checked', 'radio_unchecked', 'dropdown', 'link', 'tab', 'menu_item', 'toggle_on', 'toggle_off', 'icon_button'];

export function visionFixtureSpecs(): Record<'detector' | 'classifier' | 'similarity', VisionModelSpec> {
  const crop = { expand: 0.1, minPad: 4, size: 64 };
  return {
    detector: {
      inputName: 'images',
      preprocess: PreprocessSchema.parse({ inputWidth: 320, inputHeight: 320 }),
      postprocess: PostprocessSchema.parse({ format: 'yolov8', scoreThreshold: 0.25, iouThreshold: 0.45 }),
      labels: ['element'],
      modelId: 'det-const',
    },
    classifier: { inputName: 'input', preprocess: PreprocessSchema.parse({ inputWidth: 64, inputHeight: 64, crop }), postprocess: PostprocessSchema.parse({ format: 'logits' }), labels: VISION_CLS_LABELS, modelId: 'cls-mean' },
    similarity: { inputName: 'input', preprocess: PreprocessSchema.parse({ inputWidth: 64, inputHeight: 64, crop }), postprocess: PostprocessSchema.parse({ format: 'l2-embedding' }), labels: [], modelId: 'sim-mean' },
  };
}

/** 640x640 page with blocks where detector-const-320 reports its boxes: green checkbox-ish, blue toggle-ish. */
export async function visionFixturePage(): Promise<Buffer> {
  const block = (w: number, h: number, c: { r: number; g: number; b: number }) => sharp({ create: { width: w, height: h, channels: 3, background: c } }).png().toBuffer();
  return sharp({ create: { width: 640, height: 640, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .composite([
      { input: await block(80, 40, { r: 0, g: 255, b: 0 }), left: 120, top: 180 },
      { input: await block(120, 60, { r: 0, g: 0, b: 255 }), left: 340, top: 270 },
    ])
    .png()
    .toBuffer();
}

export async function createVisionTestServices(): Promise<{ services: BotServices; pipeline: VisionPipeline; feedback: unknown[]; setDetectorState(state: AgentStatus['roles']['detector']): void; close(): Promise<void> }> {
  const ortRun = await createOrtRunner({ detector: join(MODELS, 'detector-const-320.onnx'), classifier: join(MODELS, 'classifier-mean.onnx'), similarity: join(MODELS, 'similarity-mean.onnx') }, { intraOpNumThreads: 1 });
  const specs = visionFixtureSpecs();
  let capturer: Awaited<ReturnType<typeof createScreenCapturer>> | undefined;
  if (process.env.DISPLAY) capturer = await createScreenCapturer().catch(() => undefined);
  // cache off: the tests and the bench compare fresh detections
  const pipeline = new VisionPipeline({ runner: ortRun.runner, specs: (r) => specs[r], cacheEntries: 0, ...(capturer ? { capturer } : {}) });
  const events = new EventEmitter();
  const feedback: unknown[] = [];
  let status: AgentStatus = {
    agentId: 'endpoint-vision-agent',
    online: true,
    ts: new Date().toISOString(),
    agentVersion: '0.1.0-test',
    roles: {
      detector: { state: 'active', modelId: undefined, name: 'detector-const-320', provider: 'cpu' },
      classifier: { state: 'active', name: 'classifier-mean', provider: 'cpu' },
      similarity: { state: 'active', name: 'similarity-mean', provider: 'cpu' },
    },
  };
  const services = createVisionBotServices({
    vision: pipeline,
    core: {
      status: () => status,
      modelsList: () =>
        (['detector', 'classifier', 'similarity'] as const).map((role) => ({ role, state: 'active' as const, name: specs[role].modelId, provider: 'cpu', labels: specs[role].labels })),
      submitFeedback: async (fb) => {
        feedback.push(fb);
        return { id: `fb-${feedback.length}`, stored: true as const };
      },
      onStatusChange: (l) => {
        events.on('status', l);
        return () => events.off('status', l);
      },
    },
  });
  return {
    services,
    pipeline,
    feedback,
    setDetectorState(state) {
      status = { ...status, ts: new Date().toISOString(), roles: { ...status.roles, detector: state } };
      events.emit('status', status);
    },
    async close() {
      pipeline.close();
      events.removeAllListeners();
      await ortRun.close();
    },
  };
}
