/**
 * Freeze attack (DESIGN.md "Trust rules"): the accepted release has an expiry; when it passes, the agent keeps
 * serving what is active and reports `release_expired` (event, status alert, tray) until a fresh release
 * arrives. One timer, on the injected clock and timers, re-armed in steps (setTimeout cannot wait longer than
 * 2^31 - 1 ms, about 24.8 days, and releases may live longer).
 */
import type { Clock, Timers } from './runtime.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

export class ReleaseExpiryWatch {
  private timer: unknown;

  constructor(private readonly d: { clock: Clock; timers: Timers; onExpired: (seq: number, expires: string) => void }) {}

  /** Watches the release `seq` that expires at `expires` (replacing any release watched before). */
  arm(seq: number, expires: string): void {
    this.dispose();
    const at = Date.parse(expires);
    const tick = () => {
      const left = at - this.d.clock.now();
      if (left <= 0) {
        this.timer = undefined;
        this.d.onExpired(seq, expires);
        return;
      }
      this.timer = this.d.timers.setTimeout(tick, Math.min(left, MAX_TIMER_MS));
    };
    tick();
  }

  dispose(): void {
    if (this.timer !== undefined) this.d.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
