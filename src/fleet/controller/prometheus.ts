/**
 * Prometheus `/metrics` for Grafana (issue 6), with prom-client. A registry per controller (no
 * global default registry: no module singletons); gauges are computed from the SQLite state at
 * scrape time.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { cohortFigures, type CohortFigures } from './cohort-totals.js';
import { CohortWindow } from './cohort-window.js';
import { phasesOf } from './judge.js';
import type { FleetController } from './controller.js';
import { registerAlertMetrics } from './alert-metrics.js';
import { healthProbe, healthStatusCode, type HealthReport } from './health.js';
import { WINDOW_DROP_REASONS } from './drops.js';

/** Fleet aggregates look back this far (a few metrics windows). */
const LOOKBACK_MS = 5 * 60_000;

const STATE_CODE: Record<string, number> = { pending: 0, running: 1, awaiting_approval: 2, paused: 3, aborting: 4, completed: 5, rolled_back: 6, aborted: 7, failed: 8 };

export function controllerRegistry(ctl: FleetController, clock: () => number = Date.now): Registry {
  const reg = new Registry();
  const store = ctl.store;
  // the cohort sums kept across scrapes (cohort-window.ts): four gauges read them each scrape
  const cohortWindow = new CohortWindow(store.db);
  new Gauge({
    name: 'rpa_fleet_agents',
    help: 'agents by online state, channel, role, model version, provider and cohort (from retained status)',
    labelNames: ['online', 'channel', 'role', 'model', 'version', 'provider', 'cohort'],
    registers: [reg],
    collect() {
      this.reset();
      for (const a of store.agents()) {
        const base = { online: String(a.online), channel: a.status.channel ?? '' };
        const roles = Object.entries(a.status.roles);
        if (roles.length === 0) this.inc({ ...base, role: '', model: '', version: '', provider: '', cohort: '' });
        for (const [role, rs] of roles) {
          this.inc({ ...base, role, model: rs?.modelId?.slice(0, 12) ?? '', version: rs?.version ?? '', provider: rs?.provider ?? '', cohort: rs?.cohort ?? '' });
        }
      }
    },
  });
  const cohortGauge = (name: string, help: string, pick: (s: Pick<CohortFigures, 'p95' | 'errorRate' | 'count' | 'agents'>) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['role', 'cohort', 'model', 'provider'],
      registers: [reg],
      collect() {
        this.reset();
        // the same figures as cohortStats over cohortRows, without parsing every window (issue 19 §4)
        for (const g of cohortFigures(cohortWindow.totals(clock() - LOOKBACK_MS))) {
          this.set({ role: g.role, cohort: g.cohort, model: g.modelId.slice(0, 12), provider: g.provider }, pick(g));
        }
      },
    });
  cohortGauge('rpa_fleet_latency_p95_ms', 'p95 inference latency over the last 5 min, merged from agent histograms', (s) => s.p95);
  cohortGauge('rpa_fleet_error_rate', 'errors / requests over the last 5 min', (s) => s.errorRate);
  cohortGauge('rpa_fleet_requests', 'requests in the last 5 min', (s) => s.count);
  cohortGauge('rpa_fleet_reporting_agents', 'agents that sent a metrics window in the last 5 min', (s) => s.agents);
  new Gauge({
    name: 'rpa_fleet_rollout_percent',
    help: 'current wave percent of each active or recent rollout',
    labelNames: ['rollout', 'channel', 'role', 'shadow'],
    registers: [reg],
    collect() {
      this.reset();
      for (const r of store.rollouts()) {
        const p = phasesOf(r.spec)[r.phase];
        if (p) this.set({ rollout: r.id, channel: r.spec.channel, role: r.spec.role, shadow: String(p.shadow) }, r.state === 'completed' ? 100 : r.state === 'rolled_back' || r.state === 'aborted' ? 0 : p.percent);
      }
    },
  });
  new Gauge({
    name: 'rpa_fleet_rollout_state',
    help: `rollout state: ${Object.entries(STATE_CODE).map(([k, v]) => `${v}=${k}`).join(', ')}`,
    labelNames: ['rollout', 'channel', 'role'],
    registers: [reg],
    collect() {
      this.reset();
      for (const r of store.rollouts()) this.set({ rollout: r.id, channel: r.spec.channel, role: r.spec.role }, STATE_CODE[r.state] ?? -1);
    },
  });
  new Gauge({
    name: 'rpa_fleet_rollout_holding',
    help: 'active rollouts whose current wave holds (1), by code: insufficient_evidence, not_significant, min_duration, outside_window, quality_gate, gate_unreadable',
    labelNames: ['rollout', 'channel', 'role', 'code'],
    registers: [reg],
    collect() {
      this.reset();
      for (const r of store.rollouts({ active: true })) {
        const latest = r.result?.['latest'] as { kind?: string; code?: string } | undefined;
        if (latest?.kind === 'wait' && latest.code) this.set({ rollout: r.id, channel: r.spec.channel, role: r.spec.role, code: latest.code }, 1);
      }
    },
  });
  const counter = (name: string, help: string, read: () => number) => {
    let last = 0;
    return new Counter({
      name,
      help,
      registers: [reg],
      collect() {
        const v = read();
        if (v > last) this.inc(v - last);
        last = v;
      },
    });
  };
  counter('rpa_fleet_messages_total', 'messages received from agents', () => ctl.stats.messages);
  counter('rpa_fleet_windows_total', 'metrics windows stored', () => ctl.stats.windows);
  counter('rpa_fleet_windows_duplicate_total', 'metrics windows dropped as duplicates by (agentId, epoch, seq)', () => ctl.stats.duplicates);
  const lastDrops: Record<string, number> = {};
  new Counter({
    name: 'rpa_fleet_windows_dropped_total',
    help: 'metrics windows dropped by reason: duplicate (same agent, epoch, seq), invalid (not a metrics window), agent_mismatch (agentId is not the topic\'s)',
    labelNames: ['reason'],
    registers: [reg],
    collect() {
      for (const reason of WINDOW_DROP_REASONS) {
        const v = ctl.drops.total[reason];
        this.inc({ reason }, Math.max(0, v - (lastDrops[reason] ?? 0)));
        lastDrops[reason] = v;
      }
    },
  });
  counter('rpa_fleet_invalid_messages_total', 'messages that failed schema validation', () => ctl.stats.invalid);
  counter('rpa_fleet_releases_published_total', 'releases signed and published by this controller', () => ctl.stats.releasesPublished);
  new Gauge({
    name: 'rpa_fleet_agent_variants',
    help: 'online agents by role and the model variant serving it (issue 21 §1: fp32 = the base file; agents older than variants report none)',
    labelNames: ['role', 'variant'],
    registers: [reg],
    collect() {
      this.reset();
      for (const a of store.agents()) if (a.online) for (const [role, rs] of Object.entries(a.status.roles)) if (rs?.modelId) this.inc({ role, variant: rs.variant?.name ?? '' });
    },
  });
  registerAlertMetrics(reg, ctl, clock); // what assets/prometheus/rpa-fleet-alerts.yml needs
  return reg;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves GET /metrics on host:port (port 0 = any free port), and /health when given a health source. */
export async function serveMetrics(reg: Registry, port: number, host = '127.0.0.1', opts: { health?: () => HealthReport } = {}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const probe = healthProbe(req.url?.split('?')[0] ?? '');
    if (req.method === 'GET' && probe && opts.health) {
      const report = opts.health();
      res.writeHead(healthStatusCode(report, probe), { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(report));
      return;
    }
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      reg.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': reg.contentType });
          res.end(text);
        },
        (e: Error) => {
          res.writeHead(500);
          res.end(e.message);
        },
      );
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(port, host, () => r()));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
