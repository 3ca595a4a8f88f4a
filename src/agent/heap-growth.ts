/**
 * How far V8 lets the agent's old generation grow past its live size before the next full mark-compact
 * (issue 17 §2: a bot's detect p95 while a model is fetched and swapped; docs/BENCHMARKS.md "round 6").
 *
 * V8 (11.x, Node 20) sets that limit after every mark-compact at live × factor, the factor from how fast the old
 * generation grew lately: in an agent that has been idle (the vision idle release's full GC, V8's memory reducer)
 * that is the minimum, ×1.1 — with the minimum step, ~8 MiB over the ~20 MiB live. External memory (ArrayBuffers:
 * the socket's reads, MQTT.js's packet copies, every chunk's sealed copy, a detect's image buffers, ~0.75 MiB a
 * 256 KiB chunk and ~4 MiB a detect) counts toward that limit as soon as it is allocated, while V8 frees young
 * ArrayBuffers in a scavenge only once 32 MiB of them have piled up. So every ~8 MiB of short-lived buffers started
 * a full mark-compact: 40–60 in a 64 MiB download and the activation after it, and 11 in 40 quiet detects, 2–40 ms
 * each on the thread that serves the bots.
 *
 * With the factor fixed at ×3 (`--heap-growing-percent=200`) the headroom is ~40 MiB at the agent's live size, more
 * than the 32 MiB after which a scavenge frees the young buffers: one mark-compact per phase instead. The old
 * generation's garbage may then reach ~3× the live heap before it is collected (~40 MiB more at worst, while busy);
 * idle RSS is unchanged (the idle release's full GC still runs). Process-wide (every isolate of the process) and
 * read by V8 at every limit it sets, so setting it once when the agent starts is enough; a runtime that refuses the
 * flag keeps V8's default.
 */
import v8 from 'node:v8';

/** old-generation growth past the live size, in % (×3 at 200) */
export const HEAP_GROWING_PERCENT = 200;

let applied: number | undefined;

export function widenHeapGrowth(percent: number = HEAP_GROWING_PERCENT): void {
  try {
    v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
    applied = percent;
  } catch {
    // V8's default growth
  }
}

/** the growth this process set (undefined: V8's default) — V8 has no getter for its flags */
export function heapGrowthApplied(): number | undefined {
  return applied;
}
