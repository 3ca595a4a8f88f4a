/**
 * The bot endpoint server: JSON-RPC 2.0 over a named pipe / Unix socket (issue 5; docs/BOT-API.md).
 * Every inbound frame is parsed once, here, into a typed value (CONVENTIONS "validate at the edge") and
 * every failure is answered with a coded error; nothing a client sends can throw past this file.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  BOT_PROTOCOL_VERSION,
  BotLimitsDefaults,
  BotMethods,
  CANCEL_METHOD,
  CancelParamsSchema,
  STATUS_NOTIFICATION,
  botErrorNumber,
  isBotMethod,
  type BotMethod,
  type RpcError,
  type RpcId,
  type StatusResult,
} from '../../common/bot-protocol.js';
import { AgentError, ErrorCodes, toAgentError, type ErrorCode, isRetryable } from '../../common/errors.js';
import type { AgentStatus } from '../../common/wire.js';
import { FrameDecoder, type FrameSink } from './framing.js';
import { clientProof, newNonce, proofsEqual, serverProof } from './handshake.js';
import { FairQueue, TokenBucket } from './limits.js';
import { claimEndpoint } from './paths.js';
import { checkPngBase64, type PngLimits } from './png.js';
import { decodedBytes, ImageBudget } from './image-budget.js';
import { nullObserver, type BotServices, type EndpointObserver, type ServiceCropSource, type ServiceImageSource } from './services.js';

export interface EndpointLimits extends PngLimits {
  maxFrameBytes: number;
  maxPreAuthFrameBytes: number;
  /** unauthenticated connections are closed after this (issue 5 §2) */
  handshakeTimeoutMs: number;
  /** authenticated connections */
  maxConnections: number;
  /**
   * connections still in the handshake. On Windows anyone can open the pipe, so when these are full the
   * OLDEST is dropped for the newcomer: an idle flood cannot lock bots out (a bot's handshake takes < 1 ms).
   */
  maxPendingHandshakes: number;
  /** every request, per connection */
  requestsPerSecond: number;
  requestBurst: number;
  /** detect / classify / findElement / embed, per connection */
  heavyPerSecond: number;
  heavyBurst: number;
  /** requests awaiting an answer on one connection (pipelining bound) */
  maxInFlightPerConnection: number;
  concurrency: number;
  maxQueued: number;
  maxQueuedPerClient: number;
  /** default and maximum per-request timeout (a request may ask for less with `timeoutMs`) */
  requestTimeoutMs: number;
  /** declared decoded bytes (width × height × 4) of the images of all admitted requests (issue 17 §1) */
  maxDecodeBytes: number;
  /** how long a request waits for room in maxDecodeBytes before it is answered `busy` */
  decodeWaitMs: number;
}

export const defaultEndpointLimits: EndpointLimits = {
  ...BotLimitsDefaults,
  handshakeTimeoutMs: 3000,
  maxConnections: 64,
  maxPendingHandshakes: 16,
  requestsPerSecond: 50_000,
  requestBurst: 20_000,
  heavyPerSecond: 50,
  heavyBurst: 100,
  maxInFlightPerConnection: 4096,
  concurrency: 1,
  maxQueued: 32,
  maxQueuedPerClient: 8,
  requestTimeoutMs: 30_000,
  maxDecodeBytes: 256 * 1024 * 1024,
  decodeWaitMs: 1000,
};

export interface EndpointClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const realClock: EndpointClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface BotEndpointOptions {
  /** pipe name or socket path (paths.ts defaultEndpointPath) */
  path: string;
  /** the per-install secret (secret.ts getOrCreateEndpointSecret) */
  secret: string;
  services: BotServices;
  observer?: EndpointObserver;
  agentVersion?: string;
  limits?: Partial<EndpointLimits>;
  clock?: EndpointClock;
}

type HandlerResult = unknown | Promise<unknown>;

