/**
 * The capability gate (docs/MODELS.md "Crop rule"): a model that needs an agent feature (e.g. a multi-view
 * classifier needs `crop-views`) never goes to a channel where an agent known to the controller lacks it.
 * One function for every path that puts a model in front of agents, beside the quality gate:
 * `release publish` (CLI and API), `rollout start` (API, so also the remote CLI and the web console) and
 * the controller before a rollout's first wave and before each widening.
 *
 * "Known on the channel" = the controller's agent records (table agents) whose channel is THIS channel,
 * online or offline (an offline agent comes back and fails every call all the same); never another
 * channel's agents. No override: the failure is certain (every classify call on that agent fails), so
 * the remedy is to upgrade the agent or move it off the channel, not to accept the risk.
 */
import type Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { checkAgentFeatures, requiredFeatures, type AgentFeatures } from '../common/agent-features.js';
import { AgentError } from '../common/errors.js';
import type { AgentStatus, ModelManifest, Role } from '../common/wire.js';
import { readManifest } from './publisher.js';
import type { RoleTrust } from './trust.js';

/** The agents the controller knows on `channel` (and only there), with the features each last reported. */
export function agentsOnChannel(db: Database.Database, channel: string): AgentFeatures[] {
  const rows = db.prepare('SELECT agent_id, status_json FROM agents WHERE channel = ? ORDER BY agent_id').all(channel) as { agent_id: string; status_json: string }[];
  return rows.map((r) => {
    const s = JSON.parse(r.status_json) as Partial<AgentStatus>;
    return { agentId: r.agent_id, ...(Array.isArray(s.features) ? { features: s.features } : {}) };
  });
}

/** How the gate reads a model's manifest (from the broker, or the registry's signed copy). */
export type ManifestSource = (modelId: string) => Promise<ModelManifest | undefined>;

/**
 * Refuses (agent_unsupported) when a model in `models` needs a feature that an agent known on `channel`
 * lacks. A model whose manifest cannot be read cannot be judged, so it is refused too (manifest_missing):
 * the gate never passes by default. A fleet database without an agents table (a CLI before any
 * controller ran) has no known agents.
 */
export async function enforceAgentFeatures(db: Database.Database, channel: string, models: readonly { role: Role; modelId: string; label?: string }[], manifestOf: ManifestSource): Promise<void> {
  if (models.length === 0) return;
  const hasAgents = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'agents'").get() !== undefined;
  const agents = hasAgents ? agentsOnChannel(db, channel) : [];
  if (agents.length === 0) return;
  for (const m of models) {
    const manifest = await manifestOf(m.modelId);
    if (!manifest) throw new AgentError('manifest_missing', `channel ${channel}: the manifest of ${m.role} model ${m.modelId.slice(0, 12)}… cannot be read, so the features it needs of the channel's agents cannot be checked`, { channel, role: m.role, modelId: m.modelId });
    checkAgentFeatures(channel, m, requiredFeatures(manifest), agents);
  }
}

/** Manifests read from the broker's retained copies (verified with the models keys when given). */
export function brokerManifests(client: MqttClient, opts: { prefix?: string | undefined; trust?: RoleTrust | undefined }): ManifestSource {
  return async (modelId) => {
    const e = await readManifest(client, modelId, { ...(opts.prefix ? { prefix: opts.prefix } : {}), ...(opts.trust ? { trust: opts.trust } : {}) });
    return e && e.signature !== 'invalid' ? e.value : undefined;
  };
}
