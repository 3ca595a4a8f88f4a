/**
 * The read verbs of `rpa-fleet --controller URL …` (issue 19 §1): the same verbs and output as the
 * local ones, answered by the controller's API instead of the local fleet database.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../../../common/errors.js';
import type { Feedback } from '../../../common/wire.js';
import type { AuditEntry, ChainVerdict } from '../../../fleet/audit/chain.js';
import type { Attachment } from '../../../fleet/controller/heartbeat.js';
import type { AgentRow, LogRow, RolloutRow } from '../../../fleet/controller/store.js';
import { parseFlags, type Command, type CommandIO, type Parsed, type AnyCommand } from '../../command.js';
import { describeEntry } from '../audit.js';
import { describeLog, describeRollout, historyOf } from '../rollout.js';
import type { ApiClient } from './client.js';

export type Connect = (io: CommandIO) => Promise<ApiClient>;

interface Common {
  json: boolean;
  positionals: string[];
  values: Record<string, unknown>;
}

/** A remote verb: flags parsed with node:util (unknown flags are usage errors), then an API call. */
export function remoteVerb(name: string, summary: string, help: string, options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>, positionals: number, connect: Connect, run: (api: ApiClient, a: Common, io: CommandIO) => Promise<number>, check?: (a: Common) => string | undefined): Command<Common> {
  return {
    name,
    summary: `${summary} (remote)`,
    help: `${help}\n\nAgainst the controller's API (--controller URL; token from \`rpa-fleet login\` or $RPA_FLEET_TOKEN).`,
    parse(argv): Parsed<Common> {
      const r = parseFlags(argv, { ...options, json: { type: 'boolean' } }, positionals > 0);
      if (r.kind !== 'ok') return r;
      if (r.positionals.length > positionals) return { kind: 'error', message: `at most ${positionals} argument(s)` };
      const a = { json: r.values['json'] === true, positionals: r.positionals, values: r.values };
      const bad = check?.(a);
      return bad ? { kind: 'error', message: bad } : { kind: 'ok', value: a };
    },
    run: async (a, io) => run(await connect(io), a, io),
  };
}

const str = (a: Common, k: string) => (typeof a.values[k] === 'string' ? (a.values[k] as string) : undefined);
const need1 = (what: string) => (a: Common) => (a.positionals.length === 1 ? undefined : `one ${what} is required`);
const label = (labels: Record<string, string>) => (id: string) => labels[id] ?? `${id.slice(0, 12)}…`;

