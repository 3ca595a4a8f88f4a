/**
 * Process health for each metrics window: resident memory, heap, and event-loop delay p99 from
 * perf_hooks.monitorEventLoopDelay (reset every window so each window reports its own delay).
 *
 * The delay histogram samples with a libuv timer (every `resolutionMs`: 50 wake-ups a second), so it runs
 * only in windows where the agent works: `touch()` (every inference run) turns it on, and a window with no
 * touch turns it off again. An idle agent is not woken (issue 17 §2: idle CPU ≤ 0.2 %); its window reports
 * a delay of 0, which is what an idle loop has.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface ProcessStats {
  rssBytes: number;
  heapUsedBytes: number;
  eventLoopDelayP99Ms: number;
}

export class ProcessStatsSampler {
  readonly #h: IntervalHistogram;
  #enabled = false;
  #touched = false;

  constructor(resolutionMs = 20) {
    this.#h = monitorEventLoopDelay({ resolution: resolutionMs });
  }

  /** The agent is working (an inference run): measure the loop's delay until a window passes without work. */
  touch(): void {
    this.#touched = true;
    if (!this.#enabled) {
      this.#enabled = true;
      this.#h.enable();
    }
  }

  /** Stats since the last call; resets the delay histogram. */
  sample(): ProcessStats {
    const mem = process.memoryUsage();
    // The histogram is in nanoseconds; it is empty (NaN/0) until the first tick of the sampler.
    const p99 = this.#h.count > 0 ? this.#h.percentile(99) / 1e6 : 0;
    this.#h.reset();
    if (!this.#touched && this.#enabled) {
      this.#enabled = false;
      this.#h.disable();
    }
    this.#touched = false;
    return { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, eventLoopDelayP99Ms: Number.isFinite(p99) ? p99 : 0 };
  }

  close(): void {
    this.#enabled = false;
    this.#h.disable();
  }
}
