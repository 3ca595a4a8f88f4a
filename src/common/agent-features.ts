/**
 * What an agent can serve beyond the baseline, and what a model needs of it (docs/MODELS.md "Crop rule",
 * the capability gate). An agent lists the features it was built with in its status (AgentStatus.features);
 * an agent from before the list existed sends none, so it has none. What a model needs is derived from its
 * manifest alone (requiredFeatures), never from a manifest field: an agent too old to serve a feature is
 * also too old to know a field that would announce it. `rpa-fleet` refuses to put a model in front of a
 * channel where a known agent lacks a feature the model needs (src/fleet/agent-features-gate.ts).
 */
import { AgentError } from './errors.js';
import type { ModelManifest } from './wire.js';

/** Each feature name and what an agent that lists it does. Names are short, stable, and never reused. */
export const AGENT_FEATURES = {
  /**
   * the agent reads `preprocess.crop.views` and feeds a classifier/similarity model the stacked
   * [N, 3·V, S, S] multi-view batch (src/common/crop-views.ts). An agent without it drops `views`
   * (zod strips the unknown key), passes the contract check and the self-test, then fails every call.
   */
  'crop-views': 'serves multi-view crops (preprocess.crop.views): [N, 3·V, S, S] batches',
} as const;

export type AgentFeature = keyof typeof AGENT_FEATURES;

/** The features this build of the agent serves: what it puts in its status. */
export const AGENT_BUILD_FEATURES: readonly AgentFeature[] = Object.keys(AGENT_FEATURES) as AgentFeature[];

/** Pure: the features an agent must list to serve `manifest` (empty: any agent can). */
export function requiredFeatures(manifest: Pick<ModelManifest, 'preprocess'>): AgentFeature[] {
  const need: AgentFeature[] = [];
  if (manifest.preprocess?.crop?.views?.length) need.push('crop-views');
  return need;
}

export interface AgentFeatures {
  agentId: string;
  /** absent: an agent older than the features list, so it has none */
  features?: readonly string[] | undefined;
}

/** how many agent ids an agent_unsupported message names before "and N more" */
const SHOWN = 5;

/**
 * Pure: refuses (agent_unsupported) when any of `agents` — the agents known on `channel`, and only
 * those — lacks a feature in `required`. The message names the feature, the count and the first few
 * agent ids; `details` has them as data for the API's problem and the CLI's --json.
 */
export function checkAgentFeatures(channel: string, model: { role: string; modelId: string; label?: string }, required: readonly AgentFeature[], agents: readonly AgentFeatures[]): void {
  for (const feature of required) {
    const lacking = agents.filter((a) => !a.features?.includes(feature)).map((a) => a.agentId).sort();
    if (lacking.length === 0) continue;
    const shown = lacking.slice(0, SHOWN).join(', ') + (lacking.length > SHOWN ? ` and ${lacking.length - SHOWN} more` : '');
    const what = model.label ?? `${model.modelId.slice(0, 12)}…`;
    throw new AgentError(
      'agent_unsupported',
      `channel ${channel}: ${lacking.length} of ${agents.length} known agent(s) lack feature ${feature}, which ${model.role} model ${what} needs: ${shown}; upgrade them (or move them off the channel) before rolling it out`,
      { channel, role: model.role, modelId: model.modelId, feature, missing: lacking.length, known: agents.length, agents: lacking.slice(0, SHOWN) },
    );
  }
}
