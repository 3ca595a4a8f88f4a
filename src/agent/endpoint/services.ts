/**
 * What the endpoint needs from the rest of the agent. The composition root (src/agent/service.ts) passes an
 * implementation backed by the vision pipeline and the agent core; the endpoint never reaches into either.
 * Images arrive already checked (size, PNG signature, dimensions from the header) but not decoded: the
 * pipeline decodes once, with sharp, into its own input size.
 */
import type {
  ClassifyResult,
  DetectResult,
  ElementMatch,
  EmbedResult,
  FeedbackSubmitParams,
  FeedbackSubmitResult,
  ModelInfo,
} from '../../common/bot-protocol.js';
import type { AgentStatus } from '../../common/wire.js';

/** Structurally the vision pipeline's CaptureSource (src/agent/vision/types.ts). */
export type ServiceImageSource =
  | { kind: 'screen' }
  | { kind: 'monitor'; id?: number; index?: number }
  | { kind: 'region'; x: number; y: number; width: number; height: number }
  | { kind: 'png'; png: Buffer; width: number; height: number; originX?: number; originY?: number };

export type ServiceCropSource =
  | { kind: 'region'; x: number; y: number; width: number; height: number }
  | { kind: 'png'; png: Buffer; width: number; height: number };

export interface CallOptions {
  /** aborted on $/cancelRequest, on the request timeout, and when the bot disconnects */
  signal: AbortSignal;
}

export interface BotServices {
  detect(req: { source: ServiceImageSource; types?: string[]; minScore?: number; maxResults?: number }, opts: CallOptions): Promise<DetectResult>;
  classify(req: { source: ServiceCropSource; topK?: number }, opts: CallOptions): Promise<ClassifyResult>;
  findElement(
    req: {
      source: ServiceImageSource;
      template?: { png: Buffer; width: number; height: number };
      type?: string;
      text?: string;
      near?: { box: [number, number, number, number]; text?: string };
      minScore?: number;
      /** with type: also elements whose classifier gives that type at least this probability (FindElementParamsSchema) */
      typeMinScore?: number;
      maxResults?: number;
    },
    opts: CallOptions,
  ): Promise<{ matches: ElementMatch[]; frame: DetectResult['frame'] }>;
  embed(req: { source: ServiceCropSource }, opts: CallOptions): Promise<EmbedResult>;
  status(): AgentStatus;
  modelsList(): ModelInfo[];
  /** stores the feedback and queues it for upstream (DESIGN.md topic agents/{id}/feedback) */
  submitFeedback(fb: Omit<FeedbackSubmitParams, 'png'> & { png?: Buffer }, opts: CallOptions): Promise<FeedbackSubmitResult>;
  /** returns an unsubscribe function */
  onStatusChange(listener: (status: AgentStatus) => void): () => void;
}

/** Where alarms and audit lines go (agent events upstream + the audit log); injected by the composition root. */
export interface EndpointObserver {
  /** DESIGN.md event type `endpoint_alarm` */
  alarm(reason: string, message: string, details?: Record<string, unknown>): void;
  audit(entry: { ts: string; event: string; [k: string]: unknown }): void;
}

export const nullObserver: EndpointObserver = { alarm: () => {}, audit: () => {} };
