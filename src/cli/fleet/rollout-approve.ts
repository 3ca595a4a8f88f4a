/**
 * `rpa-fleet rollout approve ID --key APPROVER.key --trust trust.json` (issue 16 §4): signs an
 * approval statement of the rollout's current wave with the approver's key (or submits one signed
 * elsewhere, --envelope), refuses it at once with its reason code when it would not count, stores it
 * and prints the rollout's new state. The controller re-verifies every stored statement against its
 * own trust file before a gated wave advances.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { AgentError, toAgentError } from '../../common/errors.js';
import { ApprovalStore, approvalContext } from '../../fleet/approvals/approval-store.js';
import { approvalGate } from '../../fleet/approvals/gate.js';
import { buildApproval, checkApproval, DEFAULT_APPROVAL_TTL_MS, signApproval } from '../../fleet/approvals/statement.js';
import { controlRollout } from '../../fleet/controller/controller.js';
import { loadSigningKey } from '../../fleet/keys.js';
import { ModelRegistry } from '../../fleet/registry/registry.js';
import { readTrustFile } from '../../fleet/trust.js';
import { trustInForceFromDb, trustInForceOf } from '../../fleet/trust-follow.js';
import { parseDuration, parseFlags, type Command, type Parsed, type AnyCommand } from '../command.js';
import { actorOf, auditHelp, auditOptions, parseAuditFlags, recordAction, type AuditFlags } from './audit.js';
import { dbOption } from './controller.js';
import { describeRollout, withStore } from './rollout.js';
import { modelLabels } from './model-labels.js';

export interface RolloutApproveArgs {
  id: string;
  key?: string;
  envelope?: string;
  trust?: string;
  saveEnvelope?: string;
  ttlMs: number;
  json: boolean;
  audit: AuditFlags;
}

export function parseRolloutApprove(argv: string[]): Parsed<RolloutApproveArgs> {
  const r = parseFlags(argv, { ...dbOption, ...auditOptions, key: { type: 'string' }, envelope: { type: 'string' }, trust: { type: 'string' }, 'save-envelope': { type: 'string' }, ttl: { type: 'string' }, json: { type: 'boolean' } }, true);
  if (r.kind !== 'ok') return r;
  const v = r.values;
  if (r.positionals.length !== 1) return { kind: 'error', message: 'one ROLLOUT_ID is required' };
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const key = s('key');
  const envelope = s('envelope');
  const trust = s('trust');
  if (key && envelope) return { kind: 'error', message: 'give either --key (sign here) or --envelope (signed elsewhere), not both' };
  if ((key || envelope) && !trust) return { kind: 'error', message: '--trust FILE is required with --key or --envelope: the approvers keys to check the approval against' };
  const ttlMs = s('ttl') === undefined ? DEFAULT_APPROVAL_TTL_MS : parseDuration(s('ttl')!);
  if (!ttlMs || ttlMs <= 0) return { kind: 'error', message: '--ttl is a duration such as 1h (how long the signed approval stays valid)' };
  const audit = parseAuditFlags(v);
  if (!audit.ok) return { kind: 'error', message: audit.message };
  const saveEnvelope = s('save-envelope');
  return {
    kind: 'ok',
    value: { id: r.positionals[0]!, ...(key ? { key } : {}), ...(envelope ? { envelope } : {}), ...(trust ? { trust } : {}), ...(saveEnvelope ? { saveEnvelope } : {}), ttlMs, json: v['json'] === true, audit: audit.value },
  };
}

export const approveCommand: Command<RolloutApproveArgs> = {
  name: 'rollout approve',
  summary: 'approve a rollout\'s wave: sign with an approver key (or submit a signed approval)',
  help: `ROLLOUT_ID --key APPROVER.key --trust trust.json [--reason TEXT] [--ttl 24h] [--save-envelope FILE] [--json]
       ROLLOUT_ID --envelope APPROVAL.json --trust trust.json
       ROLLOUT_ID                      (only for rollouts started without --approvals)

Signs an approval statement (DSSE, payloadType application/vnd.rpa-edge.approval+json) of the wave
the rollout is at, with a key of the approvers role (\`keys generate --role approvers\`), checks it
against the approvers keys of --trust and stores it. An approval that would not count is refused
with its reason: approval_untrusted_key, approval_bad_signature, approval_bad_payload,
approval_wrong_rollout, approval_wrong_wave, approval_expired, approval_replayed (submitted
before), approval_duplicate (this key already approved this wave), approval_same_person
(--two-person: the actor who started the rollout). Refusals are recorded in the audit log too.
Prints the rollout's new state and how many of the required signatures it has.

Options:
  --key FILE              the approver's private key (role approvers)
  --envelope FILE         an approval statement signed elsewhere (e.g. with --save-envelope)
  --trust FILE            trust file with the approvers role (the one the controller runs with)
  --ttl D                 how long the signed statement stays valid (default 24h)
  --save-envelope FILE    also write the signed statement
${auditHelp}`,
  parse: parseRolloutApprove,
  async run(a, io) {
    return withStore(a.audit.db, async (store) => {
      const now = Date.now();
      const r = store.rollout(a.id);
      if (!r) throw new AgentError('not_found', `no rollout ${a.id}`);
      const approvals = new ApprovalStore(store.db);
      const policy = approvals.policy(a.id);
      const show = (text: string, extra: Record<string, unknown>) => {
        const cur = store.rollout(a.id)!;
        io.out(a.json ? JSON.stringify({ ok: true, rollout: cur, ...extra }) : `${text}\n${describeRollout(cur, { label: modelLabels(store) })}`);
      };
      if (!a.key && !a.envelope) {
        if (policy) throw new AgentError('approval_required', `rollout ${a.id} needs ${policy.required} approval(s) signed by approver keys: rollout approve ${a.id} --key APPROVER.key --trust trust.json`);
        const after = controlRollout(store, a.id, 'approve', now); // unsigned approval of a rollout without a policy
        recordAction(store.db, a.audit, io, 'rollout.approve', { phase: after.phase, signed: false }, a.id);
        show('approved (unsigned: this rollout has no approval policy)', {});
        return 0;
      }
      if (!['awaiting_approval', 'running', 'paused'].includes(r.state)) throw new AgentError('bad_argument', `cannot approve rollout ${a.id} in state ${r.state}`);
      // [issue 20 §1] the approver keys in force: the trust statements the controller accepted (fleet db)
      const trust = trustInForceOf(trustInForceFromDb(store.db, await readTrustFile(a.trust!))).approvers();
      const actor = actorOf(a.audit, io);
      const ctx = approvalContext(r, policy);
      let envelope: unknown;
      if (a.key) {
        const key = await loadSigningKey(a.key, 'approvers');
        envelope = signApproval(buildApproval(ctx, actor, now, a.ttlMs), key);
        if (a.saveEnvelope) await writeFile(a.saveEnvelope, JSON.stringify(envelope, null, 2) + '\n');
      } else {
        try {
          envelope = JSON.parse(await readFile(a.envelope!, 'utf8'));
        } catch (e) {
          throw new AgentError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not_found' : 'approval_bad_payload', `--envelope ${a.envelope}: ${(e as Error).message}`);
        }
      }
      let keyid: string;
      try {
        const checked = checkApproval(envelope, ctx, trust, now);
        approvals.add(checked, envelope as Parameters<ApprovalStore['add']>[1], actor, now);
        keyid = checked.keyid;
      } catch (e) {
        const err = toAgentError(e);
        recordAction(store.db, a.audit, io, 'rollout.approve_refused', { phase: r.phase, code: err.code, message: err.message }, a.id);
        throw err;
      }
      if (!policy && r.state !== 'paused') controlRollout(store, a.id, 'approve', now);
      recordAction(store.db, a.audit, io, 'rollout.approve', { phase: r.phase, signed: true, keyid }, a.id);
      const g = approvalGate(approvals, store.rollout(a.id)!, trust, now);
      const line = `approval of wave ${r.phase + 1} by ${actor} (key ${keyid.slice(0, 16)}) recorded: ${g.have} of ${g.need} signature(s)${g.approvers.length ? ` (${g.approvers.join(', ')})` : ''}; ${g.met ? 'the controller moves on at its next tick' : `waiting for ${g.need - g.have} more`}`;
      show(line, { approvals: { wave: r.phase + 1, have: g.have, need: g.need, approvers: g.approvers, met: g.met }, keyid });
      return 0;
    });
  },
};

export const commands: AnyCommand[] = [approveCommand];
