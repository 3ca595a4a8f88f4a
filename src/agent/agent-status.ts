/**
 * What the agent core says about itself: every event (audit line + `agents/{id}/events` QoS 1 + listeners),
 * the retained status on `agents/{id}/status`, and the snapshot and waits that the service, the CLI and the
 * status window observe. It reports; it decides nothing (the role state machine in roles.ts does).
 */
import { platform } from 'node:os';
import type { Topics } from '../common/topics.js';
import { resolveProfile } from '../common/profiles.js';
import { AGENT_BUILD_FEATURES } from '../common/agent-features.js';
import type { AgentEvent, AgentStatus } from '../common/wire.js';
import type { AlertBoard } from './alerts.js';
import type { AuditLog } from './audit.js';
import type { AgentConfig } from './config.js';
import type { EventSeq } from './event-seq.js';
import { roleStatusFrom } from './role-status.js';
import type { Clock, Logger, Timers } from './runtime.js';
import type { Registry } from './store/registry.js';
import { waitUntil } from './wait.js';

const RECENT_EVENTS = 200;

export interface AgentSnapshot extends AgentStatus {
  connected: boolean;
  recentEvents: AgentEvent[];
}

export type AgentChange = { kind: 'event'; event: AgentEvent } | { kind: 'status'; status: AgentSnapshot };

/** An event as its producer states it; the reporter adds agentId, ts, epoch and seq. */
export type EventInput = Omit<AgentEvent, 'agentId' | 'ts' | 'seq'>;

/** The transport as the reporter uses it. */
export interface StatusTransport {
  readonly connected: boolean;
  publish(topic: string, payload: string, opts: { qos: 0 | 1; retain: boolean }): void;
}

export interface ReporterDeps {
  config: AgentConfig;
  topics: Topics;
  registry: Registry;
  alerts: AlertBoard;
  audit: AuditLog;
  eventSeq: EventSeq;
  transport: StatusTransport;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  agentVersion: string;
  /** an event number that could not be stored: the disk is full */
  onSeqStoreFailed(e: unknown): void;
  /** the agent is closing: no more status publishing */
  isClosed(): boolean;
}

export class AgentReporter {
  private readonly listeners = new Set<(c: AgentChange) => void>();
  private readonly recent: AgentEvent[] = [];
  /** what snapshot() returns once closed (the registry is gone by then) */
  private finalSnapshot: AgentSnapshot | undefined;

  constructor(private readonly d: ReporterDeps) {}

  nowIso(): string {
    return new Date(this.d.clock.now()).toISOString();
  }

  /** Every accept and every rejection: audit log line + `agents/{id}/events` (QoS 1) + listeners. */
  emit(e: EventInput): AgentEvent {
    const { config, eventSeq } = this.d;
    const event: AgentEvent = { agentId: config.agentId, ts: this.nowIso(), epoch: eventSeq.epoch(), seq: eventSeq.next((err) => this.d.onSeqStoreFailed(err)), ...e };
    if (event.message && event.message.length > 2048) event.message = event.message.slice(0, 2045) + '...';
    this.recent.push(event);
    if (this.recent.length > RECENT_EVENTS) this.recent.shift();
    this.d.audit.write({ ...event });
    this.d.transport.publish(this.d.topics.agentEvents(config.agentId), JSON.stringify(event), { qos: 1, retain: false });
    const level = e.reason ? 'warn' : 'info';
    this.d.logger[level](e.type, { role: e.role, modelId: e.modelId, reason: e.reason, message: e.message });
    this.notify(event);
    return event;
  }

  /** A state change: persisted already by the caller; published (retained) and told to listeners. */
  changed(): void {
    this.publishStatus();
    this.notify();
  }

  publishStatus(): void {
    if (this.d.isClosed()) return;
    this.d.transport.publish(this.d.topics.agentStatus(this.d.config.agentId), JSON.stringify(this.status(true)), { qos: 1, retain: true });
  }

  /** Tells listeners of an event, or of the status (connection changes too). */
  notify(event?: AgentEvent): void {
    const change: AgentChange = event ? { kind: 'event', event } : { kind: 'status', status: this.snapshot() };
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (e) {
        this.d.logger.warn('listener failed', { error: (e as Error).message });
      }
    }
  }

  status(online: boolean): AgentStatus {
    const { config, registry, alerts } = this.d;
    const roles: AgentStatus['roles'] = {};
    for (const row of registry.listRoles()) roles[row.role] = roleStatusFrom(row, registry);
    const rel = registry.getAcceptedRelease(config.channel);
    return {
      agentId: config.agentId,
      online,
      ts: this.nowIso(),
      agentVersion: this.d.agentVersion,
      platform: `${platform()}-${process.arch}`,
      channel: config.channel,
      ...(rel ? { releaseSeq: rel.seq } : {}),
      roles,
      labels: { ...config.labels },
      profile: resolveProfile(rel?.release.profiles, config.profile),
      ...(alerts.list().length ? { alerts: alerts.list() } : {}),
      // what this build serves, so rpa-fleet never rolls out a model it cannot (capability gate)
      features: [...AGENT_BUILD_FEATURES],
    };
  }

  snapshot(): AgentSnapshot {
    if (this.finalSnapshot) return { ...this.finalSnapshot, recentEvents: [...this.finalSnapshot.recentEvents] };
    const connected = this.d.transport.connected;
    return { ...this.status(connected), connected, recentEvents: [...this.recent] };
  }

  /** The last snapshot, taken before the registry closes; listeners are dropped. */
  close(): void {
    this.finalSnapshot = { ...this.status(false), connected: false, recentEvents: [...this.recent] };
    this.listeners.clear();
  }

  /** Listens to every event and status change; returns the unsubscribe function. */
  subscribe(listener: (c: AgentChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first snapshot satisfying `predicate` (checked now and on every change). */
  waitFor(predicate: (s: AgentSnapshot) => boolean, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<AgentSnapshot> {
    return waitUntil((onChange) => this.subscribe(onChange), this.d.timers, () => {
      const s = this.snapshot();
      return predicate(s) ? s : undefined;
    }, opts);
  }

  /** Resolves with the first event (already recorded or future) satisfying `predicate`. */
  waitForEvent(predicate: (e: AgentEvent) => boolean, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<AgentEvent> {
    return waitUntil((onChange) => this.subscribe(onChange), this.d.timers, () => this.recent.find(predicate), opts);
  }
}