interface InFlight {
  ac: AbortController;
  unqueue?: () => boolean;
  timer?: unknown;
  settled: boolean;
  /** gives the request's image budget back (image-budget.ts): when its run ends, or when it never runs */
  release?: () => void;
  running?: boolean;
}

const HEAVY: ReadonlySet<string> = new Set(Object.entries(BotMethods).filter(([, m]) => m.heavy).map(([k]) => k));

function idKey(id: string | number): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

function isValidId(id: unknown): id is RpcId {
  return id === null || (typeof id === 'string' && id.length <= 128) || (typeof id === 'number' && Number.isSafeInteger(id));
}

/** zod issues → one line a bot author can act on */
function describeIssues(e: z.ZodError): string {
  return e.issues
    .slice(0, 4)
    .map((i) => `${i.path.length ? i.path.join('.') : 'params'}: ${i.message}`)
    .join('; ');
}

export function rpcErrorOf(e: unknown): RpcError {
  const err = toAgentError(e);
  // Internal errors keep their detail in the audit log, not on the wire.
  const message = err.code === 'internal' ? ErrorCodes.internal + ' (see the agent log)' : err.message;
  return { code: botErrorNumber(err.code), message, data: { code: err.code, ...(err.code !== 'internal' ? err.details : undefined), ...(isRetryable(err.code) ? { retryable: true } : {}) } };
}

class Connection implements FrameSink {
  readonly id = randomUUID();
  state: 'hello' | 'proof' | 'open' | 'closing' = 'hello';
  clientNonce = '';
  serverNonce = '';
  clientName: string | undefined;
  readonly decoder: FrameDecoder;
  readonly inflight = new Map<string, InFlight>();
  readonly subscriptions = new Set<string>();
  readonly requests: TokenBucket;
  readonly heavy: TokenBucket;
  handshakeTimer: unknown;
  private out: string[] = [];
  private flushScheduled = false;
  private paused = false;

  constructor(
    readonly socket: Socket,
    private readonly ep: BotEndpoint,
  ) {
    const l = ep.limits;
    this.decoder = new FrameDecoder(l.maxPreAuthFrameBytes);
    this.requests = new TokenBucket(l.requestsPerSecond, l.requestBurst, ep.clock.now);
    this.heavy = new TokenBucket(l.heavyPerSecond, l.heavyBurst, ep.clock.now);
  }

  // ---- FrameSink
  frame(bytes: Buffer): void {
    if (this.state === 'closing') return;
    try {
      this.ep.onFrame(this, bytes);
    } catch (e) {
      // defence in depth: a bug in one handler answers `internal`, never crashes the agent
      this.ep.auditError(this, e);
      this.send({ jsonrpc: '2.0', id: null, error: rpcErrorOf(e) });
    }
  }
  oversized(bytesSeen: number): void {
    const max = this.decoder.maxFrameBytes;
    this.sendError(null, new AgentError('frame_too_large', `a frame of ${bytesSeen}+ bytes is over the ${max}-byte limit`, { maxFrameBytes: max }));
    if (this.state !== 'open') this.close(); // before authentication: no second chance
  }

  send(msg: object): void {
    if (this.state === 'closing' && !this.socket.writable) return;
    this.out.push(JSON.stringify(msg));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Batch every answer produced in this tick into one write (one syscall for a pipelined burst).
      process.nextTick(this.flush);
    }
  }
  sendResult(id: RpcId, result: unknown): void {
    this.send({ jsonrpc: '2.0', id, result });
  }
  sendError(id: RpcId, e: unknown): void {
    this.send({ jsonrpc: '2.0', id, error: rpcErrorOf(e) });
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.out.length === 0 || this.socket.destroyed) {
      this.out = [];
      return;
    }
    const data = this.out.join('\n') + '\n';
    this.out = [];
    const ok = this.socket.write(data);
    if (!ok && !this.paused) {
      // Backpressure: a client that does not read its answers stops being read from.
      this.paused = true;
      this.socket.pause();
      this.socket.once('drain', () => {
        this.paused = false;
        if (this.state !== 'closing') this.socket.resume();
      });
    }
  };

  /** flushes what is queued, then ends the connection */
  close(): void {
    if (this.state === 'closing') return;
    this.state = 'closing';
    process.nextTick(() => {
      this.flush();
      this.socket.end();
      // a peer that never reads must not keep the socket alive
      const t = setTimeout(() => this.socket.destroy(), 1000);
      t.unref();
    });
  }
}

