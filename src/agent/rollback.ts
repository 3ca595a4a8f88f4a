/**
 * The rollback rules of the role state machine (DESIGN.md "Agent core": active → rolled back): a candidate
 * goes back to the accepted release's stable model (a guard breach or the local administrator), remembered so
 * re-applying the same release does not take it again; a stable model goes back to the previous version kept
 * in the store, pinned until a newer release arrives. Instant when the version is stored, else fetched.
 */
import { AgentError, type ErrorCode } from '../common/errors.js';
import type { Release, Role } from '../common/wire.js';
import type { AgentReporter } from './agent-status.js';
import { pinKey, rolledBackKey, variantRecord } from './role-status.js';
import type { Target } from './roles.js';
import type { BlobStore } from './store/blob-store.js';
import type { Registry } from './store/registry.js';

export interface RollbackOptions {
  reason?: ErrorCode;
  message?: string;
  details?: Record<string, unknown>;
}

/** What the rollback rules need from the state machine. */
export interface RollbackCtx {
  channel: string;
  registry: Registry;
  blobs: BlobStore;
  report: AgentReporter;
  isClosed(): boolean;
  /** starts (or keeps) the role's job towards `target` */
  retarget(role: Role, target: Target, release: Release, seq: number): void;
  /** the role's running job, if any */
  jobDone(role: Role): Promise<void> | undefined;
  stopGuard(role: Role): void;
}

export async function rollbackCandidate(c: RollbackCtx, role: Role, opts: RollbackOptions = {}): Promise<void> {
  const row = c.registry.getRole(role);
  if (c.isClosed() || !row || row.cohort !== 'candidate' || !row.activeModelId) return;
  // remembered by the release's modelId (a variant serving it has its own sha256, issue 21 §1), as chooseRoleTarget asks
  const releaseModelId = variantRecord(c.registry, row.activeModelId)?.baseModelId ?? row.activeModelId;
  c.registry.setMeta(rolledBackKey(role, row.rolloutId, releaseModelId), c.report.nowIso());
  const last = c.registry.getAcceptedRelease(c.channel);
  const stable = last?.release.roles[role]?.stable;
  c.report.emit({
    type: 'rolled_back',
    role,
    modelId: releaseModelId,
    channel: c.channel,
    ...(last ? { releaseSeq: last.seq } : {}),
    reason: opts.reason ?? 'guard_breach',
    message: opts.message ?? `candidate ${row.activeModelId.slice(0, 12)} rolled back to the stable model`,
    details: { ...(opts.details ?? {}), ...(row.rolloutId ? { rolloutId: row.rolloutId } : {}), ...(stable ? { stable } : {}) },
  });
  c.stopGuard(role);
  if (!last || !stable) return;
  c.retarget(role, { modelId: stable, cohort: 'stable', finalState: 'rolled_back' }, last.release, last.seq);
  await c.jobDone(role);
}

/**
 * Manual rollback (`rpa-agent rollback --role R`): a candidate goes back to the release's stable model (as a
 * guard revert does); a stable model to the previous version kept in the store, pinned until a newer release.
 */
export async function rollbackToPrevious(c: RollbackCtx, role: Role, opts: { message?: string } = {}): Promise<{ from: string; to: string }> {
  const row = c.registry.getRole(role);
  if (c.isClosed()) throw new AgentError('aborted', 'agent is closed');
  if (!row?.activeModelId) throw new AgentError('no_model', `no ${role} model is active`);
  const from = row.activeModelId;
  if (row.cohort === 'candidate') {
    await rollbackCandidate(c, role, { reason: 'manual_rollback', message: opts.message ?? `candidate ${from.slice(0, 12)} rolled back by the local administrator` });
    const now = c.registry.getRole(role);
    if (now?.activeModelId === from) throw new AgentError('not_found', `the release names no stable ${role} model to go back to`);
    return { from, to: now?.activeModelId ?? '' };
  }
  const prev = row.previousModelId;
  if (!prev || !c.registry.getModel(prev) || !c.blobs.hasBlob(prev)) throw new AgentError('not_found', `no previous ${role} version is kept in the store`);
  const last = c.registry.getAcceptedRelease(c.channel);
  if (!last) throw new AgentError('not_found', 'no release has been accepted yet');
  c.registry.setMeta(pinKey(role), JSON.stringify({ modelId: prev, releaseSeq: last.seq }));
  c.report.emit({
    type: 'rolled_back',
    role,
    modelId: from,
    channel: c.channel,
    releaseSeq: last.seq,
    reason: 'manual_rollback',
    message: opts.message ?? `${role} ${from.slice(0, 12)} rolled back to the previous version ${prev.slice(0, 12)} by the local administrator`,
    details: { previous: prev, pinnedUntilReleaseAfter: last.seq },
  });
  c.stopGuard(role);
  c.retarget(role, { modelId: prev, cohort: 'stable', finalState: 'rolled_back' }, last.release, last.seq);
  await c.jobDone(role);
  const now = c.registry.getRole(role);
  if (now?.activeModelId !== prev) throw new AgentError(now?.lastErrorCode === 'store_corrupt' ? 'store_corrupt' : 'load_failed', now?.lastErrorMessage ?? `could not activate ${prev}`);
  return { from, to: prev };
}

/** A manual rollback's pin for `role`, while the release it was made under is still the current one. */
export function pinnedModel(registry: Registry, role: Role, seq: number): string | undefined {
  const raw = registry.getMeta(pinKey(role));
  if (!raw) return undefined;
  try {
    const pin = JSON.parse(raw) as { modelId?: string; releaseSeq?: number };
    if (pin.modelId && pin.releaseSeq === seq) return pin.modelId;
  } catch {
    // an unreadable pin is ignored
  }
  return undefined;
}
