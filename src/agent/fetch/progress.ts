/**
 * download_progress throttling. Every report costs the agent an event (a SQLite counter commit, an audit
 * line, a QoS 1 publish) and a role-row commit plus a retained status: on a fast loopback download ten of
 * them were a measurable share of the fetch (docs/BENCHMARKS-distribution.md). So: at most one report per
 * 10 % step, at most one per `minIntervalMs`, and always the final one (100 %), which callers wait for.
 */
export function fetchProgressReporter(total: number, now: () => number, report: (p: number) => void, minIntervalMs = 1000): (have: number, total: number) => void {
  let lastStep = -1;
  let lastAt = -Infinity;
  return (have) => {
    const step = Math.floor((have / total) * 10);
    if (step <= lastStep) return;
    const final = have >= total;
    const t = now();
    // The first call only sets the baseline unless progress was already made (a resume).
    if (lastStep < 0 && step === 0) {
      lastStep = step;
      return;
    }
    if (!final && t - lastAt < minIntervalMs) return;
    lastStep = step;
    lastAt = t;
    report(Math.round((have / total) * 1000) / 1000);
  };
}
