/**
 * The preload bridge contract: the one typed boundary between the Electron main process and the
 * status window (CONVENTIONS.md "One typed contract per boundary", GitHub Desktop's ipc-shared.ts).
 *
 * - `StatusSnapshotSchema` is everything the window shows, derived from the wire types
 *   (AgentStatus / AgentEvent / MetricsWindow) plus the desktop's own state (broker link, bot endpoint,
 *   detection pause, self-update).
 * - `IPC_CHANNELS` is one entry per request/response message: channel → request and response schema.
 *   `BRIDGE_METHODS` names the one preload function per message; `makeBridge` builds that object from a
 *   transport, so the preload and the test-only adapter expose exactly the same API.
 * - `createIpcDispatcher` is the main side: it checks the sender's URL and validates the payload
 *   (Electron security checklist: "validate the sender of all IPC messages") before any handler runs,
 *   and validates the handler's answer so the window only ever sees schema-valid data.
 */
import { z } from 'zod';
import { AgentError } from './errors.js';
import { ProfileStatusSchema } from './profiles.js';
import { AgentAlertSchema, AgentEventSchema, RoleSchema, RoleStatusSchema, SegmentSchema } from './wire.js';

export { APP_ORIGIN, APP_SCHEME, BRIDGE_GLOBAL, PAUSE_MINUTES_DEFAULT } from './bridge-names.js';

const IsoDate = z.string().datetime({ offset: true });
const nonNeg = z.number().finite().nonnegative();
const CodedMessageSchema = z.object({ code: z.string().max(64), message: z.string().max(2048) });

export const BrokerConnectionSchema = z.object({
  state: z.enum(['connected', 'connecting', 'offline']),
  /** broker URL without credentials, e.g. mqtts://broker.corp:8883 */
  url: z.string().max(512).optional(),
  /** when the current state began */
  since: IsoDate.optional(),
  lastError: CodedMessageSchema.optional(),
});
export type BrokerConnection = z.infer<typeof BrokerConnectionSchema>;

/** One point of the latency chart: p50/p95 of one metrics window, stamped with the window's end. */
export const LatencyPointSchema = z.object({ t: IsoDate, p50: nonNeg, p95: nonNeg, count: z.number().int().nonnegative().optional() });
export type LatencyPoint = z.infer<typeof LatencyPointSchema>;
export const MAX_LATENCY_POINTS = 60;

export const RoleViewSchema = z.object({
  role: RoleSchema,
  status: RoleStatusSchema,
  /** true when this machine is in a candidate (or shadow) cohort for the role's current rollout */
  canary: z.boolean(),
  /** the latest rollback of this role (its reason code and message), shown while the state is rolled_back */
  rollback: z.object({ at: IsoDate, code: z.string().max(64).optional(), message: z.string().max(2048).optional(), modelId: z.string().optional() }).optional(),
  /** the model loaded on a fallback provider (e.g. DirectML failed, CPU in use) */
  providerFallback: z.boolean().default(false),
  latency: z.object({
    p50: nonNeg.optional(),
    p95: nonNeg.optional(),
    series: z.array(LatencyPointSchema).max(MAX_LATENCY_POINTS),
  }),
});
export type RoleView = z.infer<typeof RoleViewSchema>;

export const EndpointStatsSchema = z.object({
  listening: z.boolean(),
  /** pipe or socket path the bots connect to */
  address: z.string().max(512).optional(),
  clients: z.number().int().nonnegative(),
  requestsPerMinute: nonNeg,
  /** requests being served right now: an update is never applied while this is above 0 */
  inFlight: z.number().int().nonnegative(),
});
export type EndpointStats = z.infer<typeof EndpointStatsSchema>;

export const DetectionPauseSchema = z.object({ paused: z.boolean(), until: IsoDate.optional() });
export type DetectionPause = z.infer<typeof DetectionPauseSchema>;

