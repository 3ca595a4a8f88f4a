/**
 * Tray logic as pure functions (issue 7 §2): which icon, which one-line reason in the tooltip, and which
 * menu items, from one status snapshot. src/desktop/tray.ts only turns the result into an Electron Tray
 * and Menu, so everything a user can see in the tray is unit-tested without Electron.
 */
import type { StatusSnapshot } from './bridge.js';
import { PAUSE_MINUTES_DEFAULT } from './bridge-names.js';
import { plainReason, roleName } from './plain-words.js';

export const TRAY_STATES = ['healthy', 'updating', 'degraded', 'offline', 'error'] as const;
export type TrayState = (typeof TRAY_STATES)[number];

export interface TrayView {
  state: TrayState;
  /** one line, plain words */
  reason: string;
  /** the icon's base name under assets/icons (tray-<state>.png / .ico) */
  icon: string;
  tooltip: string;
}

export const APP_DISPLAY_NAME = 'RPA Edge Agent';
/** Windows truncates a notify-icon tooltip at 127 characters (NOTIFYICONDATAW.szTip is 128 WCHARs). */
export const TOOLTIP_MAX = 127;

const BUSY_STATES = new Set(['fetching', 'verifying', 'loading', 'self_test']);

export interface TrayOptions {
  /** formats an ISO time as the user's local clock time (injected: locale and time zone are the OS's) */
  formatTime?: (iso: string) => string;
}

function defaultTime(iso: string): string {
  return iso.slice(11, 16);
}

/**
 * Order of precedence: error > offline > updating > degraded > healthy. An error means detection cannot
 * work; offline means it works but receives no updates; updating and degraded are informative.
 */
export function trayViewOf(s: StatusSnapshot, opts: TrayOptions = {}): TrayView {
  const { state, reason } = classify(s, opts.formatTime ?? defaultTime);
  return { state, reason, icon: `tray-${state}`, tooltip: tooltipOf(reason) };
}

function classify(s: StatusSnapshot, time: (iso: string) => string): { state: TrayState; reason: string } {
  if (s.fatal) return { state: 'error', reason: plainReason(s.fatal.code, s.fatal.message) };
  const roles = s.roles;
  // A role with nothing running and its last attempt failed: that job cannot be done at all.
  const broken = roles.find((r) => !r.status.modelId && (r.status.state === 'failed' || r.status.lastError));
  if (broken) {
    const why = broken.status.lastError ? plainReason(broken.status.lastError.code, broken.status.lastError.message) : 'No model is running.';
    return { state: 'error', reason: `${roleName(broken.role)}: ${why}` };
  }
  if (roles.length === 0) return { state: 'error', reason: plainReason('no_model') };
  if (!s.endpoint.listening) return { state: 'error', reason: 'Bots cannot connect: the local endpoint is not running.' };

  if (s.broker.state !== 'connected') {
    const since = s.broker.since ? ` since ${time(s.broker.since)}` : '';
    return {
      state: 'offline',
      reason: s.broker.state === 'connecting' ? `Connecting to the update server${since}…` : `Offline from the update server${since}; detection keeps working.`,
    };
  }

  const busy = roles.find((r) => BUSY_STATES.has(r.status.state));
  if (busy) {
    const p = busy.status.pending;
    const what = p?.name ? `${p.name}${p.version ? ` ${p.version}` : ''}` : 'a new model';
    const pct = busy.status.state === 'fetching' && p ? ` (${Math.round(p.progress * 100)} %)` : '';
    const verb = busy.status.state === 'fetching' ? 'Downloading' : busy.status.state === 'verifying' ? 'Verifying' : 'Testing';
    return { state: 'updating', reason: `${roleName(busy.role)}: ${verb} ${what}${pct}.` };
  }
  if (s.update.state === 'downloading') {
    const pct = s.update.progress !== undefined ? ` (${Math.round(s.update.progress * 100)} %)` : '';
    const version = s.update.availableVersion ? ` ${s.update.availableVersion}` : '';
    return { state: 'updating', reason: `Downloading agent update${version}${pct}.` };
  }

  const rolledBack = roles.find((r) => r.status.state === 'rolled_back');
  if (rolledBack) {
    // The rollback's own reason (from its event) first; a lastError second; else a generic sentence.
    const e = rolledBack.rollback?.code || rolledBack.rollback?.message ? rolledBack.rollback : rolledBack.status.lastError;
    return { state: 'degraded', reason: `${roleName(rolledBack.role)}: ${e ? plainReason(e.code, e.message) : 'A new model was rolled back; the previous model is back.'}` };
  }
  // freeze attack / full disk (issue 17 §1): detection works, updates do not
  const stuck = s.alerts?.find((a) => a.code === 'release_expired' || a.code === 'disk_full');
  if (stuck) return { state: 'degraded', reason: plainReason(stuck.code, stuck.message) };
  const fallback = roles.find((r) => r.providerFallback);
  if (fallback) return { state: 'degraded', reason: `${roleName(fallback.role)}: running on the processor (${fallback.status.provider ?? 'cpu'}); slower than usual.` };
  const rejected = roles.find((r) => r.status.lastError);
  if (rejected) return { state: 'degraded', reason: `${roleName(rejected.role)}: ${plainReason(rejected.status.lastError!.code, rejected.status.lastError!.message)}` };
  if (s.detection.paused) return { state: 'degraded', reason: `Detection paused${s.detection.until ? ` until ${time(s.detection.until)}` : ''}.` };

  const active = roles.filter((r) => r.status.modelId).length;
  return { state: 'healthy', reason: `Healthy: ${active} model${active === 1 ? '' : 's'} active, connected${profileWords(s.agent.profile)}${variantWords(roles)}.` };
}

