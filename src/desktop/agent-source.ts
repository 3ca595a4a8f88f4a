/**
 * Adapts the running agent core (src/agent/agent.ts: snapshot() / subscribe()) plus the bot endpoint's
 * counters and the telemetry windows into the AgentViewSource the status presenter reads. No
 * electron import: the real-agent Chromium test uses this exact adapter.
 */
import type { BrokerConnection, EndpointStats } from '../common/bridge.js';
import { MAX_LATENCY_POINTS } from '../common/bridge.js';
import type { AgentEvent, AgentStatus, MetricsWindow } from '../common/wire.js';
import type { AgentView, AgentViewSource } from './status-presenter.js';

/** The part of the agent core this adapter needs (Agent satisfies it structurally). */
export interface AgentCoreLike {
  snapshot(): AgentStatus & { connected: boolean; recentEvents: AgentEvent[] };
  subscribe(listener: (change: unknown) => void): () => void;
}

export interface AgentSourceDeps {
  agent: AgentCoreLike;
  /** broker URL as configured; credentials are stripped before display */
  brokerUrl: string;
  /** the bot endpoint's live counters, when one is running */
  endpoint?: () => EndpointStats;
  /** called when the user pauses/resumes detection (the endpoint answers "paused" meanwhile) */
  onDetectionPaused?: (paused: boolean) => void;
  now?: () => Date;
}

export interface AgentSource extends AgentViewSource {
  /** feed one telemetry window (wire it to startTelemetry's onWindow) */
  addMetricsWindow(w: MetricsWindow): void;
  /** the endpoint's counters changed (connections, requests): refresh the window */
  touch(): void;
  dispose(): void;
}

/** Removes user:password@ from a broker URL so it never reaches the window or diagnostics. */
export function displayBrokerUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

export function createAgentSource(deps: AgentSourceDeps): AgentSource {
  const now = deps.now ?? (() => new Date());
  const listeners = new Set<() => void>();
  const windows: MetricsWindow[] = [];
  let connected: boolean | undefined;
  let since = now().toISOString();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  const unsubAgent = deps.agent.subscribe(() => notify());
  // modelId → name/version from every status seen, so an event about a model that is no longer
  // active (a rolled-back candidate) still reads "ui-detector 1.1.0" rather than a hash.
  const names = new Map<string, { name?: string; version?: string }>();
  const learnModelNames = (status: AgentStatus) => {
    for (const r of Object.values(status.roles)) {
      if (r?.modelId && (r.name || r.version)) names.set(r.modelId, { name: r.name, version: r.version });
      if (r?.pending && (r.pending.name || r.pending.version)) names.set(r.pending.modelId, { name: r.pending.name, version: r.pending.version });
    }
    if (names.size > 256) names.delete(names.keys().next().value!);
  };
  const withModelName = (e: AgentEvent): AgentEvent => {
    const known = e.modelId ? names.get(e.modelId) : undefined;
    if (!known || (e.details && ('name' in e.details || 'version' in e.details))) return e;
    return { ...e, details: { ...(e.details ?? {}), ...(known.name ? { name: known.name } : {}), ...(known.version ? { version: known.version } : {}) } };
  };
  const endpointStats = (): EndpointStats => deps.endpoint?.() ?? { listening: false, clients: 0, requestsPerMinute: 0, inFlight: 0 };

  return {
    view(): AgentView {
      const s = deps.agent.snapshot();
      // Track when the broker link last changed state, for "offline since 14:15".
      if (connected !== s.connected) {
        connected = s.connected;
        since = now().toISOString();
      }
      const { connected: isUp, recentEvents: raw, ...status } = s;
      learnModelNames(status);
      const recentEvents = raw.map(withModelName);
      const broker: BrokerConnection = { state: isUp ? 'connected' : 'offline', url: displayBrokerUrl(deps.brokerUrl), since };
      if (!isUp) broker.lastError = { code: 'broker_unreachable', message: 'not connected to the broker' };
      return { status, metrics: windows, events: recentEvents, broker, endpoint: endpointStats() };
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    setDetectionPaused(paused) {
      deps.onDetectionPaused?.(paused);
    },
    addMetricsWindow(w) {
      windows.push(w);
      if (windows.length > MAX_LATENCY_POINTS) windows.splice(0, windows.length - MAX_LATENCY_POINTS);
      notify();
    },
    touch: notify,
    dispose() {
      unsubAgent();
      listeners.clear();
    },
  };
}

/**
 * Requests-per-minute and in-flight counting for the bot endpoint (an EndpointObserver can feed it):
 * a sliding one-minute window of request start times. Pure apart from the injected clock.
 */
export class EndpointCounter {
  private starts: number[] = [];
  inFlight = 0;
  clients = 0;
  constructor(private readonly nowMs: () => number = Date.now) {}
  requestStarted(): void {
    this.starts.push(this.nowMs());
    this.inFlight++;
  }
  requestEnded(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }
  perMinute(): number {
    const cutoff = this.nowMs() - 60_000;
    while (this.starts.length && this.starts[0]! < cutoff) this.starts.shift();
    return this.starts.length;
  }
}
