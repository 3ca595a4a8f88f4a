/**
 * Agents still running a yanked model (issue 16 §3: "agents running it show it in status"): the
 * controller's views mark them so the admin can roll them forward.
 */
import type { AgentRow } from '../controller/store.js';
import type { ModelRegistry } from './registry.js';

export interface YankedRunning {
  agentId: string;
  role: string;
  model: string;
  modelId: string;
  reason: string;
}

export function yankedRunning(agents: readonly AgentRow[], registry: ModelRegistry): YankedRunning[] {
  const out: YankedRunning[] = [];
  const cache = new Map<string, ReturnType<ModelRegistry['yanked']>>();
  for (const a of agents) {
    if (!a.online) continue;
    for (const [role, rs] of Object.entries(a.status.roles)) {
      const id = rs?.modelId;
      if (!id) continue;
      if (!cache.has(id)) cache.set(id, registry.yanked(id));
      const y = cache.get(id);
      if (y) out.push({ agentId: a.agentId, role, model: `${y.name}@${y.version}`, modelId: id, reason: y.marks.filter((m) => m.mark === 'yanked').at(-1)?.reason ?? '' });
    }
  }
  return out;
}
