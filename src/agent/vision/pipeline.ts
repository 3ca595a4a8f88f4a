/**
 * VisionPipeline (DESIGN.md "Vision pipeline"): capture → letterbox → detector → NMS → crops → classifier
 * (one batched run) → elements in screen pixels; similarity embeddings on demand; a frame cache in front.
 * Models run through the injected ModelRunner (the inference host); what each model expects comes from the
 * injected ModelSpecProvider (its manifest), so a hot swap to a model with another input size or label set
 * needs no code change here.
 */
import type { Box } from '../../common/geometry.js';
import { AgentError, toAgentError } from '../../common/errors.js';
import type { Role } from '../../common/wire.js';
import { frameFromImage, type ScreenCapturer } from './capture.js';
import { classifierResults } from './classifier-output.js';
import { asPixels, cropBatch, cropBatchLength, cropMargin, wholeImageBatch, type PixelImage } from './crops.js';
import { rankCandidates } from './find.js';
import { TapCache } from './resample.js';
import { IdleRelease, VISION_IDLE_RELEASE_MS } from './idle-release.js';
import { systemTimers, type Timers } from '../../common/lifetime.js';
import { FrameCache } from './frame-cache.js';
import { blankResize, normalisationTables, preprocessFrame, PreprocessScratch } from './preprocess.js';
import { cosine, splitEmbeddings } from './similarity.js';
import type { ClassifyResult, DetectRequest, DetectResponse, FindCandidate, FindRequest, FrameEntry, VisionStats } from './pipeline-types.js';
import type { CaptureSource, Frame, ModelRunner, ModelSpecProvider, MonitorInfo, UiElement, VisionModelSpec, VisionTensor } from './types.js';
import { applyClassification, elementsFromDetector } from './detections.js';
import { backgroundThreshold, dropBackground } from './background.js';

export type { ClassifyResult, DetectRequest, DetectResponse, ElementWithCrop, FindCandidate, FindRequest, VisionStats } from './pipeline-types.js';
export { proximityScore } from './find.js';

export interface VisionPipelineDeps {
  runner: ModelRunner;
  specs: ModelSpecProvider;
  /** absent in headless tests that only pass PNGs */
  capturer?: ScreenCapturer;
  /** frame-cache entries (one per recent source); 0 disables the cache */
  cacheEntries?: number;
  /**
   * Crops per classifier run in detect (default CLASSIFY_CHUNK): each run goes to the inference host while the
   * next chunk is cut, so the JS crop work overlaps the model; Infinity classifies every element in one run.
   */
  classifyChunk?: number;
  now?: () => number;
  /** give the reusable buffers back after this long without a call (default VISION_IDLE_RELEASE_MS; 0 = keep them) */
  idleReleaseMs?: number;
  /** for the idle release (default the real ones) */
  timers?: Pick<Timers, 'setTimeout' | 'clearTimeout'>;
}

/**
 * One classifier run for all elements (docs/MODELS.md): with the SIMD crops (~8 ms for 127) little is left to overlap;
 * runs of 32 measured 1.14x, 1.06x, 0.96x and 1.05x one run's p50 (busy screen, docs/BENCHMARKS-vision.md).
 */
export const CLASSIFY_CHUNK = Infinity;

export class VisionPipeline {
  private readonly cache: FrameCache<FrameEntry> | null;
  private readonly now: () => number;
  private readonly calls = { detect: 0, classify: 0, embed: 0, findElement: 0 };
  private lastTimings: Record<string, number> = {};
  private closed = false;
  /** reused preprocessing buffers (leased per call) and normalisation tables per detector preprocess block */
  private readonly scratch = new PreprocessScratch();
  /** reused classifier batches of detect, keyed by length (a still screen gives the same count each call) */
  private readonly batches = new PreprocessScratch();
  private readonly tables = new WeakMap<object, ReturnType<typeof normalisationTables>>();
  /** crop resampling coefficients per (crop size, output size), shared by every crop batch */
  private taps = new TapCache();
  /** the buffers above go back after an idle spell (issue 17 §2) */
  private readonly idle: IdleRelease;

  constructor(private readonly deps: VisionPipelineDeps) {
    this.cache = deps.cacheEntries === 0 ? null : new FrameCache<FrameEntry>(deps.cacheEntries ?? 4);
    this.now = deps.now ?? (() => performance.now());
    this.idle = new IdleRelease(deps.idleReleaseMs ?? VISION_IDLE_RELEASE_MS, deps.timers ?? systemTimers, () => this.releaseBuffers());
  }

