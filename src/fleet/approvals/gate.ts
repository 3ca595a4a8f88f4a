/**
 * The controller's approval gate (issue 16 §4): a rollout with an approval policy advances past a
 * gated wave only when enough DISTINCT approver keys of the controller's own trust file validly
 * signed an approval of that wave. The `approved` flag in the rollouts table counts only for
 * rollouts without a policy (the unsigned `rollout approve` of earlier versions).
 */
import type { RolloutRow } from '../controller/store.js';
import type { RoleTrust } from '../trust.js';
import { approvalContext, type ApprovalStore } from './approval-store.js';
import { countApprovals } from './statement.js';

export interface GateResult {
  /** the rollout has an approval policy */
  signed: boolean;
  met: boolean;
  have: number;
  need: number;
  approvers: string[];
  refused: { code: string; message: string }[];
}

export function approvalGate(store: ApprovalStore, r: RolloutRow, approvers: RoleTrust | undefined, now: number): GateResult {
  const policy = store.policy(r.id);
  if (!policy) return { signed: false, met: r.approved, have: r.approved ? 1 : 0, need: 1, approvers: [], refused: [] };
  const c = countApprovals(store.approvals(r.id, r.phase).map((a) => a.envelope), approvalContext(r, policy), approvers, now);
  return { signed: true, met: c.keyids.length >= policy.required, have: c.keyids.length, need: policy.required, approvers: c.approvers, refused: c.refused };
}
