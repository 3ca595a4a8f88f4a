/**
 * Clean shutdown on quit, logoff and OS shutdown (issue 7 §1): the same ordered steps whatever the
 * trigger, run once, each bounded by a timeout so a stuck step cannot keep Windows waiting at logoff.
 * Order matters: stop accepting bot requests and let in-flight ones finish, then close the agent core
 * (state saved, last-will status published, registry closed), then dispose the UI. No electron import.
 *
 * The runner is the ONE bounded shutdown runner of src/common/lifetime.ts (issue 18 §4), the one the
 * agent service closes with; this file only keeps the desktop's defaults: the whole shutdown is bounded
 * by the per-step timeout times the number of steps unless `totalTimeoutMs` says otherwise.
 */
import { createShutdown as createBoundedShutdown, type ShutdownResult, type ShutdownStep, type Timers } from '../common/lifetime.js';

export type { ShutdownResult, ShutdownStep };

export function createShutdown(steps: readonly ShutdownStep[], opts: { stepTimeoutMs: number; totalTimeoutMs?: number; timers?: Timers }) {
  return createBoundedShutdown(steps, {
    stepTimeoutMs: opts.stepTimeoutMs,
    totalTimeoutMs: opts.totalTimeoutMs ?? opts.stepTimeoutMs * Math.max(1, steps.length),
    ...(opts.timers ? { timers: opts.timers } : {}),
  });
}
