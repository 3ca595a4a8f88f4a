/**
 * Electron main: the desktop composition root (issue 7 §1). Single-instance tray app that starts the
 * agent core in this process, shows the status window on demand, keeps the tray current, updates
 * itself, and shuts down cleanly on quit, logoff and OS shutdown.
 *
 * Run: `npm start` (scripts/start-desktop.mjs builds, then launches Electron on dist/src/desktop/main.js).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, clipboard, ipcMain, powerMonitor, session, utilityProcess } from 'electron';
import electronUpdater from 'electron-updater';
import { AGENT_VERSION } from '../agent/agent.js';
import { lineLogger } from '../agent/runtime.js';
import { toAgentError } from '../common/errors.js';
import type { StatusSnapshot } from '../common/bridge.js';
import type { TrayAction } from '../common/tray-state.js';
import { createStatusPresenter, systemClock, type AgentView, type AgentViewSource, type StatusPresenter } from './status-presenter.js';
import { desktopConfigCandidates, loadDesktopConfig, type DesktopConfig } from './desktop-config.js';
import { startDesktopAgent, type DesktopAgentRuntime } from './agent-runtime.js';
import { utilityProcessSpawner } from './session-spawner-electron.js';
import { registerIpcHandlers, pushStatus } from './ipc.js';
import { handleAppProtocol, registerAppScheme } from './app-scheme.js';
import { createDesktopShutdown } from './desktop-shutdown.js';
import { createTray } from './tray.js';
import { installDecision } from './update-policy.js';
import { createElectronUpdater, type ElectronUpdaterPort } from './updater.js';
import { createStatusWindow, hardenSession } from './window.js';
import { devToolsAllowed } from './window-policy.js';

/**
 * The app root: the nearest folder above this file holding package.json — the repo in development
 * (dist/desktop/main.mjs or dist/src/desktop/main.js), the app.asar root when packaged.
 */
function findAppRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(start, '..', '..');
  }
}
const appRoot = findAppRoot(dirname(fileURLToPath(import.meta.url)));
const log = lineLogger((l) => process.stderr.write(l + '\n'));

// Checklist: the custom scheme must be privileged before 'ready'.
registerAppScheme();

/** A source for when the agent could not start: the window and tray show the reason (tray "error"). */
function failedSource(e: unknown): AgentViewSource {
  const err = toAgentError(e);
  const view: AgentView = {
    status: { agentId: 'not-started', online: false, ts: new Date().toISOString(), agentVersion: AGENT_VERSION, roles: {} },
    metrics: [],
    events: [],
    broker: { state: 'offline' },
    endpoint: { listening: false, clients: 0, requestsPerMinute: 0, inFlight: 0 },
    fatal: { code: err.code, message: err.message },
  };
  return { view: () => view, subscribe: () => () => {}, setDetectionPaused: () => {} };
}

function findDesktopConfig(): DesktopConfig {
  const candidates = desktopConfigCandidates(process.argv, process.env, process.platform);
  const file = candidates.find((c) => existsSync(c));
  if (!file) throw toAgentError(new Error(`no desktop.json found (looked in: ${candidates.join(', ')})`), 'bad_config');
  return loadDesktopConfig(file);
}

function timeFormatter(): (iso: string) => string {
  const f = new Intl.DateTimeFormat(app.getLocale() || undefined, { hour: '2-digit', minute: '2-digit' });
  return (iso) => f.format(new Date(iso));
}

