/**
 * The API's mutating handlers. Each records its action in the hash-chained audit log with the
 * caller's token name as actor (refusals are recorded by the server, server.ts), using the same
 * operations as the CLI (rollout-ops.ts, release-ops.ts, the registry).
 */
import { AgentError } from '../../common/errors.js';
import { parseModelRef } from '../registry/registry.js';
import type { ApiContext } from './context.js';
import { publishReleaseOp } from './release-ops.js';
import { Reply } from './reply.js';
import { approveRollout, resolveCandidate, rolloutAction, rolloutView, specFromBody, startRolloutRecord } from './rollout-ops.js';
import type { ModelMarkBody, ReleasePublishBody, RolloutActionBody, RolloutApproveBody, RolloutStartBody } from './schemas.js';
import type { Caller } from './tokens.js';
import { enforceQualityGate } from '../quality-gate.js';
import { brokerManifests, enforceAgentFeatures } from '../agent-features-gate.js';

/** what an API caller is told when a gated channel cannot be checked here */
const GATE_HINT = 'the controller must run with a broker and --trust FILE';

export async function startRollout(ctx: ApiContext, caller: Caller, b: RolloutStartBody): Promise<Reply> {
  const warnings: string[] = [];
  const b2 = ctx.broker;
  const candidate = await resolveCandidate(ctx.registry, b.candidate, b.role, b2 ? { client: b2.client, prefix: b2.prefix, ...(b2.modelsTrust ? { trust: b2.modelsTrust } : {}) } : undefined, (l) => warnings.push(l));
  // [issue 20 §4] the one quality-gate rule, as release publish and the controller apply it
  await enforceQualityGate(ctx.store.db, b.channel, [{ role: b.role, modelId: candidate }], b2 ? { client: b2.client, modelsTrust: b2.modelsTrust, prefix: b2.prefix } : undefined, GATE_HINT);
  // [capability gate] refused here when the manifest can be read; the controller checks again before each wave
  if (b2) await enforceAgentFeatures(ctx.store.db, b.channel, [{ role: b.role, modelId: candidate }], brokerManifests(b2.client, { prefix: b2.prefix, trust: b2.modelsTrust }));
  const r = startRolloutRecord(ctx.store, specFromBody(b, candidate), { approvals: b.approvals ?? 0, twoPerson: b.twoPerson === true, actor: caller.name }, ctx.clock());
  const label = (m: string) => ctx.registry.label(m);
  ctx.record(
    caller,
    'rollout.start',
    { channel: r.spec.channel, role: r.spec.role, candidate: label(r.spec.candidate), candidateId: r.spec.candidate, stable: label(r.spec.stable), waves: r.spec.waves, approvals: b.approvals ?? 0, twoPerson: b.twoPerson === true },
    { rolloutId: r.id, ...(b.reason ? { reason: b.reason } : {}) },
  );
  return new Reply(201, { ...rolloutView(ctx.store, r, ctx.approvers, ctx.clock()), warnings }, { location: `/api/v1/rollouts/${encodeURIComponent(r.id)}` });
}

export function controlRollout(action: 'pause' | 'resume' | 'abort') {
  return (ctx: ApiContext, caller: Caller, id: string, b: RolloutActionBody) => {
    const r = rolloutAction(ctx.store, id, action, ctx.clock());
    ctx.record(caller, `rollout.${action}`, { state: r.state, phase: r.phase }, { rolloutId: r.id, reason: b.reason });
    return rolloutView(ctx.store, r, ctx.approvers, ctx.clock());
  };
}

export function approve(ctx: ApiContext, caller: Caller, id: string, b: RolloutApproveBody) {
  const before = ctx.store.rollout(id);
  if (!before) throw new AgentError('not_found', `no rollout ${id}`);
  // a refusal (approval_* code) is recorded by the server with the caller as actor (server.ts)
  const res = approveRollout(ctx.store, id, b.envelope, ctx.approvers, caller.name, ctx.clock());
  ctx.record(caller, 'rollout.approve', { phase: before.phase, signed: res.signed, ...(res.keyid ? { keyid: res.keyid } : {}) }, { rolloutId: id, reason: b.reason });
  return { ...rolloutView(ctx.store, res.rollout, ctx.approvers, ctx.clock()), approvals: res.approvals, ...(res.keyid ? { keyid: res.keyid } : {}) };
}

export function markModel(mark: 'deprecated' | 'yanked') {
  return (ctx: ApiContext, caller: Caller, ref: string, b: ModelMarkBody) => {
    const p = parseModelRef(ref);
    if (p.kind !== 'version') throw new AgentError('bad_argument', `${mark === 'yanked' ? 'yank' : 'deprecate'} names one exact NAME@VERSION, not ${ref}`);
    const e = ctx.registry.mark(p.name!, p.version!, mark, b.reason, caller.name, ctx.clock());
    ctx.record(caller, mark === 'yanked' ? 'model.yank' : 'model.deprecate', { model: `${e.name}@${e.version}`, modelId: e.modelId, role: e.role }, { reason: b.reason });
    return { model: `${e.name}@${e.version}`, modelId: e.modelId, state: e.state, marks: e.marks };
  };
}

export async function publishRelease(ctx: ApiContext, caller: Caller, b: ReleasePublishBody): Promise<Reply> {
  const broker = ctx.needBroker('release publish');
  const warnings: string[] = [];
  const r = await publishReleaseOp({ client: broker.client, registry: ctx.registry, db: ctx.store.db, keys: broker.releaseKeys, prefix: broker.prefix, modelsTrust: broker.modelsTrust, releasesTrust: broker.releasesTrust, body: b, warn: (l) => warnings.push(l), gateHint: GATE_HINT });
  ctx.store.putRelease(r.release, ctx.clock()); // the controller's view of the channel, at once
  ctx.record(caller, 'release.publish', { channel: b.channel, seq: r.release.seq, models: r.labels, modelIds: r.modelIds, ...(b.note !== undefined ? { note: b.note } : {}) }, b.reason ? { reason: b.reason } : {});
  return new Reply(201, { channel: b.channel, seq: r.release.seq, previousSeq: r.previousSeq ?? null, keptRoles: r.keptRoles, topic: r.topic, signedBy: broker.releaseKeys.map((k) => k.keyid), release: r.release, labels: r.labels, warnings });
}
