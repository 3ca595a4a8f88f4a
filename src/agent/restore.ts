/**
 * Start-up restore of the role state machine (issue 3 §7 restart safety): crash leftovers are cleared (partial
 * files without a fetch record, fetch records without their file, blobs the registry does not know), a role
 * interrupted mid-pipeline reverts to what was serving, and each role's active model is re-verified and loaded
 * again — falling back to the previous good stored version when it fails. The release re-apply that follows
 * resumes the rest.
 */
import { existsSync } from 'node:fs';
import { toAgentError } from '../common/errors.js';
import type { Role } from '../common/wire.js';
import type { ModelActivator } from './activation.js';
import type { AgentReporter } from './agent-status.js';
import { activateFirstGood } from './inference/restart.js';
import { settledState, storedVersions, TRANSIENT_STATES } from './role-status.js';
import type { BlobStore } from './store/blob-store.js';
import type { Registry } from './store/registry.js';

export interface RestoreCtx {
  registry: Registry;
  blobs: BlobStore;
  activator: ModelActivator;
  report: AgentReporter;
  /** a registry write that may meet a full disk */
  persist(write: () => void): void;
  /** the role's active model is loaded in the activator now */
  markLoaded(role: Role): void;
}

/** A blob that no longer decrypts to its sha256 (or is gone) is dropped, so the release re-apply fetches it afresh. */
function dropBroken(c: RestoreCtx, skipped: readonly { modelId: string; code: string }[]): void {
  for (const s of skipped) {
    if (s.code === 'store_corrupt' || s.code === 'sha256_mismatch' || s.code === 'not_found') {
      c.registry.deleteModel(s.modelId);
      c.blobs.removeBlob(s.modelId);
    }
  }
}

export async function restoreRoles(c: RestoreCtx): Promise<void> {
  const { registry, blobs, report } = c;
  const fetches = new Set(registry.listFetches().map((f) => f.modelId));
  for (const id of blobs.listPartials()) if (!fetches.has(id)) blobs.removePartial(id);
  for (const id of fetches) if (!existsSync(blobs.partialPath(id))) registry.deleteFetch(id);
  const known = new Set(registry.listModels().map((m) => m.modelId));
  for (const id of blobs.listBlobs()) if (!known.has(id) && !fetches.has(id)) blobs.removeBlob(id);

  for (const row of registry.listRoles()) {
    if (TRANSIENT_STATES.has(row.state)) {
      // A crash mid-pipeline reverts the role to what was serving; the release re-apply resumes the rest.
      registry.updateRole(row.role, { state: row.activeModelId ? settledState(row.cohort) : 'idle', pendingModelId: null, pendingProgress: null }, report.nowIso());
      report.emit({ type: 'store_recovered', role: row.role, ...(row.pendingModelId ? { modelId: row.pendingModelId } : {}), message: `interrupted in state ${row.state}; resuming` });
    }
    if (!row.activeModelId) continue;
    // The active model's bytes are re-verified (blob read checks the sha256, the host re-hashes before
    // loading); a version that fails falls back to the previous good stored one.
    const versions = storedVersions(registry, blobs, row.role, row.activeModelId, row.previousModelId);
    try {
      const r = await activateFirstGood(c.activator, row.role, versions);
      c.markLoaded(row.role);
      dropBroken(c, r.skipped);
      if (r.modelId === row.activeModelId) {
        c.persist(() => registry.updateRole(row.role, { provider: r.provider }, report.nowIso()));
        continue;
      }
      const first = r.skipped[0]!;
      registry.touchModel(r.modelId, report.nowIso());
      // The fallback is a previously serving version: stable cohort; the release re-apply then fetches
      // what the release names again.
      registry.updateRole(
        row.role,
        { state: 'committed', activeModelId: r.modelId, previousModelId: null, provider: r.provider, cohort: 'stable', rolloutId: null, lastErrorCode: first.code, lastErrorMessage: first.message },
        report.nowIso(),
      );
      report.emit({
        type: 'store_recovered',
        role: row.role,
        modelId: r.modelId,
        reason: first.code === 'sha256_mismatch' ? 'store_corrupt' : first.code,
        message: `active ${row.role} model ${first.modelId.slice(0, 12)} failed on restart (${first.code}); fell back to the stored ${r.modelId.slice(0, 12)}`,
        details: { skipped: r.skipped, failedModelId: first.modelId },
      });
    } catch (e) {
      const err = toAgentError(e);
      const skipped = (err.details?.skipped as { modelId: string; code: string }[] | undefined) ?? [];
      dropBroken(c, skipped);
      const code = skipped[0]?.code ?? err.code;
      const message = skipped.length > 0 ? `no stored ${row.role} model could be activated: ${skipped.map((s) => `${s.modelId.slice(0, 12)} ${s.code}`).join(', ')}` : err.message;
      registry.updateRole(row.role, { state: 'failed', activeModelId: null, lastErrorCode: code, lastErrorMessage: message }, report.nowIso());
      report.emit({ type: 'activation_failed', role: row.role, modelId: row.activeModelId, reason: code, message });
    }
  }
}
