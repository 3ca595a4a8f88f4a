/**
 * The wait after a load's self-test or warm-up run that keeps the load's share of its thread at `share` (issue 17
 * §2): these runs go on beside the sessions serving the bots — in a load thread of the serving session process,
 * which is not niced — so a load must not take the cores back to back. After a run of `runMs` the load waits
 * runMs × (1/share − 1) (at most 1 s); the run times the latency check measures are not affected.
 */
export function dutyCycle(runMs: number, share: number | undefined, timers: { setTimeout: (fn: () => void, ms: number) => unknown } = { setTimeout }): Promise<void> {
  if (share === undefined || !(share > 0) || share >= 1) return Promise.resolve();
  const ms = Math.min(1000, runMs * (1 / share - 1));
  return new Promise((resolve) => {
    if (ms >= 1) timers.setTimeout(resolve, ms);
    else setImmediate(resolve);
  });
}
