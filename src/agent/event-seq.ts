/**
 * The per-agent event sequence (wire.ts AgentEvent.seq), persisted in the registry so it survives restarts.
 * When the registry cannot be written (disk full) an event still gets the next number, from memory, and
 * the counter in the registry is moved past it once writes work again: events are never lost for want of a
 * counter, and no number is used twice.
 */
import { randomBytes } from 'node:crypto';
import { isDiskFull } from './disk-watch.js';
import type { Registry } from './store/registry.js';

const KEY = 'event_seq';
const EPOCH_KEY = 'event_epoch';

export class EventSeq {
  private last = -1;
  private epochValue: string | undefined;

  constructor(private readonly registry: Registry) {}

  /**
   * The lifetime of the counter (issue 16 §2: consumers deduplicate on agent, epoch, seq): kept in the registry beside
   * it, so it is new exactly when the registry is (a re-install or re-image). Read once; when it cannot be written
   * (disk full) this run uses an in-memory one, which is still unique.
   */
  epoch(): string {
    if (this.epochValue) return this.epochValue;
    let e = this.registry.getMeta(EPOCH_KEY);
    if (!e) {
      e = randomBytes(8).toString('hex');
      try {
        this.registry.setMeta(EPOCH_KEY, e);
      } catch (err) {
        if (!isDiskFull(err)) throw err;
      }
    }
    return (this.epochValue = e);
  }

  /** `onDiskFull` is told (after this call returns) when the counter could not be persisted. */
  next(onDiskFull: (e: unknown) => void): number {
    let n: number;
    try {
      n = this.registry.nextCounter(KEY);
      if (n <= this.last) {
        n = this.last + 1; // numbers were handed out while the registry could not be written
        this.registry.setMeta(KEY, String(n + 1));
      }
    } catch (e) {
      if (!isDiskFull(e)) throw e;
      n = this.last + 1;
      queueMicrotask(() => onDiskFull(e));
    }
    this.last = n;
    return n;
  }
}
