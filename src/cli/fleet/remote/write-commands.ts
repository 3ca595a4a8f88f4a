/**
 * The mutating verbs of `rpa-fleet --controller URL …` (issue 19 §1). The flags become the same
 * request bodies the API validates (RolloutStartBodySchema, ReleasePublishBodySchema, …: shared with
 * the local verbs); the controller records each call with the token's name as actor. A signed
 * approval is signed HERE with the approver's key (it never leaves this machine) for the wave the
 * controller reports, naming the token's holder as approver.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { AgentError } from '../../../common/errors.js';
import { type ApprovalContext, buildApproval, DEFAULT_APPROVAL_TTL_MS, signApproval } from '../../../fleet/approvals/statement.js';
import type { Attachment } from '../../../fleet/controller/heartbeat.js';
import type { RolloutRow } from '../../../fleet/controller/store.js';
import { loadSigningKey } from '../../../fleet/keys.js';
import { ModelMarkBodySchema, RolloutActionBodySchema } from '../../../fleet/api/schemas.js';
import { parseDuration, type Command, type AnyCommand } from '../../command.js';
import { releaseBodyFromFlags, releaseBodyOptions } from '../release.js';
import { describeRollout } from '../rollout.js';
import { rolloutStartBodyFromFlags, rolloutStartOptions } from '../rollout-flags.js';
import { followRemote, remoteVerb, type Connect } from './read-commands.js';

const str = (v: Record<string, unknown>, k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
const reasonOf = (v: Record<string, unknown>) => ({ reason: str(v, 'reason') });
const reasonCheck = (schema: typeof RolloutActionBodySchema | typeof ModelMarkBodySchema, what: string) => (a: { positionals: string[]; values: Record<string, unknown> }) => {
  if (a.positionals.length !== 1) return `one ${what} is required`;
  const r = schema.safeParse(reasonOf(a.values));
  return r.success ? undefined : `--reason TEXT is required: say why (${r.error.issues[0]!.message})`;
};

interface RolloutView {
  rollout: RolloutRow;
  controller: Attachment;
  approval: { context: ApprovalContext; policy: { required: number } | null; have: number; need: number };
  approvals?: { have: number; need: number; approvers: string[]; met: boolean };
  warnings?: string[];
}

export function writeCommands(connect: Connect): AnyCommand[] {
  const mark = (verb: 'deprecate' | 'yank') =>
    remoteVerb(`models ${verb}`, verb === 'yank' ? 'yank NAME@VERSION' : 'mark NAME@VERSION deprecated', 'NAME@VERSION --reason TEXT [--json]', { reason: { type: 'string' } }, 1, connect, async (api, a, io) => {
      const r = await api.post<{ model: string; state: string }>(`/models/${encodeURIComponent(a.positionals[0]!)}/${verb}`, ModelMarkBodySchema.parse(reasonOf(a.values)));
      io.out(a.json ? JSON.stringify({ ok: true, ...r }) : `${r.model} is now ${r.state}`);
      return 0;
    }, reasonCheck(ModelMarkBodySchema, 'NAME@VERSION'));
  const action = (verb: 'pause' | 'resume' | 'abort') =>
    remoteVerb(`rollout ${verb}`, `${verb} a rollout`, 'ROLLOUT_ID --reason TEXT [--json]', { reason: { type: 'string' } }, 1, connect, async (api, a, io) => {
      const r = await api.post<RolloutView>(`/rollouts/${encodeURIComponent(a.positionals[0]!)}/${verb}`, RolloutActionBodySchema.parse(reasonOf(a.values)));
      io.out(a.json ? JSON.stringify({ ok: true, ...r }) : `${verb}: ${describeRollout(r.rollout, { attachment: r.controller })}`);
      return 0;
    }, reasonCheck(RolloutActionBodySchema, 'ROLLOUT_ID'));
  return [
    mark('deprecate'),
    mark('yank'),
    action('pause'),
    action('resume'),
    action('abort'),
    remoteVerb('release publish', 'the controller signs and publishes a channel release', '--channel C --detector REF [--candidate-detector REF --percent P --rollout-id ID] [--reason TEXT] [--json]', { ...releaseBodyOptions, reason: { type: 'string' } }, 0, connect, async (api, a, io) => {
      const b = releaseBodyFromFlags(a.values);
      if (!b.ok) throw new AgentError('bad_argument', b.message);
      const r = await api.post<{ seq: number; topic: string; previousSeq: number | null; labels: Record<string, string>; warnings: string[] }>('/releases', b.value.body);
      for (const w of r.warnings) io.err(w);
      io.out(a.json ? JSON.stringify({ ok: true, ...r }) : `published release seq ${r.seq} on ${r.topic}${r.previousSeq !== null ? ` (previous seq ${r.previousSeq})` : ''}: ${Object.entries(r.labels).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      return 0;
    }, (a) => {
      const b = releaseBodyFromFlags(a.values);
      return b.ok ? undefined : b.message;
    }),
    remoteVerb('rollout start', 'start a wave rollout (the controller runs it)', '--channel C --role R --candidate REF [rollout flags as the local verb] [--reason TEXT] [--follow] [--json]', { ...rolloutStartOptions, reason: { type: 'string' }, follow: { type: 'boolean' } }, 0, connect, async (api, a, io) => {
      const b = rolloutStartBodyFromFlags(a.values);
      if (!b.ok) throw new AgentError('bad_argument', b.message);
      const r = await api.post<RolloutView>('/rollouts', b.body);
      for (const w of r.warnings ?? []) io.err(w);
      io.out(a.json ? JSON.stringify({ ok: true, ...r }) : `rollout ${r.rollout.id} recorded; the controller publishes wave 1 on its next tick\n${describeRollout(r.rollout, { attachment: r.controller })}`);
      return a.values['follow'] === true ? followRemote(api, r.rollout.id, io, a.json) : 0;
    }, (a) => {
      const b = rolloutStartBodyFromFlags(a.values);
      return b.ok ? undefined : b.message;
    }),
    remoteVerb('rollout approve', 'approve a rollout\'s wave (signed here with an approver key when it has an approval policy)', 'ROLLOUT_ID --reason TEXT [--key APPROVER.key [--ttl 24h] [--save-envelope FILE] | --envelope FILE] [--json]', { reason: { type: 'string' }, key: { type: 'string' }, envelope: { type: 'string' }, ttl: { type: 'string' }, 'save-envelope': { type: 'string' } }, 1, connect, async (api, a, io) => {
      const id = a.positionals[0]!;
      const key = str(a.values, 'key');
      const envFile = str(a.values, 'envelope');
      let envelope: unknown;
      if (key) {
        const [me, cur] = await Promise.all([api.get<{ name: string }>('/whoami'), api.get<RolloutView>(`/rollouts/${encodeURIComponent(id)}`)]);
        const ttl = str(a.values, 'ttl') ? parseDuration(str(a.values, 'ttl')!) : DEFAULT_APPROVAL_TTL_MS;
        if (!ttl) throw new AgentError('bad_argument', '--ttl is a duration such as 1h');
        // the statement names the token's holder: the controller refuses one naming someone else
        envelope = signApproval(buildApproval(cur.approval.context, me.name, Date.now(), ttl), await loadSigningKey(key, 'approvers'));
        const save = str(a.values, 'save-envelope');
        if (save) await writeFile(save, JSON.stringify(envelope, null, 2) + '\n');
      } else if (envFile) {
        try {
          envelope = JSON.parse(await readFile(envFile, 'utf8'));
        } catch (e) {
          throw new AgentError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not_found' : 'approval_bad_payload', `--envelope ${envFile}: ${(e as Error).message}`);
        }
      }
      const r = await api.post<RolloutView>(`/rollouts/${encodeURIComponent(id)}/approve`, { ...(envelope !== undefined ? { envelope } : {}), reason: str(a.values, 'reason') });
      const g = r.approvals;
      io.out(a.json ? JSON.stringify({ ok: true, ...r }) : `approval recorded${g ? `: ${g.have} of ${g.need} signature(s)${g.approvers.length ? ` (${g.approvers.join(', ')})` : ''}; ${g.met ? 'the controller moves on at its next tick' : `waiting for ${g.need - g.have} more`}` : ''}\n${describeRollout(r.rollout, { attachment: r.controller })}`);
      return 0;
    }, (a) => {
      if (a.values['key'] !== undefined && a.values['envelope'] !== undefined) return 'give either --key (sign here) or --envelope (signed elsewhere), not both';
      return reasonCheck(RolloutActionBodySchema, 'ROLLOUT_ID')(a);
    }),
  ];
}
