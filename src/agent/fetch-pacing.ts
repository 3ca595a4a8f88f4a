/**
 * Pacing of a model download's work on the agent's event loop (issue 17 §2: "fetching and warming a model
 * must not hurt a bot"). Every broker chunk is verified (sha256), sealed (AES-GCM) and written synchronously
 * in the MQTT message handler (chunk-fetch.ts: that keeps memory bounded by TCP back-pressure). At full
 * broker speed that keeps this thread busy back to back, and a bot's `detect` — whose image decoding and
 * pre-processing run on this same thread — waits behind it.
 *
 * So after each chunk the pacer looks at how busy this thread was since it last looked (event-loop
 * utilisation: the chunk work plus whatever the bots asked for) and, above `share` of the time, holds back
 * MQTT.js's acknowledgement of the message just handled for as long as brings the share down to `share`
 * (at most `maxPauseMs`). MQTT.js handles no further packet until then, so the socket is not read, TCP
 * back-pressure slows the broker, and the event loop is free for the bots meanwhile. The download's CPU
 * share is bounded; it takes longer on a busy workstation, not on an idle one.
 *
 * The hook is one call at the end of ChunkFetch.onChunk with the fetch's subscriber (the MQTT transport);
 * the pacer reaches the transport's MQTT client and wraps its `handleMessage` once.
 *
 * The same budget paces loops of synchronous work on this thread that are not driven by MQTT (`step()`): the
 * store's decrypt + sha256 of a model's blob before its activation, the whole-file hash of a resumed download.
 * Each piece is short (about 1 MiB of AES-GCM + sha256); after it the loop yields (setImmediate) or, above the
 * share, sleeps the owed time, so a bot's request never waits behind more than one piece and the verification
 * takes at most `share` of the thread while bots are busy — and runs flat out when they are not.
 */
import { performance } from 'node:perf_hooks';

/**
 * The bot requests being served right now (the endpoint's heavy methods: detect, classify, findElement, embed), and
 * whether the bots are in a burst. While one runs, and until none has run for `settleMs` after it, a download holds its
 * next chunk (the store's read-back its next piece, the native host its next model part) — at most `maxHoldMs` a
 * piece: the "lower priority" of issue 17 §2. A bot that sends request after request leaves gaps of a few ms between
 * them; chunk work in those gaps (1–2 ms a chunk on the agent's thread, more on the cores) was still running when the
 * next request came. So the download goes in the bots' pauses — a bot clicking or typing between its calls pauses for
 * far longer than `settleMs` — and a bot that never pauses still leaves it one piece per hold.
 */
export class BotActivity {
  private running = 0;
  private lastEnd = -Infinity;
  private waiters: (() => void)[] = [];
  private settleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** how long after the last request ended the bots count as still busy (0: released as soon as it is answered) */
    readonly settleMs: number = BOT_SETTLE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get busy(): boolean {
    return this.running > 0;
  }

  /** a request runs, or one ended less than settleMs ago */
  get active(): boolean {
    return this.running > 0 || this.now() - this.lastEnd < this.settleMs;
  }

  /** runs a bot request's work, counted as running until it settles (or throws) */
  async during<T>(work: () => Promise<T>): Promise<T> {
    this.begin();
    try {
      return await work();
    } finally {
      this.end();
    }
  }

  /** a bot request started running; call `end` exactly once when it is answered */
  begin(): void {
    this.running++;
    if (this.settleTimer) {
      clearTimeout(this.settleTimer);
      this.settleTimer = undefined;
    }
  }

  end(): void {
    this.running = Math.max(0, this.running - 1);
    if (this.running > 0) return;
    this.lastEnd = this.now();
    if (this.waiters.length === 0) return;
    if (this.settleMs <= 0) {
      // after the answer's own write (queued with process.nextTick by the connection)
      setImmediate(() => this.release());
      return;
    }
    this.scheduleRelease();
  }

  /** releases the waiters once the settle window after the last answer has passed (unless a request begins first) */
  private scheduleRelease(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      this.release();
    }, Math.max(1, Math.ceil(this.settleMs - (this.now() - this.lastEnd))));
  }

  private release(): void {
    if (this.waiters.length === 0 || this.busy) return; // a running request's end() schedules the next look
    if (this.active) return this.scheduleRelease(); // a timer that fired a little early
    for (const w of this.waiters.splice(0)) w();
  }

  /** runs `fn` once the bots are not active (at once, after one turn, when they are not), or after `maxHoldMs` */
  whenIdle(fn: () => void, maxHoldMs: number): void {
    if (!this.active) {
      setImmediate(fn);
      return;
    }
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const i = this.waiters.indexOf(once);
      if (i >= 0) this.waiters.splice(i, 1);
      fn();
    };
    const timer = setTimeout(once, maxHoldMs);
    this.waiters.push(once);
    // no request runs, the last one ended within the settle window: release after it
    if (!this.busy && !this.settleTimer) this.scheduleRelease();
  }

  /** `whenIdle` as a promise: a loop of background pieces awaits it between pieces */
  idle(maxHoldMs: number = BOT_HOLD_MS): Promise<void> {
    return new Promise<void>((resolve) => this.whenIdle(resolve, maxHoldMs));
  }
}

/**
 * After a bot request is answered, the bots count as busy for this long: longer than the gap between back-to-back
 * requests (a few ms), far shorter than a bot's pause to click or type.
 */
