/**
 * Agent telemetry service (issue 6 "Agent telemetry"), wired by the agent's composition root (src/agent/service.ts, via service/telemetry-wiring.ts):
 * every window (default 60 s) the recorder is cut, process stats added, and the window stored in the
 * SQLite outbox with the next sequence number, then published at QoS 1 on `agents/{id}/metrics`.
 * Timers (and with them the clock) are injected so tests drive the window (src/common/lifetime.ts).
 */
import type Database from 'better-sqlite3';
import { realTimers, type Timers } from '../../common/lifetime.js';
import { topics as topicsOf } from '../../common/topics.js';
import { AGENT_BUILD_FEATURES } from '../../common/agent-features.js';
import { MetricsWindowSchema, type AgentStatus, type MetricsWindow, type Role } from '../../common/wire.js';
import { Outbox, telemetryEpoch, type OutboxClient } from './outbox.js';
import { ProcessStatsSampler, type ProcessStats } from './process-stats.js';
import { TelemetryRecorder, type RoleInfo } from './recorder.js';
import { ShadowRunner, type ShadowRunnerOptions } from './shadow.js';

export type { Timers };
/** The default: real timers, unref'd (the window timer alone must not keep a process alive); close() clears it. */
const defaultTimers = realTimers({ unref: true });

export interface TelemetryOptions {
  client: OutboxClient;
  db: Database.Database;
  agentId: string;
  /** the window timer and the clock (epoch ms) */
  timers?: Timers;
  /** window length; default 60 s (issue 6), short in tests */
  windowMs?: number;
  topicPrefix?: string;
  /** channel and release seq the agent follows now, stamped on each window */
  releaseInfo?: () => { channel?: string; releaseSeq?: number; profile?: string };
  /** defaults to process.memoryUsage + monitorEventLoopDelay */
  processStats?: () => ProcessStats;
  shadow?: Omit<ShadowRunnerOptions, 'recorder' | 'clock'>;
  latencyBoundsMs?: readonly number[];
  maxInFlight?: number;
  onError?: (e: Error) => void;
  /** called with each window as it is stored (tests, the status window) */
  onWindow?: (w: MetricsWindow) => void;
}

export interface Telemetry {
  /** the epoch stamped on every window (telemetryEpoch: kept with the seq counter's database) */
  readonly epoch: string;
  readonly recorder: TelemetryRecorder;
  readonly outbox: Outbox;
  readonly shadow: ShadowRunner;
  /** Sets a role's model info; a model change cuts the window first so no window mixes two models. */
  setRoleInfo(role: Role, info: RoleInfo | undefined): void;
  /** Closes the current window now, stores and sends it. */
  cutWindow(): MetricsWindow;
  close(): Promise<void>;
}

export function startTelemetry(opts: TelemetryOptions): Telemetry {
  const timers = opts.timers ?? defaultTimers;
  const clock = (): number => timers.now();
  const t = topicsOf(opts.topicPrefix);
  const recorder = new TelemetryRecorder({ clock, ...(opts.latencyBoundsMs ? { latencyBoundsMs: opts.latencyBoundsMs } : {}) });
  const outboxOpts = { db: opts.db, client: opts.client, stream: 'metrics', ...(opts.maxInFlight ? { maxInFlight: opts.maxInFlight } : {}) };
  const outbox = new Outbox(opts.onError ? { ...outboxOpts, onError: opts.onError } : outboxOpts);
  const epoch = telemetryEpoch(opts.db);
  const shadow = new ShadowRunner({ ...opts.shadow, recorder, clock });
  const sampler = opts.processStats ? undefined : new ProcessStatsSampler();
  const stats = opts.processStats ?? (() => sampler!.sample());
  if (sampler) {
    // the delay histogram's timer runs only in windows with inference runs (process-stats.ts: idle CPU)
    const record = recorder.record.bind(recorder);
    recorder.record = (role, s) => {
      sampler.touch();
      record(role, s);
    };
  }

  const cutWindow = (): MetricsWindow => {
    const body = recorder.cut();
    const rel = opts.releaseInfo?.() ?? {};
    let window: MetricsWindow | undefined;
    outbox.enqueue((seq) => {
      const w: MetricsWindow = { agentId: opts.agentId, epoch, seq, ...body, process: stats() };
      if (rel.channel) w.channel = rel.channel;
      if (rel.releaseSeq !== undefined) w.releaseSeq = rel.releaseSeq;
      if (rel.profile !== undefined) w.profile = rel.profile;
      window = MetricsWindowSchema.parse(w); // validate at the edge we write, too
      return { topic: t.agentMetrics(opts.agentId), payload: JSON.stringify(window) };
    });
    opts.onWindow?.(window!);
    return window!;
  };

  const handle = timers.setInterval(() => {
    try {
      cutWindow();
    } catch (e) {
      opts.onError?.(e as Error);
    }
  }, opts.windowMs ?? 60_000);
  outbox.flush(); // windows left from before a restart

  return {
    epoch,
    recorder,
    outbox,
    shadow,
    setRoleInfo(role, info) {
      const prev = recorder.roleInfo(role);
      if (recorder.setRoleInfo(role, info)) {
        // The window holds requests of the old model: close it under the old info, then switch.
        recorder.setRoleInfo(role, prev);
        cutWindow();
        recorder.setRoleInfo(role, info);
      }
    },
    cutWindow,
    async close() {
      timers.clearInterval(handle);
      await shadow.close();
      outbox.close();
      sampler?.close();
    },
  };
}

/**
 * Presence (issue 6): the agent's retained status with a last will that marks it offline, so the
 * controller sees a crashed agent go offline. Pass the result as MQTT.js's `will` connect option.
 */
export function offlineWill(agentId: string, agentVersion: string, topicPrefix?: string, now: () => number = Date.now) {
  // the will replaces the controller's stored status, so it carries the features too: an offline agent is
  // still judged by what it serves when it comes back (capability gate)
  const status: AgentStatus = { agentId, online: false, ts: new Date(now()).toISOString(), agentVersion, roles: {}, features: [...AGENT_BUILD_FEATURES] };
  return { topic: topicsOf(topicPrefix).agentStatus(agentId), payload: Buffer.from(JSON.stringify(status)), qos: 1 as const, retain: true };
}
