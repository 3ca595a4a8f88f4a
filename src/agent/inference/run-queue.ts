/**
 * A per-session run queue with a concurrency limit. For DirectML the limit is 1: its sessions must not
 * run concurrently (issue 3 §1), so runs on one session are serialised in arrival order.
 */
export class RunQueue {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError('limit must be >= 1');
  }

  get inFlight(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      // the finishing run hands its slot straight to us (active is not decremented in between),
      // so a newcomer cannot slip past the queue and exceed the limit
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
