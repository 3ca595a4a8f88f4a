/**
 * A process and its descendants as Linux shows them in /proc: pid, parent, RSS and environment. Used to
 * check that `rpa-agent run` is one agent process (no launcher), that the session processes it spawns
 * carry glibc's malloc tuning, and to add up the agent's resident memory. Linux only; callers skip elsewhere.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** resident set size in bytes (VmRSS) */
  rssBytes: number;
  env: Record<string, string>;
}

function read(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    const env: Record<string, string> = {};
    for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const i = kv.indexOf('=');
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return { pid, ppid, rssBytes: rssKb * 1024, env };
  } catch {
    return undefined; // ended meanwhile
  }
}

/** `root` first, then every live descendant. */
export function processTree(root: number): ProcInfo[] {
  const all = readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => read(Number(n)))
    .filter((p): p is ProcInfo => p !== undefined);
  const first = all.find((p) => p.pid === root);
  if (!first) return [];
  const out = [first];
  for (let i = 0; i < out.length; i++) for (const p of all) if (p.ppid === out[i]!.pid) out.push(p);
  return out;
}

/** true when `pid` has ended (no /proc entry, or a zombie) — one read, no exists-then-read race */
export function processGone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
  } catch {
    return true;
  }
}
