/** MQTT topic names (DESIGN.md "Wire protocol"). The prefix is configurable; default `rpa/v1`. */
export const DEFAULT_TOPIC_PREFIX = 'rpa/v1';

const SEGMENT = /^[A-Za-z0-9._-]{1,128}$/;

/** Channel, agent and model ids become topic segments: no wildcards, separators or empty levels. */
export function isValidTopicSegment(s: string): boolean {
  return SEGMENT.test(s);
}

export function topics(prefix = DEFAULT_TOPIC_PREFIX) {
  return {
    release: (channel: string) => `${prefix}/channels/${channel}/release`,
    manifest: (modelId: string) => `${prefix}/models/${modelId}/manifest`,
    /** DSSE(in-toto statement, SLSA provenance v1) beside the manifest, signed by models (issue 20 §2) */
    provenance: (modelId: string) => `${prefix}/models/${modelId}/provenance`,
    chunk: (modelId: string, n: number) => `${prefix}/models/${modelId}/chunks/${n}`,
    chunksWildcard: (modelId: string) => `${prefix}/models/${modelId}/chunks/+`,
    allManifests: () => `${prefix}/models/+/manifest`,
    agentStatus: (agentId: string) => `${prefix}/agents/${agentId}/status`,
    agentMetrics: (agentId: string) => `${prefix}/agents/${agentId}/metrics`,
    agentEvents: (agentId: string) => `${prefix}/agents/${agentId}/events`,
    agentFeedback: (agentId: string) => `${prefix}/agents/${agentId}/feedback`,
    allAgents: () => `${prefix}/agents/+/+`,
    /** trust statement version N (issue 20 §1): retained, every version kept so an offline agent can catch up */
    trust: (version: number) => `${prefix}/trust/${version}`,
    allTrust: () => `${prefix}/trust/+`,
    /** Parses `prefix/trust/{version}`; undefined for anything else. */
    parseTrustTopic(topic: string): number | undefined {
      const m = /^(\d{1,10})$/.exec(topic.startsWith(`${prefix}/trust/`) ? topic.slice(prefix.length + 7) : '');
      return m ? Number(m[1]) : undefined;
    },
    /** Parses `prefix/agents/{id}/{kind}`; undefined for anything else. */
    parseAgentTopic(topic: string): { agentId: string; kind: string } | undefined {
      const head = `${prefix}/agents/`;
      if (!topic.startsWith(head)) return undefined;
      const rest = topic.slice(head.length).split('/');
      if (rest.length !== 2 || !rest[0] || !rest[1]) return undefined;
      return { agentId: rest[0], kind: rest[1] };
    },
    /** Parses `prefix/models/{id}/chunks/{n}`. */
    parseChunkTopic(topic: string): { modelId: string; index: number } | undefined {
      const head = `${prefix}/models/`;
      if (!topic.startsWith(head)) return undefined;
      const rest = topic.slice(head.length).split('/');
      if (rest.length !== 3 || rest[1] !== 'chunks' || !rest[0] || !/^\d{1,9}$/.test(rest[2] ?? '')) return undefined;
      return { modelId: rest[0], index: Number(rest[2]) };
    },
  };
}

export type Topics = ReturnType<typeof topics>;
