/**
 * `rpa-agent status [--config FILE] [--json]`: the local state per role from the SQLite registry.
 * Opens it read-only (WAL), so it works while the agent runs.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { AgentError } from '../../common/errors.js';
import { ROLES, type RoleStatus } from '../../common/wire.js';
import { roleStatusFrom } from '../../agent/agent.js';
import { loadAgentConfig } from '../../agent/config.js';
import { Registry, REGISTRY_FILE } from '../../agent/store/registry.js';
import { parseFlags, type Command, type Parsed, type AnyCommand } from '../command.js';

export interface StatusArgs {
  config?: string;
  dataDir?: string;
  json: boolean;
}

export function parseStatusArgs(argv: string[]): Parsed<StatusArgs> {
  const r = parseFlags(argv, { config: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } });
  if (r.kind !== 'ok') return r;
  const config = (r.values.config as string | undefined) ?? process.env.RPA_AGENT_CONFIG;
  const dataDir = r.values['data-dir'] as string | undefined;
  if (!config && !dataDir) return { kind: 'error', message: '--config FILE (or RPA_AGENT_CONFIG) or --data-dir DIR is required' };
  if (config && dataDir) return { kind: 'error', message: 'give --config or --data-dir, not both' };
  return { kind: 'ok', value: { ...(config ? { config } : {}), ...(dataDir ? { dataDir } : {}), json: r.values.json === true } };
}

export interface LocalStatus {
  agentId?: string;
  channel?: string;
  releaseSeq?: number;
  releaseExpires?: string;
  roles: Partial<Record<(typeof ROLES)[number], RoleStatus>>;
  fetches: { modelId: string; role: string; have: number; chunks: number; chunksWritten: number }[];
  models: { modelId: string; role: string; name: string; version: string; size: number; lastActiveAt?: string }[];
}

export function readLocalStatus(dataDir: string, channel?: string): LocalStatus {
  const file = join(dataDir, REGISTRY_FILE);
  if (!existsSync(file)) throw new AgentError('not_found', `no agent registry at ${file} (has the agent run with this data dir?)`);
  const reg = Registry.open(file, { readonly: true });
  try {
    const roles: LocalStatus['roles'] = {};
    for (const row of reg.listRoles()) roles[row.role] = roleStatusFrom(row, reg);
    const rel = channel ? reg.getAcceptedRelease(channel) : undefined;
    return {
      ...(channel ? { channel } : {}),
      ...(rel ? { releaseSeq: rel.seq, releaseExpires: rel.release.expires } : {}),
      roles,
      fetches: reg.listFetches().map((f) => ({ modelId: f.modelId, role: f.role, have: f.have, chunks: f.chunkCount, chunksWritten: f.chunksWritten })),
      models: reg.listModels().map((m) => ({ modelId: m.modelId, role: m.role, name: m.name, version: m.version, size: m.size, ...(m.lastActiveAt ? { lastActiveAt: m.lastActiveAt } : {}) })),
    };
  } finally {
    reg.close();
  }
}

export function formatStatus(s: LocalStatus): string[] {
  const lines: string[] = [];
  lines.push(`agent ${s.agentId ?? '?'}  channel ${s.channel ?? '?'}  release seq ${s.releaseSeq ?? '-'}${s.releaseExpires ? ` (expires ${s.releaseExpires})` : ''}`);
  for (const role of ROLES) {
    const r = s.roles[role];
    if (!r) {
      lines.push(`  ${role.padEnd(10)} idle (no model)`);
      continue;
    }
    const model = r.modelId ? `${r.name ?? '?'}@${r.version ?? '?'} (${r.modelId.slice(0, 12)})` : 'no model';
    let line = `  ${role.padEnd(10)} ${r.state.padEnd(11)} ${model}`;
    if (r.provider) line += `  provider ${r.provider}`;
    if (r.cohort) line += `  cohort ${r.cohort}${r.rolloutId ? ` (${r.rolloutId})` : ''}`;
    if (r.pending) line += `  pending ${r.pending.modelId.slice(0, 12)} ${Math.round(r.pending.progress * 100)}%`;
    if (r.lastError) line += `  last error [${r.lastError.code}] ${r.lastError.message}`;
    lines.push(line);
  }
  for (const f of s.fetches) lines.push(`  fetch ${f.role} ${f.modelId.slice(0, 12)}: ${f.have}/${f.chunks} chunks`);
  return lines;
}

export const statusCommand: Command<StatusArgs> = {
  name: 'status',
  summary: 'show the local state per role (works while the agent runs)',
  help: `[--config FILE | --data-dir DIR] [--json]

Reads the agent's SQLite registry read-only: per role the state, the active model, provider, cohort,
a pending download's progress and the last error; plus downloads in progress.`,
  parse: parseStatusArgs,
  async run(args, io) {
    let dataDir = args.dataDir;
    let agentId: string | undefined;
    let channel: string | undefined;
    if (args.config) {
      const c = loadAgentConfig(args.config);
      dataDir = c.dataDir;
      agentId = c.agentId;
      channel = c.channel;
    }
    const s = { ...(agentId ? { agentId } : {}), ...readLocalStatus(dataDir!, channel) };
    if (args.json) io.out(JSON.stringify({ ok: true, ...s }));
    else for (const l of formatStatus(s)) io.out(l);
    return 0;
  },
};

export const commands: AnyCommand[] = [statusCommand];