export function readCommands(connect: Connect): AnyCommand[] {
  return [
    remoteVerb('whoami', 'the token the remote CLI uses: name, role, id', '[--json]', {}, 0, connect, async (api, a, io) => {
      const w = await api.get<{ name: string; role: string; tokenId: string }>('/whoami');
      io.out(a.json ? JSON.stringify({ ok: true, ...w, controller: api.origin }) : `${w.name} (${w.role}, token ${w.tokenId}) at ${api.origin}`);
      return 0;
    }),
    remoteVerb('agents list', 'list agents', '[--online] [--json]', { online: { type: 'boolean' } }, 0, connect, async (api, a, io) => {
      // page by page (1,000 agents a request), so a large fleet is never one huge answer
      type Page = { agents: (AgentRow & { yanked: { role: string; model: string }[] })[]; next?: string };
      const r: Page = { agents: [] };
      for (let after: string | undefined; ; ) {
        const p: Page = await api.get<Page>('/agents', { online: a.values['online'] === true ? true : undefined, limit: 1000, after });
        r.agents.push(...p.agents);
        if (!p.next) break;
        after = p.next;
      }
      if (a.json) io.out(JSON.stringify({ ok: true, ...r }));
      else if (!r.agents.length) io.out('no agents');
      else
        for (const x of r.agents) {
          const roles = Object.entries(x.status.roles).map(([role, rs]) => `${role}=${rs?.name && rs.version ? `${rs.name}@${rs.version}` : rs?.modelId?.slice(0, 12) ?? '-'}/${rs?.provider ?? '?'}${rs?.cohort && rs.cohort !== 'stable' ? `(${rs.cohort})` : ''}`);
          io.out(`${x.agentId.padEnd(24)} ${x.online ? 'online ' : 'offline'} ${(x.status.channel ?? '-').padEnd(10)} seq ${String(x.status.releaseSeq ?? '-').padEnd(5)} ${roles.join(' ')}${x.yanked.map((y) => ` YANKED:${y.role}=${y.model}`).join('')}`);
        }
      return 0;
    }),
    remoteVerb('agents show', 'one agent: status, recent windows and events', 'AGENT_ID [--json]', {}, 1, connect, async (api, a, io) => {
      const r = await api.get<{ agent: AgentRow; windows: { seq: number; windowEnd: string }[]; events: { seq: number; ts: string; type: string; reason?: string }[] }>(`/agents/${encodeURIComponent(a.positionals[0]!)}`);
      if (a.json) io.out(JSON.stringify({ ok: true, ...r }));
      else {
        const g = r.agent;
        io.out(`${g.agentId}  ${g.online ? 'online' : 'offline'}  agent ${g.status.agentVersion}  channel ${g.status.channel ?? '-'}  release seq ${g.status.releaseSeq ?? '-'}`);
        if (g.labels && Object.keys(g.labels).length) io.out(`  labels ${Object.entries(g.labels).map(([k, v]) => `${k}=${v}`).join(',')}`);
        for (const [role, rs] of Object.entries(g.status.roles)) io.out(`  ${role}: ${rs?.state} ${rs?.modelId ? rs.modelId.slice(0, 12) + '…' : '-'} on ${rs?.provider ?? '?'} cohort ${rs?.cohort ?? 'stable'}`);
        io.out(`recent windows: ${r.windows.map((w) => `#${w.seq}`).join(' ') || '-'}`);
        for (const e of r.events) io.out(`  #${e.seq} ${e.ts} ${e.type}${e.reason ? ' ' + e.reason : ''}`);
      }
      return 0;
    }, need1('AGENT_ID')),
    remoteVerb('models list', 'the model registry', '[--name NAME] [--json]', { name: { type: 'string' } }, 0, connect, async (api, a, io) => {
      const r = await api.get<{ models: { model: string; role: string; state: string; modelId: string; publishedBy: string }[] }>('/models', { name: str(a, 'name') });
      if (a.json) io.out(JSON.stringify({ ok: true, ...r }));
      else for (const m of r.models) io.out(`${m.model.padEnd(32)} ${m.role.padEnd(10)} ${m.state.toUpperCase().padEnd(10)} ${m.modelId.slice(0, 12)}…  by ${m.publishedBy}`);
      return 0;
    }),
    remoteVerb('models show', 'one registered model with its signed manifest and provenance', 'NAME@VERSION|NAME@latest|MODEL_ID [--json]', {}, 1, connect, async (api, a, io) => {
      const m = await api.get<{ model: string; role: string; state: string; modelId: string; publishedBy: string; publishedAt: string; signature: string; marks: { mark: string; ts: string; actor: string; reason: string }[]; provenance: unknown; manifest: unknown }>(`/models/${encodeURIComponent(a.positionals[0]!)}`);
      if (a.json) io.out(JSON.stringify({ ok: m.signature !== 'invalid', ...m }));
      else {
        io.out(`${m.model}  ${m.role}  ${m.state.toUpperCase()}  model ${m.modelId}`);
        io.out(`  published by ${m.publishedBy} at ${m.publishedAt}; signature: ${m.signature}`);
        for (const k of m.marks) io.out(`  ${k.mark} at ${k.ts} by ${k.actor}: ${k.reason}`);
        if (m.provenance) io.out(`  provenance: ${JSON.stringify(m.provenance)}`);
        io.out('  signed manifest:');
        for (const l of JSON.stringify(m.manifest, null, 2).split('\n')) io.out(`    ${l}`);
      }
      return m.signature === 'invalid' ? 1 : 0;
    }, need1('NAME@VERSION')),
    remoteVerb('release list', 'the newest release the controller saw on each channel', '[--json]', {}, 0, connect, async (api, a, io) => {
      const r = await api.get<{ releases: { channel: string; seq: number; expires: string; labels: Record<string, string> }[] }>('/releases');
      if (a.json) io.out(JSON.stringify({ ok: true, ...r }));
      else for (const x of r.releases) io.out(`${x.channel.padEnd(12)} seq ${String(x.seq).padEnd(5)} expires ${x.expires}  ${Object.entries(x.labels).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      return 0;
    }),
    remoteVerb('rollout status', 'rollouts, or one with its history', '[ROLLOUT_ID] [--follow] [--json]', { follow: { type: 'boolean' } }, 1, connect, async (api, a, io) => {
      const id = a.positionals[0];
      if (id) return a.values['follow'] === true ? followRemote(api, id, io, a.json) : showRollout(api, id, io, a.json);
      const r = await api.get<{ rollouts: RolloutRow[]; controller: Attachment }>('/rollouts');
      if (a.json) io.out(JSON.stringify({ ok: true, ...r }));
      else io.out(r.rollouts.length ? r.rollouts.map((x) => describeRollout(x, { attachment: r.controller })).join('\n\n') : 'no rollouts');
      return 0;
    }),
    remoteVerb('audit', 'the audit trail', '[--since 24h|2026-12-01] [--actor NAME] [--rollout ID] [--json]', { since: { type: 'string' }, actor: { type: 'string' }, rollout: { type: 'string' } }, 0, connect, async (api, a, io) => {
      const r = await api.get<{ entries: AuditEntry[] }>('/audit', { since: str(a, 'since'), actor: str(a, 'actor'), rollout: str(a, 'rollout') });
      if (a.json) io.out(JSON.stringify({ ok: true, ...r }));
      else if (!r.entries.length) io.out('no audit entries');
      else for (const e of r.entries) io.out(describeEntry(e));
      return 0;
    }),
    remoteVerb('audit verify', 'check the audit log\'s hash chain on the controller', '[--json]', {}, 0, connect, async (api, a, io) => {
      const v = await api.get<ChainVerdict>('/audit/verify');
      if (!v.ok) throw new AgentError('audit_chain_broken', `audit log broken at entry ${v.brokenAt} of ${v.entries}: ${v.problem}`, { brokenAt: v.brokenAt });
      io.out(a.json ? JSON.stringify(v) : `audit log intact: ${v.entries} entr${v.entries === 1 ? 'y' : 'ies'}, head ${v.head}`);
      return 0;
    }),
    remoteVerb('feedback export', 'write collected corrections as a dataset (JSONL + PNG crops)', '--out DIR [--since DATE] [--json]', { out: { type: 'string' }, since: { type: 'string' } }, 0, connect, async (api, a, io) => {
      const out = str(a, 'out')!;
      const r = await api.get<{ items: Feedback[] }>('/feedback', { since: str(a, 'since') });
      await mkdir(join(out, 'images'), { recursive: true });
      const lines: string[] = [];
      let images = 0;
      for (const f of r.items) {
        const { imagePng, ...rest } = f;
        let image: string | undefined;
        if (imagePng) {
          image = `images/${f.agentId.replace(/[^A-Za-z0-9._-]/g, '_')}-${f.id.replace(/[^A-Za-z0-9._-]/g, '_')}.png`;
          await writeFile(join(out, image), Buffer.from(imagePng, 'base64'));
          images++;
        }
        lines.push(JSON.stringify({ ...rest, ...(image ? { image } : {}) }));
      }
      await writeFile(join(out, 'feedback.jsonl'), lines.join('\n') + (lines.length ? '\n' : ''));
      io.out(a.json ? JSON.stringify({ ok: true, out, items: r.items.length, images }) : `wrote ${r.items.length} corrections (${images} images) to ${out}`);
      return 0;
    }, (a) => (str(a, 'out') ? undefined : '--out DIR is required')),
  ];
}

interface RolloutDetail {
  rollout: RolloutRow;
  controller: Attachment;
  log: LogRow[];
}

export async function showRollout(api: ApiClient, id: string, io: CommandIO, json: boolean): Promise<number> {
  const d = await api.get<RolloutDetail & Record<string, unknown>>(`/rollouts/${encodeURIComponent(id)}`);
  if (json) io.out(JSON.stringify({ ok: true, ...d }));
  else io.out(`${describeRollout(d.rollout, { attachment: d.controller })}\n  history:\n${historyOf(d.log).map((l) => `    ${describeLog(l)}`).join('\n')}`);
  return 0;
}

/** Polls the rollout until it ends: exit 0 completed, 1 otherwise (like the local --follow). */
export async function followRemote(api: ApiClient, id: string, io: CommandIO, json: boolean, pollMs = 1000): Promise<number> {
  let after = 0;
  for (;;) {
    const d = await api.get<RolloutDetail>(`/rollouts/${encodeURIComponent(id)}`);
    for (const l of d.log.filter((x) => x.id > after)) {
      after = l.id;
      io.out(json ? JSON.stringify(l) : describeLog(l));
    }
    if (['completed', 'rolled_back', 'aborted', 'failed'].includes(d.rollout.state)) {
      if (!json) io.out(describeRollout(d.rollout, { label: label({}) }));
      return d.rollout.state === 'completed' ? 0 : 1;
    }
    if (io.signal?.aborted) return 0;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
