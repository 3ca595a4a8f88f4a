/**
 * Status window entry point. Talks to the agent only through `window.rpa` (src/common/bridge.ts), which
 * the preload exposes with contextBridge; there is no Node, no ipcRenderer and no network here.
 */
import type { RpaBridge, StatusSnapshot } from '../src/common/bridge.js';
import { BRIDGE_GLOBAL, PAUSE_MINUTES_DEFAULT } from '../src/common/bridge-names.js';
import { render } from './view.js';

function notice(text: string): void {
  const el = document.getElementById('notice');
  if (el) el.textContent = text;
}

function errorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // Electron prefixes remote errors with "Error invoking remote method 'x': "; the rest is the reason.
  return m.replace(/^Error invoking remote method '[^']*': (Agent)?Error: /, '');
}

export function start(bridge: RpaBridge): () => void {
  let last: StatusSnapshot | undefined;
  const show = (s: StatusSnapshot) => {
    // Snapshots can arrive out of order (a push racing an invoke answer): keep the newest.
    if (last && Date.parse(s.ts) < Date.parse(last.ts)) return;
    last = s;
    render(document, s);
  };
  const refresh = () => bridge.getStatus().then(show, (e: unknown) => notice(`Could not read the agent status: ${errorText(e)}`));
  const unsubscribe = bridge.onStatus(show);
  void refresh();

  const act = (id: string, run: () => Promise<string>) => {
    const btn = document.getElementById(id) as HTMLButtonElement | null;
    let running = false;
    btn?.addEventListener('click', () => {
      // Not `disabled` while running: disabling the focused button would drop keyboard focus to <body>.
      if (running) return;
      running = true;
      btn.setAttribute('aria-busy', 'true');
      run()
        .then(notice, (e: unknown) => notice(`That did not work: ${errorText(e)}`))
        .finally(() => {
          running = false;
          btn.removeAttribute('aria-busy');
          void refresh();
        });
    });
  };
  act('act-pause', async () => {
    if (last?.detection.paused) {
      await bridge.resumeDetection();
      return 'Detection resumed.';
    }
    await bridge.pauseDetection({ minutes: PAUSE_MINUTES_DEFAULT });
    return `Detection paused for ${PAUSE_MINUTES_DEFAULT} minutes. Bots get a "paused" answer until then.`;
  });
  act('act-check-update', async () => {
    const u = await bridge.checkForUpdate();
    if (u.state === 'available' || u.state === 'downloading') return `Agent update ${u.availableVersion ?? ''} found; downloading it.`;
    if (u.state === 'ready') return `Agent update ${u.availableVersion ?? ''} is ready to install.`;
    if (u.state === 'error') return `Could not check for an update: ${u.message ?? 'unknown reason'}`;
    if (u.state === 'disabled') return u.message ?? 'Agent updates are managed by IT.';
    return u.state === 'checking' ? 'Checking for an agent update…' : 'The agent is up to date.';
  });
  act('act-install-update', async () => {
    const r = await bridge.installUpdate();
    return r.accepted ? 'Restarting to install the update…' : `The update will wait: ${r.reason ?? 'not ready yet'}`;
  });
  act('act-copy-diagnostics', async () => {
    const r = await bridge.copyDiagnostics();
    return r.copied ? `Diagnostics copied to the clipboard (${r.bytes} bytes). Paste them into your support ticket.` : 'Could not copy diagnostics.';
  });
  return unsubscribe;
}

const bridge = (globalThis as unknown as Record<string, RpaBridge | undefined>)[BRIDGE_GLOBAL];
if (bridge) start(bridge);
else notice('This page only works inside the RPA Edge Agent app (the agent bridge is missing).');