export const UPDATE_STATES = ['disabled', 'idle', 'checking', 'available', 'downloading', 'ready', 'error'] as const;
export const UpdateStatusSchema = z.object({
  state: z.enum(UPDATE_STATES),
  currentVersion: z.string().max(64),
  availableVersion: z.string().max(64).optional(),
  /** 0..1 while downloading */
  progress: z.number().min(0).max(1).optional(),
  checkedAt: IsoDate.optional(),
  /** plain-words note, e.g. why updates are disabled or why an install waits */
  message: z.string().max(512).optional(),
});
export type UpdateStatus = z.infer<typeof UpdateStatusSchema>;

export const MAX_SNAPSHOT_EVENTS = 50;
export const StatusSnapshotSchema = z.object({
  ts: IsoDate,
  agent: z.object({
    agentId: SegmentSchema,
    agentVersion: z.string().max(64),
    platform: z.string().max(64).optional(),
    channel: SegmentSchema.optional(),
    releaseSeq: z.number().int().nonnegative().optional(),
    /** the industry profile and the one whose settings apply (issue 21 §2) */
    profile: ProfileStatusSchema.pick({ name: true, applied: true, reason: true }).optional(),
  }),
  broker: BrokerConnectionSchema,
  roles: z.array(RoleViewSchema).max(3),
  /** newest first */
  events: z.array(AgentEventSchema).max(MAX_SNAPSHOT_EVENTS),
  endpoint: EndpointStatsSchema,
  detection: DetectionPauseSchema,
  update: UpdateStatusSchema,
  /** the agent core itself failed (e.g. bad config, store corrupt): the tray shows "error" */
  fatal: CodedMessageSchema.optional(),
  /** standing conditions from the agent's status (release expired, disk full, …; wire.ts AgentAlert) */
  alerts: z.array(AgentAlertSchema).max(32).optional(),
});
export type StatusSnapshot = z.infer<typeof StatusSnapshotSchema>;

/** One entry per request/response message (renderer → main, answered by main). */
export const IPC_CHANNELS = {
  'status:get': { request: z.undefined(), response: StatusSnapshotSchema },
  'detection:pause': { request: z.object({ minutes: z.number().int().min(1).max(240) }).strict(), response: DetectionPauseSchema },
  'detection:resume': { request: z.undefined(), response: DetectionPauseSchema },
  'update:check': { request: z.undefined(), response: UpdateStatusSchema },
  'update:install': {
    request: z.undefined(),
    /** accepted=false with a plain-words reason when a bot is mid-request or nothing is downloaded */
    response: z.object({ accepted: z.boolean(), reason: z.string().max(512).optional() }),
  },
  'diagnostics:copy': { request: z.undefined(), response: z.object({ copied: z.boolean(), bytes: z.number().int().nonnegative() }) },
} as const;
export type IpcChannel = keyof typeof IPC_CHANNELS;
export type IpcRequest<C extends IpcChannel> = z.input<(typeof IPC_CHANNELS)[C]['request']>;
export type IpcResponse<C extends IpcChannel> = z.output<(typeof IPC_CHANNELS)[C]['response']>;

/** Messages pushed main → renderer (webContents.send), one schema each. */
export const PUSH_CHANNELS = { 'status:changed': StatusSnapshotSchema } as const;
export type PushChannel = keyof typeof PUSH_CHANNELS;
export type PushPayload<C extends PushChannel> = z.output<(typeof PUSH_CHANNELS)[C]>;

/** The one preload function per message. */
export const BRIDGE_METHODS = {
  getStatus: 'status:get',
  pauseDetection: 'detection:pause',
  resumeDetection: 'detection:resume',
  checkForUpdate: 'update:check',
  installUpdate: 'update:install',
  copyDiagnostics: 'diagnostics:copy',
} as const satisfies Record<string, IpcChannel>;
export const BRIDGE_SUBSCRIPTIONS = { onStatus: 'status:changed' } as const satisfies Record<string, PushChannel>;

