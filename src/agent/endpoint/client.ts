/**
 * The typed TypeScript client for the bot endpoint (issue 5 §5):
 *
 *   import { connect } from 'rpa-edge-agent/endpoint';
 *   const agent = await connect();               // default path, secret from the OS credential store
 *   const { elements } = await agent.call('detect', { source: { kind: 'screen' } });
 *
 * The client verifies the server's proof before it sends its own, so it refuses a squatting server
 * (`endpoint_impostor`) without giving it anything. Results are validated with the shared schemas.
 */
import { connect as netConnect, type Socket } from 'node:net';
import {
  BOT_PROTOCOL_VERSION,
  BotMethods,
  CANCEL_METHOD,
  STATUS_NOTIFICATION,
  StatusNotificationSchema,
  type BotMethod,
  type BotParams,
  type BotResult,
  type RpcError,
  type StatusResult,
} from '../../common/bot-protocol.js';
import { AgentError, ErrorCodes, type ErrorCode } from '../../common/errors.js';
import { systemTimers, type TimerHandle, type Timers } from '../../common/lifetime.js';
import { FrameDecoder } from './framing.js';
import { clientProof, newNonce, proofsEqual, serverProof } from './handshake.js';
import { defaultEndpointPath } from './paths.js';

export interface ConnectOptions {
  /** pipe name or socket path; defaults to this user's endpoint */
  path?: string;
  /** the endpoint secret; by default read from the OS credential store (secret.ts) */
  secret?: string | (() => Promise<string>);
  /** shown in the agent's audit log */
  clientName?: string;
  /** connect + handshake (default 5 s) */
  connectTimeoutMs?: number;
  /** default per-call timeout on the client side (default: none; the server has its own) */
  callTimeoutMs?: number;
  /** validate results with the shared zod schemas (default true) */
  validateResults?: boolean;
  maxFrameBytes?: number;
  signal?: AbortSignal;
  /** the connect and call deadlines (src/common/lifetime.ts); every one is cleared when it is settled */
  timers?: Timers;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void; method: string; cleanup?: () => void };

/** An error answered by the endpoint: `code` is the stable string, `rpcCode` the JSON-RPC number. */
export class BotEndpointError extends AgentError {
  readonly rpcCode: number;
  constructor(err: RpcError) {
    const code = (err.data?.code && err.data.code in ErrorCodes ? err.data.code : 'internal') as ErrorCode;
    const { code: _c, ...details } = err.data ?? {};
    super(code, err.message, Object.keys(details).length ? details : undefined);
    this.rpcCode = err.code;
  }
}

