/**
 * CPU feature flags for the variant rule (issue 21 §1, common/variants.ts). Linux: the `flags` line of
 * /proc/cpuinfo (names such as avx2, avx512_vnni, avx_vnni). Windows: Node cannot reach
 * IsProcessorFeaturePresent and `os.cpus()` gives only the model string, so no flags are reported — a variant
 * that names cpuFlags is then chosen only through config `cpuFlags` (or `variant: "<name>"`); provider-only
 * variants (e.g. fp16 for dml) still fit. macOS: the same as Windows.
 */
import { readFileSync } from 'node:fs';

/** Parses /proc/cpuinfo text: the first `flags` line, lowercase, deduplicated. */
export function parseCpuinfoFlags(text: string): string[] {
  const line = text.split('\n').find((l) => /^flags\s*:/.test(l));
  if (!line) return [];
  return [...new Set(line.slice(line.indexOf(':') + 1).trim().split(/\s+/).filter(Boolean).map((f) => f.toLowerCase()))];
}

/** The flags this agent matches: the config's when given, else what the platform tells (see above). */
export function cpuFlagsFor(platform: string, configured: readonly string[] | undefined, readCpuinfo: () => string = () => readFileSync('/proc/cpuinfo', 'utf8')): string[] {
  if (configured) return configured.map((f) => f.toLowerCase());
  if (platform !== 'linux') return [];
  try {
    return parseCpuinfoFlags(readCpuinfo());
  } catch {
    return []; // no /proc (a container without it): no flags, the base or provider-only variants serve
  }
}