export class BotEndpoint {
  readonly limits: EndpointLimits;
  readonly clock: EndpointClock;
  private readonly server: Server;
  private readonly conns = new Set<Connection>();
  /** connections in the handshake, oldest first (Set keeps insertion order) */
  private readonly pending = new Set<Connection>();
  /** every accepted socket, refused ones included, so close() leaves nothing open */
  private readonly sockets = new Set<Socket>();
  private readonly queue: FairQueue;
  /** bounds the bytes of images admitted for decoding at once */
  readonly images: ImageBudget;
  private readonly observer: EndpointObserver;
  private readonly started = performance.now();
  private unsubscribeStatus: (() => void) | undefined;
  private listening = false;

  constructor(private readonly opts: BotEndpointOptions) {
    if (!opts.secret || opts.secret.length < 16) throw new AgentError('secret_missing', 'the bot-endpoint secret is missing or too short');
    this.limits = { ...defaultEndpointLimits, ...opts.limits };
    this.clock = opts.clock ?? realClock;
    this.observer = opts.observer ?? nullObserver;
    this.queue = new FairQueue(this.limits);
    this.images = new ImageBudget({ maxBytes: this.limits.maxDecodeBytes, waitMs: this.limits.decodeWaitMs });
    this.server = createServer({ noDelay: true, pauseOnConnect: false }, (s) => this.accept(s));
    this.server.on('error', (e) => this.observer.audit({ ts: new Date().toISOString(), event: 'endpoint_error', message: e.message }));
  }

  get path(): string {
    return this.opts.path;
  }

  get stats(): { connections: number; queued: number; running: number } {
    return { connections: this.conns.size - this.pending.size, ...this.queue.stats };
  }

  /** Claims the pipe/socket; `endpoint_in_use` raises the alarm (event + audit) and throws. */
  async listen(): Promise<void> {
    try {
      const r = await claimEndpoint(this.server, this.opts.path);
      if (r.removedStale) this.audit('stale_socket_removed', { path: this.opts.path });
    } catch (e) {
      const err = toAgentError(e);
      if (err.code === 'endpoint_in_use' || err.code === 'endpoint_insecure') {
        this.observer.alarm(err.code, err.message, { path: this.opts.path });
        this.audit('endpoint_alarm', { reason: err.code, path: this.opts.path });
      }
      throw err;
    }
    this.listening = true;
    this.unsubscribeStatus = this.opts.services.onStatusChange((s) => this.broadcastStatus(s));
    this.audit('endpoint_listening', { path: this.opts.path });
  }

  async close(): Promise<void> {
    this.unsubscribeStatus?.();
    this.unsubscribeStatus = undefined;
    this.queue.close(new AgentError('connection_closed', 'the agent is shutting down'));
    for (const c of this.conns) {
      for (const f of c.inflight.values()) f.ac.abort();
      c.socket.destroy();
    }
    this.conns.clear();
    this.pending.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (this.listening) {
      this.listening = false;
      await new Promise<void>((r) => this.server.close(() => r()));
    }
  }

  // ------------------------------------------------------------------------------------------ lifecycle

