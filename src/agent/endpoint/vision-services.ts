/**
 * BotServices over the vision pipeline (src/agent/vision/pipeline.ts) and the agent core. The composition
 * root (src/agent/service.ts) builds it with:
 *
 *   createVisionBotServices({ vision: pipeline, core: { status, modelsList, submitFeedback, onStatusChange } })
 *
 * This file only translates between the bot protocol and the pipeline; every model decision is the
 * pipeline's. What the pipeline cannot do is answered with a coded error, never guessed.
 */
import type { ClassifyResult, DetectResult, ElementMatch, EmbedResult, FeedbackSubmitResult, ModelInfo, UiElement } from '../../common/bot-protocol.js';
import { AgentError } from '../../common/errors.js';
import type { AgentStatus } from '../../common/wire.js';
import type { Box } from '../../common/geometry.js';
import { labelToKind } from '../vision/labels.js';
import type { VisionPipeline } from '../vision/pipeline.js';
import type { CaptureSource } from '../vision/types.js';

type CropSource = Extract<CaptureSource, { kind: 'region' | 'png' }>;
import type { BotServices, ServiceCropSource, ServiceImageSource } from './services.js';

/** The part of the agent core the endpoint needs (status, models, feedback outbox). */
export interface EndpointCore {
  status(): AgentStatus;
  modelsList(): ModelInfo[];
  submitFeedback: BotServices['submitFeedback'];
  onStatusChange(listener: (s: AgentStatus) => void): () => void;
}

export interface VisionBotServicesDeps {
  /**
   * classifySource / embedSource take a crop as a screen `region` (captured through the pipeline's screen
   * capturer, the one detect uses, grown by the manifest's crop rule as in training) or as a PNG crop.
   * Without a capturer (no display) a region answers `not_supported`, with the advice to send a PNG.
   */
  vision: Pick<VisionPipeline, 'detect' | 'classifySource' | 'embedSource' | 'findElement' | 'spec'>;
  core: EndpointCore;
}

function toCapture(src: ServiceImageSource): CaptureSource {
  if (src.kind === 'png') return { kind: 'png', png: src.png, ...(src.originX !== undefined ? { originX: src.originX } : {}), ...(src.originY !== undefined ? { originY: src.originY } : {}) };
  return src;
}

function toCrop(src: ServiceCropSource): CropSource {
  if (src.kind === 'png') return { kind: 'png', png: src.png };
  return { kind: 'region', x: src.x, y: src.y, width: src.width, height: src.height };
}

function frameOf(frames: { x: number; y: number; width: number; height: number }[]): DetectResult['frame'] {
  if (frames.length === 0) return { x: 0, y: 0, width: 0, height: 0 };
  // several monitors: the rectangle that holds them all (virtual-desktop pixels)
  const x1 = Math.min(...frames.map((f) => f.x));
  const y1 = Math.min(...frames.map((f) => f.y));
  const x2 = Math.max(...frames.map((f) => f.x + f.width));
  const y2 = Math.max(...frames.map((f) => f.y + f.height));
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

function publicElement(e: UiElement, index: number): UiElement {
  return {
    index,
    box: e.box,
    score: clamp01(e.score),
    type: e.type,
    ...(e.typeScore !== undefined ? { typeScore: clamp01(e.typeScore) } : {}),
    ...(e.label !== undefined ? { label: e.label } : {}),
    ...(e.checked !== undefined ? { checked: e.checked } : {}),
    ...(e.monitorScale !== undefined ? { monitorScale: e.monitorScale } : {}),
    click: e.click,
    uiaControlType: e.uiaControlType,
  };
}

export function createVisionBotServices(deps: VisionBotServicesDeps): BotServices {
  const { vision, core } = deps;
  const modelIdOf = (role: 'detector' | 'classifier' | 'similarity') => {
    const id = vision.spec(role)?.modelId;
    return id ? { modelId: id } : {};
  };

  return {
    async detect(req, opts): Promise<DetectResult> {
      const r = await vision.detect(
        { source: toCapture(req.source), ...(req.types ? { types: req.types } : {}), ...(req.minScore !== undefined ? { minScore: req.minScore } : {}) },
        { signal: opts.signal },
      );
      let els = r.elements;
      if (req.maxResults !== undefined && els.length > req.maxResults) els = [...els].sort((a, b) => b.score - a.score).slice(0, req.maxResults);
      return { elements: els.map(publicElement), frame: frameOf(r.frames), ...modelIdOf('detector'), timings: r.timings };
    },

    async classify(req, opts): Promise<ClassifyResult> {
      const r = await vision.classifySource(toCrop(req.source), { signal: opts.signal });
      const labels = r.ranked.map((x) => ({ label: x.label, type: labelToKind(x.label).type, score: clamp01(x.score) }));
      return { labels: labels.slice(0, req.topK ?? labels.length), ...modelIdOf('classifier') };
    },

    async embed(req, opts): Promise<EmbedResult> {
      const v = await vision.embedSource(toCrop(req.source), { signal: opts.signal });
      return { vector: Array.from(v), dims: v.length, ...modelIdOf('similarity') };
    },

    async findElement(req, opts): Promise<{ matches: ElementMatch[]; frame: DetectResult['frame'] }> {
      if (req.text !== undefined && req.near === undefined && req.template === undefined && req.type === undefined)
        throw new AgentError('not_supported', 'the agent has no OCR model: locate the label yourself and pass near: { box } (or search by template or type)');
      const r = await vision.findElement(
        {
          source: toCapture(req.source),
          ...(req.template ? { template: req.template.png } : {}),
          ...(req.type ? { type: req.type } : {}),
          ...(req.typeMinScore !== undefined ? { typeMinScore: req.typeMinScore } : {}),
          ...(req.near ? { near: { box: req.near.box as Box, ...(req.near.text ?? req.text ? { text: req.near.text ?? req.text } : {}) } } : {}),
          ...(req.minScore !== undefined ? { minScore: req.minScore } : {}),
          ...(req.maxResults !== undefined ? { limit: req.maxResults } : {}),
        },
        { signal: opts.signal },
      );
      const by: ElementMatch['by'] = [...(req.template ? ['template' as const] : []), ...(req.type ? ['type' as const] : []), ...(req.near ? ['near' as const] : [])];
      return {
        matches: r.candidates.map((c) => ({ box: c.element.box, score: clamp01(c.score), type: c.element.type, click: c.element.click, uiaControlType: c.element.uiaControlType, by })),
        frame: frameOf(r.detect.frames),
      };
    },

    status: () => core.status(),
    modelsList: () => core.modelsList(),
    submitFeedback: (fb, opts): Promise<FeedbackSubmitResult> => core.submitFeedback(fb, opts),
    onStatusChange: (l) => core.onStatusChange(l),
  };
}