  /** Drops the reusable buffers and cached frames (made again by the next call): after an idle spell, and after the warm-up. */
  releaseBuffers(): void {
    this.scratch.clear();
    this.batches.clear();
    this.taps = new TapCache();
    this.cache?.clear();
  }

  /** bytes of preprocessing and crop buffers held for reuse right now */
  heldBufferBytes(): number {
    return this.scratch.heldBytes() + this.batches.heldBytes() + this.taps.heldBytes();
  }

  async detect(req: DetectRequest, opts: { signal?: AbortSignal } = {}): Promise<DetectResponse> {
    this.calls.detect++;
    this.idle.touch();
    const r = await this.detectFrames(req, opts);
    return r.response;
  }

  /** Classifies several element boxes (image pixels) of one image in ONE batched run, with the crop rule. */
  async classifyBoxes(png: Buffer | Uint8Array, boxes: readonly Box[], opts: { signal?: AbortSignal } = {}): Promise<ClassifyResult[]> {
    this.calls.classify++;
    this.idle.touch();
    if (boxes.length === 0) return [];
    const spec = this.requireSpec('classifier');
    const img = asPixels(await frameFromImage(png));
    return this.runClassifier(spec, cropBatch(img, boxes, spec.preprocess, this.taps), opts);
  }

  /** Embeds several element boxes (image pixels) of one image in one batched run, with the crop rule. */
  async embedBoxes(png: Buffer | Uint8Array, boxes: readonly Box[], opts: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    this.calls.embed++;
    this.idle.touch();
    if (boxes.length === 0) return [];
    const spec = this.requireSpec('similarity');
    const img = asPixels(await frameFromImage(png));
    return this.runEmbedding(spec, cropBatch(img, boxes, spec.preprocess, this.taps), opts);
  }

  /**
   * Classifies an element given as a screen region (the crop rule's margin is captured around it, as in
   * training) or as a PNG that already is the element's crop (stretched whole).
   */
  async classifySource(source: Extract<CaptureSource, { kind: 'region' | 'png' }>, opts: { signal?: AbortSignal } = {}): Promise<ClassifyResult> {
    this.calls.classify++;
    this.idle.touch();
    const spec = this.requireSpec('classifier');
    const { img, box } = await this.cropInput(source, spec, opts);
    const batch = box ? cropBatch(img, [box], spec.preprocess, this.taps) : wholeImageBatch(img, spec.preprocess, this.taps);
    return (await this.runClassifier(spec, batch, opts))[0]!;
  }

  /** Embedding of an element given as a screen region or a PNG crop (see classifySource). */
  async embedSource(source: Extract<CaptureSource, { kind: 'region' | 'png' }>, opts: { signal?: AbortSignal } = {}): Promise<Float32Array> {
    this.calls.embed++;
    this.idle.touch();
    const spec = this.requireSpec('similarity');
    const { img, box } = await this.cropInput(source, spec, opts);
    const batch = box ? cropBatch(img, [box], spec.preprocess, this.taps) : wholeImageBatch(img, spec.preprocess, this.taps);
    return (await this.runEmbedding(spec, batch, opts))[0]!;
  }

  /** The active model spec of a role (e.g. for its modelId), if any. */
  spec(role: Role): VisionModelSpec | undefined {
    return this.deps.specs(role);
  }

  /**
   * Ranked candidates for a template image, a type, and/or a label's location. Every criterion given must be
   * met by a candidate (a type mismatch excludes it); the score is the product of the component scores.
   */
  async findElement(q: FindRequest, opts: { signal?: AbortSignal } = {}): Promise<{ candidates: FindCandidate[]; detect: DetectResponse }> {
    this.calls.findElement++;
    this.idle.touch();
    if (!q.template && !q.type && !q.near) throw new AgentError('bad_argument', 'findElement needs a template, a type or a near label');
    const { response, frames, entries } = await this.detectFrames({ source: q.source, minScore: q.minScore, classify: true }, opts);
    const t0 = this.now();
    let templateVec: Float32Array | undefined;
    const sims = new Map<UiElement, number>();
    if (q.template) {
      const spec = this.requireSpec('similarity');
      templateVec = await this.embedTemplate(spec, q.template, opts);
      // embed every element's crop once per frame (cached with the frame), one batched run per frame
      let k = 0;
      for (let f = 0; f < frames.length; f++) {
        const entry = entries[f]!;
        const modelId = spec.modelId ?? 'unknown';
        if (!entry.embeddings || entry.embeddings.modelId !== modelId) {
          const vectors = entry.elements.length ? await this.runEmbedding(spec, cropBatch(asPixels(frames[f]!), entry.elements.map((e) => e.frameBox), spec.preprocess, this.taps), opts) : [];
          entry.embeddings = { modelId, vectors };
        }
        for (let i = 0; i < entry.elements.length; i++) {
          const el = response.elements[k + i];
          if (el) sims.set(el, cosine(templateVec, entry.embeddings.vectors[i]!));
        }
        k += entry.elements.length;
      }
    }
    // detectFrames ran without a type filter, so an element's index is its place across entries
    const inFrame = q.typeMinScore !== undefined ? entries.flatMap((e) => e.elements) : [];
    const candidates = rankCandidates(q, response.elements, templateVec ? sims : undefined, inFrame);
    this.lastTimings = { ...response.timings, find: this.now() - t0 };
    return { candidates: candidates.slice(0, q.limit ?? 10), detect: response };
  }

