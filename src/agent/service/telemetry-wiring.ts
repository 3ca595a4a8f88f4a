/**
 * Telemetry in the agent service (issue 6): the SQLite outbox database, metrics windows over the agent's
 * MQTT connection, every host run recorded, the feedback outbox, and each role's model info kept current.
 * Split out of service.ts (issue 18 §4). Lifetime: everything created here is added to the caller's store,
 * in creation order, so the store closes the database last.
 */
import { join } from 'node:path';
import type { ProfileStatus } from '../../common/profiles.js';
import Database from 'better-sqlite3';
import { unrefTimers, type DisposableStore, type Timers } from '../../common/lifetime.js';
import { ROLES, type MetricsWindow } from '../../common/wire.js';
import type { Agent } from '../agent.js';
import type { AgentConfig } from '../config.js';
import type { InferenceHost } from '../inference/index.js';
import type { Logger } from '../runtime.js';
import { Outbox, startTelemetry, type Telemetry } from '../telemetry/index.js';

export const TELEMETRY_DB_FILE = 'telemetry.sqlite';

export interface ServiceTelemetry {
  telemetry: Telemetry;
  /** FeedbackSchema messages on agents/{id}/feedback, kept in the same SQLite outbox while offline */
  feedbackOutbox: Outbox;
  /** re-reads the agent's roles into the telemetry's role info (a model change cuts the window) */
  syncRoleInfo(): void;
}

export interface TelemetryWiringDeps {
  agent: Agent;
  host: InferenceHost;
  config: AgentConfig;
  logger: Logger;
  timers: Timers;
  store: DisposableStore;
  onMetricsWindow?: (w: MetricsWindow) => void;
  /** the industry profile applied now (issue 21 §2): each window carries its name */
  profileNow?: () => ProfileStatus;
}

export function startServiceTelemetry(d: TelemetryWiringDeps): ServiceTelemetry {
  const { agent, config, logger, store } = d;
  const db = store.add(new Database(join(config.dataDir, TELEMETRY_DB_FILE)), 'telemetry database');
  db.pragma('journal_mode = WAL');
  const telemetry = startTelemetry({
    client: agent.outboxClient(),
    db,
    agentId: config.agentId,
    // the clock comes with the injected timers; the window timer is unref'd as before (close clears it)
    timers: unrefTimers(d.timers),
    windowMs: config.telemetry.windowSec * 1000,
    topicPrefix: config.topicPrefix,
    releaseInfo: () => {
      const r = agent.acceptedRelease();
      return { channel: config.channel, ...(r ? { releaseSeq: r.seq } : {}), ...(d.profileNow ? { profile: d.profileNow().applied } : {}) };
    },
    shadow: { sampleRate: config.telemetry.shadowSampleRate, maxCpuShare: config.telemetry.shadowMaxCpuShare },
    onError: (e) => logger.warn('telemetry', { error: e.message }),
    ...(d.onMetricsWindow ? { onWindow: d.onMetricsWindow } : {}),
  });
  store.add(telemetry, 'telemetry');
  // every completed run: count, errors, latency (the host is the only place that sees them all)
  store.add(d.host.addObserver({ onRun: (role, _modelId, ok, latencyMs) => telemetry.recorder.record(role, { latencyMs, ok }) }), 'host run observer');

  const feedbackOutbox = store.add(new Outbox({ db, client: agent.outboxClient(), stream: 'feedback', onError: (e) => logger.warn('feedback outbox', { error: e.message }) }), 'feedback outbox');
  feedbackOutbox.flush();

  const syncRoleInfo = () => {
    const s = agent.snapshot();
    for (const role of ROLES) {
      const rs = s.roles[role];
      if (!rs?.modelId) {
        telemetry.setRoleInfo(role, undefined);
        continue;
      }
      const m = agent.storedManifest(rs.modelId);
      telemetry.setRoleInfo(role, {
        modelId: rs.modelId,
        ...(rs.version ? { version: rs.version } : {}),
        ...(rs.provider ? { provider: rs.provider } : {}),
        ...(rs.cohort ? { cohort: rs.cohort } : {}),
        ...(rs.rolloutId ? { rolloutId: rs.rolloutId } : {}),
        ...(rs.variant ? { variant: rs.variant.name } : {}),
        ...(m?.baseline ? { baselineConfidence: m.baseline.confidenceHistogram } : {}),
      });
    }
  };
  return { telemetry, feedbackOutbox, syncRoleInfo };
}
