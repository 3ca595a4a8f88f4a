/**
 * Memory under hostile images (issue 17 §1): a PNG of a few kB can declare 40 megapixels, i.e. 160 MB once
 * decoded to RGBA. The endpoint admits the images of a request only while the declared decoded bytes
 * (width × height × 4, from the IHDR header, before any decoding) of every admitted request fit in
 * `maxBytes`; past it a request waits up to `waitMs` for room, then is answered `busy`. The budget is held
 * from admission until the request is answered (queued, decoding and running). A single image larger than
 * the whole budget is admitted alone, when nothing else is in flight.
 */
import { AgentError } from '../../common/errors.js';
import { systemTimers, type TimerHandle, type Timers } from '../../common/lifetime.js';

export interface ImageBudgetOptions {
  maxBytes: number;
  waitMs: number;
  /** the wait's timer (src/common/lifetime.ts); close() clears what is pending */
  timers?: Timers;
}

/** RGBA bytes of a decoded image of this size */
export const decodedBytes = (width: number, height: number): number => width * height * 4;

interface Waiter {
  bytes: number;
  admit: () => void;
  timer: TimerHandle;
  reject: (e: AgentError) => void;
}

export class ImageBudget {
  private used = 0;
  private peak = 0;
  private readonly waiting: Waiter[] = [];

  private readonly timers: Timers;

  constructor(private readonly o: ImageBudgetOptions) {
    this.timers = o.timers ?? systemTimers;
  }

  /** Answers every waiting request `connection_closed` and clears their timers (the endpoint is closing). */
  close(): void {
    for (const w of this.waiting.splice(0)) {
      this.timers.clearTimeout(w.timer);
      w.reject(new AgentError('connection_closed', 'the agent is shutting down'));
    }
  }

  /** bytes admitted right now, and the most ever admitted at once (the test's and the status's view) */
  get inFlightBytes(): number {
    return this.used;
  }
  get peakBytes(): number {
    return this.peak;
  }

  private fits(bytes: number): boolean {
    return this.used + bytes <= this.o.maxBytes || this.used === 0;
  }

  private take(bytes: number): () => void {
    this.used += bytes;
    this.peak = Math.max(this.peak, this.used);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
      this.admitWaiting();
    };
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const w = this.waiting.shift()!;
      this.timers.clearTimeout(w.timer);
      w.admit();
    }
  }

  /** Admits `bytes` of declared images: the release function, now or after a short wait; `busy` past `waitMs`. */
  acquire(bytes: number): Promise<() => void> {
    if (bytes <= 0) return Promise.resolve(() => undefined);
    if (this.waiting.length === 0 && this.fits(bytes)) return Promise.resolve(this.take(bytes));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        bytes,
        admit: () => resolve(this.take(bytes)),
        reject,
        timer: this.timers.setTimeout(() => {
          const i = this.waiting.indexOf(w);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new AgentError('busy', `images being decoded already take ${Math.round(this.used / 2 ** 20)} MiB of ${Math.round(this.o.maxBytes / 2 ** 20)} MiB: retry shortly`, { maxDecodeBytes: this.o.maxBytes }));
          this.admitWaiting();
        }, this.o.waitMs),
      };
      this.waiting.push(w);
    });
  }
}