  stats(): VisionStats {
    const capture = this.deps.capturer?.captureStats?.();
    return { frameCache: this.cache?.stats() ?? { hits: 0, misses: 0, entries: 0 }, ...(capture ? { capture } : {}), calls: { ...this.calls }, lastTimings: { ...this.lastTimings } };
  }

  /** Frame-cache counters for one telemetry window (MetricsWindow.frameCache); zeroes them. */
  takeFrameCacheCounts(): { hits: number; misses: number } {
    return this.cache?.takeCounts() ?? { hits: 0, misses: 0 };
  }

  /**
   * Runs the JavaScript stages once on a blank frame (preprocess with the active detector's block, crops with
   * the classifier's): the first call of a process otherwise pays JIT compilation and fresh buffers (~30 ms of
   * preprocessing instead of ~8 ms, docs/BENCHMARKS.md), which would land on the first bot's detect. No model
   * runs and nothing is captured. Returns false when no detector is active yet.
   */
  async warmUp(size: { width: number; height: number } = { width: 1920, height: 1080 }): Promise<boolean> {
    const det = this.deps.specs('detector');
    if (!det || this.closed) return false;
    const frame: Frame = { data: Buffer.alloc(size.width * size.height * 4), width: size.width, height: size.height, channels: 4, originX: 0, originY: 0 };
    // a blank resize: libvips is loaded by the first real image, not here (sharp-lazy.ts, issue 17 §2)
    const input = await preprocessFrame(frame, det.preprocess, this.tablesFor(det.preprocess), this.scratch, blankResize);
    input.release();
    // the code is compiled now; its buffers (~25 MB at 1920×1080) are not kept for a bot that may never come
    this.idle.touch();
    const cls = this.deps.specs('classifier');
    // a wide and a square box inside the frame, whatever its size
    const w = size.width;
    const h = size.height;
    if (cls) cropBatch(asPixels(frame), [[0, 0, Math.min(120, w), Math.min(32, h)], [0, 0, Math.min(24, w), Math.min(24, h)]], cls.preprocess, this.taps);
    return true;
  }

  close(): void {
    this.closed = true;
    this.idle.dispose();
    this.cache?.clear();
    this.scratch.clear();
    this.batches.clear();
  }

  // ---- internals -------------------------------------------------------------------------------------

  /** Normalisation tables of a detector preprocess block, made once per block. */
  private tablesFor(p: VisionModelSpec['preprocess']): ReturnType<typeof normalisationTables> {
    let tables = this.tables.get(p);
    if (!tables) this.tables.set(p, (tables = normalisationTables(p)));
    return tables;
  }

  private requireSpec(role: Role): VisionModelSpec {
    const s = this.deps.specs(role);
    if (!s) throw new AgentError('no_model', `no ${role} model is active`);
    return s;
  }

  /** For a region: captures it grown by the crop rule's margin (the largest view's) and returns the element box inside that frame. */
  private async cropInput(source: Extract<CaptureSource, { kind: 'region' | 'png' }>, spec: VisionModelSpec, opts: { signal?: AbortSignal }): Promise<{ img: PixelImage; box?: Box }> {
    if (source.kind === 'png') return { img: asPixels(await frameFromImage(source.png)) };
    if (!this.deps.capturer) throw new AgentError('not_supported', 'screen capture is not available here; send a PNG');
    // with views, the widest view's margin, so every view's crop lies inside the captured frame
    const [px, py] = cropMargin(source.width, source.height, spec.preprocess);
    const grown = { kind: 'region' as const, x: source.x - px, y: source.y - py, width: source.width + 2 * px, height: source.height + 2 * py };
    const [f] = await this.deps.capturer.capture(grown, opts);
    if (!f) throw new AgentError('not_found', 'the region is on no monitor');
    const s = f.pixelScale ?? 1;
    const box: Box = [(source.x - f.originX) * s, (source.y - f.originY) * s, (source.x + source.width - f.originX) * s, (source.y + source.height - f.originY) * s];
    return { img: asPixels(f), box };
  }