export class BotClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder: FrameDecoder;
  private out: string[] = [];
  private flushScheduled = false;
  private closedError: AgentError | undefined;
  private readonly statusListeners = new Set<(s: StatusResult) => void>();
  /** set after the handshake */
  session: BotResult<'authenticate'> | undefined;

  /** @internal use connect() */
  constructor(
    private readonly socket: Socket,
    private readonly opts: ConnectOptions,
  ) {
    this.decoder = new FrameDecoder(opts.maxFrameBytes ?? 64 * 1024 * 1024);
    socket.on('data', (chunk: Buffer) =>
      this.decoder.push(chunk, {
        frame: (b) => this.onFrame(b),
        oversized: () => this.fail(new AgentError('frame_too_large', 'the agent sent a frame over the client limit')),
      }),
    );
    socket.on('error', (e) => this.fail(new AgentError('connection_closed', `endpoint connection error: ${e.message}`)));
    socket.on('close', () => this.fail(new AgentError('connection_closed', 'the agent closed the connection')));
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Calls a method. Rejects with a BotEndpointError carrying the stable code. */
  call<M extends BotMethod>(method: M, params?: BotParams<M>, opts: CallOptions = {}): Promise<BotResult<M>> {
    return this.rawCall(method, params, opts).then((r) => {
      if (this.opts.validateResults === false) return r as BotResult<M>;
      const parsed = BotMethods[method].result.safeParse(r);
      if (!parsed.success) throw new AgentError('internal', `the agent's ${method} result does not match the protocol: ${parsed.error.issues[0]?.message ?? ''}`);
      return parsed.data as BotResult<M>;
    });
  }

  /** A call without result validation, for any method name (tests and the CLI use it for raw access). */
  rawCall(method: string, params?: unknown, opts: CallOptions = {}): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (opts.signal?.aborted) return Promise.reject(new AgentError('cancelled', 'cancelled before it was sent'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject, method };
      const timeoutMs = opts.timeoutMs ?? this.opts.callTimeoutMs;
      const timers = this.opts.timers ?? systemTimers;
      let timer: TimerHandle | undefined;
      const onAbort = () => this.cancelPending(id, new AgentError('cancelled', `${method} was cancelled`));
      if (timeoutMs !== undefined)
        timer = timers.setTimeout(() => this.cancelPending(id, new AgentError('timeout', `${method} got no answer within ${timeoutMs} ms`)), timeoutMs);
      if (opts.signal) opts.signal.addEventListener('abort', onAbort, { once: true });
      if (timer || opts.signal)
        p.cleanup = () => {
          timers.clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
        };
      this.pending.set(id, p);
      this.write(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    });
  }

  /** Sends one raw frame (tests: malformed input). */
  sendRaw(text: string | Buffer): void {
    this.flush();
    this.socket.write(text);
  }

  health(): Promise<BotResult<'health'>> {
    return this.call('health');
  }
  status(): Promise<BotResult<'status'>> {
    return this.call('status');
  }

  /** Subscribes to status changes; returns an unsubscribe function. */
  async onStatus(listener: (s: StatusResult) => void): Promise<() => Promise<void>> {
    this.statusListeners.add(listener);
    if (this.statusListeners.size === 1) await this.call('subscribe', { topics: ['status'] });
    return async () => {
      this.statusListeners.delete(listener);
      if (this.statusListeners.size === 0 && !this.closed) await this.call('unsubscribe', { topics: ['status'] });
    };
  }

  close(): void {
    this.fail(new AgentError('connection_closed', 'the client closed the connection'));
    this.socket.end();
    this.socket.destroy();
  }

  /** @internal the handshake, before the client is handed out */
  async handshake(secret: string, clientName: string | undefined): Promise<void> {
    const clientNonce = newNonce();
    const hello = (await this.rawCall('hello', { protocol: BOT_PROTOCOL_VERSION, clientNonce, ...(clientName ? { client: clientName } : {}) })) as unknown;
    const h = BotMethods.hello.result.safeParse(hello);
    // Refuse a server that cannot prove it knows the secret (a squatter): it gets no proof from us.
    if (!h.success || !proofsEqual(serverProof(secret, clientNonce, h.data.serverNonce), h.data.serverProof) || h.data.serverNonce === clientNonce) {
      this.close();
      throw new AgentError('endpoint_impostor', 'the process at the endpoint could not prove it knows the endpoint secret: refusing it (possible squatter; check which process owns the pipe/socket)');
    }
    this.session = await this.call('authenticate', { clientProof: clientProof(secret, h.data.serverNonce, clientNonce) });
  }

  private cancelPending(id: number, e: AgentError): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cleanup?.();
    // tell the agent to stop working on it (a notification: no answer comes back)
    if (!this.closedError) this.write({ jsonrpc: '2.0', method: CANCEL_METHOD, params: { id } });
    p.reject(e);
  }

  private write(msg: object): void {
    this.out.push(JSON.stringify(msg));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // pipelined calls made in one tick leave in one write
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0) return;
    const data = this.out.join('\n') + '\n';
    this.out = [];
    if (!this.socket.destroyed) this.socket.write(data);
  }

  private onFrame(bytes: Buffer): void {
    /** an answer or a notification; its parts are checked below before use */
    let msg: { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: RpcError } | null;
    try {
      msg = JSON.parse(bytes.toString('utf8')) as typeof msg;
    } catch {
      return this.fail(new AgentError('parse_error', 'the agent sent a frame that is not JSON'));
    }
    if (msg && typeof msg === 'object' && typeof msg.method === 'string' && msg.id === undefined) {
      if (msg.method === STATUS_NOTIFICATION) {
        const s = StatusNotificationSchema.safeParse(msg.params);
        if (s.success) for (const l of this.statusListeners) l(s.data);
      }
      return;
    }
    const id = msg?.id;
    if (typeof id !== 'number') {
      // an error with id null is about the connection as a whole (e.g. handshake timeout, frame too large)
      if (msg?.error) this.lastConnectionError = new BotEndpointError(msg.error);
      return;
    }
    const p = this.pending.get(id);
    if (!p) return; // answer to a call we already gave up on
    this.pending.delete(id);
    p.cleanup?.();
    if (msg?.error) p.reject(new BotEndpointError(msg.error));
    else p.resolve(msg?.result);
  }

  /** the last connection-level error the agent reported (id null) */
  lastConnectionError: BotEndpointError | undefined;

  private fail(e: AgentError): void {
    if (this.closedError) return;
    const reason = this.lastConnectionError ?? e;
    this.closedError = reason;
    for (const p of this.pending.values()) {
      p.cleanup?.();
      p.reject(reason);
    }
    this.pending.clear();
  }
}

/** Connects, runs the mutual handshake and returns a ready client. */
export async function connect(opts: ConnectOptions = {}): Promise<BotClient> {
  const path = opts.path ?? defaultEndpointPath();
  const timeoutMs = opts.connectTimeoutMs ?? 5000;
  const timers = opts.timers ?? systemTimers;
  let secret: string;
  if (typeof opts.secret === 'string') secret = opts.secret;
  else if (typeof opts.secret === 'function') secret = await opts.secret();
  else {
    const { readEndpointSecret } = await import('./secret.js');
    secret = await readEndpointSecret();
  }
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect(path);
    s.setNoDelay(true);
    const t = timers.setTimeout(() => {
      s.destroy();
      reject(new AgentError('timeout', `no answer from the agent at ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      timers.clearTimeout(t);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      timers.clearTimeout(t);
      reject(
        e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
          ? new AgentError('endpoint_unreachable', `no agent is listening at ${path} (is rpa-agent running for this user?)`, { path })
          : new AgentError('endpoint_unreachable', `cannot connect to ${path}: ${e.message}`, { path }),
      );
    });
  });
  const client = new BotClient(socket, opts);
  const t = timers.setTimeout(() => client.close(), timeoutMs);
  const onAbort = () => client.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.handshake(secret, opts.clientName);
  } catch (e) {
    client.close();
    throw e;
  } finally {
    timers.clearTimeout(t);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return client;
}
