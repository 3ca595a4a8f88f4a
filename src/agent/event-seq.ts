/**
 * The per-agent event sequence (wire.ts AgentEvent.seq), persisted in the registry so it survives restarts.
 * When the registry cannot be written (disk full) an event still gets the next number, from memory, and
 * the counter in the registry is moved past it once writes work again: events are never lost for want of a
 * counter, and no number is used twice.
 */
import { isDiskFull } from './disk-watch.js';
import type { Registry } from './store/registry.js';

const KEY = 'event_seq';

export class EventSeq {
  private last = -1;

  constructor(private readonly registry: Registry) {}

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