async function main(): Promise<void> {
  // Issue 7 §1: one instance; a second launch focuses the status window of the first and exits.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  let win: BrowserWindow | undefined;
  let quitting = false;
  app.on('second-instance', () => {
    if (app.isReady()) showWindow();
  });
  await app.whenReady();

  const ses = session.defaultSession;
  const devTools = devToolsAllowed(app.isPackaged);
  hardenSession(ses, devTools);
  const unhandleProtocol = handleAppProtocol(ses, join(appRoot, 'renderer'));

  let config: DesktopConfig | undefined;
  let runtime: DesktopAgentRuntime | undefined;
  let source: AgentViewSource;
  try {
    config = findDesktopConfig();
    runtime = await startDesktopAgent({
      agentConfigPath: config.agentConfig,
      logger: log,
      agentVersion: app.getVersion() || AGENT_VERSION,
      // packaged: the runAsNode fuse is off, so session processes start as utility processes (issue 17 §3);
      // unpacked (npm start) Electron still runs as Node for a fork, and the default spawner is kept
      ...(app.isPackaged ? { sessionSpawner: utilityProcessSpawner(utilityProcess) } : {}),
    });
    source = runtime.source;
  } catch (e) {
    log.error('agent failed to start', { error: (e as Error).message });
    source = failedSource(e);
  }

  const updater: ElectronUpdaterPort = createElectronUpdater({
    updater: electronUpdater.autoUpdater,
    config: config?.update ?? { enabled: false, checkIntervalHours: 24, allowPrerelease: false },
    currentVersion: app.getVersion(),
    packaged: app.isPackaged,
    clock: systemClock,
    // "Restart to update": the same shutdown as Quit, run before the installer starts (desktop-shutdown.ts)
    closeAgentBeforeInstall: async () => {
      quitting = true;
      const r = await shutdown.run('update');
      log.info('shutdown', { reason: 'update', steps: r.steps });
      // quitAndInstall quits the app once the installer has started; if it cannot start one (no downloaded
      // file, a bad signature), the agent is closed already: come back without the update rather than sit idle.
      setTimeout(() => {
        log.error('the update installer did not take over: restarting without it');
        app.relaunch();
        app.exit(1);
      }, 30_000).unref();
    },
    log: (m, meta) => log.warn(m, meta),
  });
  const presenter: StatusPresenter = createStatusPresenter({
    source,
    updater,
    writeClipboard: (text) => clipboard.writeText(text),
    diagnosticsExtra: () => ({ electron: process.versions.electron, os: `${process.platform} ${process.getSystemVersion?.() ?? ''}`.trim(), packaged: app.isPackaged }),
  });
  const unregisterIpc = registerIpcHandlers(ipcMain, presenter.handlers, (channel, url, e) => log.warn('IPC refused', { channel, url, error: e.message }));

  const preloadPath = join(appRoot, 'dist', 'desktop', 'preload.cjs');
  const iconDir = join(appRoot, 'assets', 'icons');
  function ensureWindow(showWhenReady = false): BrowserWindow {
    if (win && !win.isDestroyed()) return win;
    win = createStatusWindow({ preloadPath, session: ses, showWhenReady, devTools, iconPath: join(iconDir, process.platform === 'win32' ? 'app.ico' : 'app-256.png') });
    // Closing the window hides it: the agent keeps running in the tray until Quit.
    win.on('close', (e) => {
      if (!quitting) {
        e.preventDefault();
        win?.hide();
      }
    });
    // Windows logoff / shutdown (WM_ENDSESSION) arrives on a window: run the same clean shutdown.
    win.on('session-end', () => void shutdown.run('session-end'));
    return win;
  }
  function showWindow(): void {
    const w = ensureWindow();
    if (w.isMinimized()) w.restore();
    w.show();
    w.focus();
  }
  // Always created at start so Windows' session-end reaches us even if the user never opens it;
  // hidden when started at logon (the installer's Run key passes --hidden), shown on a manual start.
  ensureWindow(!process.argv.includes('--hidden'));

  const onAction = (a: TrayAction) => {
    switch (a) {
      case 'open-status':
        return showWindow();
      case 'pause-detection':
        return void presenter.pause(15);
      case 'resume-detection':
        return void presenter.resume();
      case 'check-update':
        return void updater.check();
      case 'install-update':
        return void presenter.handlers['update:install'](undefined);
      case 'copy-diagnostics':
        return void presenter.handlers['diagnostics:copy'](undefined);
      case 'quit':
        return app.quit();
    }
  };
  const tray = createTray(presenter.snapshot(), { iconDir, platform: process.platform, onAction, formatTime: timeFormatter() });

  // Snapshots can come fast during a download: coalesce to at most ~4 per second.
  let pending: StatusSnapshot | undefined;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  const unsubscribe = presenter.subscribe((s) => {
    pending = s;
    flushTimer ??= setTimeout(() => {
      flushTimer = undefined;
      const snap = pending;
      pending = undefined;
      if (!snap) return;
      tray.update(snap);
      if (win && !win.isDestroyed()) pushStatus(win.webContents, snap);
    }, 250);
  });
  updater.start();

  const shutdown = createDesktopShutdown({
    updater,
    runtime: () => runtime,
    disposeUi: () => {
      unsubscribe();
      if (flushTimer) clearTimeout(flushTimer);
      presenter.dispose();
      unregisterIpc();
      tray.dispose();
      unhandleProtocol();
    },
    stepTimeoutMs: config?.shutdownTimeoutMs ?? 10_000,
  });

  const finish = async (reason: string) => {
    quitting = true;
    const updateState = updater.status();
    const r = await shutdown.run(reason);
    log.info('shutdown', { reason, steps: r.steps });
    const decision = installDecision(updateState, runtime?.inFlight() ?? 0, 'quit');
    // Issue 7 §5: a downloaded update is applied on quit (after the drain), not at logoff/shutdown.
    if (decision.install && reason === 'quit') electronUpdater.autoUpdater.quitAndInstall(true, false);
    else app.exit(0);
  };
  app.on('before-quit', (e) => {
    if (shutdown.started) return;
    e.preventDefault();
    void finish('quit');
  });
  // Linux/macOS OS shutdown: delay it until the agent has closed.
  powerMonitor.on('shutdown', () => void finish('os-shutdown'));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void finish(sig));
  app.on('window-all-closed', () => {
    /* keep running in the tray */
  });
}

main().catch((e) => {
  log.error('desktop failed', { error: (e as Error).stack ?? String(e) });
  app.exit(1);
});