/** Roles served by a variant other than the base (issue 21 §1), e.g. "; Element finder: int8": nothing when all run fp32. */
function variantWords(roles: StatusSnapshot['roles']): string {
  const v = roles.filter((r) => r.status.modelId && r.status.variant && r.status.variant.name !== 'fp32').map((r) => `${roleName(r.role)}: ${r.status.variant!.name}`);
  return v.length > 0 ? `; ${v.join(', ')}` : '';
}

/** The industry profile in the tray's words (issue 21 §2): nothing for the default profile. */
function profileWords(p: StatusSnapshot['agent']['profile']): string {
  if (!p || (p.name === 'default' && p.applied === 'default')) return '';
  return p.applied === p.name ? `; profile ${p.name}` : `; profile ${p.name} (default settings)`;
}

export function tooltipOf(reason: string): string {
  const full = `${APP_DISPLAY_NAME} — ${reason}`;
  return full.length <= TOOLTIP_MAX ? full : `${full.slice(0, TOOLTIP_MAX - 1)}…`;
}

export const TRAY_ACTIONS = ['open-status', 'pause-detection', 'resume-detection', 'check-update', 'install-update', 'copy-diagnostics', 'quit'] as const;
export type TrayAction = (typeof TRAY_ACTIONS)[number];

export type TrayMenuItem = { kind: 'separator' } | { kind: 'item'; action: TrayAction; label: string; enabled: boolean };

/** The tray menu (issue 7 §2): Open status, Pause 15 min / Resume, Check for agent update, Copy diagnostics, Quit. */
export function trayMenuOf(s: Pick<StatusSnapshot, 'detection' | 'update' | 'endpoint'>, opts: TrayOptions & { pauseMinutes?: number } = {}): TrayMenuItem[] {
  const time = opts.formatTime ?? defaultTime;
  const minutes = opts.pauseMinutes ?? PAUSE_MINUTES_DEFAULT;
  const items: TrayMenuItem[] = [{ kind: 'item', action: 'open-status', label: 'Open status', enabled: true }, { kind: 'separator' }];
  if (s.detection.paused) {
    items.push({ kind: 'item', action: 'resume-detection', label: `Resume detection${s.detection.until ? ` (paused until ${time(s.detection.until)})` : ''}`, enabled: true });
  } else {
    items.push({ kind: 'item', action: 'pause-detection', label: `Pause detection for ${minutes} min`, enabled: true });
  }
  const u = s.update;
  if (u.state === 'ready') {
    // Applying an update restarts the agent: never while a bot is mid-request (issue 7 §5).
    const busy = s.endpoint.inFlight > 0;
    items.push({ kind: 'item', action: 'install-update', label: busy ? `Restart to update to ${u.availableVersion ?? 'new version'} (a bot is busy)` : `Restart to update to ${u.availableVersion ?? 'new version'}`, enabled: !busy });
  } else {
    const label =
      u.state === 'checking' ? 'Checking for agent update…' : u.state === 'downloading' ? `Downloading agent update${u.progress !== undefined ? ` (${Math.round(u.progress * 100)} %)` : ''}…` : u.state === 'disabled' ? 'Agent updates are managed by IT' : 'Check for agent update';
    items.push({ kind: 'item', action: 'check-update', label, enabled: u.state === 'idle' || u.state === 'available' || u.state === 'error' });
  }
  items.push({ kind: 'item', action: 'copy-diagnostics', label: 'Copy diagnostics', enabled: true });
  items.push({ kind: 'separator' }, { kind: 'item', action: 'quit', label: 'Quit', enabled: true });
  return items;
}
