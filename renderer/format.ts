/** Display formatting for the status window (locale and time zone are the OS's, via Intl). */
import type { RoleState } from '../src/common/wire.js';
import type { TrayState } from '../src/common/tray-state.js';

export function ms(v: number | undefined): string {
  if (v === undefined) return '—';
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const clockSec = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
export function time(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : clock.format(d);
}
export function timeWithSeconds(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : clockSec.format(d);
}

export const ROLE_STATE_LABEL: Record<RoleState, string> = {
  idle: 'Idle',
  fetching: 'Fetching',
  verifying: 'Verifying',
  loading: 'Loading',
  self_test: 'Self-testing',
  active: 'Active',
  committed: 'Active',
  rolled_back: 'Rolled back',
  failed: 'Failed',
};

export const TRAY_STATE_LABEL: Record<TrayState, string> = {
  healthy: 'Healthy',
  updating: 'Updating',
  degraded: 'Degraded',
  offline: 'Offline',
  error: 'Error',
};

export function providerLabel(p: string | undefined): string {
  if (!p) return '—';
  const names: Record<string, string> = { cpu: 'CPU', dml: 'DirectML (GPU)', cuda: 'CUDA (GPU)', coreml: 'Core ML' };
  return names[p.toLowerCase()] ?? p;
}

export function percent(v: number): string {
  return `${Math.round(v * 100)} %`;
}
