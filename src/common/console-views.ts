/**
 * The read models the controller serves to the web console (issue 19 §2): built by src/fleet/web/* and drawn by
 * src/console/*. One definition for both sides — the console layer imports only src/common (layering test).
 */

/** One interval of one cohort in a rollout's gate evidence. */
export interface SeriesPoint {
  count: number;
  errors: number;
  errorRate: number;
  /** one-sided 95 % bounds (Clopper–Pearson), the gate's test */
  errorLow: number;
  errorHigh: number;
  p95: number;
  /** distribution-free 95 % bounds of the p95 from the merged histogram */
  p95Low: number;
  p95High: number;
}

export interface SeriesBucket {
  t: number;
  canary: SeriesPoint | null;
  stable: SeriesPoint | null;
}

export interface EvidenceSeries {
  rolloutId: string;
  bucketMs: number;
  from: number;
  to: number;
  gates: { maxErrorRate: number; maxP95Ms: number; maxP95RatioToStable: number };
  buckets: SeriesBucket[];
  /** wave starts and the end (completed / rolled back / aborted) */
  marks: { t: number; kind: string; label: string }[];
}

export interface FleetOverview {
  generatedAt: number;
  agents: { total: number; online: number; offline: number };
  channels: { channel: string; agents: number; online: number; releaseSeq?: number; roles: { role: string; stable?: string; stableName?: string; candidate?: string; candidatePercent?: number }[] }[];
  /** (channel, role, model, version) → agents running it */
  versions: { channel: string; role: string; modelId: string; name?: string; version?: string; cohort?: string; agents: number }[];
  providers: { role: string; provider: string; agents: number }[];
  agentVersions: { version: string; agents: number }[];
  labels: { key: string; value: string; agents: number }[];
}

/** One agent as the overview's search box lists it (GET /api/v1/fleet/agents). */
export interface AgentSummary {
  agentId: string;
  online: boolean;
  channel?: string;
  agentVersion?: string;
  lastSeen: number;
  labels?: Record<string, string>;
}
