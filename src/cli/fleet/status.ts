/**
 * `rpa-fleet status`: the fleet at a glance from the controller's database — agents online, model
 * versions and providers, and per cohort the p95 and error rate over the last minutes, plus active
 * rollouts. `--watch` redraws every `--interval` (2 s) — against a remote controller too (remote/status.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelRegistry } from '../../fleet/registry/registry.js';
import { yankedRunning } from '../../fleet/registry/yanked-agents.js';
import { parseDuration, parseFlags, type Command, type Parsed, type AnyCommand } from '../command.js';
import { dbHelp, dbOption, dbPath, openFleetStore } from './db.js';
import { describeRollout, rolloutContext } from './rollout.js';
import { modelLabels } from './model-labels.js';
import { describeDetached, isoMinute } from '../../fleet/controller/heartbeat.js';

const MIN_INTERVAL_MS = 500;

export interface StatusArgs {
  db: string;
  watch: boolean;
  intervalMs: number;
  sinceMs: number;
  json: boolean;
}

export function parseStatus(argv: string[]): Parsed<StatusArgs> {
  const r = parseFlags(argv, { ...dbOption, watch: { type: 'boolean' }, interval: { type: 'string' }, since: { type: 'string' }, json: { type: 'boolean' } });
  if (r.kind !== 'ok') return r;
  const since = parseDuration(String(r.values['since'] ?? '5m'));
  if (!since) return { kind: 'error', message: '--since is a duration (e.g. 5m)' };
  const watch = r.values['watch'] === true;
  const interval = parseDuration(String(r.values['interval'] ?? '2s'));
  if (!interval || interval < MIN_INTERVAL_MS) return { kind: 'error', message: `--interval is a duration of at least ${MIN_INTERVAL_MS}ms (e.g. 2s)` };
  if (r.values['interval'] !== undefined && !watch) return { kind: 'error', message: '--interval needs --watch' };
  return { kind: 'ok', value: { db: dbPath(r.values), watch, intervalMs: interval, sinceMs: since, json: r.values['json'] === true } };
}

export { modelLabels } from './model-labels.js';

export { fleetSnapshot, type FleetSnapshot } from '../../fleet/api/snapshot.js';
import { fleetSnapshot, type FleetSnapshot } from '../../fleet/api/snapshot.js';

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ')).join('\n');
}

/** Renders the snapshot one section per channel (issue 16 §5: "status groups by channel"). */
export function renderSnapshot(s: FleetSnapshot, rollouts: string[], controllerLine?: string, label: (modelId: string) => string = (id) => id.slice(0, 12)): string {
  const out = [`agents: ${s.agents.online} online of ${s.agents.total}`];
  if (controllerLine) out.push(controllerLine);
  out.push('');
  for (const ch of s.agents.channels) {
    out.push(`channel ${ch.channel}: ${ch.online} online of ${ch.total}`);
    const versions = s.versions.filter((v) => v.channel === ch.channel);
    if (versions.length) out.push(indent(table([['ROLE', 'MODEL', 'VERSION', 'PROVIDER', 'COHORT', 'AGENTS'], ...versions.map((v) => [v.role, label(v.model), v.version, v.provider, v.cohort, String(v.agents)])])));
    const cohorts = s.cohorts.filter((c) => c.channel === ch.channel);
    if (cohorts.length) {
      out.push(
        indent(
          table([
            ['ROLE', 'COHORT', 'MODEL', 'PROVIDER', 'AGENTS', 'REQUESTS', 'ERRORS', 'P95 MS'],
            ...cohorts.map((c) => [c.role, c.cohort, label(c.model), c.provider, String(c.agents), String(c.requests), `${(c.errorRate * 100).toFixed(2)} %`, c.p95.toFixed(1)]),
          ]),
        ),
      );
    }
    out.push('');
  }
  if (rollouts.length) out.push('rollouts:', ...rollouts);
  return out.join('\n');
}

const indent = (text: string) => text.split('\n').map((l) => `  ${l}`).join('\n');

const status: Command<StatusArgs> = {
  name: 'status',
  summary: 'fleet at a glance: agents online, versions, providers, p95 and errors per cohort',
  help: `[--watch [--interval 2s]] [--since 5m] [--db FILE] [--json]

Reads the controller's database (run \`rpa-fleet controller\`); \`rpa-fleet --controller URL status\`
asks a remote controller's API instead (same flags, no --db).
  --watch      redraw every --interval (default 2 s) until interrupted
  --since D    metrics look-back for p95 and error rate (default 5m)
${dbHelp}`,
  parse: parseStatus,
  async run(a, io) {
    const store = openFleetStore(a.db);
    const registry = new ModelRegistry(store.db);
    try {
      for (;;) {
        const snap = fleetSnapshot(store, Date.now(), a.sinceMs);
        const active = store.rollouts({ active: true });
        const ctx = rolloutContext(store, a.db);
        const yanked = yankedRunning(store.agents(), registry);
        if (a.json) io.out(JSON.stringify({ ok: true, ...snap, rollouts: active, controller: ctx.attachment, yanked }));
        else {
          if (a.watch && io.isTTY) io.out('\x1b[2J\x1b[H');
          const att = ctx.attachment!;
          const ctlLine = att.kind === 'attached' ? `controller: ${att.heartbeat.instanceId} on ${att.heartbeat.host} (up since ${isoMinute(att.heartbeat.startedAt)})` : `controller: ${describeDetached(att, a.db)}`;
          io.out(renderSnapshot(snap, active.map((r) => describeRollout(r, ctx)), ctlLine, modelLabels(store)));
          // [issue 16 §3] agents still running a yanked model
          for (const y of yanked) io.out(`YANKED ${y.model} (${y.role}) still runs on ${y.agentId}: ${y.reason}`);
        }
        if (!a.watch || io.signal?.aborted) return 0;
        await sleep(a.intervalMs, undefined, io.signal ? { signal: io.signal } : {}).catch(() => undefined);
        if (io.signal?.aborted) return 0;
      }
    } finally {
      store.close();
    }
  },
};

export const commands: AnyCommand[] = [status];
