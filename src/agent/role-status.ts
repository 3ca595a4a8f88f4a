/**
 * A role's status as the wire shows it (wire.ts RoleStatus), from its registry row; the manual rollback done
 * in the registry while no agent runs; the stored versions a restart or reload tries; and the registry keys
 * these share with the agent core.
 */
import { AgentError } from '../common/errors.js';
import type { Cohort, Role, RoleState, RoleStatus } from '../common/wire.js';
import type { Registry, RoleRow } from './store/registry.js';
import type { BlobStore } from './store/blob-store.js';
import type { StoredVersion } from './inference/restart.js';

/** The versions kept for a role, the active one first, then the previous one, then the rest newest first. */
export function storedVersions(registry: Registry, blobs: BlobStore, role: Role, activeModelId: string, previousModelId: string | undefined): StoredVersion[] {
  const order = [activeModelId, ...(previousModelId ? [previousModelId] : []), ...registry.listModels(role).filter((m) => m.lastActiveAt).map((m) => m.modelId)];
  const out: StoredVersion[] = [];
  for (const id of new Set(order)) {
    const m = registry.getModel(id);
    if (!m) {
      if (id === activeModelId)
        out.push({ modelId: id, manifest: undefined as never, readBytes: () => Promise.reject(new AgentError('store_corrupt', `active model ${id} is not in the registry`)) });
      continue;
    }
    if (m.role !== role) continue;
    out.push({ modelId: id, manifest: m.manifest, readBytes: () => blobs.read(id) });
  }
  return out;
}

/** States a role is in only while a job runs: a crash there reverts the role to what was serving. */
export const TRANSIENT_STATES: ReadonlySet<RoleState> = new Set<RoleState>(['fetching', 'verifying', 'loading', 'self_test']);

/** A candidate stays "active" (under guard) until committed or rolled back; stable is committed at once. */
export function settledState(cohort: Cohort | undefined): 'active' | 'committed' {
  return cohort === 'candidate' ? 'active' : 'committed';
}

/** Registry meta key of a stored or fetched variant file's record (issue 21 §1, variant-serving.ts). */
export const variantRecordKey = (sha256: string) => `variant:${sha256}`;

export interface VariantRecord {
  /** the release's modelId the variant file serves */
  baseModelId: string;
  name: string;
  precision: string;
}

export function variantRecord(registry: Pick<Registry, 'getMeta'>, modelId: string): VariantRecord | undefined {
  const raw = registry.getMeta(variantRecordKey(modelId));
  return raw ? (JSON.parse(raw) as VariantRecord) : undefined;
}

/** Status fields for the file that serves a role: the release's modelId and which variant ("fp32": the base file). */
export function servingStatus(registry: Pick<Registry, 'getMeta'>, activeId: string): Pick<RoleStatus, 'modelId' | 'variant'> {
  const rec = variantRecord(registry, activeId);
  if (!rec) return { modelId: activeId, variant: { name: 'fp32', precision: 'fp32' } };
  return { modelId: rec.baseModelId, variant: { name: rec.name, precision: rec.precision, sha256: activeId } };
}

/** Registry meta key pinning a role to a model after a manual rollback, until a release newer than `releaseSeq` arrives. */
export const pinKey = (role: Role) => `pinned:${role}`;

/** Registry meta key marking a candidate this agent rolled back, so re-applying the release does not retake it. */
export const rolledBackKey = (role: Role, rolloutId: string | undefined, modelId: string) => `rolled_back:${role}:${rolloutId ?? ''}:${modelId}`;

/**
 * Manual rollback while no agent runs (`rpa-agent rollback` finds no agent.lock): the registry is set so the
 * next start loads the previous version — a candidate's release stable (and the rollout is remembered as
 * rolled back), or a stable role's previous kept version (pinned until a newer release arrives).
 */
export function rollbackInRegistry(registry: Registry, channel: string, role: Role, now: string): { from: string; to: string } {
  const row = registry.getRole(role);
  if (!row?.activeModelId) throw new AgentError('no_model', `no ${role} model is active`);
  const from = row.activeModelId;
  const last = registry.getAcceptedRelease(channel);
  let to: string | undefined;
  if (row.cohort === 'candidate') {
    to = last?.release.roles[role]?.stable;
    registry.setMeta(rolledBackKey(role, row.rolloutId, variantRecord(registry, from)?.baseModelId ?? from), now);
  } else {
    to = row.previousModelId;
    if (to && last) registry.setMeta(pinKey(role), JSON.stringify({ modelId: to, releaseSeq: last.seq }));
  }
  if (!to || to === from || !registry.getModel(to)) throw new AgentError('not_found', `no previous ${role} version is kept in the store`);
  registry.touchModel(to, now);
  registry.updateRole(role, { state: 'rolled_back', activeModelId: to, previousModelId: from, cohort: 'stable', rolloutId: null, pendingModelId: null, pendingProgress: null }, now);
  return { from, to };
}

export function roleStatusFrom(row: RoleRow, registry: Registry): RoleStatus {
  const active = row.activeModelId ? registry.getModel(row.activeModelId) : undefined;
  const pending = row.pendingModelId ? (registry.getModel(row.pendingModelId) ?? registry.getFetch(row.pendingModelId)) : undefined;
  const pendingManifest = pending && 'manifest' in pending ? pending.manifest : undefined;
  const s: RoleStatus = { state: row.state };
  if (row.activeModelId) Object.assign(s, servingStatus(registry, row.activeModelId));
  if (active) {
    s.name = active.name;
    s.version = active.version;
  }
  if (row.provider && row.activeModelId) s.provider = row.provider;
  if (row.cohort) s.cohort = row.cohort;
  if (row.rolloutId) s.rolloutId = row.rolloutId;
  if (row.pendingModelId)
    s.pending = {
      modelId: row.pendingModelId,
      ...(pendingManifest ? { name: pendingManifest.name, version: pendingManifest.version } : {}),
      progress: Math.max(0, Math.min(1, row.pendingProgress ?? 0)),
    };
  if (row.lastErrorCode) s.lastError = { code: row.lastErrorCode, message: row.lastErrorMessage ?? '' };
  return s;
}
