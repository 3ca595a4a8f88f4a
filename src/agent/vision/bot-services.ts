/**
 * The vision half of the bot endpoint's BotServices (src/agent/endpoint/services.ts), on top of a
 * VisionPipeline: detect, classify, findElement, embed, with results shaped as src/common/bot-protocol.ts
 * says. The composition root spreads this into its BotServices next to status/models/feedback.
 */
import type { ClassifyResult, DetectResult, ElementMatch, EmbedResult } from '../../common/bot-protocol.js';
import { AgentError } from '../../common/errors.js';
import type { BotServices } from '../endpoint/services.js';
import type { DetectResponse, VisionPipeline } from './pipeline.js';

export type VisionBotServices = Pick<BotServices, 'detect' | 'classify' | 'findElement' | 'embed'>;

/** Bounding rectangle of the captured frames, in screen pixels. */
function frameRect(r: DetectResponse): DetectResult['frame'] {
  if (r.frames.length === 0) return { x: 0, y: 0, width: 0, height: 0 };
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const f of r.frames) {
    x1 = Math.min(x1, f.x);
    y1 = Math.min(y1, f.y);
    x2 = Math.max(x2, f.x + f.width / f.pixelScale);
    y2 = Math.max(y2, f.y + f.height / f.pixelScale);
  }
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

export function visionBotServices(vp: VisionPipeline): VisionBotServices {
  return {
    async detect(req, opts) {
      const r = await vp.detect({ source: req.source, ...(req.types ? { types: req.types } : {}), ...(req.minScore !== undefined ? { minScore: req.minScore } : {}) }, opts);
      const elements = req.maxResults !== undefined ? r.elements.slice(0, req.maxResults) : r.elements;
      const modelId = vp.spec('detector')?.modelId;
      return { elements, frame: frameRect(r), ...(modelId ? { modelId } : {}), timings: r.timings };
    },

    async classify(req, opts): Promise<ClassifyResult> {
      const r = await vp.classifySource(req.source, opts);
      const modelId = vp.spec('classifier')?.modelId;
      const { labelToKind } = await import('./labels.js');
      return {
        labels: r.ranked.slice(0, req.topK ?? 5).map((l) => ({ label: l.label, type: labelToKind(l.label).type, score: clamp01(l.score) })),
        ...(modelId ? { modelId } : {}),
      };
    },

    async findElement(req, opts) {
      // "near text" needs the text's location; without an OCR model the agent cannot find it from a string
      // alone (docs/EVALUATION.md "Limits"). The pipeline's findElement takes `near: {box}` for callers that know it.
      if (req.text !== undefined && !req.template && !req.type) {
        throw new AgentError('not_supported', 'near-text search needs an OCR model, which is not installed; pass a template or a type');
      }
      const r = await vp.findElement(
        {
          source: req.source,
          ...(req.template ? { template: req.template.png } : {}),
          ...(req.type ? { type: req.type } : {}),
          ...(req.minScore !== undefined ? { minScore: req.minScore } : {}),
          limit: req.maxResults ?? 10,
        },
        opts,
      );
      const by: ElementMatch['by'] = [...(req.template ? (['template'] as const) : []), ...(req.type ? (['type'] as const) : [])];
      return { matches: r.candidates.map((c) => ({ box: c.element.box, score: clamp01(c.score), type: c.element.type, click: c.element.click, uiaControlType: c.element.uiaControlType, by })), frame: frameRect(r.detect) };
    },

    async embed(req, opts): Promise<EmbedResult> {
      const v = await vp.embedSource(req.source, opts);
      const modelId = vp.spec('similarity')?.modelId;
      return { vector: Array.from(v), dims: v.length, ...(modelId ? { modelId } : {}) };
    },
  };
}
