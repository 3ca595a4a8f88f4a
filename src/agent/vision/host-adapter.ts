/**
 * Glue between the vision pipeline and the agent's inference host (src/agent/inference): the host's
 * run(role, feeds, {signal}) becomes the pipeline's ModelRunner, and the active manifests become its
 * ModelSpecProvider (memoised per modelId, so a hot swap is picked up on the next call).
 */
import type { ModelManifest, Role } from '../../common/wire.js';
import type { Feeds, Outputs } from '../inference/worker-messages.js';
import { specFromManifest } from './spec.js';
import type { ModelRunner, ModelSpecProvider, VisionModelSpec, VisionTensor } from './types.js';

export interface RunsModels {
  run(role: Role, feeds: Feeds, opts?: { signal?: AbortSignal; transfer?: boolean }): Promise<Outputs>;
}

/**
 * The pipeline never reads an input tensor after its run, so its buffers are handed to the host's worker
 * (`transfer`) instead of copied. A transferred buffer comes back detached, and the pipeline's buffer pool
 * (PreprocessScratch) then drops it and allocates a fresh one for the next frame (~1 ms for 640x640x3 floats
 * with the pad fill) — about what the host's own copy into a pooled buffer would cost without `transfer`.
 */
export function runnerFromHost(host: RunsModels): ModelRunner {
  return async (role, feeds, opts) => {
    const out = await host.run(role, feeds as unknown as Feeds, { transfer: true, ...(opts?.signal ? { signal: opts.signal } : {}) });
    return out as unknown as Record<string, VisionTensor>;
  };
}

/** `activeManifest(role)`: the manifest of the model the host serves for the role right now. */
export function specProviderFromManifests(activeManifest: (role: Role) => ModelManifest | undefined): ModelSpecProvider {
  const memo = new Map<string, VisionModelSpec>();
  return (role) => {
    const m = activeManifest(role);
    if (!m) return undefined;
    let s = memo.get(m.sha256);
    if (!s) {
      s = specFromManifest(m);
      memo.set(m.sha256, s);
    }
    return s;
  };
}