export const BOT_SETTLE_MS = 25;

/** the agent's (one per process, as the event loop it protects) */
export const botActivity = new BotActivity();

/** the longest a download's (or a swap's hashing) next piece waits for one running bot request */
export const BOT_HOLD_MS = 100;

export interface PacerOptions {
  /** the share of this thread's time the download may take, over a rolling look-back (default 0.5) */
  share?: number;
  /** longest single hold-back (default 100 ms) */
  maxPauseMs?: number;
  /** shortest look-back worth judging (default 20 ms): shorter ones accumulate */
  minWindowMs?: number;
  /** bot requests to give way to (default none), and the longest hold for one (default 100 ms) */
  bots?: BotActivity;
  maxHoldMs?: number;
  /** for tests: wall ms and this thread's cumulative busy ms (default: performance.now, event-loop utilisation) */
  now?: () => number;
  busyMs?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
}

/** the part of an MQTT.js client the pacer wraps */
interface PacedClient {
  handleMessage(packet: unknown, callback: (...args: unknown[]) => void): void;
}

export class WorkPacer {
  private readonly share: number;
  private readonly maxPauseMs: number;
  private readonly minWindowMs: number;
  private readonly now: () => number;
  private readonly busyMs: () => number;
  private readonly later: (fn: () => void, ms: number) => unknown;
  private readonly bots: BotActivity | undefined;
  private readonly maxHoldMs: number;
  private readonly wrapped = new WeakSet<object>();
  private since: number;
  private busyAt: number;
  /** hold-back owed by the message just handled */
  private owedMs = 0;
  /** total hold-back so far (reported by benchmarks) */
  pausedMs = 0;

  constructor(opts: PacerOptions = {}) {
    this.share = Math.min(1, Math.max(0.05, opts.share ?? 0.5));
    this.maxPauseMs = opts.maxPauseMs ?? 100;
    this.minWindowMs = opts.minWindowMs ?? 20;
    this.now = opts.now ?? (() => performance.now());
    this.busyMs = opts.busyMs ?? (() => performance.eventLoopUtilization().active);
    this.later = opts.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.bots = opts.bots;
    this.maxHoldMs = opts.maxHoldMs ?? BOT_HOLD_MS;
    this.since = this.now();
    this.busyAt = this.busyMs();
  }

  /** After one chunk's work: works out what the message just handled owes, and makes sure the transport honours it. */
  afterChunk(subscriber: unknown): void {
    this.wrap((subscriber as { client?: unknown } | undefined)?.client);
    this.account();
  }

  /**
   * After one piece of a synchronous loop on this thread: lets the event loop turn (setImmediate), or sleeps the
   * hold-back owed (this thread above `share` since the last look), then resolves.
   */
  step(): Promise<void> {
    this.account();
    const ms = this.takePause();
    return new Promise<void>((resolve) => {
      if (ms > 0) this.later(resolve, ms);
      else this.next(resolve);
    });
  }

  /** Works out what the work since the last look owes (busy / (window + pause) ≤ share). */
  private account(): void {
    const now = this.now();
    const window = now - this.since;
    if (window < this.minWindowMs) return;
    const busy = this.busyMs() - this.busyAt;
    this.since = now;
    this.busyAt = this.busyMs();
    // busy / (window + pause) ≤ share
    const pause = busy / this.share - window;
    if (pause > 0) this.owedMs = Math.min(this.maxPauseMs, this.owedMs + pause);
  }

  /** The hold-back owed now (and clears it): what the wrapped acknowledgement waits. */
  takePause(): number {
    const ms = this.owedMs;
    this.owedMs = 0;
    if (ms > 0) {
      this.pausedMs += ms;
      // the pause itself is idle time: the next look-back starts after it
      this.since = this.now() + ms;
      this.busyAt = this.busyMs();
    }
    return ms;
  }

  /**
   * Wraps an MQTT.js client's handleMessage (once) so that its callback waits for the owed pause — or, owing none,
   * for one turn of the event loop (setImmediate). MQTT.js hands the next packet already read from the socket over in
   * a process.nextTick chain, which never lets the loop turn: a burst of buffered chunks ran back to back, 15–25 ms of
   * this thread in the agent's profile of a 64 MiB swap, and a bot's request that arrived meanwhile waited for all of
   * it. Now it waits for one chunk's work at most (issue 17 §2).
   */
  wrap(client: unknown): void {
    const c = client as PacedClient | undefined;
    if (!c || typeof c !== 'object' || typeof c.handleMessage !== 'function' || this.wrapped.has(c)) return;
    this.wrapped.add(c);
    const original = c.handleMessage.bind(c);
    c.handleMessage = (packet, callback) =>
      original(packet, (...args: unknown[]) => {
        const ms = this.takePause();
        if (ms > 0) this.later(() => callback(...args), ms);
        else this.next(() => callback(...args));
      });
  }

  /** the next piece of work: after one turn of the event loop, and after the bot requests running now (bounded) */
  private next(fn: () => void): void {
    if (this.bots) this.bots.whenIdle(fn, this.maxHoldMs);
    else setImmediate(fn);
  }
}

/**
 * The agent's download pacer. One per process on purpose: the share it bounds is this thread's, whatever
 * number of fetches run at once, and it keeps the hook in chunk-fetch.ts to a single call.
 */
export const fetchPacer = new WorkPacer({ bots: botActivity });