type MethodOf<C extends IpcChannel> = IpcRequest<C> extends undefined ? () => Promise<IpcResponse<C>> : (request: IpcRequest<C>) => Promise<IpcResponse<C>>;

/** The API the status window sees as `window.rpa`. */
export type RpaBridge = { [M in keyof typeof BRIDGE_METHODS]: MethodOf<(typeof BRIDGE_METHODS)[M]> } & {
  [S in keyof typeof BRIDGE_SUBSCRIPTIONS]: (listener: (payload: PushPayload<(typeof BRIDGE_SUBSCRIPTIONS)[S]>) => void) => () => void;
};

export interface BridgeTransport {
  invoke(channel: IpcChannel, request: unknown): Promise<unknown>;
  /** returns an unsubscribe function */
  subscribe(channel: PushChannel, listener: (payload: unknown) => void): () => void;
}

/**
 * Builds the bridge object from a transport (ipcRenderer in the preload, page.exposeFunction in tests).
 * Only named functions are exposed, never the transport itself (CONVENTIONS.md: "never ipcRenderer").
 */
export function makeBridge(transport: BridgeTransport): RpaBridge {
  const bridge: Record<string, unknown> = {};
  for (const [method, channel] of Object.entries(BRIDGE_METHODS)) {
    bridge[method] = (request?: unknown) => transport.invoke(channel, request);
  }
  for (const [method, channel] of Object.entries(BRIDGE_SUBSCRIPTIONS)) {
    bridge[method] = (listener: (payload: unknown) => void) => {
      if (typeof listener !== 'function') throw new TypeError(`${method} needs a listener function`);
      return transport.subscribe(channel, listener);
    };
  }
  return bridge as RpaBridge;
}

export type IpcHandlers = { [C in IpcChannel]: (request: z.output<(typeof IPC_CHANNELS)[C]['request']>) => Promise<IpcResponse<C>> | IpcResponse<C> };

export function isIpcChannel(channel: unknown): channel is IpcChannel {
  return typeof channel === 'string' && Object.prototype.hasOwnProperty.call(IPC_CHANNELS, channel);
}

/**
 * A sender is trusted only when its frame URL is on the app's own origin (custom protocol in Electron,
 * e.g. `rpa://status/`); anything else — a navigated-away frame, an iframe, file:// — is refused.
 */
export function isTrustedSenderUrl(senderUrl: string | undefined | null, trustedOrigin: string): boolean {
  if (!senderUrl) return false;
  let u: URL;
  let t: URL;
  try {
    u = new URL(senderUrl);
    t = new URL(trustedOrigin);
  } catch {
    return false;
  }
  // Compare protocol and host exactly; URL.origin is "null" for custom schemes, so do not rely on it.
  return u.protocol === t.protocol && u.host === t.host && u.username === '' && u.password === '';
}

export type IpcDispatcher = (senderUrl: string | undefined | null, channel: string, payload: unknown) => Promise<unknown>;

export function createIpcDispatcher(handlers: IpcHandlers, trustedOrigin: string): IpcDispatcher {
  return async (senderUrl, channel, payload) => {
    if (!isTrustedSenderUrl(senderUrl, trustedOrigin)) {
      throw new AgentError('forbidden_sender', `refused ${String(channel).slice(0, 64)} from ${String(senderUrl).slice(0, 200)}`);
    }
    if (!isIpcChannel(channel)) throw new AgentError('bad_argument', `unknown IPC channel ${String(channel).slice(0, 64)}`);
    const spec = IPC_CHANNELS[channel];
    const req = spec.request.safeParse(payload);
    if (!req.success) throw new AgentError('bad_argument', `${channel}: ${req.error.issues[0]?.message ?? 'invalid request'}`);
    const handler = handlers[channel] as (r: unknown) => Promise<unknown> | unknown;
    const res = await handler(req.data);
    // The answer is checked too, so a handler bug shows up here and not as a broken window.
    return spec.response.parse(res);
  };
}
