/**
 * Stall timeout for a broker download (issue 17 §1: "a fetch missing a chunk waits forever with no event"):
 * when no new chunk arrives for `stallMs`, the fetch re-subscribes to what it still waits for (the broker
 * redelivers retained chunks on a new SUBSCRIBE) and reports `fetch_stalled`; the next try waits twice as
 * long, up to `maxMs`; any progress resets it.
 */
export interface StallOptions {
  stallMs: number;
  maxMs?: number;
  /** a stall: `attempt` 1, 2, … since the last progress, after `waitedMs` without a chunk */
  onStall: (s: { attempt: number; waitedMs: number; have: number; total: number }) => void;
}

export class StallWatch {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private delay: number;

  constructor(
    private readonly o: StallOptions,
    private readonly onFire: (attempt: number, waitedMs: number) => void,
  ) {
    this.delay = o.stallMs;
  }

  /** (Re)starts the watch after progress. */
  progress(): void {
    this.attempt = 0;
    this.delay = this.o.stallMs;
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.attempt++;
      const waited = this.delay;
      this.delay = Math.min(this.delay * 2, this.o.maxMs ?? 60_000);
      this.arm();
      this.onFire(this.attempt, waited);
    }, this.delay);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
