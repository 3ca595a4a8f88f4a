/**
 * The series the shipped alert rules (assets/prometheus/rpa-fleet-alerts.yml, issue 16 §7) need beyond
 * the fleet aggregates of prometheus.ts: drift PSI per agent and role, agents per channel and presence,
 * each rollout's wave clock, latest verdict and end, agent-local rollbacks, and the broker connection.
 * All computed from the fleet database at scrape time (no state of their own).
 */
import { Gauge, type Registry } from 'prom-client';
import type { AgentEvent, MetricsWindow } from '../../common/wire.js';
import type { Verdict } from './judge.js';
import { TERMINAL_STATES, type ControllerStore } from './store.js';
import { rolloutEndedAt, waveElapsedMs } from './wave-clock.js';

/** Drift and agent rollbacks look back this far (a few metrics windows). */
const LOOKBACK_MS = 15 * 60_000;

export interface AlertMetricsSource {
  readonly store: ControllerStore;
  readonly brokerConnected: boolean;
}

export function registerAlertMetrics(reg: Registry, ctl: AlertMetricsSource, clock: () => number): void {
  const store = ctl.store;
  const channelOf = () => new Map(store.agents().map((a) => [a.agentId, a.status.channel ?? '']));

  new Gauge({
    name: 'rpa_fleet_drift_psi',
    help: 'population stability index of the confidence histogram against the model baseline, from each agent\'s latest metrics window of the last 15 min, per role',
    labelNames: ['agent', 'channel', 'role', 'model'],
    registers: [reg],
    collect() {
      this.reset();
      const channels = channelOf();
      const rows = store.db.prepare('SELECT agent_id, json FROM windows WHERE received >= ? ORDER BY received').all(clock() - LOOKBACK_MS) as { agent_id: string; json: string }[];
      const latest = new Map<string, MetricsWindow>();
      for (const r of rows) latest.set(r.agent_id, JSON.parse(r.json) as MetricsWindow); // ordered by received: the last wins
      for (const [agent, w] of latest) {
        for (const [role, m] of Object.entries(w.roles)) {
          if (m?.psi === undefined) continue;
          this.set({ agent, channel: channels.get(agent) ?? w.channel ?? '', role, model: m.modelId?.slice(0, 12) ?? '' }, m.psi);
        }
      }
    },
  });

  new Gauge({
    name: 'rpa_fleet_channel_agents',
    help: 'agents known to the controller per channel and presence (online = its retained status says online)',
    labelNames: ['channel', 'online'],
    registers: [reg],
    collect() {
      this.reset();
      for (const a of store.agents()) {
        const labels = { channel: a.status.channel ?? '', online: String(a.online) };
        this.inc(labels);
      }
      // both presence values exist for every channel, so "offline / all" is 0, not absent
      for (const a of store.agents()) for (const online of ['true', 'false']) this.inc({ channel: a.status.channel ?? '', online }, 0);
    },
  });

  const rolloutLabels = ['rollout', 'channel', 'role'] as const;
  new Gauge({
    name: 'rpa_fleet_rollout_phase_age_seconds',
    help: 'how long the current wave of each active rollout has run on the wave clock (paused time excluded)',
    labelNames: rolloutLabels,
    registers: [reg],
    collect() {
      this.reset();
      const now = clock();
      for (const r of store.rollouts({ active: true })) {
        if (r.phase < 0) continue;
        this.set({ rollout: r.id, channel: r.spec.channel, role: r.spec.role }, waveElapsedMs(store.db, r.id, r.phaseStartedAt, now) / 1000);
      }
    },
  });
  new Gauge({
    name: 'rpa_fleet_rollout_wave_min_duration_seconds',
    help: 'the minimum duration of each wave of each active rollout (its waveMinDuration)',
    labelNames: rolloutLabels,
    registers: [reg],
    collect() {
      this.reset();
      for (const r of store.rollouts({ active: true })) this.set({ rollout: r.id, channel: r.spec.channel, role: r.spec.role }, r.spec.waveMinDurationMs / 1000);
    },
  });
  new Gauge({
    name: 'rpa_fleet_rollout_verdict',
    help: 'latest verdict on the current wave of each active rollout: 1 for the verdict it has (wait, pass, fail)',
    labelNames: [...rolloutLabels, 'verdict'],
    registers: [reg],
    collect() {
      this.reset();
      for (const r of store.rollouts({ active: true })) {
        const latest = r.result?.['latest'] as Verdict | undefined;
        if (latest) this.set({ rollout: r.id, channel: r.spec.channel, role: r.spec.role, verdict: latest.kind }, 1);
      }
    },
  });
  new Gauge({
    name: 'rpa_fleet_rollout_ended_timestamp_seconds',
    help: 'when each ended rollout ended (unix seconds), by outcome (completed, rolled_back = a gate broke, aborted, failed) and, for rolled_back, the gate that broke',
    labelNames: [...rolloutLabels, 'outcome', 'breach'],
    registers: [reg],
    collect() {
      this.reset();
      for (const r of store.rollouts()) {
        if (!TERMINAL_STATES.includes(r.state)) continue;
        const breach = r.state === 'rolled_back' ? String((r.result?.['verdict'] as { breach?: string } | undefined)?.breach ?? '') : '';
        this.set({ rollout: r.id, channel: r.spec.channel, role: r.spec.role, outcome: r.state, breach }, rolloutEndedAt(r) / 1000);
      }
    },
  });
  new Gauge({
    name: 'rpa_fleet_agent_rollbacks',
    help: 'agents that rolled a candidate back locally (their guard, or a release without it) in the last 15 min, per channel, role and reason',
    labelNames: ['channel', 'role', 'reason'],
    registers: [reg],
    collect() {
      this.reset();
      const channels = channelOf();
      const rows = store.db.prepare("SELECT agent_id, json FROM events WHERE type = 'rolled_back' AND received >= ?").all(clock() - LOOKBACK_MS) as { agent_id: string; json: string }[];
      const seen = new Set<string>();
      for (const r of rows) {
        const e = JSON.parse(r.json) as AgentEvent;
        const labels = { channel: channels.get(r.agent_id) ?? '', role: e.role ?? '', reason: e.reason ?? '' };
        const key = `${r.agent_id}|${labels.role}|${labels.reason}`;
        if (seen.has(key)) continue; // agents, not events
        seen.add(key);
        this.inc(labels);
      }
    },
  });
  new Gauge({
    name: 'rpa_fleet_broker_connected',
    help: '1 while the controller is connected to the MQTT broker',
    registers: [reg],
    collect() {
      this.set(ctl.brokerConnected ? 1 : 0);
    },
  });
}
