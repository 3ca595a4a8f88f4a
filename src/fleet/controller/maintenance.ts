/**
 * Maintenance windows for rollouts (issue 16 §6): waves advance (and the first wave is published)
 * only inside one of the rollout's windows; a breach still rolls back at any time. Pure: the
 * controller passes its injected clock's time.
 *
 * Syntax: `DAYS HH:MM-HH:MM [ZONE]`
 *   DAYS  `daily` | `*` | a comma list of days or day ranges: `Mon-Fri`, `Sat,Sun`, `Mon,Wed-Fri`
 *   ZONE  `UTC` (default) | `Z` | a fixed offset `+02:00` / `-05:00` (no DST rules: say what you mean)
 * A window whose end is not after its start runs past midnight: `Mon-Fri 22:00-05:00 UTC` opens
 * Monday 22:00 and closes Tuesday 05:00, and so on; the days name the day a window opens.
 */
import { AgentError } from '../../common/errors.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const DAY_MS = 86_400_000;

export interface MaintenanceWindow {
  /** days (0 = Sunday) on which the window opens, in the window's zone */
  days: boolean[];
  startMin: number;
  endMin: number;
  /** zone offset from UTC, minutes */
  offsetMin: number;
  text: string;
}

function dayIndex(s: string, text: string): number {
  const i = DAYS.indexOf(s.toLowerCase().slice(0, 3) as (typeof DAYS)[number]);
  if (i < 0 || s.length < 3) throw new AgentError('bad_argument', `maintenance window "${text}": "${s}" is not a day (Mon … Sun)`);
  return i;
}

function minutes(s: string, text: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s);
  if (!m || Number(m[1]) > 24 || Number(m[2]) > 59 || (Number(m[1]) === 24 && Number(m[2]) !== 0)) {
    throw new AgentError('bad_argument', `maintenance window "${text}": "${s}" is not a time HH:MM`);
  }
  return Number(m[1]) * 60 + Number(m[2]);
}

export function parseMaintenanceWindow(text: string): MaintenanceWindow {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2 || parts.length > 3) throw new AgentError('bad_argument', `maintenance window "${text}": expected DAYS HH:MM-HH:MM [UTC|+HH:MM], e.g. "Mon-Fri 22:00-05:00 UTC"`);
  const days = new Array<boolean>(7).fill(false);
  if (parts[0] === '*' || parts[0]!.toLowerCase() === 'daily') days.fill(true);
  else {
    for (const item of parts[0]!.split(',')) {
      const [a, b] = item.split('-');
      const from = dayIndex(a!, text);
      const to = b === undefined ? from : dayIndex(b, text);
      for (let d = from; ; d = (d + 1) % 7) {
        days[d] = true;
        if (d === to) break;
      }
    }
  }
  const range = /^([\d:]+)-([\d:]+)$/.exec(parts[1]!);
  if (!range) throw new AgentError('bad_argument', `maintenance window "${text}": "${parts[1]}" is not a time range HH:MM-HH:MM`);
  const startMin = minutes(range[1]!, text);
  const endMin = minutes(range[2]!, text);
  if (startMin === endMin) throw new AgentError('bad_argument', `maintenance window "${text}": start and end are the same time`);
  let offsetMin = 0;
  const zone = parts[2];
  if (zone !== undefined && zone.toUpperCase() !== 'UTC' && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):(\d{2})$/.exec(zone);
    if (!z || Number(z[2]) > 14 || Number(z[3]) > 59) throw new AgentError('bad_argument', `maintenance window "${text}": zone "${zone}" is not UTC or an offset such as +02:00`);
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
  }
  return { days, startMin, endMin, offsetMin, text: text.trim() };
}

/** The open intervals [from, to) of `w` that can contain or follow `now` (a week's worth around it). */
function intervals(w: MaintenanceWindow, now: number): [number, number][] {
  const local = now + w.offsetMin * 60_000;
  const dayStart = Math.floor(local / DAY_MS) * DAY_MS;
  const out: [number, number][] = [];
  for (let k = -1; k <= 7; k++) {
    const d = dayStart + k * DAY_MS;
    const weekday = new Date(d).getUTCDay();
    if (!w.days[weekday]) continue;
    const from = d + w.startMin * 60_000;
    const to = d + w.endMin * 60_000 + (w.endMin <= w.startMin ? DAY_MS : 0);
    out.push([from - w.offsetMin * 60_000, to - w.offsetMin * 60_000]);
  }
  return out;
}

/** True when there are no windows, or `now` is inside one. */
export function insideMaintenanceWindow(windows: readonly MaintenanceWindow[], now: number): boolean {
  return windows.length === 0 || windows.some((w) => intervals(w, now).some(([a, b]) => now >= a && now < b));
}

/** When the next window opens after `now` (undefined without windows). */
export function nextMaintenanceOpening(windows: readonly MaintenanceWindow[], now: number): number | undefined {
  let best: number | undefined;
  for (const w of windows) for (const [a] of intervals(w, now)) if (a > now && (best === undefined || a < best)) best = a;
  return best;
}
