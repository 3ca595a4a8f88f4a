/**
 * CPU time used by this process (every thread, process.cpuUsage) plus its live child processes (from
 * /proc/<pid>/stat: utime + stime), in seconds. Linux only; tests that need it skip elsewhere.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function childCpuSeconds(parent: number): number {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // fields after "(comm)": state ppid ... utime(14) stime(15)
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[1]) !== parent) continue;
    total += (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND;
    total += childCpuSeconds(Number(name));
  }
  return total;
}

export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6 + childCpuSeconds(process.pid);
}

/** Average cores busy over the next `ms` (this process and its children). */
export async function coresBusy(ms: number): Promise<number> {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return (cpuSeconds() - c0) / ((performance.now() - t0) / 1000);
}
