/**
 * `rpa-agent rollback --role R [--config F] [--json]`: instant manual rollback of one role to the previous
 * version kept in the local store. See the help text for the mechanism and why.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { AgentError } from '../../common/errors.js';
import { RoleSchema, type Role } from '../../common/wire.js';
import { rollbackInRegistry } from '../../agent/agent.js';
import { loadAgentConfig } from '../../agent/config.js';
import { readAgentLock, requestRollback } from '../../agent/local-admin.js';
import { Registry, REGISTRY_FILE } from '../../agent/store/registry.js';
import { parseFlags, type Command, type Parsed, type AnyCommand } from '../command.js';

export interface RollbackArgs {
  role: Role;
  config: string;
  json: boolean;
  timeoutMs: number;
}

export function parseRollbackArgs(argv: string[]): Parsed<RollbackArgs> {
  const r = parseFlags(argv, { role: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' }, 'timeout-ms': { type: 'string' } });
  if (r.kind !== 'ok') return r;
  const role = RoleSchema.safeParse(r.values.role);
  if (!role.success) return { kind: 'error', message: '--role is detector, classifier or similarity' };
  const config = (r.values.config as string | undefined) ?? process.env.RPA_AGENT_CONFIG;
  if (!config) return { kind: 'error', message: '--config FILE is required (or set RPA_AGENT_CONFIG)' };
  const rawTimeout = r.values['timeout-ms'] as string | undefined;
  const timeoutMs = rawTimeout === undefined ? 30_000 : Number(rawTimeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000) return { kind: 'error', message: '--timeout-ms takes 100..600000' };
  return { kind: 'ok', value: { role: role.data, config, json: r.values.json === true, timeoutMs } };
}

export const rollbackCommand: Command<RollbackArgs> = {
  name: 'rollback',
  summary: 'roll one role back to the previous version kept on this workstation',
  help: `--role detector|classifier|similarity [--config FILE] [--json] [--timeout-ms N]

Rolls the role back at once to the previous version kept in the local store (no download):
  - a candidate under trial goes back to the release's stable model, and this rollout is not retaken;
  - a stable model goes back to the version active before it, and stays pinned there until the fleet
    publishes a newer release.
An event "rolled_back" (reason manual_rollback) goes upstream and into the audit log.

How it reaches the agent: through the agent's data directory, not the bot endpoint. The data dir is
private to the agent's OS user (mode 0700), so only that user or an administrator can ask — bots, which
can reach the endpoint, cannot. If the agent is running (data dir's agent.lock names a live process),
this drops a request in <dataDir>/control/ and waits for the running agent's answer; the rollback is
instant and served immediately. If no agent runs, it edits the registry so the next start loads the
previous version.

Exit 0 rolled back; 1 failed (e.g. not_found: no previous version kept); 2 usage.`,
  parse: parseRollbackArgs,
  async run(args, io) {
    const config = loadAgentConfig(args.config);
    const lock = readAgentLock(config.dataDir);
    let result: { from: string; to: string; via: 'running-agent' | 'registry' };
    if (lock) {
      const r = await requestRollback(config.dataDir, args.role, { timeoutMs: args.timeoutMs, ...(io.signal ? { signal: io.signal } : {}) });
      if (!r.ok) throw new AgentError((r.code as never) ?? 'internal', r.message ?? 'rollback failed');
      result = { from: r.from ?? '', to: r.to ?? '', via: 'running-agent' };
    } else {
      const file = join(config.dataDir, REGISTRY_FILE);
      if (!existsSync(file)) throw new AgentError('not_found', `no agent registry at ${file} (has the agent run with this data dir?)`);
      const reg = Registry.open(file);
      try {
        result = { ...rollbackInRegistry(reg, config.channel, args.role, new Date().toISOString()), via: 'registry' };
      } finally {
        reg.close();
      }
    }
    if (args.json) io.out(JSON.stringify({ role: args.role, ...result }));
    else
      io.out(
        `${args.role}: rolled back ${result.from.slice(0, 12)} → ${result.to.slice(0, 12)} ${result.via === 'running-agent' ? '(running agent, now serving)' : '(no agent running; loaded on next start)'}`,
      );
    return 0;
  },
};

export const commands: AnyCommand[] = [rollbackCommand];
