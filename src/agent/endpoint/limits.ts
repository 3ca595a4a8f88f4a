/**
 * Per-client request rate and the fair, bounded detection queue (issue 5 §4). A full queue answers `busy`
 * at once — it never hangs — and clients are served round-robin, so one bot flooding detections cannot
 * starve another.
 */
import { BotLimitsDefaults } from '../../common/bot-protocol.js';
import { AgentError } from '../../common/errors.js';
import type { PngLimits } from './png.js';

/** Token bucket: `rate` tokens per second, at most `burst` saved up. Clock injected for tests. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }
  take(n = 1): boolean {
    const t = this.now();
    if (t > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
      this.last = t;
    }
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

export interface QueueLimits {
  /** detections running at once (inference is CPU/GPU bound: more than the cores helps no one) */
  concurrency: number;
  /** waiting jobs over all clients */
  maxQueued: number;
  /** waiting jobs of one client */
  maxQueuedPerClient: number;
}

interface Job {
  run: () => Promise<void>;
  /** called instead of run when the job leaves the queue without running */
  drop: (e: AgentError) => void;
}

/**
 * Round-robin over clients: each client has its own FIFO; the next free slot goes to the next client in
 * turn that has work. enqueue() throws `busy` synchronously when full.
 */
export class FairQueue {
  private readonly byClient = new Map<string, Job[]>();
  /** clients with waiting work, in turn order */
  private readonly turn: string[] = [];
  private queued = 0;
  private active = 0;
  private closed = false;

  constructor(private readonly limits: QueueLimits) {}

  get stats(): { queued: number; running: number } {
    return { queued: this.queued, running: this.active };
  }

  /** Returns a function that removes the job if it is still waiting (true when removed). */
  enqueue(clientId: string, job: Job): () => boolean {
    if (this.closed) throw new AgentError('busy', 'the endpoint is shutting down');
    let list = this.byClient.get(clientId);
    if (this.queued >= this.limits.maxQueued || (list?.length ?? 0) >= this.limits.maxQueuedPerClient)
      throw new AgentError('busy', `the detection queue is full (${this.queued} waiting, ${this.active} running): retry shortly`, {
        queued: this.queued,
        running: this.active,
      });
    if (!list) {
      list = [];
      this.byClient.set(clientId, list);
      this.turn.push(clientId);
    }
    list.push(job);
    this.queued++;
    this.pump();
    return () => {
      const l = this.byClient.get(clientId);
      const i = l ? l.indexOf(job) : -1;
      if (!l || i < 0) return false;
      l.splice(i, 1);
      this.queued--;
      if (l.length === 0) this.forget(clientId);
      return true;
    };
  }

  /** Drops every waiting job of a client (its connection closed). */
  dropClient(clientId: string, e: AgentError): void {
    const l = this.byClient.get(clientId);
    if (!l) return;
    this.forget(clientId);
    this.queued -= l.length;
    for (const j of l) j.drop(e);
  }

  close(e: AgentError): void {
    this.closed = true;
    for (const id of [...this.turn]) this.dropClient(id, e);
  }

  private forget(clientId: string): void {
    this.byClient.delete(clientId);
    const i = this.turn.indexOf(clientId);
    if (i >= 0) this.turn.splice(i, 1);
  }

  private pump(): void {
    while (this.active < this.limits.concurrency && this.turn.length > 0) {
      const clientId = this.turn.shift()!;
      const list = this.byClient.get(clientId)!;
      const job = list.shift()!;
      this.queued--;
      if (list.length > 0) this.turn.push(clientId); // back of the line: round-robin
      else this.byClient.delete(clientId);
      this.active++;
      void job.run().finally(() => {
        this.active--;
        this.pump();
      });
    }
  }
}

// ------------------------------------------------------------------------------- the endpoint's limits

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
