/**
 * Rollout operations shared by the API handlers and the `rpa-fleet rollout` verbs (issue 19 §1):
 * start from a validated RolloutStartBody, the guarded pause / resume / abort, approval (signed
 * statements checked against the controller's approvers keys), and the views (a rollout with its
 * waves, approvals and gate evidence over time).
 */
import type { MqttClient } from 'mqtt';
import { AgentError, toAgentError } from '../../common/errors.js';
import type { Role } from '../../common/wire.js';
import { ApprovalStore, approvalContext } from '../approvals/approval-store.js';
import { approvalGate } from '../approvals/gate.js';
import { checkApproval } from '../approvals/statement.js';
import { controlRollout, startRollout, type RolloutAction } from '../controller/controller.js';
import { ControllerHeartbeats } from '../controller/heartbeat.js';
import { DEFAULT_SPEC, phasesOf, type RolloutSpec } from '../controller/judge.js';
import type { ControllerStore, RolloutRow } from '../controller/store.js';
import type { ModelRegistry } from '../registry/registry.js';
import { assertNotYanked, resolveForRelease } from '../registry/resolve.js';
import type { RoleTrust } from '../trust.js';
import type { DsseEnvelope } from '../../common/dsse.js';
import type { RolloutStartBody } from './schemas.js';

/** Pure: the rollout spec a validated body asks for (DEFAULT_SPEC for what it omits). */
export function specFromBody(b: RolloutStartBody, candidateId: string): Omit<RolloutSpec, 'stable'> & { stable?: string } {
  const approvals = b.approvals ?? 0;
  return {
    ...DEFAULT_SPEC,
    channel: b.channel,
    role: b.role,
    candidate: candidateId,
    ...(b.stable ? { stable: b.stable } : {}),
    ...(b.waves ? { waves: b.waves } : {}),
    ...(b.waveMinDurationMs !== undefined ? { waveMinDurationMs: b.waveMinDurationMs } : {}),
    ...(b.breachLookbackMs !== undefined ? { breachLookbackMs: b.breachLookbackMs } : {}),
    ...(b.releaseTtlMs !== undefined ? { releaseTtlMs: b.releaseTtlMs } : {}),
    ...(b.minAgents !== undefined ? { minAgents: b.minAgents } : {}),
    ...(b.minRequests !== undefined ? { minRequests: b.minRequests } : {}),
    ...(b.maxErrorRate !== undefined ? { maxErrorRate: b.maxErrorRate } : {}),
    ...(b.maxP95Ms !== undefined ? { maxP95Ms: b.maxP95Ms } : {}),
    ...(b.maxP95RatioToStable !== undefined ? { maxP95RatioToStable: b.maxP95RatioToStable } : {}),
    ...(b.minAgreement !== undefined ? { minAgreement: b.minAgreement } : {}),
    ...(b.shadowPercent !== undefined ? { shadowPercent: b.shadowPercent } : {}),
    shadowFirst: b.shadowFirst === true,
    // approvals N gates every wave but the last, like approveEachWave, with signatures
    approveEachWave: b.approveEachWave === true || approvals > 0,
    ...(b.selector ? { selector: b.selector.trim() } : {}),
    ...(b.windows?.length ? { windows: b.windows } : {}),
  };
}

/**
 * The candidate's modelId: a 64-hex id as is (refused when yanked); a name reference through the
 * registry and, with a broker, checked against the signed manifest there (resolveForRelease).
 */
export async function resolveCandidate(registry: ModelRegistry, ref: string, role: Role, broker: { client: MqttClient; prefix: string; trust?: RoleTrust } | undefined, warn: (l: string) => void): Promise<string> {
  if (/^[0-9a-f]{64}$/.test(ref)) {
    assertNotYanked(registry, ref);
    return ref;
  }
  if (broker) return (await resolveForRelease(broker.client, registry, ref, role, { prefix: broker.prefix, ...(broker.trust ? { trust: broker.trust } : {}) }, warn)).entry.modelId;
  const e = registry.resolve(ref, role);
  if (!e) throw new AgentError('not_found', `${ref} is not in the registry`);
  if (e.role !== role) throw new AgentError('model_role_mismatch', `${ref} is a ${e.role} model, not a ${role}`);
  assertNotYanked(registry, e.modelId);
  return e.modelId;
}

/** Records the rollout (and its approval policy) in one transaction. */
export function startRolloutRecord(store: ControllerStore, spec: ReturnType<typeof specFromBody>, policy: { approvals: number; twoPerson: boolean; actor: string }, now: number): RolloutRow {
  const approvals = new ApprovalStore(store.db);
  const id = store.db.transaction(() => {
    const rid = startRollout(store, spec, now);
    if (policy.approvals > 0) approvals.setPolicy({ rolloutId: rid, required: policy.approvals, twoPerson: policy.twoPerson, startedBy: policy.actor });
    return rid;
  })();
  return store.rollout(id)!;
}

