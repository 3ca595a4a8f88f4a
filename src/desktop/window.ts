/**
 * The status window with Electron's security checklist applied: context isolation, sandbox, no Node
 * integration, no webviews, navigation and new windows denied, every permission refused, and only the
 * rpa:// origin loaded. One window at most; a second launch focuses it (main.ts).
 */
import { BrowserWindow, nativeTheme, type Session } from 'electron';
import { APP_ORIGIN } from '../common/bridge-names.js';
import { isTrustedSenderUrl } from '../common/bridge.js';
import { requestAllowed } from './window-policy.js';

export interface StatusWindowOptions {
  preloadPath: string;
  iconPath?: string;
  session: Session;
  /** show once loaded (false: created hidden, e.g. started at logon with --hidden) */
  showWhenReady: boolean;
  /** window-policy.ts devToolsAllowed(app.isPackaged): never in a packaged app */
  devTools: boolean;
}

/** Session-wide hardening; call once for the session the window uses. */
export function hardenSession(ses: Session, devTools: boolean): void {
  // Checklist §5: the window needs no permission at all (clipboard is written by main, not the page).
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  // Nothing loads from the network: refuse every request that is not the app protocol (or devtools, in development).
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !requestAllowed(details.url, devTools) }));
}

export function createStatusWindow(opts: StatusWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1000,
    height: 860,
    minWidth: 420,
    minHeight: 360,
    show: false,
    title: 'RPA Edge Agent',
    // Follows the OS light/dark setting; the page reads it through prefers-color-scheme.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181c' : '#f6f7f9',
    autoHideMenuBar: true,
    ...(opts.iconPath ? { icon: opts.iconPath } : {}),
    webPreferences: {
      preload: opts.preloadPath,
      session: opts.session,
      contextIsolation: true, // checklist §3
      sandbox: true, // checklist §4
      nodeIntegration: false, // checklist §2
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false, // checklist §12
      webSecurity: true, // checklist §6
      allowRunningInsecureContent: false, // checklist §8
      experimentalFeatures: false, // checklist §9
      enableBlinkFeatures: '', // checklist §10
      spellcheck: false,
      devTools: opts.devTools,
    },
  });
  const wc = win.webContents;
  // Checklist §13/§14: no navigation away from the app, no new windows, no webviews.
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  wc.on('will-navigate', (e, url) => {
    if (!isTrustedSenderUrl(url, APP_ORIGIN)) e.preventDefault();
  });
  wc.on('will-frame-navigate', (e) => {
    if (!isTrustedSenderUrl(e.url, APP_ORIGIN)) e.preventDefault();
  });
  wc.on('will-redirect', (e) => e.preventDefault());
  wc.on('will-attach-webview', (e) => e.preventDefault());
  if (opts.showWhenReady) win.once('ready-to-show', () => win.show());
  void win.loadURL(`${APP_ORIGIN}index.html`);
  return win;
}
