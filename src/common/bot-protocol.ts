/**
 * The bot-endpoint contract (DESIGN.md: a local JSON-RPC 2.0 endpoint for RPA bots; docs/BOT-API.md):
 * one file of zod schemas for every method's params and result, the handshake, the notifications and
 * the error numbers, shared by the server (src/agent/endpoint) and the typed client.
 * Environment-free: no node:* imports (the HMAC itself lives in src/agent/endpoint/handshake.ts).
 */
import { z } from 'zod';
import type { ErrorCode } from './errors.js';
import { AgentStatusSchema, FeedbackSchema, RoleSchema, RoleStateSchema } from './wire.js';

export const BOT_PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------- limits

/** Defaults; the server's config may lower them. A bot can read the effective ones from `authenticate`. */
export const BotLimitsDefaults = {
  /** one newline-delimited frame, after authentication (a base64 PNG dominates it) */
  maxFrameBytes: 12 * 1024 * 1024,
  /** before authentication only `hello`/`authenticate` fit; anything larger closes the connection */
  maxPreAuthFrameBytes: 4096,
  /** decoded PNG bytes */
  maxPngBytes: 8 * 1024 * 1024,
  /** width × height from the PNG header, checked before any decoding (8K = 33 MP fits, 50 MP does not) */
  maxPixels: 40_000_000,
  maxSide: 16384,
} as const;

/** base64 of a PNG; the decoded size limit is enforced by the server (and this bound keeps zod cheap) */
export const PngBase64Schema = z
  .string()
  .min(8)
  .max(Math.ceil((BotLimitsDefaults.maxPngBytes * 4) / 3) + 4);

const int = z.number().int();
const finite = z.number().finite();
const side = int.positive().max(BotLimitsDefaults.maxSide);
/** [x1, y1, x2, y2] in screen pixels (virtual-desktop origin) */
export const ScreenBoxSchema = z.tuple([finite, finite, finite, finite]);
export type ScreenBox = z.infer<typeof ScreenBoxSchema>;

/** Where the pixels come from; matches the vision pipeline's CaptureSource. */
export const ImageSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('screen') }).strict(),
  z.object({ kind: z.literal('monitor'), id: int.nonnegative().optional(), index: int.nonnegative().max(64).optional() }).strict(),
  z.object({ kind: z.literal('region'), x: int, y: int, width: side, height: side }).strict(),
  /** a PNG the bot already has (e.g. its own screenshot); origin places it on the screen for the returned boxes */
  z.object({ kind: z.literal('png'), png: PngBase64Schema, originX: int.optional(), originY: int.optional() }).strict(),
]);
export type ImageSource = z.infer<typeof ImageSourceSchema>;

/** A crop/template: a PNG, or a screen region the agent captures. */
export const CropSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('region'), x: int, y: int, width: side, height: side }).strict(),
  z.object({ kind: z.literal('png'), png: PngBase64Schema }).strict(),
]);
export type CropSource = z.infer<typeof CropSourceSchema>;

const TimeoutMs = int.positive().max(120_000);
const ElementType = z.string().min(1).max(64);

// ----------------------------------------------------------------------------------------- handshake

/** 16..64 random bytes, base64 (standard alphabet, padded) */
export const NonceSchema = z
  .string()
  .min(24)
  .max(88)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64');
/** HMAC-SHA256, base64: 32 bytes → 44 characters */
export const ProofSchema = z.string().length(44).regex(/^[A-Za-z0-9+/]+=$/, 'base64 HMAC-SHA256');

export const HelloParamsSchema = z
  .object({ protocol: z.literal(BOT_PROTOCOL_VERSION), clientNonce: NonceSchema, client: z.string().max(128).optional() })
  .strict();
