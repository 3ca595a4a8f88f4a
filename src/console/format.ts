/** Display formatting (locale and time zone are the browser's, via Intl). */
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function clockTime(t: number | string | undefined): string {
  if (t === undefined) return '—';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '—' : timeFmt.format(d);
}

export function dateTime(t: number | string | undefined): string {
  if (t === undefined) return '—';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '—' : dateTimeFmt.format(d);
}

export function ms(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
}

export function pct(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const p = v * 100;
  return p === 0 ? '0 %' : p < 1 ? `${p.toFixed(2)} %` : `${p.toFixed(1)} %`;
}

/** A sha256 model id shortened for display; the full id is in the title attribute. */
export function shortId(id: string | undefined): string {
  return id ? `${id.slice(0, 12)}…` : '—';
}

export const STATE_LABEL: Record<string, string> = {
  pending: 'Pending',
  running: 'Running',
  aborting: 'Aborting',
  awaiting_approval: 'Awaiting approval',
  paused: 'Paused',
  completed: 'Completed',
  rolled_back: 'Rolled back',
  aborted: 'Aborted',
  failed: 'Failed',
};

/** badge tone for a rollout state (always shown with its word, never colour alone) */
export function stateTone(state: string): 'ok' | 'busy' | 'warn' | 'bad' | 'off' {
  switch (state) {
    case 'completed':
      return 'ok';
    case 'running':
    case 'pending':
      return 'busy';
    case 'awaiting_approval':
    case 'paused':
    case 'aborting':
      return 'warn';
    case 'rolled_back':
    case 'failed':
      return 'bad';
    default:
      return 'off';
  }
}
