/**
 * glibc malloc tuning for a process that hosts inference (issue 3 §5, docs/BENCHMARKS-inference.md).
 *
 * Measured here: RSS over 100 swaps of an 8 MB model climbs ~40 % and plateaus after ~40 swaps, with
 * one worker thread per generation (old design) and with long-lived workers alike; 100 create/release
 * cycles on one thread stayed flat. With MALLOC_MMAP_THRESHOLD_=131072 the same host run is flat
 * (−10 %) and uses ~2.5× less memory. The cause is glibc's dynamic mmap threshold: after the first free
 * of a large mmapped block, glibc raises the threshold (up to 32 MiB), so onnxruntime's multi-MB
 * session allocations in worker threads come from per-thread arenas that fragment and are never
 * returned. Fixing the threshold keeps those blocks mmapped, returned to the OS on release.
 *
 * glibc reads these variables once, at process start, so they cannot be set from inside: the agent sets
 * them in the environment of each session process it spawns (session-process.ts, where onnxruntime
 * allocates; the CLI and the desktop alike), and the service unit sets them for the agent process itself
 * (it matters there only with isolation "thread"). No launcher process (issue 17 §2). Windows and macOS do
 * not use glibc malloc.
 *
 * 32 KiB, not the 128 KiB default (issue 17 §2, docs/BENCHMARKS.md "Footprint, round 3"): blocks of 32–128 KiB (V8's
 * compiler zones at start-up, onnxruntime's graph optimisation at a load) otherwise stay in the heap as free space
 * glibc never returns — ~7 MB in the idle agent process and ~6 MB in the session process, what `malloc_trim` would
 * give back (measured with gdb). Detect latency measured unchanged.
 */

/** Fixed 32 KiB mmap threshold (without glibc's dynamic raise). */
export const GLIBC_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '32768' };

/** True when the tuning is not needed (not Linux) or already in effect for this process. */
export function mallocTuned(platform: string = process.platform, env: NodeJS.ProcessEnv = process.env): boolean {
  if (platform !== 'linux') return true;
  return env.MALLOC_MMAP_THRESHOLD_ !== undefined || /glibc\.malloc\.mmap_threshold=/.test(env.GLIBC_TUNABLES ?? '');
}

/** The variables to add to a child process's environment (empty when nothing is needed). */
export function mallocTuningEnv(platform: string = process.platform, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return mallocTuned(platform, env) ? {} : { ...GLIBC_MALLOC_ENV };
}
