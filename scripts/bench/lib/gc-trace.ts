/**
 * The agent's garbage collections per phase of a swap (the footprint benchmark's `--trace-gc`, issue 17 §2): the
 * agent runs with node's `--trace-gc --trace-incremental-marking`, whose lines go to its stdout next to the JSON
 * events; each line is stamped with this process's clock when it arrives and parsed here. Counted per phase:
 * scavenges and mark-compacts with their pause times, and why each incremental marking (the start of a
 * mark-compact) began — "external memory pressure", "allocation failure", a task, ….
 */

export interface GcEvent {
  /** this process's performance.now() when the line arrived */
  at: number;
  kind: 'scavenge' | 'mark-compact' | 'minor-mc' | 'marking-start';
  /** main-thread pause (ms); 0 for a marking start */
  pauseMs: number;
  /** V8's reason: for a GC the one of its last step, for a marking start why marking began */
  reason: string;
}

const GC_LINE = /ms: (Scavenge|Mark-Compact(?: \(reduce\))?|Minor Mark-Compact)\b.*? MB, ([\d.]+) \/ [\d.]+ ms .*\) ([^;()]+?);/;
const MARK_START = /\[IncrementalMarking\] Start \(([^)]+)\)/;

/** One line of the agent's stdout: a GC event, or undefined. */
export function parseGcLine(line: string, at: number): GcEvent | undefined {
  const g = GC_LINE.exec(line);
  if (g) {
    const kind = g[1]!.startsWith('Scavenge') ? 'scavenge' : g[1]!.startsWith('Minor') ? 'minor-mc' : 'mark-compact';
    return { at, kind, pauseMs: Number(g[2]), reason: g[3]!.trim() };
  }
  const m = MARK_START.exec(line);
  if (m) return { at, kind: 'marking-start', pauseMs: 0, reason: m[1]!.trim() };
  return undefined;
}

/** The GCs between two marks, as report lines. */
export function gcSummary(events: readonly GcEvent[], from: number, to: number): string {
  const inside = events.filter((e) => e.at >= from && e.at < to);
  const part = (kind: GcEvent['kind'], name: string) => {
    const es = inside.filter((e) => e.kind === kind);
    if (es.length === 0) return `${name} 0`;
    const sum = es.reduce((a, e) => a + e.pauseMs, 0);
    const max = es.reduce((a, e) => Math.max(a, e.pauseMs), 0);
    return `${name} ${es.length} (${sum.toFixed(1)} ms, max ${max.toFixed(1)} ms)`;
  };
  const reasons = new Map<string, number>();
  for (const e of inside) if (e.kind === 'marking-start') reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
  const scav = new Map<string, number>();
  for (const e of inside) if (e.kind === 'scavenge') scav.set(e.reason, (scav.get(e.reason) ?? 0) + 1);
  const list = (m: Map<string, number>) => [...m].map(([r, n]) => `${r} ×${n}`).join(', ') || '-';
  return `${part('scavenge', 'scavenges')}, ${part('mark-compact', 'mark-compacts')}${inside.some((e) => e.kind === 'minor-mc') ? `, ${part('minor-mc', 'minor mark-compacts')}` : ''}; marking started by: ${list(reasons)}; scavenges by: ${list(scav)}`;
}
