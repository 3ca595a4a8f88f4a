/**
 * The bot endpoint's method table (issue 18 §5; CONVENTIONS "one typed contract per boundary", like
 * src/common/bridge.ts): method → params schema (BotMethods in src/common/bot-protocol.ts) → handler.
 * A handler receives the params as its schema parsed them and must return its method's result type, so
 * the wire contract and the code cannot drift apart. The server (server.ts) does the parsing, the rate
 * limits, the queue, timeouts and cancellation; a handler only turns typed params into a service call.
 */
import type { z } from 'zod';
import { BotMethods, type BotMethod, type BotResult, type CropSource, type ImageSource, type StatusResult } from '../../common/bot-protocol.js';
import type { AgentStatus } from '../../common/wire.js';
import { decodedBytes } from './image-budget.js';
import type { SubscriptionTopic } from './connection.js';
import { checkPngBase64, type PngLimits } from './png.js';
import type { BotServices, ServiceCropSource, ServiceImageSource } from './services.js';

/** Methods served after the handshake (hello and authenticate belong to the handshake itself). */
export type ServedMethod = Exclude<BotMethod, 'hello' | 'authenticate'>;
/** detect / classify / findElement / embed: rate-limited apart, image-budgeted, queued with a timeout */
export type HeavyMethod = { [M in ServedMethod]: (typeof BotMethods)[M]['heavy'] extends true ? M : never }[ServedMethod];
export type LightMethod = Exclude<ServedMethod, HeavyMethod>;
/** A method's params as its zod schema parsed them. */
export type ParsedParams<M extends BotMethod> = z.output<(typeof BotMethods)[M]['params']>;

export const SERVED_METHODS = (Object.keys(BotMethods) as BotMethod[]).filter((m): m is ServedMethod => m !== 'hello' && m !== 'authenticate');

export function isServedMethod(m: string): m is ServedMethod {
  return (SERVED_METHODS as readonly string[]).includes(m);
}
export function isHeavyMethod(m: ServedMethod): m is HeavyMethod {
  return BotMethods[m].heavy;
}

export type ParseOutcome<M extends BotMethod> = { ok: true; params: ParsedParams<M> } | { ok: false; error: z.ZodError };

/** Parses `raw` with method M's schema. The one cast: zod's safeParse on a union of schemas loses M. */
export function parseParams<M extends BotMethod>(method: M, raw: unknown): ParseOutcome<M> {
  const r = BotMethods[method].params.safeParse(raw);
  return r.success ? { ok: true, params: r.data as ParsedParams<M> } : { ok: false, error: r.error };
}

// --------------------------------------------------------------------------------------- light methods

/** What a light method may use: the services and its own connection's subscriptions. */
export interface LightContext {
  services: BotServices;
  limits: PngLimits;
  subscriptions: Set<SubscriptionTopic>;
  uptimeMs(): number;
  statusResult(agent: AgentStatus): StatusResult;
}
export type LightHandler<M extends LightMethod> = (ctx: LightContext, params: ParsedParams<M>) => BotResult<M> | Promise<BotResult<M>>;

export const lightHandlers: { [M in LightMethod]: LightHandler<M> } = {
  health: (ctx) => ({ ok: true, uptimeMs: Math.round(ctx.uptimeMs()) }),
  status: (ctx) => ctx.statusResult(ctx.services.status()),
  'models.list': (ctx) => ({ models: ctx.services.modelsList() }),
  'feedback.submit': (ctx, { png, ...rest }) => {
    const image = png !== undefined ? checkPngBase64(png, ctx.limits, 'feedback').png : undefined;
    const ac = new AbortController();
    return ctx.services.submitFeedback({ ...rest, ...(image ? { png: image } : {}) }, { signal: ac.signal });
  },
  subscribe: (ctx, { topics }) => {
    for (const t of topics) ctx.subscriptions.add(t);
    return { subscribed: [...ctx.subscriptions] };
  },
  unsubscribe: (ctx, { topics }) => {
    for (const t of topics) ctx.subscriptions.delete(t);
    return { subscribed: [...ctx.subscriptions] };
  },
};

/** Runs light method M (typed through the table, no cast). */
export function runLight<M extends LightMethod>(method: M, ctx: LightContext, params: ParsedParams<M>): BotResult<M> | Promise<BotResult<M>> {
  const handler: LightHandler<M> = lightHandlers[method];
  return handler(ctx, params);
}

// --------------------------------------------------------------------------------------- heavy methods

/** What a heavy method may use: the services and the image checks, which count the declared decoded bytes. */
export interface HeavyContext {
  services: BotServices;
  /** checks a PNG source before any decoding (size, signature, header) and counts it against the image budget */
  image(src: ImageSource): ServiceImageSource;
  crop(src: CropSource, what?: string): ServiceCropSource;
}
/** Checks the params now (a coded error is thrown, answered at once); returns the run the queue will start. */
export type HeavyHandler<M extends HeavyMethod> = (ctx: HeavyContext, params: Omit<ParsedParams<M>, 'timeoutMs'>) => (signal: AbortSignal) => Promise<BotResult<M>>;

export const heavyHandlers: { [M in HeavyMethod]: HeavyHandler<M> } = {
  detect: (ctx, p) => {
    const source = ctx.image(p.source);
    return (signal) => ctx.services.detect({ ...p, source }, { signal });
  },
  findElement: (ctx, p) => {
    const source = ctx.image(p.source);
    const template = p.template !== undefined ? ctx.crop({ kind: 'png', png: p.template }, 'template') : undefined;
    const png = template?.kind === 'png' ? { png: template.png, width: template.width, height: template.height } : undefined;
    const { template: _base64, ...q } = p;
    return (signal) => ctx.services.findElement({ ...q, source, ...(png ? { template: png } : {}) }, { signal });
  },
  classify: (ctx, p) => {
    const source = ctx.crop(p.source);
    return (signal) => ctx.services.classify({ ...p, source }, { signal });
  },
  embed: (ctx, p) => {
    const source = ctx.crop(p.source);
    return (signal) => ctx.services.embed({ source }, { signal });
  },
};

/** Prepares heavy method M: the image checks now, and how many decoded bytes its images declare. */
export function prepareHeavy<M extends HeavyMethod>(method: M, services: BotServices, limits: PngLimits, params: ParsedParams<M>): { exec: (signal: AbortSignal) => Promise<BotResult<M>>; imageBytes: number } {
  let imageBytes = 0;
  const counted = <T extends ServiceImageSource | ServiceCropSource>(src: T): T => {
    if (src.kind === 'png' && src.width && src.height) imageBytes += decodedBytes(src.width, src.height);
    return src;
  };
  const ctx: HeavyContext = {
    services,
    image: (src) => {
      if (src.kind !== 'png') return counted(src);
      const { png, header } = checkPngBase64(src.png, limits);
      return counted({ kind: 'png', png, width: header.width, height: header.height, originX: src.originX, originY: src.originY });
    },
    crop: (src, what = 'image') => {
      if (src.kind !== 'png') return counted(src);
      const { png, header } = checkPngBase64(src.png, limits, what);
      return counted({ kind: 'png', png, width: header.width, height: header.height });
    },
  };
  const { timeoutMs: _t, ...rest } = params;
  const handler: HeavyHandler<M> = heavyHandlers[method];
  const exec = handler(ctx, rest);
  return { exec, imageBytes };
}
