/**
 * sharp (libvips) is loaded when the first image is decoded or resized, not when the agent starts (issue 17 §2):
 * an agent with models active and no bot calling never needs it, and loading it costs ~15 MB of RSS (libvips'
 * library pages, its threads, sharp's JavaScript with semver and detect-libc) that a process cannot give back.
 * docs/BENCHMARKS.md "Footprint, round 3". The first image request pays the import once (~70–100 ms here).
 *
 * libvips' operation cache (up to 50 MB, 100 operations) is turned off at load: screen frames never repeat, so
 * in the agent process it only holds memory. Process-wide, like the cache itself.
 */
import type SharpModule from 'sharp';

export type Sharp = typeof SharpModule;

let loading: Promise<Sharp> | undefined;

/** sharp, imported on first use (one import per process; every caller gets the same module) */
export function loadSharp(): Promise<Sharp> {
  return (loading ??= import('sharp').then((m) => {
    m.default.cache(false);
    return m.default;
  }));
}
