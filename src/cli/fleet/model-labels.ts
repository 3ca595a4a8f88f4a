/**
 * How every rpa-fleet view names a model (issue 16 §3, §5: `name@version`, never bare hex ids): the registry
 * first (what an admin published), then what the agents running it report, else the id's first 12 hex digits.
 */
import type { ControllerStore } from '../../fleet/controller/store.js';
import { ModelRegistry } from '../../fleet/registry/registry.js';

export function modelLabels(store: ControllerStore): (modelId: string) => string {
  const registry = new ModelRegistry(store.db);
  const reported = new Map<string, string>();
  for (const a of store.agents()) {
    for (const rs of Object.values(a.status.roles)) if (rs?.modelId && rs.name && rs.version) reported.set(rs.modelId, `${rs.name}@${rs.version}`);
  }
  return (id) => {
    if (!id) return '-';
    if (registry.byModelId(id).length > 0) return registry.label(id);
    return reported.get(id) ?? `${id.slice(0, 12)}…`;
  };
}
