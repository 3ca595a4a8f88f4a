/**
 * Restart safety (issue 3 §7): on start the agent loads the role's active model, newest first, and the
 * host re-verifies each one's sha256 (in the session worker, off the event loop) before creating a
 * session. A version whose bytes no longer match, or that fails any other loading step, is skipped
 * for the previous good version, and the fallback is reported (store_recovered).
 * The store (agent core) supplies the versions it keeps for the role, active first.
 */
import { AgentError, toAgentError } from '../../common/errors.js';
import type { ModelManifest, Role } from '../../common/wire.js';
import type { ActivationResult, ModelActivator } from '../activation.js';
import type { HostEventListener } from './host.js';

export interface StoredVersion {
  modelId: string;
  manifest: ModelManifest;
  /** reads and decrypts the stored bytes */
  readBytes: () => Promise<Uint8Array>;
}

export interface RestartResult extends ActivationResult {
  modelId: string;
  /** versions passed over, newest first, with the reason */
  skipped: { modelId: string; code: string; message: string }[];
}

export async function activateFirstGood(
  activator: ModelActivator,
  role: Role,
  versions: readonly StoredVersion[],
  opts: { signal?: AbortSignal; onEvent?: HostEventListener } = {},
): Promise<RestartResult> {
  const skipped: RestartResult['skipped'] = [];
  for (const v of versions) {
    opts.signal?.throwIfAborted();
    try {
      const bytes = await v.readBytes();
      const r = await activator.activate({ role, modelId: v.modelId, manifest: v.manifest, bytes, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (skipped.length > 0) {
        opts.onEvent?.({
          type: 'store_recovered',
          role,
          modelId: v.modelId,
          reason: skipped[0]!.code === 'sha256_mismatch' ? 'store_corrupt' : skipped[0]!.code,
          message: `active ${role} model ${skipped[0]!.modelId.slice(0, 12)} failed (${skipped[0]!.code}); fell back to ${v.modelId.slice(0, 12)}`,
          details: { skipped },
        });
      }
      return { ...r, modelId: v.modelId, skipped };
    } catch (e) {
      const err = toAgentError(e, 'load_failed');
      if (err.code === 'aborted') throw err;
      skipped.push({ modelId: v.modelId, code: err.code, message: err.message });
    }
  }
  throw new AgentError(versions.length === 0 ? 'no_model' : 'store_corrupt', `no stored ${role} model could be activated`, { skipped });
}
