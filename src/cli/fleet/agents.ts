/** `rpa-fleet agents list|show`: agents known to the controller, from its database. */
import { AgentError } from '../../common/errors.js';
import { ModelRegistry } from '../../fleet/registry/registry.js';
import { yankedRunning } from '../../fleet/registry/yanked-agents.js';
import { parseFlags, type Command, type Parsed, type AnyCommand } from '../command.js';
import { dbHelp, dbOption, dbPath, openFleetStore } from './db.js';
import { modelLabels } from './model-labels.js';

interface AgentsArgs {
  id?: string;
  db: string;
  onlineOnly: boolean;
  json: boolean;
}

function parseAgents(argv: string[], needId: boolean): Parsed<AgentsArgs> {
  const r = parseFlags(argv, { ...dbOption, online: { type: 'boolean' }, json: { type: 'boolean' } }, needId);
  if (r.kind !== 'ok') return r;
  const id = r.positionals[0];
  if (needId && !id) return { kind: 'error', message: 'an agent id is required' };
  return { kind: 'ok', value: { ...(id ? { id } : {}), db: dbPath(r.values), onlineOnly: r.values['online'] === true, json: r.values['json'] === true } };
}

const list: Command<AgentsArgs> = {
  name: 'agents list',
  summary: 'list agents with presence, channel and active model per role',
  help: `[--online] [--db FILE] [--json]\n${dbHelp}`,
  parse: (argv) => parseAgents(argv, false),
  async run(a, io) {
    const store = openFleetStore(a.db);
    try {
      const rows = store.agents().filter((x) => !a.onlineOnly || x.online);
      const yanked = yankedRunning(rows, new ModelRegistry(store.db));
      const yankedOf = (agentId: string) => yanked.filter((y) => y.agentId === agentId);
      if (a.json) {
        io.out(JSON.stringify({ ok: true, agents: rows.map((x) => ({ ...x, yanked: yankedOf(x.agentId) })) }));
        return 0;
      }
      if (rows.length === 0) io.out('no agents');
      const label = modelLabels(store); // name@version, never a bare hex id (issue 16 §5)
      for (const x of rows) {
        const roles = Object.entries(x.status.roles).map(([role, rs]) => `${role}=${rs?.modelId ? label(rs.modelId) : '-'}/${rs?.provider ?? '?'}${rs?.cohort && rs.cohort !== 'stable' ? `(${rs.cohort})` : ''}`);
        const y = yankedOf(x.agentId).map((v) => ` YANKED:${v.role}=${v.model}`).join('');
        io.out(`${x.agentId.padEnd(24)} ${x.online ? 'online ' : 'offline'} ${(x.status.channel ?? '-').padEnd(10)} seq ${String(x.status.releaseSeq ?? '-').padEnd(5)} ${roles.join(' ')}${y}`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
};

const show: Command<AgentsArgs> = {
  name: 'agents show',
  summary: 'one agent: status, recent metrics windows and events',
  help: `AGENT_ID [--db FILE] [--json]\n${dbHelp}`,
  parse: (argv) => parseAgents(argv, true),
  async run(a, io) {
    const store = openFleetStore(a.db);
    try {
      const ag = store.agent(a.id!);
      if (!ag) throw new AgentError('not_found', `no agent ${a.id}`);
      const windows = store.recentWindows(a.id!, 5);
      const events = store.recentEvents(a.id!, 10);
      if (a.json) {
        io.out(JSON.stringify({ ok: true, agent: ag, windows, events }));
        return 0;
      }
      io.out(`${ag.agentId}  ${ag.online ? 'online' : 'offline'}  agent ${ag.status.agentVersion}  ${ag.status.platform ?? ''}  channel ${ag.status.channel ?? '-'}  release seq ${ag.status.releaseSeq ?? '-'}`);
      // the labels rollout selectors match (issue 16 §6)
      if (ag.labels && Object.keys(ag.labels).length) io.out(`  labels ${Object.entries(ag.labels).map(([k, v]) => `${k}=${v}`).join(',')}`);
      const label = modelLabels(store);
      for (const [role, rs] of Object.entries(ag.status.roles)) io.out(`  ${role}: ${rs?.state} ${rs?.modelId ? `${label(rs.modelId)} (${rs.modelId.slice(0, 12)}…)` : '-'} on ${rs?.provider ?? '?'} cohort ${rs?.cohort ?? 'stable'}${rs?.lastError ? ` last error ${rs.lastError.code}` : ''}`);
      io.out('recent windows:');
      for (const w of windows) {
        const parts = Object.entries(w.roles).map(([role, m]) => `${role} n=${m?.count} err=${m?.errors} p95=${m?.latency.p95.toFixed(1)}ms${m?.psi !== undefined ? ` psi=${m.psi.toFixed(3)}` : ''}${m?.shadow ? ` shadow agree=${m.shadow.agreement.toFixed(3)}` : ''}`);
        io.out(`  #${w.seq} ${w.windowEnd}  ${parts.join('  ')}${w.process ? `  rss ${(w.process.rssBytes / 1048576).toFixed(0)} MiB, loop p99 ${w.process.eventLoopDelayP99Ms.toFixed(1)} ms` : ''}`);
      }
      io.out('recent events:');
      for (const e of events) io.out(`  #${e.seq} ${e.ts} ${e.type}${e.role ? ' ' + e.role : ''}${e.reason ? ' ' + e.reason : ''}${e.modelId ? ' ' + e.modelId.slice(0, 12) : ''}`);
      return 0;
    } finally {
      store.close();
    }
  },
};

export const commands: AnyCommand[] = [list, show];
