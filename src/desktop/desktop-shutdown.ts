/**
 * The desktop's one shutdown sequence (issue 7 §1, issue 17 §3), whatever starts it — Quit, logoff, OS
 * shutdown, a signal, or "Restart to update": stop update checks, drain the bot endpoint (in-flight
 * requests finish), close the agent (state saved, offline status published), then dispose the UI. For an
 * update it runs BEFORE the installer starts (updater.ts `closeAgentBeforeInstall`), never after: the
 * installer replaces the files of the program it updates. No electron import (tested in Node).
 */
import type { DesktopAgentRuntime } from './agent-runtime.js';
import { createShutdown } from './shutdown.js';

export interface DesktopShutdownDeps {
  updater: { dispose(): void };
  /** undefined when the agent could not start (the window shows why) */
  runtime: () => Pick<DesktopAgentRuntime, 'drainEndpoint' | 'close'> | undefined;
  disposeUi(): void;
  stepTimeoutMs: number;
}

export function createDesktopShutdown(deps: DesktopShutdownDeps): ReturnType<typeof createShutdown> {
  return createShutdown(
    [
      { name: 'stop update checks', run: () => deps.updater.dispose() },
      // Never restart or exit while a bot is mid-request: let in-flight requests finish first.
      { name: 'drain bot endpoint', run: (signal) => deps.runtime()?.drainEndpoint(signal) },
      { name: 'close agent (state saved, offline status published)', run: () => deps.runtime()?.close() },
      { name: 'ui', run: () => deps.disposeUi() },
    ],
    { stepTimeoutMs: deps.stepTimeoutMs },
  );
}
