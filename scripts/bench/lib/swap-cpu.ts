/**
 * Where a process tree's CPU goes during a swap (the footprint benchmark's p95 part, issue 17 §2): samples every
 * thread of every process in the tree (/proc/PID/task/TID/stat) every `everyMs`, and splits the CPU each thread
 * spent between phase marks (release → download_started → model_verified → activated). Threads are grouped by
 * process and by their name (comm), e.g. the session process's load thread vs its main thread.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { treePids } from './proc-tree.js';

const HZ = 100;

interface ThreadTick {
  /** pid:tid */
  key: string;
  pid: number;
  tid: number;
  name: string;
  nice: number;
  cpuSec: number;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function threadsOf(pid: number): ThreadTick[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: ThreadTick[] = [];
  for (const t of tids) {
    const stat = read(`/proc/${pid}/task/${t}/stat`);
    if (!stat) continue;
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push({ key: `${pid}:${t}`, pid, tid: Number(t), name, nice: Number(f[16]), cpuSec: (Number(f[11]) + Number(f[12])) / HZ });
  }
  return out;
}

export class SwapCpu {
  private readonly samples: { at: number; ticks: Map<string, ThreadTick> }[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly procName = new Map<number, string>();

  constructor(
    private readonly root: number,
    private readonly everyMs = 50,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    const ticks = new Map<string, ThreadTick>();
    for (const pid of treePids(this.root)) {
      if (!this.procName.has(pid)) {
        const cmd = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
        this.procName.set(pid, pid === this.root ? 'agent' : cmd.some((a) => a.includes('session-worker')) ? 'session' : cmd.slice(1).join(' ').slice(-40));
      }
      for (const t of threadsOf(pid)) ticks.set(t.key, t);
    }
    this.samples.push({ at: performance.now(), ticks });
  }

  /** every thread's ticks as last seen at or before `at` (a process that ended keeps what it spent) */
  private ticksAt(at: number): Map<string, ThreadTick> {
    const out = new Map<string, ThreadTick>();
    for (const s of this.samples) {
      if (s.at > at + this.everyMs / 2) break;
      for (const [k, t] of s.ticks) out.set(k, t);
    }
    return out;
  }

  /** the tree's CPU seconds between two moments */
  total(from: number, to: number): number {
    const a = this.ticksAt(from);
    let sum = 0;
    for (const [key, t] of this.ticksAt(to)) sum += Math.max(0, t.cpuSec - (a.get(key)?.cpuSec ?? 0));
    return sum;
  }

  /**
   * CPU per (process, thread) between consecutive marks (ms on performance.now()'s clock). With `detects`, each
   * phase also says how much of its CPU is the detects' own (their count in it × the CPU per detect measured
   * while quiet) and how much is left for the fetch/swap.
   */
  report(marks: readonly { name: string; at: number }[], detects?: { cpuPerDetectSec: number; countIn: (from: number, to: number) => number }): string[] {
    const lines: string[] = [];
    for (let i = 0; i + 1 < marks.length; i++) {
      const a = this.ticksAt(marks[i]!.at);
      const b = this.ticksAt(marks[i + 1]!.at);
      const by = new Map<string, number>();
      for (const [key, t] of b) {
        const d = t.cpuSec - (a.get(key)?.cpuSec ?? 0);
        if (d <= 0) continue;
        // the main thread has tid === pid; unnamed threads (Node workers and V8/onnxruntime threads are all "node") by tid
        const label = `${t.pid} ${this.procName.get(t.pid) ?? '?'}${t.nice ? ` (nice ${t.nice})` : ''}: ${t.tid === t.pid ? 'main' : t.name === 'node' ? `thread ${t.tid}` : t.name}`;
        by.set(label, (by.get(label) ?? 0) + d);
      }
      const total = [...by.values()].reduce((x, y) => x + y, 0);
      const wall = (marks[i + 1]!.at - marks[i]!.at) / 1000;
      const n = detects?.countIn(marks[i]!.at, marks[i + 1]!.at);
      const own = n === undefined ? '' : `; ${n} detects ≈ ${(n * detects!.cpuPerDetectSec).toFixed(2)} s, the rest ${(total - n * detects!.cpuPerDetectSec).toFixed(2)} s`;
      lines.push(`${marks[i]!.name} → ${marks[i + 1]!.name}: ${wall.toFixed(2)} s wall, ${total.toFixed(2)} s CPU (${((total / Math.max(wall, 1e-9)) * 100).toFixed(0)} % of a core)${own}`);
      for (const [label, s] of [...by].sort((x, y) => y[1] - x[1]).slice(0, 10)) lines.push(`    ${(s * 1000).toFixed(0).padStart(5)} ms  ${label}`);
    }
    return lines;
  }
}
