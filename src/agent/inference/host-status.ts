/** The inference host's status (what `rpa-agent status`, the tray and the tests read). */
import type { Role } from '../../common/wire.js';
import type { InferenceHostStatus, RoleHostStatus } from './host-types.js';
import { mallocTuned } from './malloc.js';
import type { Generation, WorkerPool } from './worker-pool.js';

export function hostStatus(current: ReadonlyMap<Role, Generation>, previous: ReadonlyMap<Role, Generation>, gens: ReadonlyMap<number, Generation>, pool: WorkerPool): InferenceHostStatus {
  const roles: Partial<Record<Role, RoleHostStatus>> = {};
  for (const [role, g] of current) {
    const draining = [...gens.values()].filter((x) => x.role === role && x.retiring && !x.closed).map((x) => ({ modelId: x.modelId, leases: x.leases }));
    const prev = previous.get(role);
    roles[role] = {
      modelId: g.modelId,
      name: g.manifest.name,
      version: g.manifest.version,
      provider: g.provider,
      leases: g.leases,
      warmupP95Ms: g.warmupP95Ms,
      activatedAt: g.activatedAt,
      draining,
      ...(prev ? { previous: prev.modelId } : {}),
    };
  }
  const threads: Partial<Record<Role, number[]>> = {};
  if (pool.shared) {
    // the session process(es) holding the role's sessions
    for (const role of new Set([...gens.values()].map((g) => g.role))) {
      const list = pool.of(role).filter((s) => [...s.gens].some((g) => g.role === role));
      if (list.length > 0) threads[role] = list.map((s) => s.worker.threadId);
    }
  } else {
    // every worker of the role's pair, serving or standby
    for (const s of pool.all()) (threads[s.pool as Role] ??= []).push(s.worker.threadId);
  }
  return {
    roles,
    workers: pool.all().length,
    threads,
    sessions: gens.size,
    recycledWorkers: pool.recycledWorkers,
    // a session process gets the tuning in its environment (session-process.ts)
    mallocTuned: pool.shared || mallocTuned(),
  };
}
