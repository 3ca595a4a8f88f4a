/**
 * The bot endpoint server: JSON-RPC 2.0 over a named pipe / Unix socket (issue 5; docs/BOT-API.md).
 * Every inbound frame is parsed once, here, into a typed value (CONVENTIONS "validate at the edge") and
 * every failure is answered with a coded error; nothing a client sends can throw past this file.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { CANCEL_METHOD, CancelParamsSchema, STATUS_NOTIFICATION, type StatusResult } from '../../common/bot-protocol.js';
import { AgentError, toAgentError, type ErrorCode } from '../../common/errors.js';
import { systemTimers, unrefTimers, type Timers } from '../../common/lifetime.js';
import type { AgentStatus } from '../../common/wire.js';
import { CLOSE_GRACE_MS, Connection, rpcErrorOf, type InFlight } from './connection.js';
import { describeIssues, idKey, parseEnvelope } from './envelope.js';
import { handshakeFrame, type HandshakeHost } from './handshake-server.js';
import { ImageBudget } from './image-budget.js';
import { defaultEndpointLimits, FairQueue, type EndpointLimits } from './limits.js';
import { isHeavyMethod, isServedMethod, parseParams, prepareHeavy, runLight, SERVED_METHODS, type HeavyMethod, type LightContext, type LightMethod } from './methods.js';
import { claimEndpoint } from './paths.js';
import { nullObserver, type BotServices, type EndpointObserver } from './services.js';
import { botActivity } from '../fetch-pacing.js';

export { defaultEndpointLimits, type EndpointLimits } from './limits.js';
export { rpcErrorOf } from './connection.js';

export interface BotEndpointOptions {
  /** pipe name or socket path (paths.ts defaultEndpointPath) */
  path: string;
  /** the per-install secret (secret.ts getOrCreateEndpointSecret) */
  secret: string;
  services: BotServices;
  observer?: EndpointObserver;
  agentVersion?: string;
  limits?: Partial<EndpointLimits>;
  /** clock (rate buckets) and timers (handshake, request and close deadlines); unref'd here, cleared on close */
  timers?: Timers;
}

export class BotEndpoint {
  readonly limits: EndpointLimits;
  readonly timers: Timers;
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
  private readonly started: number;
  /** timers of refused sockets (too many connections), cleared when they close or the endpoint does */
  private readonly refusalTimers = new Set<unknown>();
  private unsubscribeStatus: (() => void) | undefined;
  private listening = false;
  /** the handshake's view of this endpoint (handshake-server.ts) */
  private readonly handshake: HandshakeHost;

