/**
 * One bot connection of the endpoint (issue 5): its handshake state, framing, rate buckets, requests in
 * flight and subscriptions, and its batched, back-pressured writes. Split out of server.ts (issue 18 §4).
 * Lifetime: the connection owns its timers (handshake deadline, the end-of-connection destroy) and clears
 * them when its socket closes — a closed endpoint leaves no timer behind.
 */
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { botErrorNumber, type RpcError, type RpcId, type SUBSCRIPTION_TOPICS } from '../../common/bot-protocol.js';
import { AgentError, ErrorCodes, isRetryable, toAgentError } from '../../common/errors.js';
import type { TimerHandle, Timers } from '../../common/lifetime.js';
import { FrameDecoder, type FrameSink } from './framing.js';
import { TokenBucket, type EndpointLimits } from './limits.js';

/** A request admitted and not yet answered. */
export interface InFlight {
  ac: AbortController;
  unqueue?: () => boolean;
  timer?: TimerHandle;
  settled: boolean;
  /** gives the request's image budget back (image-budget.ts): when its run ends, or when it never runs */
  release?: () => void;
  running?: boolean;
}

/** What a connection needs from its endpoint. */
export interface ConnectionOwner {
  readonly limits: EndpointLimits;
  readonly timers: Timers;
  onFrame(c: Connection, bytes: Buffer): void;
  auditError(c: Connection, e: unknown): void;
}

export type SubscriptionTopic = (typeof SUBSCRIPTION_TOPICS)[number];

/** How long a closing connection may take to flush before its socket is destroyed (a peer that never reads). */
export const CLOSE_GRACE_MS = 1000;

export function rpcErrorOf(e: unknown): RpcError {
  const err = toAgentError(e);
  // Internal errors keep their detail in the audit log, not on the wire.
  const message = err.code === 'internal' ? ErrorCodes.internal + ' (see the agent log)' : err.message;
  return { code: botErrorNumber(err.code), message, data: { code: err.code, ...(err.code !== 'internal' ? err.details : undefined), ...(isRetryable(err.code) ? { retryable: true } : {}) } };
}

export class Connection implements FrameSink {
  readonly id = randomUUID();
  state: 'hello' | 'proof' | 'open' | 'closing' = 'hello';
  clientNonce = '';
  serverNonce = '';
  clientName: string | undefined;
  readonly decoder: FrameDecoder;
  readonly inflight = new Map<string, InFlight>();
  readonly subscriptions = new Set<SubscriptionTopic>();
  readonly requests: TokenBucket;
  readonly heavy: TokenBucket;
  handshakeTimer: TimerHandle;
  private endTimer: TimerHandle;
  private out: string[] = [];
  private flushScheduled = false;
  private paused = false;

  constructor(
    readonly socket: Socket,
    private readonly ep: ConnectionOwner,
  ) {
    const l = ep.limits;
    const now = () => ep.timers.now();
    this.decoder = new FrameDecoder(l.maxPreAuthFrameBytes);
    this.requests = new TokenBucket(l.requestsPerSecond, l.requestBurst, now);
    this.heavy = new TokenBucket(l.heavyPerSecond, l.heavyBurst, now);
    socket.once('close', () => this.clearTimers());
  }

  /** the socket closed: nothing of this connection may stay scheduled */
  clearTimers(): void {
    this.ep.timers.clearTimeout(this.handshakeTimer);
    this.ep.timers.clearTimeout(this.endTimer);
    this.handshakeTimer = this.endTimer = undefined;
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
      if (!this.socket.destroyed) this.endTimer = this.ep.timers.setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    });
  }
}
