/**
 * Timing shared by the vision benchmarks: wall time per call, and beside it the process CPU time (user + system, all
 * threads), which is less sensitive than wall time to other processes on an oversubscribed machine (it is still
 * inflated by cache and SMT contention).
 */
export class CallTimer {
  readonly #cpu = new Map<number[], number[]>();

  /** times `fn` into `wall` (and its CPU time into cpuOf(wall)) */
  async timed<T>(wall: number[], fn: () => Promise<T> | T): Promise<T> {
    const c0 = process.cpuUsage();
    const t = performance.now();
    const r = await fn();
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c0);
    let cpu = this.#cpu.get(wall);
    if (!cpu) this.#cpu.set(wall, (cpu = []));
    cpu.push((d.user + d.system) / 1000);
    return r;
  }

  /** CPU ms of the calls timed into `wall`, if any */
  cpuOf(wall: number[]): number[] | undefined {
    return this.#cpu.get(wall);
  }
}

/** the p-th percentile (nearest rank) */
export function pctl(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
