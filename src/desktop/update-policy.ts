/**
 * When the agent may apply a self-update (issue 7 §5), as pure functions: never while a bot is
 * mid-request; on quit after the endpoint has drained; or when the user chooses. electron-updater
 * itself honours `stagingPercentage` from latest.yml (a per-install random id decides), so a staged
 * rollout needs nothing here beyond publishing that field (docs/DESKTOP.md).
 */
import type { UpdateStatus } from '../common/bridge.js';

export type InstallDecision = { install: true } | { install: false; reason: string };

export function installDecision(update: UpdateStatus, inFlight: number, trigger: 'user' | 'quit'): InstallDecision {
  if (update.state !== 'ready') return { install: false, reason: 'No agent update has been downloaded yet.' };
  if (inFlight > 0) {
    // On quit the shutdown sequence drains the endpoint first, so this only holds if draining timed out.
    return { install: false, reason: trigger === 'quit' ? 'A bot request did not finish in time; the update will be installed next time.' : `A bot is in the middle of ${inFlight === 1 ? 'a request' : `${inFlight} requests`}; try again in a moment.` };
  }
  return { install: true };
}

/** Delay before the next scheduled check: at start (0) and then every `intervalHours` (issue 7 §5 "daily"). */
export function nextCheckDelayMs(lastCheckMs: number | undefined, nowMs: number, intervalHours: number): number {
  const interval = intervalHours * 3_600_000;
  if (lastCheckMs === undefined) return 0;
  return Math.max(0, lastCheckMs + interval - nowMs);
}
