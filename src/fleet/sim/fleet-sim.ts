/**
 * Many simulated agents in one process (issue 6 "Fleet simulator"), each its own MQTT connection.
 * Used by the integration tests, `npm run sim` and the rollout benchmark (which runs several of
 * these in child processes to use every core).
 */
import { Agent as HttpsAgent } from 'node:https';
import type { IClientOptions } from 'mqtt';
import type { Labels } from '../../common/selector.js';
import type { AgentEvent, MetricsWindow, Role } from '../../common/wire.js';
import { ProfileBook, type ModelProfile } from './profiles.js';
import { SimAgent, type SimTrust } from './sim-agent.js';

export interface FleetSimOptions {
  url: string;
  count: number;
  channel: string;
  trust: SimTrust;
  /** agent ids are `${idPrefix}${index}` (default "sim-") */
  idPrefix?: string;
  firstIndex?: number;
  prefix?: string;
  windowMs?: number;
  requestsPerWindow?: number;
  shadowSampleRate?: number;
  preinstalled?: string[];
  fetchModels?: boolean;
  /** CA pinned for manifest HTTPS origins; `useOrigins: false` ignores them (broker only) */
  originCa?: string | Buffer;
  useOrigins?: boolean;
  /**
   * origin connections open at once in this process (default 32; more requests queue). A simulator
   * artifact: a thousand real agents are a thousand machines; a thousand in one process would otherwise
   * open a thousand TLS connections to the origin at the same instant.
   */
  originConnections?: number;
  profiles?: ProfileBook;
  defaultProfile?: Partial<ModelProfile>;
  /** agents connecting at once (a ramp, like a fleet coming online) */
  connectBatch?: number;
  mqtt?: Partial<IClientOptions>;
  /** config labels per agent (index within this fleet), or the same for all */
  labels?: Labels | ((index: number) => Labels);
  onEvent?: (e: AgentEvent) => void;
  onWindow?: (w: MetricsWindow) => void;
}

export interface FleetSim {
  readonly agents: SimAgent[];
  readonly profiles: ProfileBook;
  setProfile(modelId: string, p: Partial<ModelProfile>): void;
  /** agents whose active model for `role` is `modelId` */
  countActive(role: Role, modelId: string): number;
  summary(): { agents: number; connected: number; byModel: Record<string, number>; bytesFetched: number; bytesFromOrigin: number; originFallbacks: number; windows: number };
  close(opts?: { crash?: boolean }): Promise<void>;
}

export async function startFleetSim(opts: FleetSimOptions): Promise<FleetSim> {
  const profiles = opts.profiles ?? new ProfileBook(opts.defaultProfile);
  const agents: SimAgent[] = [];
  const originAgent = new HttpsAgent({ keepAlive: true, maxSockets: opts.originConnections ?? 32, ...(opts.originCa ? { ca: opts.originCa } : {}) });
  const batch = opts.connectBatch ?? 100;
  const first = opts.firstIndex ?? 0;
  for (let i = 0; i < opts.count; i += batch) {
    const group: SimAgent[] = [];
    for (let j = i; j < Math.min(opts.count, i + batch); j++) {
      const a = new SimAgent({
        url: opts.url,
        agentId: `${opts.idPrefix ?? 'sim-'}${first + j}`,
        channel: opts.channel,
        trust: opts.trust,
        profiles,
        ...(opts.prefix ? { prefix: opts.prefix } : {}),
        ...(opts.windowMs ? { windowMs: opts.windowMs } : {}),
        ...(opts.requestsPerWindow ? { requestsPerWindow: opts.requestsPerWindow } : {}),
        ...(opts.shadowSampleRate !== undefined ? { shadowSampleRate: opts.shadowSampleRate } : {}),
        ...(opts.preinstalled ? { preinstalled: opts.preinstalled } : {}),
        ...(opts.fetchModels !== undefined ? { fetchModels: opts.fetchModels } : {}),
        ...(opts.originCa ? { originCa: opts.originCa } : {}),
        ...(opts.useOrigins !== undefined ? { useOrigins: opts.useOrigins } : {}),
        originAgent,
        ...(opts.mqtt ? { mqtt: opts.mqtt } : {}),
        ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
        ...(opts.onWindow ? { onWindow: opts.onWindow } : {}),
        ...(opts.labels ? { labels: typeof opts.labels === 'function' ? opts.labels(j) : opts.labels } : {}),
      });
      group.push(a);
      agents.push(a);
    }
    await Promise.all(group.map((a) => a.ready()));
  }
  return {
    agents,
    profiles,
    setProfile: (modelId, p) => profiles.set(modelId, p),
    countActive: (role, modelId) => agents.filter((a) => a.activeModel(role) === modelId).length,
    summary() {
      const byModel: Record<string, number> = {};
      for (const a of agents) for (const [role, r] of a.roles) byModel[`${role}:${r.modelId.slice(0, 12)}`] = (byModel[`${role}:${r.modelId.slice(0, 12)}`] ?? 0) + 1;
      return {
        agents: agents.length,
        connected: agents.filter((a) => a.client.connected).length,
        byModel,
        bytesFetched: agents.reduce((s, a) => s + a.counters.bytesFetched, 0),
        bytesFromOrigin: agents.reduce((s, a) => s + a.counters.bytesFromOrigin, 0),
        originFallbacks: agents.reduce((s, a) => s + a.counters.originFallbacks, 0),
        windows: agents.reduce((s, a) => s + a.counters.windows, 0),
      };
    },
    async close(o = {}) {
      await Promise.all(agents.map((a) => a.close(o)));
      originAgent.destroy();
    },
  };
}
