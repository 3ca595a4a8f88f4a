/**
 * Clean shutdown on quit, logoff and OS shutdown (issue 7 §1): the same ordered steps whatever the
 * trigger, run once, each bounded by a timeout so a stuck step cannot keep Windows waiting at logoff.
 * Order matters: stop accepting bot requests and let in-flight ones finish, then close the agent core
 * (state saved, last-will status published, registry closed), then dispose the UI. No electron import.
 */
export interface ShutdownStep {
  name: string;
  run(signal: AbortSignal): Promise<void> | void;
}

export interface ShutdownResult {
  reason: string;
  steps: Array<{ name: string; ok: boolean; ms: number; error?: string }>;
}

export function createShutdown(steps: readonly ShutdownStep[], opts: { stepTimeoutMs: number; now?: () => number }) {
  const now = opts.now ?? Date.now;
  let running: Promise<ShutdownResult> | undefined;
  return {
    get started(): boolean {
      return running !== undefined;
    },
    /** Runs every step once, in order; later calls return the same promise. */
    run(reason: string): Promise<ShutdownResult> {
      running ??= (async () => {
        const out: ShutdownResult = { reason, steps: [] };
        for (const step of steps) {
          const t0 = now();
          const ac = new AbortController();
          let timer: ReturnType<typeof setTimeout> | undefined;
          try {
            await Promise.race([
              Promise.resolve().then(() => step.run(ac.signal)),
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => {
                  ac.abort();
                  reject(new Error(`timed out after ${opts.stepTimeoutMs} ms`));
                }, opts.stepTimeoutMs);
              }),
            ]);
            out.steps.push({ name: step.name, ok: true, ms: now() - t0 });
          } catch (e) {
            // A failed step does not stop the others: the agent must still be closed if the UI fails.
            out.steps.push({ name: step.name, ok: false, ms: now() - t0, error: (e as Error).message });
          } finally {
            if (timer) clearTimeout(timer);
          }
        }
        return out;
      })();
      return running;
    },
  };
}
