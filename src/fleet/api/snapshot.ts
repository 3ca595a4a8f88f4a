/**
 * The fleet at a glance (`rpa-fleet status`, GET /api/v1/fleet): agents online per channel, model
 * versions, providers and cohorts per channel, and per cohort the p95 and error rate over a look-back.
 * Moved here from the CLI so the API and the CLI compute the same view.
 */
import { agentCohortTotals, cohortFigures, type AgentCohortTotal } from '../controller/cohort-totals.js';
import type { AgentRow, ControllerStore } from '../controller/store.js';

export interface FleetSnapshot {
  agents: { total: number; online: number; channels: { channel: string; total: number; online: number }[] };
  versions: { channel: string; role: string; model: string; version: string; provider: string; cohort: string; agents: number }[];
  cohorts: { channel: string; role: string; cohort: string; model: string; provider: string; agents: number; requests: number; errorRate: number; p95: number }[];
}

/** Agents without a channel in their status are shown under this name. */
const NO_CHANNEL = '(none)';

/** The part of the snapshot that comes from the statuses alone (a caller may keep it while no status changes). */
export interface FleetAgentsView {
  agents: FleetSnapshot['agents'];
  versions: FleetSnapshot['versions'];
  /** agent → the channel its status names */
  channelOf: Map<string, string>;
}

export function fleetAgentsView(agents: readonly AgentRow[]): FleetAgentsView {
  const channelOf = new Map(agents.map((a) => [a.agentId, a.status.channel ?? NO_CHANNEL]));
  const channels = new Map<string, { channel: string; total: number; online: number }>();
  const versions = new Map<string, FleetSnapshot['versions'][number]>();
  for (const a of agents) {
    const channel = a.status.channel ?? NO_CHANNEL;
    const c = channels.get(channel) ?? { channel, total: 0, online: 0 };
    c.total++;
    if (a.online) c.online++;
    channels.set(channel, c);
    if (!a.online) continue;
    for (const [role, rs] of Object.entries(a.status.roles)) {
      if (!rs) continue;
      const k = `${channel}|${role}|${rs.modelId}|${rs.version}|${rs.provider}|${rs.cohort}`;
      const v = versions.get(k) ?? { channel, role, model: rs.modelId ?? '', version: rs.version ?? '', provider: rs.provider ?? '', cohort: rs.cohort ?? '', agents: 0 };
      v.agents++;
      versions.set(k, v);
    }
  }
  return {
    agents: { total: agents.length, online: agents.filter((a) => a.online).length, channels: [...channels.values()].sort(byName) },
    versions: [...versions.values()].sort(byName),
    channelOf,
  };
}

const byName = <T extends { channel: string }>(a: T, b: T) => a.channel.localeCompare(b.channel);

/**
 * `agents`: the store's agents when the caller already read them (each read parses every status);
 * `totals`: where the per-agent cohort sums come from — a long-lived caller (the API server) passes its
 * CohortWindow, kept up to date across calls; by default one query sums them; `view`: the statuses'
 * part when the caller kept it (issue 19 §4).
 */
export function fleetSnapshot(
  store: ControllerStore,
  now: number,
  sinceMs: number,
  agents: AgentRow[] = store.agents(),
  totals: (since: number) => AgentCohortTotal[] = (since) => agentCohortTotals(store.db, since),
  view: FleetAgentsView = fleetAgentsView(agents),
): FleetSnapshot {
  const { channelOf } = view;
  // Windows are grouped by cohort and model, each group split by its agents' channel; summed by SQLite
  // from the windows' bucket columns (issue 19 §4: parsing ~50,000 histograms took ~0.5–1.1 s a call)
  const cohorts: FleetSnapshot['cohorts'] = cohortFigures(totals(now - sinceMs), (id) => channelOf.get(id) ?? NO_CHANNEL).map((c) => ({
    channel: c.split, role: c.role, cohort: c.cohort, model: c.modelId, provider: c.provider, agents: c.agents, requests: c.count, errorRate: c.errorRate, p95: c.p95,
  }));
  return { agents: view.agents, versions: view.versions, cohorts: cohorts.sort(byName) };
}