export const HelloResultSchema = z.object({ protocol: z.literal(BOT_PROTOCOL_VERSION), serverNonce: NonceSchema, serverProof: ProofSchema });
export const AuthenticateParamsSchema = z.object({ clientProof: ProofSchema }).strict();
export const AuthenticateResultSchema = z.object({
  sessionId: z.string(),
  agentVersion: z.string(),
  limits: z.object({
    maxFrameBytes: int.positive(),
    maxPngBytes: int.positive(),
    maxPixels: int.positive(),
    requestsPerSecond: finite.positive(),
    heavyPerSecond: finite.positive(),
    maxQueued: int.positive(),
    requestTimeoutMs: int.positive(),
  }),
});

/**
 * The strings the HMACs are computed over (docs/BOT-API.md "Handshake"). Labels differ per direction so
 * a proof can never be reflected back; both nonces are bound so neither side can replay an old exchange.
 * HMAC key = UTF-8 bytes of the secret string exactly as stored in the credential store.
 */
export function serverProofMessage(clientNonce: string, serverNonce: string): string {
  return `rpa-edge-agent/1|server|${clientNonce}|${serverNonce}`;
}
export function clientProofMessage(serverNonce: string, clientNonce: string): string {
  return `rpa-edge-agent/1|client|${serverNonce}|${clientNonce}`;
}

// ------------------------------------------------------------------------------------------- methods

export const HealthParamsSchema = z.object({}).strict().optional();
export const HealthResultSchema = z.object({ ok: z.literal(true), uptimeMs: finite.nonnegative() });

export const EndpointStatsSchema = z.object({
  connections: int.nonnegative(),
  queued: int.nonnegative(),
  running: int.nonnegative(),
});
export const StatusParamsSchema = z.object({}).strict().optional();
export const StatusResultSchema = z.object({ agent: AgentStatusSchema, endpoint: EndpointStatsSchema });
export type StatusResult = z.infer<typeof StatusResultSchema>;

