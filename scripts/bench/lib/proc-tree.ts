/**
 * A process tree's memory and CPU, read from Linux /proc (the footprint benchmark, issue 17 §2): every
 * descendant of a root pid, its RSS (VmRSS), PSS (smaps_rollup: shared pages split between the processes
 * that map them, so the sum is not inflated by a library two processes both load) and its CPU ticks.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcSample {
  pid: number;
  name: string;
  rssBytes: number;
  pssBytes: number;
  /** utime + stime, in seconds */
  cpuSec: number;
  nice: number;
}

/** clock ticks per second (USER_HZ): 100 on every Linux Node supports */
const HZ = 100;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** pid → parent pid for every process now */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = read(`/proc/${d}/stat`);
    if (!stat) continue;
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(d), Number(rest[1]));
  }
  return out;
}

/** the root and all its descendants, alive now */
export function treePids(root: number): number[] {
  const pp = parents();
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of pp) if (ppid === out[i] && !out.includes(pid)) out.push(pid);
  return out.filter((p) => pp.has(p));
}

export function sampleProc(pid: number): ProcSample | undefined {
  const stat = read(`/proc/${pid}/stat`);
  const status = read(`/proc/${pid}/status`);
  if (!stat || !status) return undefined;
  const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields after the name, 0-based from field 3 (state): utime is field 14, stime 15, nice 19
  const cpuSec = (Number(f[11]) + Number(f[12])) / HZ;
  const nice = Number(f[16]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const pssKb = Number(/^Pss:\s+(\d+)/m.exec(read(`/proc/${pid}/smaps_rollup`) ?? '')?.[1] ?? rssKb);
  return { pid, name, rssBytes: rssKb * 1024, pssBytes: pssKb * 1024, cpuSec, nice };
}

export function sampleTree(root: number): ProcSample[] {
  return treePids(root)
    .map(sampleProc)
    .filter((s): s is ProcSample => s !== undefined);
}

/** the command line of a process, for the report */
export function cmdline(pid: number): string {
  return (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ');
}

/** The biggest mappings of a process by RSS (file name, or [heap]/[anon]/…), for finding where memory goes. */
export function topMappings(pid: number, n = 8): { name: string; rssBytes: number }[] {
  const text = read(`/proc/${pid}/smaps`);
  if (!text) return [];
  const by = new Map<string, number>();
  let name = '';
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      name = head[1]!.trim() || '[anon]';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) by.set(name, (by.get(name) ?? 0) + Number(rss[1]) * 1024);
  }
  return [...by]
    .map(([name, rssBytes]) => ({ name: name.replace(/^.*node_modules\//, ''), rssBytes }))
    .sort((a, b) => b.rssBytes - a.rssBytes)
    .slice(0, n);
}
