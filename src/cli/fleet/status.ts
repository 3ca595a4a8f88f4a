/**
 * `rpa-fleet status`: the fleet at a glance from the controller's database — agents online, model
 * versions and providers, and per cohort the p95 and error rate over the last minutes, plus active
 * rollouts. `--watch` redraws every 2 s.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cohortStats } from '../../fleet/controller/judge.js';
import { ControllerStore } from '../../fleet/controller/store.js';
import { ModelRegistry } from '../../fleet/registry/registry.js';
import { yankedRunning } from '../../fleet/registry/yanked-agents.js';
import { parseDuration, parseFlags, type Command, type Parsed } from '../command.js';
import { dbHelp, dbOption, dbPath } from './controller.js';
import { describeRollout } from './rollout.js';

export interface StatusArgs {
  db: string;
  watch: boolean;
  sinceMs: number;
  json: boolean;
}

export function parseStatus(argv: string[]): Parsed<StatusArgs> {
  const r = parseFlags(argv, { ...dbOption, watch: { type: 'boolean' }, since: { type: 'string' }, json: { type: 'boolean' } });
  if (r.kind !== 'ok') return r;
  const since = parseDuration(String(r.values['since'] ?? '5m'));
  if (!since) return { kind: 'error', message: '--since is a duration (e.g. 5m)' };
  return { kind: 'ok', value: { db: dbPath(r.values), watch: r.values['watch'] === true, sinceMs: since, json: r.values['json'] === true } };
}

export interface FleetSnapshot {
  agents: { total: number; online: number };
  versions: { role: string; model: string; version: string; provider: string; cohort: string; agents: number }[];
  cohorts: { role: string; cohort: string; model: string; provider: string; agents: number; requests: number; errorRate: number; p95: number }[];
}

export function fleetSnapshot(store: ControllerStore, now: number, sinceMs: number): FleetSnapshot {
  const agents = store.agents();
  const versions = new Map<string, FleetSnapshot['versions'][number]>();
  for (const a of agents) {
    if (!a.online) continue;
    for (const [role, rs] of Object.entries(a.status.roles)) {
      if (!rs) continue;
      const k = `${role}|${rs.modelId}|${rs.version}|${rs.provider}|${rs.cohort}`;
      const v = versions.get(k) ?? { role, model: rs.modelId ?? '', version: rs.version ?? '', provider: rs.provider ?? '', cohort: rs.cohort ?? '', agents: 0 };
      v.agents++;
      versions.set(k, v);
    }
  }
  const cohorts = store.cohortRows(now - sinceMs).map((g) => {
    const s = cohortStats(g.rows);
    return { role: g.role, cohort: g.cohort, model: g.modelId, provider: g.provider, agents: s.agents, requests: s.count, errorRate: s.errorRate, p95: s.p95 };
  });
  return { agents: { total: agents.length, online: agents.filter((a) => a.online).length }, versions: [...versions.values()], cohorts };
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ')).join('\n');
}

export function renderSnapshot(s: FleetSnapshot, rollouts: string[]): string {
  const out = [`agents: ${s.agents.online} online of ${s.agents.total}`, ''];
  if (s.versions.length) {
    out.push(table([['ROLE', 'MODEL', 'VERSION', 'PROVIDER', 'COHORT', 'AGENTS'], ...s.versions.map((v) => [v.role, v.model.slice(0, 12), v.version, v.provider, v.cohort, String(v.agents)])]), '');
  }
  if (s.cohorts.length) {
    out.push(
      table([
        ['ROLE', 'COHORT', 'MODEL', 'PROVIDER', 'AGENTS', 'REQUESTS', 'ERRORS', 'P95 MS'],
        ...s.cohorts.map((c) => [c.role, c.cohort, c.model.slice(0, 12), c.provider, String(c.agents), String(c.requests), `${(c.errorRate * 100).toFixed(2)} %`, c.p95.toFixed(1)]),
      ]),
      '',
    );
  }
  if (rollouts.length) out.push('rollouts:', ...rollouts);
  return out.join('\n');
}

const status: Command<StatusArgs> = {
  name: 'status',
  summary: 'fleet at a glance: agents online, versions, providers, p95 and errors per cohort',
  help: `[--watch] [--since 5m] [--db FILE] [--json]

Reads the controller's database (run \`rpa-fleet controller\`).
  --watch      redraw every 2 s until interrupted
  --since D    metrics look-back for p95 and error rate (default 5m)
${dbHelp}`,
  parse: parseStatus,
  async run(a, io) {
    const store = new ControllerStore(a.db);
    const registry = new ModelRegistry(store.db);
    try {
      for (;;) {
        const snap = fleetSnapshot(store, Date.now(), a.sinceMs);
        const active = store.rollouts({ active: true });
        const yanked = yankedRunning(store.agents(), registry);
        if (a.json) io.out(JSON.stringify({ ok: true, ...snap, rollouts: active, yanked }));
        else {
          if (a.watch && io.isTTY) io.out('\x1b[2J\x1b[H');
          io.out(renderSnapshot(snap, active.map((r) => describeRollout(r, (m) => registry.label(m)))));
          // [issue 16 §3] agents still running a yanked model
          for (const y of yanked) io.out(`YANKED ${y.model} (${y.role}) still runs on ${y.agentId}: ${y.reason}`);
        }
        if (!a.watch || io.signal?.aborted) return 0;
        await sleep(2000, undefined, io.signal ? { signal: io.signal } : {}).catch(() => undefined);
        if (io.signal?.aborted) return 0;
      }
    } finally {
      store.close();
    }
  },
};

export const commands: Command<any>[] = [status];