  private accept(socket: Socket): void {
    socket.on('error', () => {}); // a peer reset is a normal end of a connection
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (this.conns.size - this.pending.size >= this.limits.maxConnections) {
      socket.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: rpcErrorOf(new AgentError('too_many_connections', `the endpoint already serves ${this.limits.maxConnections} connections`)) }) + '\n');
      socket.resume(); // read (and drop) what it sends, so its end is seen and the socket closes
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    if (this.pending.size >= this.limits.maxPendingHandshakes) {
      const oldest = this.pending.values().next().value as Connection;
      this.pending.delete(oldest);
      this.audit('handshake_evicted', { conn: oldest.id });
      oldest.sendError(null, new AgentError('unauthenticated', 'too many connections are in the handshake: this slowest one was dropped'));
      oldest.close();
    }
    const c = new Connection(socket, this);
    this.conns.add(c);
    this.pending.add(c);
    c.handshakeTimer = this.clock.setTimeout(() => {
      if (c.state === 'hello' || c.state === 'proof') {
        this.audit('handshake_timeout', { conn: c.id });
        c.sendError(null, new AgentError('unauthenticated', `the handshake was not completed within ${this.limits.handshakeTimeoutMs} ms`));
        c.close();
      }
    }, this.limits.handshakeTimeoutMs);
    socket.on('data', (chunk: Buffer) => c.decoder.push(chunk, c));
    socket.on('close', () => this.drop(c));
  }

  private drop(c: Connection): void {
    this.pending.delete(c);
    if (!this.conns.delete(c)) return;
    c.state = 'closing';
    this.clock.clearTimeout(c.handshakeTimer);
    const gone = new AgentError('connection_closed', 'the client disconnected');
    for (const f of c.inflight.values()) {
      f.settled = true;
      f.unqueue?.();
      if (!f.running) f.release?.();
      if (f.timer !== undefined) this.clock.clearTimeout(f.timer);
      f.ac.abort(gone);
    }
    c.inflight.clear();
    this.queue.dropClient(c.id, gone);
  }

  // -------------------------------------------------------------------------------------------- frames

  /** @internal called by Connection for each frame */
  onFrame(c: Connection, bytes: Buffer): void {
    let msg: unknown;
    try {
      msg = JSON.parse(bytes.toString('utf8'));
    } catch {
      c.sendError(null, new AgentError('parse_error', 'the frame is not valid JSON (one JSON-RPC request per line, UTF-8)'));
      if (c.state !== 'open') c.close();
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      c.sendError(null, new AgentError('invalid_request', Array.isArray(msg) ? 'batches are not supported: send one request per line (pipelining is fine)' : 'a request must be a JSON object'));
      if (c.state !== 'open') c.close();
      return;
    }
    const req = msg as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
    const hasId = 'id' in req && req.id !== undefined;
    const id: RpcId = hasId && isValidId(req.id) ? req.id : null;
    if (req.jsonrpc !== '2.0' || typeof req.method !== 'string' || (hasId && !isValidId(req.id)) || (hasId && req.id === null)) {
      c.sendError(id, new AgentError('invalid_request', 'expected {"jsonrpc":"2.0","id":<string|integer>,"method":"...","params":{...}}'));
      if (c.state !== 'open') c.close();
      return;
    }
    const method = req.method;

    if (c.state !== 'open') return this.onHandshakeFrame(c, method, hasId ? (id as string | number) : undefined, req.params);

    if (!hasId) {
      // JSON-RPC 2.0 §4.1: a notification is never answered; the only one we act on is $/cancelRequest.
      if (method === CANCEL_METHOD) this.cancel(c, req.params);
      return;
    }
    const rid = id as string | number;
    if (!c.requests.take()) {
      c.sendError(rid, new AgentError('rate_limited', `over ${this.limits.requestsPerSecond} requests/s on this connection: slow down`));
      return;
    }
    if (!isBotMethod(method) || method === 'hello' || method === 'authenticate') {
      c.sendError(rid, new AgentError('method_not_found', method === 'hello' || method === 'authenticate' ? `already authenticated: ${method} is only for the handshake` : `no method "${method.slice(0, 64)}"; methods: ${Object.keys(BotMethods).filter((m) => m !== 'hello' && m !== 'authenticate').join(', ')}`));
      return;
    }
    if (c.inflight.size >= this.limits.maxInFlightPerConnection) {
      c.sendError(rid, new AgentError('busy', `over ${this.limits.maxInFlightPerConnection} requests awaiting answers on this connection`));
      return;
    }
    const key = idKey(rid);
    if (c.inflight.has(key)) {
      c.sendError(rid, new AgentError('invalid_request', `id ${JSON.stringify(rid)} is already in use by a pending request on this connection`));
      return;
    }
    const parsed = BotMethods[method].params.safeParse(req.params);
    if (!parsed.success) {
      c.sendError(rid, new AgentError('invalid_params', `${method}: ${describeIssues(parsed.error)}`));
      return;
    }
    if (HEAVY.has(method)) return this.runHeavy(c, rid, key, method, parsed.data);

    let r: HandlerResult;
    try {
      r = this.light(c, method, parsed.data);
    } catch (e) {
      this.auditErrorIfInternal(c, e);
      c.sendError(rid, e);
      return;
    }
    if (r instanceof Promise) {
      const f: InFlight = { ac: new AbortController(), settled: false };
      c.inflight.set(key, f);
      r.then(
        (v) => {
          if (f.settled) return;
          c.inflight.delete(key);
          c.sendResult(rid, v);
        },
        (e) => {
          if (f.settled) return;
          c.inflight.delete(key);
          this.auditErrorIfInternal(c, e);
          c.sendError(rid, e);
        },
      );
    } else c.sendResult(rid, r);
  }

  private onHandshakeFrame(c: Connection, method: string, id: string | number | undefined, params: unknown): void {
    const fail = (message: string) => {
      this.audit('auth_failed', { conn: c.id, reason: message });
      c.sendError(id ?? null, new AgentError('unauthenticated', message));
      c.close();
    };
    if (id === undefined) return fail('authenticate first: send hello (with an id)');
    if (c.state === 'hello') {
      if (method !== 'hello') return fail(`authenticate first: "${method.slice(0, 64)}" is not allowed before the handshake (send hello)`);
      const p = BotMethods.hello.params.safeParse(params);
      if (!p.success) return fail(`hello: ${describeIssues(p.error)}`);
      c.clientNonce = p.data.clientNonce;
      c.clientName = p.data.client;
      c.serverNonce = newNonce();
      c.state = 'proof';
      c.sendResult(id, { protocol: BOT_PROTOCOL_VERSION, serverNonce: c.serverNonce, serverProof: serverProof(this.opts.secret, c.clientNonce, c.serverNonce) });
      return;
    }
    if (method !== 'authenticate') return fail(`send authenticate with clientProof after hello, not "${method.slice(0, 64)}"`);
    const p = BotMethods.authenticate.params.safeParse(params);
    if (!p.success) return fail(`authenticate: ${describeIssues(p.error)}`);
    const expected = clientProof(this.opts.secret, c.serverNonce, c.clientNonce);
    if (!proofsEqual(expected, p.data.clientProof)) return fail('wrong clientProof: this client does not have the endpoint secret');
    if (this.conns.size - this.pending.size >= this.limits.maxConnections) {
      c.sendError(id, new AgentError('too_many_connections', `the endpoint already serves ${this.limits.maxConnections} connections`));
      c.close();
      return;
    }
    c.state = 'open';
    this.pending.delete(c);
    this.clock.clearTimeout(c.handshakeTimer);
    c.decoder.maxFrameBytes = this.limits.maxFrameBytes;
    this.audit('auth_ok', { conn: c.id, client: c.clientName });
    const l = this.limits;
    c.sendResult(id, {
      sessionId: c.id,
      agentVersion: this.opts.agentVersion ?? '0.0.0',
      limits: {
        maxFrameBytes: l.maxFrameBytes,
        maxPngBytes: l.maxPngBytes,
        maxPixels: l.maxPixels,
        requestsPerSecond: l.requestsPerSecond,
        heavyPerSecond: l.heavyPerSecond,
        maxQueued: l.maxQueued,
        requestTimeoutMs: l.requestTimeoutMs,
      },
    });
  }

  private cancel(c: Connection, params: unknown): void {
    const p = CancelParamsSchema.safeParse(params);
    if (!p.success) return;
    const key = idKey(p.data.id);
    const f = c.inflight.get(key);
    if (!f || f.settled) return;
    this.settle(c, key, f, p.data.id, new AgentError('cancelled', 'cancelled by the client ($/cancelRequest)'));
  }

  /** answers a tracked request exactly once and releases what it holds */
  private settle(c: Connection, key: string, f: InFlight, id: string | number, outcome: { ok: unknown } | AgentError): void {
    if (f.settled) return;
    f.settled = true;
    if (!f.running) f.release?.();
    c.inflight.delete(key);
    if (f.timer !== undefined) this.clock.clearTimeout(f.timer);
    if (outcome instanceof AgentError) {
      f.unqueue?.();
      f.ac.abort(outcome);
      c.sendError(id, outcome);
    } else c.sendResult(id, outcome.ok);
  }

  // ----------------------------------------------------------------------------------------- methods

  private light(c: Connection, method: BotMethod, params: any): HandlerResult {
    const s = this.opts.services;
    switch (method) {
      case 'health':
        return { ok: true, uptimeMs: Math.round(performance.now() - this.started) };
      case 'status':
        return this.statusResult(s.status());
      case 'models.list':
        return { models: s.modelsList() };
      case 'feedback.submit': {
        const { png, ...rest } = params as z.output<typeof BotMethods['feedback.submit']['params']>;
        const image = png !== undefined ? checkPngBase64(png, this.limits, 'feedback').png : undefined;
        const ac = new AbortController();
        return s.submitFeedback({ ...rest, ...(image ? { png: image } : {}) }, { signal: ac.signal });
      }
      case 'subscribe':
        for (const t of params.topics as string[]) c.subscriptions.add(t);
        return { subscribed: [...c.subscriptions] };
      case 'unsubscribe':
        for (const t of params.topics as string[]) c.subscriptions.delete(t);
        return { subscribed: [...c.subscriptions] };
      default:
        throw new AgentError('method_not_found', `no method ${method}`);
    }
  }

  private imageSource(src: any): ServiceImageSource {
    if (src.kind !== 'png') return src as ServiceImageSource;
    const { png, header } = checkPngBase64(src.png, this.limits);
    return { kind: 'png', png, width: header.width, height: header.height, originX: src.originX, originY: src.originY };
  }
  private cropSource(src: any, what = 'image'): ServiceCropSource {
    if (src.kind !== 'png') return src as ServiceCropSource;
    const { png, header } = checkPngBase64(src.png, this.limits, what);
    return { kind: 'png', png, width: header.width, height: header.height };
  }

  /** detect / classify / findElement / embed: rate, image checks, then the fair queue with timeout + cancel */
  private runHeavy(c: Connection, id: string | number, key: string, method: BotMethod, params: any): void {
    if (!c.heavy.take()) {
      c.sendError(id, new AgentError('rate_limited', `over ${this.limits.heavyPerSecond} ${method} calls/s on this connection: slow down`));
      return;
    }
    let exec: (signal: AbortSignal) => Promise<unknown>;
    let imageBytes = 0;
    const counted = <T extends { kind: string; width?: number; height?: number }>(src: T): T => {
      if (src.kind === 'png' && src.width && src.height) imageBytes += decodedBytes(src.width, src.height);
      return src;
    };
    try {
      const s = this.opts.services;
      const { timeoutMs: _t, ...p } = params;
      switch (method) {
        case 'detect': {
          const source = counted(this.imageSource(p.source));
          exec = (signal) => s.detect({ ...p, source }, { signal });
          break;
        }
        case 'findElement': {
          const source = counted(this.imageSource(p.source));
          const template = p.template !== undefined ? counted(this.cropSource({ kind: 'png', png: p.template }, 'template')) : undefined;
          exec = (signal) =>
            s.findElement({ ...p, source, ...(template ? { template: template as { png: Buffer; width: number; height: number } } : {}) }, { signal });
          break;
        }
        case 'classify': {
          const source = counted(this.cropSource(p.source));
          exec = (signal) => s.classify({ ...p, source }, { signal });
          break;
        }
        case 'embed': {
          const source = counted(this.cropSource(p.source));
          exec = (signal) => s.embed({ source }, { signal });
          break;
        }
        default:
          throw new AgentError('method_not_found', `no method ${method}`);
      }
    } catch (e) {
      c.sendError(id, e);
      return;
    }
    // hostile images: admitted only while their declared decoded size fits the budget (a short wait, else busy)
    if (imageBytes > 0) {
      this.images.acquire(imageBytes).then(
        (release) => {
          if (c.state === 'closing') return release();
          this.enqueueHeavy(c, id, key, method, params, exec, release);
        },
        (e: unknown) => c.sendError(id, e),
      );
      return;
    }
    this.enqueueHeavy(c, id, key, method, params, exec);
  }

  private enqueueHeavy(c: Connection, id: string | number, key: string, method: BotMethod, params: any, exec: (signal: AbortSignal) => Promise<unknown>, release?: () => void): void {
    const f: InFlight = { ac: new AbortController(), settled: false, ...(release ? { release } : {}) };
    const timeoutMs = Math.min(params.timeoutMs ?? this.limits.requestTimeoutMs, this.limits.requestTimeoutMs);
    try {
      f.unqueue = this.queue.enqueue(c.id, {
        run: async () => {
          if (f.settled) return;
          f.running = true;
          try {
            const result = await exec(f.ac.signal).finally(() => f.release?.()); // the decode is over: its memory too
            this.settle(c, key, f, id, { ok: result });
          } catch (e) {
            if (f.settled) return;
            this.auditErrorIfInternal(c, e);
            this.settle(c, key, f, id, toAgentError(e));
          }
        },
        drop: (e) => this.settle(c, key, f, id, e),
      });
    } catch (e) {
      release?.();
      c.sendError(id, e); // busy: answered at once, never queued
      return;
    }
    if (f.settled) return;
    c.inflight.set(key, f);
    f.timer = this.clock.setTimeout(
      () => this.settle(c, key, f, id, new AgentError('timeout', `${method} did not finish within ${timeoutMs} ms (queue wait included)`, { timeoutMs })),
      timeoutMs,
    );
  }

  // ------------------------------------------------------------------------------------------ helpers

  private statusResult(agent: AgentStatus): StatusResult {
    return { agent, endpoint: this.stats };
  }

  private broadcastStatus(agent: AgentStatus): void {
    let msg: object | undefined;
    for (const c of this.conns) {
      if (c.state !== 'open' || !c.subscriptions.has('status')) continue;
      msg ??= { jsonrpc: '2.0', method: STATUS_NOTIFICATION, params: this.statusResult(agent) };
      c.send(msg);
    }
  }

  private audit(event: string, fields: Record<string, unknown> = {}): void {
    this.observer.audit({ ts: new Date().toISOString(), event, ...fields });
  }
  /** @internal */
  auditError(c: Connection, e: unknown): void {
    this.audit('endpoint_internal_error', { conn: c.id, message: e instanceof Error ? e.message : String(e) });
  }
  private auditErrorIfInternal(c: Connection, e: unknown): void {
    const code: ErrorCode = toAgentError(e).code;
    if (code === 'internal') this.auditError(c, e);
  }
}

/** Creates and starts the endpoint (see BotEndpoint.listen for the alarm on a squatted path). */
export async function startBotEndpoint(opts: BotEndpointOptions): Promise<BotEndpoint> {
  const ep = new BotEndpoint(opts);
  await ep.listen();
  return ep;
}