export const ModelInfoSchema = z.object({
  role: RoleSchema,
  state: RoleStateSchema,
  modelId: z.string().optional(),
  name: z.string().optional(),
  version: z.string().optional(),
  provider: z.string().optional(),
  labels: z.array(z.string()).optional(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;
export const ModelsListParamsSchema = z.object({}).strict().optional();
export const ModelsListResultSchema = z.object({ models: z.array(ModelInfoSchema) });

/** Where a bot should click, screen pixels (src/common/element-types.ts clickPoint: the indicator of a check box or
 * radio, the box centre otherwise); always inside `box`. */
export const ClickPointSchema = z.object({ x: finite, y: finite });

export const UiElementSchema = z.object({
  index: int.nonnegative(),
  box: ScreenBoxSchema,
  score: finite.min(0).max(1),
  /** one of ELEMENT_TYPES (src/common/element-types.ts), or the detector's label when no classifier is active */
  type: z.string(),
  typeScore: finite.min(0).max(1).optional(),
  label: z.string().optional(),
  checked: z.boolean().optional(),
  monitorScale: finite.positive().optional(),
  /** added by issue 15 (additive: older bots ignore it) */
  click: ClickPointSchema,
  /** the UI Automation control type of `type` ("Custom" for a type outside the table); added by issue 15 */
  uiaControlType: z.string(),
});
export type UiElement = z.infer<typeof UiElementSchema>;

export const DetectParamsSchema = z
  .object({
    source: ImageSourceSchema,
    /** keep only these element types */
    types: z.array(ElementType).min(1).max(64).optional(),
    minScore: finite.min(0).max(1).optional(),
    maxResults: int.positive().max(1000).optional(),
    timeoutMs: TimeoutMs.optional(),
  })
  .strict();
export type DetectParams = z.infer<typeof DetectParamsSchema>;
export const FrameRectSchema = z.object({ x: finite, y: finite, width: finite.nonnegative(), height: finite.nonnegative() });
export const DetectResultSchema = z.object({
  elements: z.array(UiElementSchema),
  frame: FrameRectSchema,
  modelId: z.string().optional(),
  timings: z.record(z.string(), finite).optional(),
});
export type DetectResult = z.infer<typeof DetectResultSchema>;

export const ClassifyParamsSchema = z
  .object({ source: CropSourceSchema, topK: int.positive().max(50).optional(), timeoutMs: TimeoutMs.optional() })
  .strict();
export type ClassifyParams = z.infer<typeof ClassifyParamsSchema>;
export const ClassifyResultSchema = z.object({
  /** best first */
  labels: z.array(z.object({ label: z.string(), type: z.string(), score: finite.min(0).max(1) })),
  modelId: z.string().optional(),
});
export type ClassifyResult = z.infer<typeof ClassifyResultSchema>;

export const FindElementParamsSchema = z
  .object({
    source: ImageSourceSchema,
    /** what to look for: at least one of template, type, text */
    template: PngBase64Schema.optional(),
    type: ElementType.optional(),
    /** near-text hint: prefer elements next to this text (needs an OCR model on the agent; else not_supported) */
    text: z.string().min(1).max(256).optional(),
    /**
     * near a label the bot already located (its own OCR or accessibility API): the label's box in screen
     * pixels; candidates where a form field sits relative to its label (right on the row, or below) rank first
     */
    near: z.object({ box: ScreenBoxSchema, text: z.string().max(256).optional() }).strict().optional(),
    minScore: finite.min(0).max(1).optional(),
    /**
     * with `type`: also match elements the classifier gives `type` at least this probability although another
     * type ranks first (look-alike text controls: the same look is a link on one site and a menu item, tab or
     * button on another); absent: the top-ranked type only
     */
    typeMinScore: finite.min(0).max(1).optional(),
    maxResults: int.positive().max(100).optional(),
    timeoutMs: TimeoutMs.optional(),
  })
  .strict()
  .refine((p) => p.template !== undefined || p.type !== undefined || p.text !== undefined || p.near !== undefined, 'give at least one of template, type, text or near')
  .refine((p) => p.typeMinScore === undefined || p.type !== undefined, 'typeMinScore needs type');
export type FindElementParams = z.infer<typeof FindElementParamsSchema>;
export const ElementMatchSchema = z.object({
  box: ScreenBoxSchema,
  score: finite.min(0).max(1),
  type: z.string().optional(),
  /** as UiElement's (issue 15, additive) */
  click: ClickPointSchema,
  uiaControlType: z.string().optional(),
  /** which cue(s) the score came from */
  by: z.array(z.enum(['template', 'type', 'text', 'near'])),
});
export type ElementMatch = z.infer<typeof ElementMatchSchema>;
export const FindElementResultSchema = z.object({ matches: z.array(ElementMatchSchema), frame: FrameRectSchema });
export type FindElementResult = z.infer<typeof FindElementResultSchema>;

export const EmbedParamsSchema = z.object({ source: CropSourceSchema, timeoutMs: TimeoutMs.optional() }).strict();
export type EmbedParams = z.infer<typeof EmbedParamsSchema>;
export const EmbedResultSchema = z.object({ vector: z.array(finite), dims: int.positive(), modelId: z.string().optional() });
export type EmbedResult = z.infer<typeof EmbedResultSchema>;

export const FeedbackSubmitParamsSchema = z
  .object({
    kind: FeedbackSchema.shape.kind,
    box: ScreenBoxSchema.optional(),
    expectedType: ElementType.optional(),
    detectedType: ElementType.optional(),
    note: z.string().max(1024).optional(),
    /** the screenshot region the feedback is about */
    png: PngBase64Schema.optional(),
  })
  .strict();
export type FeedbackSubmitParams = z.infer<typeof FeedbackSubmitParamsSchema>;
export const FeedbackSubmitResultSchema = z.object({ id: z.string(), stored: z.literal(true) });
export type FeedbackSubmitResult = z.infer<typeof FeedbackSubmitResultSchema>;

export const SUBSCRIPTION_TOPICS = ['status'] as const;
export const SubscribeParamsSchema = z.object({ topics: z.array(z.enum(SUBSCRIPTION_TOPICS)).min(1).max(8) }).strict();
export const SubscribeResultSchema = z.object({ subscribed: z.array(z.enum(SUBSCRIPTION_TOPICS)) });

/** Cancels a request still queued or running on this connection (LSP's `$/cancelRequest`; a notification). */
export const CancelParamsSchema = z.object({ id: z.union([z.string().max(128), int]) }).strict();

/** Server → client notification sent to `status` subscribers. */
export const STATUS_NOTIFICATION = 'status.changed';
export const StatusNotificationSchema = StatusResultSchema;

/** The method table: one entry per method, used by the server to validate and by the client to type. */
export const BotMethods = {
  hello: { params: HelloParamsSchema, result: HelloResultSchema, heavy: false },
  authenticate: { params: AuthenticateParamsSchema, result: AuthenticateResultSchema, heavy: false },
  health: { params: HealthParamsSchema, result: HealthResultSchema, heavy: false },
  status: { params: StatusParamsSchema, result: StatusResultSchema, heavy: false },
  'models.list': { params: ModelsListParamsSchema, result: ModelsListResultSchema, heavy: false },
  detect: { params: DetectParamsSchema, result: DetectResultSchema, heavy: true },
  classify: { params: ClassifyParamsSchema, result: ClassifyResultSchema, heavy: true },
  findElement: { params: FindElementParamsSchema, result: FindElementResultSchema, heavy: true },
  embed: { params: EmbedParamsSchema, result: EmbedResultSchema, heavy: true },
  'feedback.submit': { params: FeedbackSubmitParamsSchema, result: FeedbackSubmitResultSchema, heavy: false },
  subscribe: { params: SubscribeParamsSchema, result: SubscribeResultSchema, heavy: false },
  unsubscribe: { params: SubscribeParamsSchema, result: SubscribeResultSchema, heavy: false },
} as const;
export type BotMethod = keyof typeof BotMethods;
export type BotParams<M extends BotMethod> = z.input<(typeof BotMethods)[M]['params']>;
export type BotResult<M extends BotMethod> = z.output<(typeof BotMethods)[M]['result']>;
export const BOT_METHOD_NAMES = Object.keys(BotMethods) as BotMethod[];
export function isBotMethod(m: string): m is BotMethod {
  return Object.prototype.hasOwnProperty.call(BotMethods, m);
}
export const CANCEL_METHOD = '$/cancelRequest';

// -------------------------------------------------------------------------------------------- errors

/**
 * JSON-RPC error numbers (JSON-RPC 2.0 §5.1 for -32700..-32603; -32000..-32099 are ours). Every error
 * also carries `data: { code: '<stable string>' }` (errors.ts), which is what bots should branch on.
 */
export const BotErrorNumbers = {
  parse_error: -32700,
  invalid_request: -32600,
  frame_too_large: -32600,
  method_not_found: -32601,
  invalid_params: -32602,
  /** the agent's own argument checks (e.g. a capture source this platform cannot serve) */
  bad_argument: -32602,
  internal: -32603,
  unauthenticated: -32001,
  busy: -32002,
  rate_limited: -32003,
  image_too_large: -32004,
  timeout: -32005,
  cancelled: -32006,
  bad_image: -32007,
  too_many_connections: -32008,
  no_model: -32010,
  /** retryable: the role's worker is being replaced (errors.ts RETRYABLE_CODES) */
  model_restarting: -32013,
  not_supported: -32011,
  not_found: -32012,
} as const satisfies Partial<Record<ErrorCode, number>>;

/** The number for any code (unlisted agent codes are server errors: -32000). */
export function botErrorNumber(code: string): number {
  return (BotErrorNumbers as Record<string, number>)[code] ?? -32000;
}

export const RpcIdSchema = z.union([z.string().max(128), int, z.null()]);
export type RpcId = string | number | null;

export const RpcErrorSchema = z.object({
  code: int,
  message: z.string(),
  data: z.object({ code: z.string() }).passthrough().optional(),
});
export type RpcError = z.infer<typeof RpcErrorSchema>;

export interface RpcRequest {
  jsonrpc: '2.0';
  id?: RpcId;
  method: string;
  params?: unknown;
}
export type RpcResponse = { jsonrpc: '2.0'; id: RpcId; result: unknown } | { jsonrpc: '2.0'; id: RpcId; error: RpcError };