export function rolloutAction(store: ControllerStore, id: string, action: Exclude<RolloutAction, 'approve'>, now: number): RolloutRow {
  return controlRollout(store, id, action, now);
}

export interface ApproveResult {
  rollout: RolloutRow;
  signed: boolean;
  keyid?: string;
  approvals: { wave: number; have: number; need: number; approvers: string[]; met: boolean };
}

/**
 * Approves the rollout's current wave. With a policy, `envelope` must be a statement signed by an
 * approver key of `approvers` (the controller's trust file) and naming `actor` as the approver;
 * without a policy, an unsigned approval flips the flag. Refusals throw their approval_* code.
 */
export function approveRollout(store: ControllerStore, id: string, envelope: unknown, approvers: RoleTrust | undefined, actor: string, now: number): ApproveResult {
  const r = store.rollout(id);
  if (!r) throw new AgentError('not_found', `no rollout ${id}`);
  const approvals = new ApprovalStore(store.db);
  const policy = approvals.policy(id);
  if (envelope === undefined) {
    if (policy) throw new AgentError('approval_required', `rollout ${id} needs ${policy.required} approval(s) signed by approver keys: rollout approve ${id} --key APPROVER.key`);
    const after = controlRollout(store, id, 'approve', now);
    return { rollout: after, signed: false, approvals: { wave: after.phase + 1, have: 1, need: 1, approvers: [], met: true } };
  }
  if (!['awaiting_approval', 'running', 'paused'].includes(r.state)) throw new AgentError('bad_argument', `cannot approve rollout ${id} in state ${r.state}`);
  const checked = checkApproval(envelope, approvalContext(r, policy), approvers, now);
  // over the API the approver named in the signed statement is the caller: a token cannot submit another person's approval
  if (checked.statement.approver !== actor) {
    throw new AgentError('approval_bad_payload', `approval refused: the statement names ${checked.statement.approver} as approver, but the caller is ${actor}`);
  }
  approvals.add(checked, envelope as DsseEnvelope, actor, now);
  if (!policy && r.state !== 'paused') controlRollout(store, id, 'approve', now);
  const cur = store.rollout(id)!;
  const g = approvalGate(approvals, cur, approvers, now);
  return { rollout: cur, signed: true, keyid: checked.keyid, approvals: { wave: r.phase + 1, have: g.have, need: g.need, approvers: g.approvers, met: g.met } };
}

/** The evidence the controller recorded for a rollout's waves, oldest first (progress lines of the rollout log). */
export function rolloutEvidence(store: ControllerStore, id: string, since = 0, limit = 500): { ts: number; phase: number; verdict: string; code?: string; reasons: string[]; summary?: unknown }[] {
  return store
    .logOf(id)
    .filter((l) => l.ts >= since && (l.kind === 'progress' || l.kind === 'phase_passed' || l.kind === 'rolled_back'))
    .slice(-limit)
    .map((l) => {
      const d = l.data as { phase?: number; verdict?: unknown; code?: string; reasons?: string[]; summary?: unknown };
      const v = typeof d.verdict === 'object' && d.verdict ? (d.verdict as { kind: string; code?: string; reasons: string[]; summary?: unknown }) : undefined;
      return {
        ts: l.ts,
        phase: Number(d.phase ?? -1),
        verdict: l.kind === 'rolled_back' ? 'fail' : v ? v.kind : String(d.verdict),
        ...((v?.code ?? d.code) ? { code: v?.code ?? d.code } : {}),
        reasons: v?.reasons ?? d.reasons ?? [],
        ...((v?.summary ?? d.summary) !== undefined ? { summary: v?.summary ?? d.summary } : {}),
      };
    });
}

/** One rollout as the API shows it: the row, its waves, approvals, the controller's attachment, history. */
export function rolloutView(store: ControllerStore, r: RolloutRow, approvers: RoleTrust | undefined, now: number) {
  const approvals = new ApprovalStore(store.db);
  const policy = approvals.policy(r.id);
  const phases = phasesOf(r.spec);
  const g = approvalGate(approvals, r, approvers, now);
  return {
    rollout: r,
    waves: phases.map((p, i) => ({ index: i, percent: p.percent, shadow: p.shadow, status: i < r.phase || r.state === 'completed' ? 'passed' : i === r.phase ? r.state : 'pending' })),
    approval: {
      policy: policy ?? null,
      context: approvalContext(r, policy),
      have: g.have,
      need: g.need,
      approvers: g.approvers,
      met: g.met,
    },
    controller: new ControllerHeartbeats(store.db).attachment(now),
    evidence: rolloutEvidence(store, r.id, 0, 200),
    log: store.logOf(r.id).slice(-50),
  };
}

export { toAgentError };
