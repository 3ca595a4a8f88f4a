/**
 * Metrics windows the controller drops, counted by reason (issue 16 §2: "every dropped window is
 * counted by reason and logged"). The controller reports them in one log line per ingest flush (a
 * restarted fleet can send hundreds at once) and as the Prometheus counter
 * `rpa_fleet_windows_dropped_total{reason}`.
 */
export const WINDOW_DROP_REASONS = ['duplicate', 'invalid', 'agent_mismatch'] as const;
export type WindowDropReason = (typeof WINDOW_DROP_REASONS)[number];

const WHY: Record<WindowDropReason, string> = {
  duplicate: 'already stored (same agent, epoch, seq)',
  invalid: 'not JSON or not a metrics window',
  agent_mismatch: "agentId differs from the topic's",
};

export interface DropReport {
  line: string;
  byReason: Partial<Record<WindowDropReason, number>>;
  data: Record<string, unknown>;
}

export class WindowDrops {
  /** totals since the controller started */
  readonly total: Record<WindowDropReason, number> = { duplicate: 0, invalid: 0, agent_mismatch: 0 };
  #pending = new Map<WindowDropReason, Map<string, number>>();

  count(agentId: string, reason: WindowDropReason): void {
    this.total[reason]++;
    let m = this.#pending.get(reason);
    if (!m) this.#pending.set(reason, (m = new Map()));
    m.set(agentId, (m.get(agentId) ?? 0) + 1);
  }

  /** The drops since the last report, as one log line (undefined when there were none). */
  takeReport(): DropReport | undefined {
    if (this.#pending.size === 0) return undefined;
    const byReason: DropReport['byReason'] = {};
    const parts: string[] = [];
    const agents: Record<string, Record<string, number>> = {};
    for (const [reason, m] of this.#pending) {
      let n = 0;
      for (const c of m.values()) n += c;
      byReason[reason] = n;
      const some = [...m.keys()].slice(0, 5).join(', ');
      parts.push(`${n} ${reason} (${WHY[reason]}) from ${m.size} agent${m.size === 1 ? '' : 's'}: ${some}${m.size > 5 ? ', …' : ''}`);
      agents[reason] = Object.fromEntries(m);
    }
    this.#pending = new Map();
    return { line: `dropped metrics windows: ${parts.join('; ')}`, byReason, data: { droppedWindows: byReason, agents } };
  }
}
