/**
 * Finds what a component left behind after close (issue 18 §4 "no handle, timer or worker is left"):
 * an async_hooks hook records every handle-like resource created while it is on (timers — unref'd ones
 * too, which process.getActiveResourcesInfo() does not list — sockets, servers, workers, child processes,
 * watchers) with the stack that made it, and forgets it when Node destroys it. What is still recorded after
 * close is a leak, reported with where it was made.
 */
import { createHook } from 'node:async_hooks';

/** Resource types that hold the event loop or a thread; promises and one-shot requests are not tracked. */
const HANDLE_TYPES = new Set([
  'Timeout',
  'Immediate',
  'TCPWRAP',
  'TCPSERVERWRAP',
  'PIPEWRAP',
  'PIPESERVERWRAP',
  'UDPWRAP',
  'WORKER',
  'PROCESSWRAP',
  'FSEVENTWRAP',
  'STATWATCHER',
  'SIGNALWRAP',
  'HTTPCLIENTREQUEST',
]);

export interface LiveResource {
  type: string;
  /** the first frames of the stack that created it, outside node: internals */
  madeAt: string;
}

export interface ResourceTracker {
  live(): LiveResource[];
  stop(): void;
}

/** true while the tracker schedules its own polling timer (not the subject's) */
let ownTimer = false;

export function trackResources(): ResourceTracker {
  const live = new Map<number, { type: string; stack: string | undefined }>();
  const hook = createHook({
    init(id, type) {
      if (!HANDLE_TYPES.has(type) || ownTimer) return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 40; // past the hook's own frames to the code that made the resource
      live.set(id, { type, stack: new Error().stack });
      Error.stackTraceLimit = limit;
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return {
    live: () =>
      [...live.values()].map(({ type, stack }) => ({
        type,
        madeAt: (stack ?? '')
          .split('\n')
          .slice(1)
          .map((l) => l.trim())
          .filter((l) => !l.includes('node:') && !l.includes('resource-tracker'))
          .slice(0, 4)
          .join(' < '),
      })),
    stop: () => hook.disable(),
  };
}

/** Polls `check` until it returns an empty list or `ms` pass (sockets and workers end asynchronously). */
export async function settled<T>(check: () => T[], ms: number): Promise<T[]> {
  const until = Date.now() + ms;
  let left = check();
  while (left.length > 0 && Date.now() < until) {
    await new Promise<void>((r) => {
      ownTimer = true;
      setTimeout(r, 100);
      ownTimer = false;
    });
    left = check();
  }
  return left;
}
