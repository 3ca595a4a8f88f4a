/**
 * Process health for each metrics window: resident memory, heap, and event-loop delay p99 from
 * perf_hooks.monitorEventLoopDelay (reset every window so each window reports its own delay).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface ProcessStats {
  rssBytes: number;
  heapUsedBytes: number;
  eventLoopDelayP99Ms: number;
}

export class ProcessStatsSampler {
  readonly #h: IntervalHistogram;

  constructor(resolutionMs = 20) {
    this.#h = monitorEventLoopDelay({ resolution: resolutionMs });
    this.#h.enable();
  }

  /** Stats since the last call; resets the delay histogram. */
  sample(): ProcessStats {
    const mem = process.memoryUsage();
    // The histogram is in nanoseconds; it is empty (NaN/0) until the first tick of the sampler.
    const p99 = this.#h.count > 0 ? this.#h.percentile(99) / 1e6 : 0;
    this.#h.reset();
    return { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, eventLoopDelayP99Ms: Number.isFinite(p99) ? p99 : 0 };
  }

  close(): void {
    this.#h.disable();
  }
}
