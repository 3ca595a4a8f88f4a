/**
 * The desktop's state and the IPC handlers, without Electron: combines what the agent reports
 * (an AgentView source) with the desktop's own state (detection pause, self-update) into the snapshot
 * the window and the tray show, and answers every bridge message. main.ts wires it to ipcMain/Tray;
 * the Chromium tests wire the same object to a page. Timers and clock are injected.
 */
import type { DetectionPause, IpcHandlers, StatusSnapshot, UpdateStatus } from '../common/bridge.js';
import { toStatusSnapshot, type SnapshotInput } from './snapshot.js';

/** What the agent core reports, in wire terms (see snapshot.ts). */
export type AgentView = Omit<SnapshotInput, 'detection' | 'update' | 'now'>;

export interface AgentViewSource {
  view(): AgentView;
  /** called whenever the view may have changed; returns an unsubscribe function */
  subscribe(listener: () => void): () => void;
  /** bots get a "paused" answer while detection is paused */
  setDetectionPaused(paused: boolean): void;
}

export interface UpdaterPort {
  status(): UpdateStatus;
  check(): Promise<UpdateStatus>;
  /** applies a downloaded update now (restarts the app); the controller checks the bot endpoint first */
  installNow(): Promise<void>;
  subscribe(listener: () => void): () => void;
}

export interface Clock {
  now(): Date;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface StatusPresenterDeps {
  source: AgentViewSource;
  updater: UpdaterPort;
  writeClipboard(text: string): void;
  /** extra lines for diagnostics (logs tail, config path, …) */
  diagnosticsExtra?: () => Record<string, unknown>;
  clock?: Clock;
}

export interface StatusPresenter {
  handlers: IpcHandlers;
  snapshot(): StatusSnapshot;
  /** listener gets every new snapshot (push to the window, refresh the tray) */
  subscribe(listener: (s: StatusSnapshot) => void): () => void;
  pause(minutes: number): DetectionPause;
  resume(): DetectionPause;
  diagnostics(): string;
  dispose(): void;
}

export function createStatusPresenter(deps: StatusPresenterDeps): StatusPresenter {
  const clock = deps.clock ?? systemClock;
  const listeners = new Set<(s: StatusSnapshot) => void>();
  let detection: DetectionPause = { paused: false };
  let resumeTimer: unknown;
  let disposed = false;

  const snapshot = (): StatusSnapshot =>
    toStatusSnapshot({ ...deps.source.view(), detection, update: deps.updater.status(), now: clock.now() });
  const emit = () => {
    if (disposed || listeners.size === 0) return;
    const s = snapshot();
    for (const l of listeners) l(s);
  };
  const unsubs = [deps.source.subscribe(emit), deps.updater.subscribe(emit)];

  const resume = (): DetectionPause => {
    if (resumeTimer !== undefined) clock.clearTimeout(resumeTimer);
    resumeTimer = undefined;
    detection = { paused: false };
    deps.source.setDetectionPaused(false);
    emit();
    return detection;
  };
  const pause = (minutes: number): DetectionPause => {
    if (resumeTimer !== undefined) clock.clearTimeout(resumeTimer);
    const ms = minutes * 60_000;
    detection = { paused: true, until: new Date(clock.now().getTime() + ms).toISOString() };
    deps.source.setDetectionPaused(true);
    // "Pause for 15 min" ends by itself (issue 7 §2), even if nobody opens the menu again.
    resumeTimer = clock.setTimeout(() => {
      resumeTimer = undefined;
      resume();
    }, ms);
    emit();
    return detection;
  };
  const diagnostics = (): string => {
    const s = snapshot();
    // Diagnostics go to a support ticket: no secrets exist in the snapshot (broker URL without
    // credentials, no keys), and the event log is already public to the fleet.
    return JSON.stringify({ kind: 'rpa-edge-agent-diagnostics', generated: s.ts, snapshot: s, ...(deps.diagnosticsExtra?.() ?? {}) }, null, 2);
  };

  const handlers: IpcHandlers = {
    'status:get': () => snapshot(),
    'detection:pause': (r) => pause(r.minutes),
    'detection:resume': () => resume(),
    'update:check': () => deps.updater.check(),
    'update:install': async () => {
      const u = deps.updater.status();
      if (u.state !== 'ready') return { accepted: false, reason: 'No agent update has been downloaded yet.' };
      const inFlight = deps.source.view().endpoint.inFlight;
      // Never restart while a bot is mid-request (issue 7 §5): the user can retry in a moment.
      if (inFlight > 0) return { accepted: false, reason: `A bot is in the middle of ${inFlight === 1 ? 'a request' : `${inFlight} requests`}; try again in a moment.` };
      await deps.updater.installNow();
      return { accepted: true };
    },
    'diagnostics:copy': () => {
      const text = diagnostics();
      deps.writeClipboard(text);
      return { copied: true, bytes: new TextEncoder().encode(text).length };
    },
  };

  return {
    handlers,
    snapshot,
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    pause,
    resume,
    diagnostics,
    dispose() {
      disposed = true;
      if (resumeTimer !== undefined) clock.clearTimeout(resumeTimer);
      resumeTimer = undefined;
      for (const u of unsubs) u();
      listeners.clear();
    },
  };
}
