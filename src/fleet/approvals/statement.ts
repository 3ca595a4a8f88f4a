/**
 * Signed approvals of gated rollout waves (issue 16 §4; DESIGN.md "Roles and rotation": approvers
 * sign approval statements, DSSE with their own payloadType, like releases). A statement names the
 * rollout, its channel, role and candidate, the wave it approves, who approves, a nonce and an
 * expiry; it is signed by a key of the `approvers` role of the controller's trust file.
 *
 * `checkApproval` is the one place that decides whether a statement counts; the CLI uses it to
 * refuse at once with a reason code, and the controller uses it again on every stored statement
 * before a wave advances, so a row written into fleet.db by hand counts for nothing.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { fromUtf8 } from '../../common/bytes.js';
import { parsePayload } from '../../common/signed.js';
import { verifyEnvelope, type DsseEnvelope, type Ed25519Verifier } from '../../common/dsse.js';
import { AgentError, toAgentError, type ErrorCode } from '../../common/errors.js';
import { ROLES } from '../../common/wire.js';
import { nodeEd25519Verifier, signJson, type SigningKey } from '../signer.js';
import type { RoleTrust } from '../trust.js';

export const PAYLOAD_TYPE_APPROVAL = 'application/vnd.rpa-edge.approval+json';
/** an approval is for the wave awaiting it now, not for a later day */
export const DEFAULT_APPROVAL_TTL_MS = 24 * 3_600_000;

const Iso = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'an ISO 8601 date');
export const ApprovalSchema = z
  .object({
    schemaVersion: z.literal(1),
    rolloutId: z.string().min(1).max(128),
    channel: z.string().min(1).max(128),
    role: z.enum(ROLES),
    candidate: z.string().regex(/^[0-9a-f]{64}$/),
    /** index of the phase (wave) whose passing result is approved */
    phase: z.number().int().min(0).max(64),
    approver: z.string().min(1).max(128),
    nonce: z.string().regex(/^[0-9a-f]{32}$/),
    issued: Iso,
    expires: Iso,
  })
  .strict();
export type Approval = z.infer<typeof ApprovalSchema>;

/** What the approval must match: the rollout as the controller's database records it. */
export interface ApprovalContext {
  rolloutId: string;
  channel: string;
  role: Approval['role'];
  candidate: string;
  phase: number;
  /** with the two-person rule: who started the rollout */
  startedBy?: string;
  twoPerson: boolean;
}

export function buildApproval(ctx: ApprovalContext, approver: string, now: number, ttlMs = DEFAULT_APPROVAL_TTL_MS, nonce = randomBytes(16).toString('hex')): Approval {
  return ApprovalSchema.parse({
    schemaVersion: 1,
    rolloutId: ctx.rolloutId,
    channel: ctx.channel,
    role: ctx.role,
    candidate: ctx.candidate,
    phase: ctx.phase,
    approver,
    nonce,
    issued: new Date(now).toISOString(),
    expires: new Date(now + ttlMs).toISOString(),
  });
}

export function signApproval(a: Approval, key: SigningKey): DsseEnvelope {
  return signJson(PAYLOAD_TYPE_APPROVAL, a, [key]);
}

export interface CheckedApproval {
  statement: Approval;
  /** keyid (recomputed locally) of the approver key that signed */
  keyid: string;
}

const SIGNATURE_CODES: Partial<Record<ErrorCode, ErrorCode>> = {
  bad_envelope: 'approval_bad_payload',
  wrong_payload_type: 'approval_bad_payload',
  untrusted_key: 'approval_untrusted_key',
  bad_signature: 'approval_bad_signature',
  threshold_not_met: 'approval_bad_signature',
};

/**
 * Signature first (one valid signature from a trusted approvers key, keyid recomputed), then the
 * payload, then that it approves exactly this rollout's current wave, in time, and (two-person
 * rule) not by whoever started it. Each refusal has its own code.
 */
export function checkApproval(envelope: unknown, ctx: ApprovalContext, approvers: RoleTrust | undefined, now: number, verifier: Ed25519Verifier = nodeEd25519Verifier): CheckedApproval {
  if (!approvers || approvers.keys.length === 0) throw new AgentError('approval_untrusted_key', 'the trust file lists no approvers keys (trust init --approvers)');
  let verified;
  try {
    verified = verifyEnvelope(envelope, PAYLOAD_TYPE_APPROVAL, approvers.keys, 1, verifier);
  } catch (e) {
    const err = toAgentError(e);
    throw new AgentError(SIGNATURE_CODES[err.code] ?? 'approval_bad_signature', `approval refused: ${err.message}`);
  }
  let statement: Approval;
  try {
    statement = parsePayload(verified.payload, ApprovalSchema, 'approval');
  } catch (e) {
    throw new AgentError('approval_bad_payload', `approval refused: the payload is not an approval statement (${(e as Error).message.slice(0, 200)})`);
  }
  const s = statement;
  if (s.rolloutId !== ctx.rolloutId || s.channel !== ctx.channel || s.role !== ctx.role || s.candidate !== ctx.candidate) {
    throw new AgentError('approval_wrong_rollout', `approval refused: it approves rollout ${s.rolloutId} (${s.channel}/${s.role} ${s.candidate.slice(0, 12)}…), not ${ctx.rolloutId} (${ctx.channel}/${ctx.role} ${ctx.candidate.slice(0, 12)}…)`);
  }
  if (s.phase !== ctx.phase) throw new AgentError('approval_wrong_wave', `approval refused: it approves wave ${s.phase + 1}; the rollout is at wave ${ctx.phase + 1}`);
  if (Date.parse(s.expires) <= now) throw new AgentError('approval_expired', `approval refused: it expired at ${s.expires}`);
  if (Date.parse(s.issued) > now + 5 * 60_000) throw new AgentError('approval_bad_payload', `approval refused: issued in the future (${s.issued})`);
  // [issue 16 §4] two-person rule: whoever started the rollout cannot approve it
  if (ctx.twoPerson && ctx.startedBy !== undefined && s.approver === ctx.startedBy) {
    throw new AgentError('approval_same_person', `approval refused: ${s.approver} started this rollout; the two-person rule needs someone else`);
  }
  return { statement: s, keyid: verified.signedBy[0]! };
}

/**
 * Pure: how many DISTINCT approver keys validly approved the context's wave among `envelopes`
 * (each re-checked; a key counts once), and why the others did not count.
 */
export function countApprovals(envelopes: readonly unknown[], ctx: ApprovalContext, approvers: RoleTrust | undefined, now: number, verifier: Ed25519Verifier = nodeEd25519Verifier): { keyids: string[]; approvers: string[]; refused: { code: ErrorCode; message: string }[] } {
  const keyids = new Set<string>();
  const names: string[] = [];
  const refused: { code: ErrorCode; message: string }[] = [];
  for (const env of envelopes) {
    try {
      const c = checkApproval(env, ctx, approvers, now, verifier);
      if (keyids.has(c.keyid)) continue;
      keyids.add(c.keyid);
      names.push(c.statement.approver);
    } catch (e) {
      const err = toAgentError(e);
      refused.push({ code: err.code, message: err.message });
    }
  }
  return { keyids: [...keyids], approvers: names, refused };
}