  constructor(private readonly opts: BotEndpointOptions) {
    if (!opts.secret || opts.secret.length < 16) throw new AgentError('secret_missing', 'the bot-endpoint secret is missing or too short');
    this.limits = { ...defaultEndpointLimits, ...opts.limits };
    // unref'd: a pending deadline alone must not keep the process alive; close() clears them all anyway
    this.timers = unrefTimers(opts.timers ?? systemTimers);
    this.started = this.timers.now();
    this.observer = opts.observer ?? nullObserver;
    this.queue = new FairQueue(this.limits);
    this.images = new ImageBudget({ maxBytes: this.limits.maxDecodeBytes, waitMs: this.limits.decodeWaitMs, timers: this.timers });
    this.server = createServer({ noDelay: true, pauseOnConnect: false }, (s) => this.accept(s));
    this.handshake = {
      secret: this.opts.secret,
      agentVersion: this.opts.agentVersion ?? '0.0.0',
      limits: this.limits,
      authenticatedCount: () => this.conns.size - this.pending.size,
      opened: (c) => {
        this.pending.delete(c);
        this.timers.clearTimeout(c.handshakeTimer);
      },
      audit: (event, fields) => this.audit(event, fields),
    };
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
    this.images.close();
    for (const c of this.conns) {
      for (const f of c.inflight.values()) {
        f.ac.abort();
        this.timers.clearTimeout(f.timer);
      }
      c.clearTimers();
      c.socket.destroy();
    }
    for (const t of this.refusalTimers) this.timers.clearTimeout(t);
    this.refusalTimers.clear();
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
      const t = this.timers.setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      this.refusalTimers.add(t);
      socket.once('close', () => {
        this.timers.clearTimeout(t);
        this.refusalTimers.delete(t);
      });
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
    c.handshakeTimer = this.timers.setTimeout(() => {
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
    this.timers.clearTimeout(c.handshakeTimer);
    const gone = new AgentError('connection_closed', 'the client disconnected');
    for (const f of c.inflight.values()) {
      f.settled = true;
      f.unqueue?.();
      if (!f.running) f.release?.();
      this.timers.clearTimeout(f.timer);
      f.ac.abort(gone);
    }
    c.inflight.clear();
    this.queue.dropClient(c.id, gone);
  }

  // -------------------------------------------------------------------------------------------- frames

  /** @internal called by Connection for each frame */
  onFrame(c: Connection, bytes: Buffer): void {
    const env = parseEnvelope(bytes);
    if (!env.ok) {
      c.sendError(env.id, env.error);
      if (c.state !== 'open') c.close();
      return;
    }
    const { id, method, params } = env.req;

    if (c.state !== 'open') return handshakeFrame(this.handshake, c, method, id, params);

    if (id === undefined) {
      // JSON-RPC 2.0 §4.1: a notification is never answered; the only one we act on is $/cancelRequest.
      if (method === CANCEL_METHOD) this.cancel(c, params);
      return;
    }
    const rid = id;
    if (!c.requests.take()) {
      c.sendError(rid, new AgentError('rate_limited', `over ${this.limits.requestsPerSecond} requests/s on this connection: slow down`));
      return;
    }
    if (!isServedMethod(method)) {
      c.sendError(rid, new AgentError('method_not_found', method === 'hello' || method === 'authenticate' ? `already authenticated: ${method} is only for the handshake` : `no method "${method.slice(0, 64)}"; methods: ${SERVED_METHODS.join(', ')}`));
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
    if (isHeavyMethod(method)) this.serveHeavy(c, rid, key, method, params);
    else this.serveLight(c, rid, key, method, params);
  }

  /** health / status / models.list / feedback.submit / subscribe / unsubscribe: answered now (or when the promise settles) */
  private serveLight<M extends LightMethod>(c: Connection, rid: string | number, key: string, method: M, raw: unknown): void {
    const parsed = parseParams(method, raw);
    if (!parsed.ok) {
      c.sendError(rid, new AgentError('invalid_params', `${method}: ${describeIssues(parsed.error)}`));
      return;
    }
    let r: unknown;
    try {
      r = runLight(method, this.lightContext(c), parsed.params);
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

  private lightContext(c: Connection): LightContext {
    return {
      services: this.opts.services,
      limits: this.limits,
      subscriptions: c.subscriptions,
      uptimeMs: () => this.timers.now() - this.started,
      statusResult: (agent) => this.statusResult(agent),
    };
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
    this.timers.clearTimeout(f.timer);
    if (outcome instanceof AgentError) {
      f.unqueue?.();
      f.ac.abort(outcome);
      c.sendError(id, outcome);
    } else c.sendResult(id, outcome.ok);
  }

  // ----------------------------------------------------------------------------------- heavy methods

  /** detect / classify / findElement / embed: rate, params, image checks, then the fair queue with timeout + cancel */
  private serveHeavy<M extends HeavyMethod>(c: Connection, id: string | number, key: string, method: M, raw: unknown): void {
    const parsed = parseParams(method, raw);
    if (!parsed.ok) {
      c.sendError(id, new AgentError('invalid_params', `${method}: ${describeIssues(parsed.error)}`));
      return;
    }
    if (!c.heavy.take()) {
      c.sendError(id, new AgentError('rate_limited', `over ${this.limits.heavyPerSecond} ${method} calls/s on this connection: slow down`));
      return;
    }
    let prepared: ReturnType<typeof prepareHeavy<M>>;
    try {
      prepared = prepareHeavy(method, this.opts.services, this.limits, parsed.params);
    } catch (e) {
      c.sendError(id, e);
      return;
    }
    const { exec, imageBytes } = prepared;
    const timeoutMs = Math.min(parsed.params.timeoutMs ?? this.limits.requestTimeoutMs, this.limits.requestTimeoutMs);
    // hostile images: admitted only while their declared decoded size fits the budget (a short wait, else busy)
    if (imageBytes > 0) {
      this.images.acquire(imageBytes).then(
        (release) => {
          if (c.state === 'closing') return release();
          this.enqueueHeavy(c, id, key, method, timeoutMs, exec, release);
        },
        (e: unknown) => c.sendError(id, e),
      );
      return;
    }
    this.enqueueHeavy(c, id, key, method, timeoutMs, exec);
  }

  private enqueueHeavy(c: Connection, id: string | number, key: string, method: HeavyMethod, timeoutMs: number, exec: (signal: AbortSignal) => Promise<unknown>, release?: () => void): void {
    const f: InFlight = { ac: new AbortController(), settled: false, ...(release ? { release } : {}) };
    try {
      f.unqueue = this.queue.enqueue(c.id, {
        run: async () => {
          if (f.settled) return;
          f.running = true;
          try {
            // a download gives way while it runs (fetch-pacing.ts, issue 17 §2)
            const result = await botActivity.during(() => exec(f.ac.signal)).finally(() => f.release?.()); // the decode is over: its memory too
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
    f.timer = this.timers.setTimeout(
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
