/**
 * Model references as the admin types them (`<modelId>`, `name@version`, `name@latest`), resolved
 * through the registry first and then checked against the signed manifest on the broker; and the
 * broker-side half of "name@version is bound forever" for names the registry has not seen yet.
 */
import type { MqttClient } from 'mqtt';
import { AgentError } from '../../common/errors.js';
import type { ModelManifest, Role } from '../../common/wire.js';
import { listModels, resolveModelRef, type ModelEntry, type ReadOptions } from '../publisher.js';
import { parseModelRef, type ModelRegistry, type RegistryEntry } from './registry.js';

export interface ResolvedModel {
  entry: ModelEntry;
  /** the registry's binding, when the registry knows these bytes */
  registered: RegistryEntry | undefined;
  /** name@version for display */
  label: string;
}

/**
 * For a new release or rollout: resolves `ref`, verifies the manifest on the broker (signature with
 * `opts.trust`, role) and refuses a yanked model (`model_yanked`). A deprecated one is allowed when
 * named explicitly, with `warn` called; `name@latest` never picks a deprecated or yanked version.
 */
export async function resolveForRelease(client: MqttClient, registry: ModelRegistry, ref: string, role: Role, opts: ReadOptions, warn: (line: string) => void): Promise<ResolvedModel> {
  const parsed = parseModelRef(ref);
  const bound = registry.resolve(ref, role);
  // A registry binding decides which bytes a name means; names it has never seen fall back to the broker.
  const entry = await resolveModelRef(client, bound?.modelId ?? ref, role, opts);
  const registered = bound ?? registry.byModelId(entry.modelId)[0];
  assertNotYanked(registry, entry.modelId);
  if (registered?.state === 'deprecated' && parsed.kind !== 'latest') {
    const why = registered.marks.filter((m) => m.mark === 'deprecated').at(-1);
    warn(`warning: ${registered.name}@${registered.version} is deprecated${why ? ` (${why.reason})` : ''}`);
  }
  const label = registered ? `${registered.name}@${registered.version}` : entry.value ? `${entry.value.name}@${entry.value.version}` : `${entry.modelId.slice(0, 12)}…`;
  return { entry, registered, label };
}

/**
 * Refuses (`version_exists`) when the broker already holds a manifest named `manifest.name@version`
 * for other bytes: catches what was published before the registry existed, or from another database.
 */
export async function assertBrokerVersionFree(client: MqttClient, manifest: ModelManifest, opts: ReadOptions): Promise<void> {
  const clash = (await listModels(client, opts)).find((e) => e.value?.name === manifest.name && e.value.version === manifest.version && e.modelId !== manifest.sha256);
  if (clash) {
    throw new AgentError('version_exists', `${manifest.name}@${manifest.version} is already published on the broker as model ${clash.modelId.slice(0, 12)}… (${clash.value?.role}); publish these bytes under a new version`, { modelId: clash.modelId });
  }
}

/** [issue 16 §3] a yanked model cannot enter a new release (or rollout): `model_yanked`. */
export function assertNotYanked(registry: ModelRegistry, modelId: string): void {
  const yanked = registry.yanked(modelId);
  if (!yanked) return;
  const why = yanked.marks.filter((m) => m.mark === 'yanked').at(-1);
  throw new AgentError('model_yanked', `${yanked.name}@${yanked.version} is yanked${why ? ` by ${why.actor} at ${why.ts}: ${why.reason}` : ''}; it cannot enter a new release`, { modelId });
}