  private async frames(source: CaptureSource, opts: { signal?: AbortSignal }): Promise<{ frames: Frame[]; monitors: MonitorInfo[]; monitorIds: (number | undefined)[] }> {
    if (source.kind === 'png') {
      const f = await frameFromImage(source.png, source.originX ?? 0, source.originY ?? 0);
      return { frames: [f], monitors: [], monitorIds: [undefined] };
    }
    if (source.kind === 'frame') return { frames: [source.frame], monitors: [], monitorIds: [undefined] };
    if (!this.deps.capturer) throw new AgentError('not_supported', 'screen capture is not available here; send a PNG');
    const captured = await this.deps.capturer.capture(source, opts);
    return { frames: captured, monitors: this.deps.capturer.monitors(), monitorIds: captured.map((c) => c.monitor.id) };
  }

  private async detectFrames(req: DetectRequest, opts: { signal?: AbortSignal }): Promise<{ response: DetectResponse; frames: Frame[]; entries: FrameEntry[] }> {
    if (this.closed) throw new AgentError('aborted', 'the vision pipeline is closed');
    const tStart = this.now();
    const timings: Record<string, number> = {};
    const det = this.requireSpec('detector');
    const cls = req.classify === false ? undefined : this.deps.specs('classifier');
    const { frames, monitors, monitorIds } = await this.frames(req.source, opts);
    timings.capture = this.now() - tStart;
    const minScore = req.minScore ?? det.postprocess.scoreThreshold ?? 0.25;
    // the cache key names everything that shapes the result except the pixels
    const keyBase = `${det.modelId ?? ''}|${cls?.modelId ?? (cls ? 'cls' : '-')}|${minScore}`;
    const entries: FrameEntry[] = [];
    let allCached = true;
    for (let f = 0; f < frames.length; f++) {
      opts.signal?.throwIfAborted();
      const frame = frames[f]!;
      const key = `${keyBase}|${frame.originX},${frame.originY},${frame.width}x${frame.height}`;
      const tHash = this.now();
      const hit = this.cache?.get(key, frame.data, frame.width, frame.height);
      timings.cacheLookup = (timings.cacheLookup ?? 0) + (this.now() - tHash);
      if (hit?.value) {
        entries.push(hit.value);
        continue;
      }
      allCached = false;
      const entry = await this.detectOne(frame, det, cls, minScore, timings, opts);
      if (this.cache && hit) this.cache.set(key, frame.data, hit.hash, entry);
      entries.push(entry);
    }
    const elements: UiElement[] = [];
    entries.forEach((e) => {
      for (const el of e.elements) {
        const { frameBox: _fb, ranked: _r, ...pub } = el;
        elements.push({ ...pub, index: elements.length });
      }
    });
    const typeSet = req.types && req.types.length ? new Set(req.types) : null;
    const visible = typeSet ? elements.filter((e) => typeSet.has(e.type)).map((e, i) => ({ ...e, index: i })) : elements;
    timings.total = this.now() - tStart;
    this.lastTimings = timings;
    const response: DetectResponse = {
      elements: visible,
      frames: frames.map((f, i) => ({ x: f.originX, y: f.originY, width: f.width, height: f.height, pixelScale: f.pixelScale ?? 1, ...(monitorIds[i] !== undefined ? { monitorId: monitorIds[i] } : {}) })),
      monitors,
      cached: allCached,
      timings,
    };
    // findElement calls this without `types`, so its elements line up with `entries` frame by frame
    return { response, frames, entries };
  }

