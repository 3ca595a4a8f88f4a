/**
 * The agent's standing conditions (wire.ts AgentAlert): raised when something starts (disk full, the
 * release expired, a download stalled, a worker restarted, a provider fell back), cleared when it ends,
 * shown in the retained status and in the status window. In memory: each is re-detected after a restart.
 */
import type { AgentAlert, Role } from '../common/wire.js';

export type AlertCode = 'disk_full' | 'release_expired' | 'fetch_stalled' | 'worker_restarted' | 'provider_fallback';

export class AlertBoard {
  private readonly alerts = new Map<string, AgentAlert>();

  constructor(private readonly nowIso: () => string) {}

  private static key(code: AlertCode, role?: Role): string {
    return `${code}:${role ?? ''}`;
  }

  /** Raises (or repeats) an alert; returns true when it is new (the caller then emits its event). */
  raise(code: AlertCode, message: string, role?: Role): boolean {
    const k = AlertBoard.key(code, role);
    const had = this.alerts.get(k);
    this.alerts.set(k, { code, ...(role ? { role } : {}), since: had?.since ?? this.nowIso(), message, count: (had?.count ?? 0) + 1 });
    return !had;
  }

  /** Clears an alert; returns true when there was one. */
  clear(code: AlertCode, role?: Role): boolean {
    return this.alerts.delete(AlertBoard.key(code, role));
  }

  has(code: AlertCode, role?: Role): boolean {
    return this.alerts.has(AlertBoard.key(code, role));
  }

  list(): AgentAlert[] {
    return [...this.alerts.values()].map((a) => ({ ...a }));
  }
}
