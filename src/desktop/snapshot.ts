/**
 * Builds the status window's snapshot (src/common/bridge.ts) from the wire-level facts the agent core
 * already produces — AgentStatus, its recent AgentEvents and MetricsWindows — plus the desktop's own
 * state. Pure (no electron import), so the Chromium tests and the Electron main use the same mapping.
 */
import {
  MAX_LATENCY_POINTS,
  MAX_SNAPSHOT_EVENTS,
  type BrokerConnection,
  type DetectionPause,
  type EndpointStats,
  type LatencyPoint,
  type RoleView,
  type StatusSnapshot,
  type UpdateStatus,
} from '../common/bridge.js';
import { ROLES, type AgentEvent, type AgentStatus, type MetricsWindow } from '../common/wire.js';

export interface SnapshotInput {
  status: AgentStatus;
  /** oldest first or in any order; sorted by windowEnd here */
  metrics: readonly MetricsWindow[];
  /** in any order; the newest MAX_SNAPSHOT_EVENTS are kept, newest first */
  events: readonly AgentEvent[];
  broker: BrokerConnection;
  endpoint: EndpointStats;
  detection: DetectionPause;
  update: UpdateStatus;
  fatal?: { code: string; message: string };
  now: Date;
}

/** download_progress events are shown as the role's progress bar, not as list entries. */
function listed(e: AgentEvent): boolean {
  return e.type !== 'download_progress';
}

export function toStatusSnapshot(input: SnapshotInput): StatusSnapshot {
  const { status } = input;
  const windows = [...input.metrics].sort((a, b) => Date.parse(a.windowEnd) - Date.parse(b.windowEnd));
  const roles: RoleView[] = [];
  for (const role of ROLES) {
    const rs = status.roles[role];
    if (!rs) continue;
    const series: LatencyPoint[] = [];
    for (const w of windows) {
      const m = w.roles[role];
      // A window without requests has no meaningful percentiles: leave a gap rather than a zero.
      if (!m || m.count === 0) continue;
      series.push({ t: w.windowEnd, p50: m.latency.p50, p95: m.latency.p95, count: m.count });
    }
    const recent = series.slice(-MAX_LATENCY_POINTS);
    const last = recent.at(-1);
    const lastActivation = latest(input.events, (e) => e.role === role && e.type === 'activated');
    const fallback = latest(input.events, (e) => e.role === role && e.type === 'provider_fallback');
    const rolledBack = rs.state === 'rolled_back' ? latest(input.events, (e) => e.role === role && e.type === 'rolled_back') : undefined;
    roles.push({
      role,
      status: rs,
      canary: rs.cohort === 'candidate' || rs.cohort === 'shadow',
      ...(rolledBack ? { rollback: { at: rolledBack.ts, code: rolledBack.reason, message: rolledBack.message, modelId: rolledBack.modelId } } : {}),
      // A fallback counts until a later activation on the preferred provider supersedes it.
      providerFallback:
        (status.alerts?.some((a) => a.code === 'provider_fallback' && a.role === role) ?? false) ||
        (fallback !== undefined && (lastActivation === undefined || fallback.seq >= lastActivation.seq) && rs.provider !== undefined && /cpu/i.test(rs.provider)),
      latency: { p50: last?.p50, p95: last?.p95, series: recent },
    });
  }
  const events = input.events.filter(listed).sort((a, b) => b.seq - a.seq).slice(0, MAX_SNAPSHOT_EVENTS);
  const snap: StatusSnapshot = {
    ts: input.now.toISOString(),
    agent: {
      agentId: status.agentId,
      agentVersion: status.agentVersion,
      platform: status.platform,
      channel: status.channel,
      releaseSeq: status.releaseSeq,
      ...(status.profile ? { profile: { name: status.profile.name, applied: status.profile.applied, ...(status.profile.reason ? { reason: status.profile.reason } : {}) } } : {}),
    },
    broker: input.broker,
    roles,
    events,
    endpoint: input.endpoint,
    detection: pauseAt(input.detection, input.now),
    update: input.update,
  };
  if (input.fatal) snap.fatal = input.fatal;
  if (status.alerts?.length) snap.alerts = status.alerts;
  return snap;
}

function latest(events: readonly AgentEvent[], pred: (e: AgentEvent) => boolean): AgentEvent | undefined {
  let best: AgentEvent | undefined;
  for (const e of events) if (pred(e) && (!best || e.seq > best.seq)) best = e;
  return best;
}

/** A pause whose end has passed is shown as not paused, even before the timer fires. */
export function pauseAt(p: DetectionPause, now: Date): DetectionPause {
  if (p.paused && p.until && Date.parse(p.until) <= now.getTime()) return { paused: false };
  return p;
}
