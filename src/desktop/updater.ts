/**
 * Self-update with electron-updater (issue 7 §5), behind the UpdaterPort the status presenter uses.
 * - Feed: generic (HTTPS) or S3 from desktop.json; otherwise the feed baked in at build time (app-update.yml).
 * - Checks at start and then every `checkIntervalHours` (daily by default); timers are injected.
 * - Staged rollout: electron-updater reads `stagingPercentage` from latest.yml and compares it with a
 *   random per-install id, so raising the percentage only ever adds machines.
 * - Downloads in the background; never installs by itself (autoInstallOnAppQuit off): main applies it
 *   on quit after the bot endpoint has drained, or when the user chooses and no bot is mid-request.
 * - "Restart to update" (installNow) drains the endpoint and closes the agent FIRST, then starts the
 *   installer (issue 17 §3): quitAndInstall launches the NSIS installer at once and only then quits the app,
 *   so calling it first would replace the files of an agent that is still serving bots.
 */
import type { AppUpdater, ProgressInfo, UpdateInfo } from 'electron-updater';
import type { UpdateStatus } from '../common/bridge.js';
import type { Clock } from './status-presenter.js';
import type { DesktopConfig } from './desktop-config.js';
import { nextCheckDelayMs } from './update-policy.js';
import type { UpdaterPort } from './status-presenter.js';

export interface ElectronUpdaterDeps {
  updater: AppUpdater;
  config: DesktopConfig['update'];
  currentVersion: string;
  /** false in development (unpackaged): electron-updater has no app-update.yml there */
  packaged: boolean;
  clock: Clock;
  /** the desktop's shutdown sequence (desktop-shutdown.ts): drains the bot endpoint and closes the agent */
  closeAgentBeforeInstall(): Promise<void>;
  log?: (msg: string, meta?: Record<string, unknown>) => void;
}

export interface ElectronUpdaterPort extends UpdaterPort {
  start(): void;
  dispose(): void;
}

export function createElectronUpdater(deps: ElectronUpdaterDeps): ElectronUpdaterPort {
  const { updater, config, clock } = deps;
  const listeners = new Set<() => void>();
  let state: UpdateStatus = { state: 'idle', currentVersion: deps.currentVersion };
  let timer: unknown;
  let lastCheck: number | undefined;
  const set = (next: Partial<UpdateStatus>) => {
    state = { ...state, ...next };
    for (const l of [...listeners]) l();
  };
  const disabledReason = !config.enabled ? 'Agent updates are managed by IT (updates disabled in desktop.json).' : !deps.packaged ? 'Agent updates are off in a development build.' : undefined;
  if (disabledReason) state = { state: 'disabled', currentVersion: deps.currentVersion, message: disabledReason };

  updater.autoDownload = true;
  updater.autoInstallOnAppQuit = false; // applied by main.ts after the endpoint drains, never mid-request
  updater.allowPrerelease = config.allowPrerelease;
  updater.allowDowngrade = false;
  if (config.feed) {
    updater.setFeedURL(config.feed.provider === 'generic' ? { provider: 'generic', url: config.feed.url, channel: config.feed.channel } : { provider: 's3', bucket: config.feed.bucket, ...(config.feed.region ? { region: config.feed.region } : {}), ...(config.feed.path ? { path: config.feed.path } : {}), channel: config.feed.channel });
  }
  const onChecking = () => set({ state: 'checking', checkedAt: clock.now().toISOString(), message: undefined });
  const onAvailable = (i: UpdateInfo) => set({ state: 'downloading', availableVersion: i.version, progress: 0 });
  const onNotAvailable = () => set({ state: 'idle', availableVersion: undefined, progress: undefined });
  const onProgress = (p: ProgressInfo) => set({ state: 'downloading', progress: Math.max(0, Math.min(1, p.percent / 100)) });
  const onDownloaded = (i: UpdateInfo) => set({ state: 'ready', availableVersion: i.version, progress: 1 });
  const onError = (e: Error) => {
    deps.log?.('agent update failed', { error: e.message });
    set({ state: 'error', message: e.message.split('\n')[0]?.slice(0, 200) });
  };
  updater.on('checking-for-update', onChecking);
  updater.on('update-available', onAvailable);
  updater.on('update-not-available', onNotAvailable);
  updater.on('download-progress', onProgress);
  updater.on('update-downloaded', onDownloaded);
  updater.on('error', onError);

  const check = async (): Promise<UpdateStatus> => {
    if (state.state === 'disabled' || state.state === 'checking' || state.state === 'downloading' || state.state === 'ready') return state;
    lastCheck = clock.now().getTime();
    // The promise's result arrives through the events above; an error is reported as state 'error'.
    updater.checkForUpdates().catch(onError);
    return state.state === 'idle' || state.state === 'error' || state.state === 'available' ? { ...state, state: 'checking' } : state;
  };
  const schedule = () => {
    const delay = nextCheckDelayMs(lastCheck, clock.now().getTime(), config.checkIntervalHours);
    timer = clock.setTimeout(() => {
      void check().finally(schedule);
    }, delay);
  };

  return {
    status: () => state,
    check,
    async installNow() {
      await deps.closeAgentBeforeInstall();
      // isSilent: the per-machine NSIS installer runs without its UI; isForceRunAfter: the tray comes back.
      updater.quitAndInstall(true, true);
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    start() {
      if (state.state !== 'disabled') schedule();
    },
    dispose() {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      updater.off('checking-for-update', onChecking);
      updater.off('update-available', onAvailable);
      updater.off('update-not-available', onNotAvailable);
      updater.off('download-progress', onProgress);
      updater.off('update-downloaded', onDownloaded);
      updater.off('error', onError);
      listeners.clear();
    },
  };
}