  private async detectOne(frame: Frame, det: VisionModelSpec, cls: VisionModelSpec | undefined, minScore: number, timings: Record<string, number>, opts: { signal?: AbortSignal }): Promise<FrameEntry> {
    let t = this.now();
    const input = await preprocessFrame(frame, det.preprocess, this.tablesFor(det.preprocess), this.scratch);
    timings.preprocess = (timings.preprocess ?? 0) + (this.now() - t);
    t = this.now();
    let out: VisionTensor;
    try {
      out = await this.run('detector', det, { data: input.data, dims: input.dims }, opts);
    } finally {
      // back to the pool unless the runner took the buffer over (then it is detached and dropped)
      input.release();
    }
    timings.detector = (timings.detector ?? 0) + (this.now() - t);
    t = this.now();
    const elements = elementsFromDetector(out, det, minScore, frame, input.transform);
    timings.decode = (timings.decode ?? 0) + (this.now() - t);
    if (cls && elements.length > 0) {
      const results = await this.classifyInChunks(asPixels(frame), elements.map((e) => e.frameBox), cls, timings, opts);
      elements.forEach((e, i) => applyClassification(e, results[i]!));
      // not-a-control elements leave the answer, the rest are re-scored (background.ts)
      return { elements: dropBackground(elements, results, backgroundThreshold(cls)) };
    }
    return { elements };
  }

  /**
   * Classifies `boxes` of one image in runs of `classifyChunk` crops: chunk k+1 is cut while the model runs on
   * chunk k. timings.crops gets the JS crop time, timings.classifier the time spent waiting for the model
   * beyond it (so the two still add up to the stage's wall time).
   */
  private async classifyInChunks(img: PixelImage, boxes: readonly Box[], cls: VisionModelSpec, timings: Record<string, number>, opts: { signal?: AbortSignal }): Promise<ClassifyResult[]> {
    const chunk = Math.max(1, this.deps.classifyChunk ?? CLASSIFY_CHUNK);
    const tStart = this.now();
    let cropMs = 0;
    const results: ClassifyResult[] = [];
    let inFlight: Promise<ClassifyResult[]> | undefined;
    try {
      for (let k = 0; k < boxes.length; k += chunk) {
        const t = this.now();
        const part = boxes.slice(k, k + chunk);
        // a past call's batch of this length is written over (no 6 MB allocation); a transferred one is dropped
        const key = `crops|${part.length}`;
        const lease = this.batches.takeInput(key, cropBatchLength(part.length, cls.preprocess));
        const batch = cropBatch(img, part, cls.preprocess, this.taps, lease.data);
        cropMs += this.now() - t;
        if (inFlight) results.push(...(await inFlight));
        opts.signal?.throwIfAborted();
        inFlight = this.runClassifier(cls, batch, opts).finally(() => this.batches.giveInput(key, lease.data));
      }
      if (inFlight) results.push(...(await inFlight));
    } catch (e) {
      // a run still in flight when the cutting failed: its outcome no longer matters
      inFlight?.catch(() => undefined);
      throw e;
    }
    timings.crops = (timings.crops ?? 0) + cropMs;
    timings.classifier = (timings.classifier ?? 0) + (this.now() - tStart - cropMs);
    return results;
  }

  private async run(role: Role, spec: VisionModelSpec, t: { data: Float32Array; dims: readonly number[] }, opts: { signal?: AbortSignal }): Promise<VisionTensor> {
    let outs: Record<string, VisionTensor>;
    try {
      outs = await this.deps.runner(role, { [spec.inputName]: { type: 'float32', data: t.data, dims: t.dims } }, opts);
    } catch (e) {
      throw toAgentError(e);
    }
    const out = spec.outputName ? outs[spec.outputName] : Object.values(outs)[0];
    if (!out) throw new AgentError('contract_mismatch', `${role} returned no output${spec.outputName ? ` named ${spec.outputName}` : ''}`);
    return out;
  }

  private async runClassifier(spec: VisionModelSpec, batch: { data: Float32Array; dims: readonly number[] }, opts: { signal?: AbortSignal }): Promise<ClassifyResult[]> {
    return classifierResults(spec, await this.run('classifier', spec, batch, opts), batch.dims[0]!);
  }

  private async runEmbedding(spec: VisionModelSpec, batch: { data: Float32Array; dims: readonly number[] }, opts: { signal?: AbortSignal }): Promise<Float32Array[]> {
    const out = await this.run('similarity', spec, batch, opts);
    return splitEmbeddings(out.data, out.dims);
  }

  private async embedTemplate(spec: VisionModelSpec, png: Buffer | Uint8Array, opts: { signal?: AbortSignal }): Promise<Float32Array> {
    const [v] = await this.runEmbedding(spec, wholeImageBatch(asPixels(await frameFromImage(png)), spec.preprocess, this.taps), opts);
    return v!;
  }
}
