/**
 * What the console reads from the controller's API (src/fleet/web/* and src/fleet/api/*). Kept as
 * plain interfaces here because the console layer imports only src/common (layering test); the server
 * side builds these shapes and its tests pin them.
 */
export interface Point {
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
  canary: Point | null;
  stable: Point | null;
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

export interface AgentSummary {
  agentId: string;
  online: boolean;
  channel?: string;
  agentVersion?: string;
  lastSeen: number;
  labels?: Record<string, string>;
  roles: Record<string, { state: string; name?: string; version?: string; provider?: string; cohort?: string } | undefined>;
}

export interface AgentPage {
  agent: AgentSummary & { alerts?: { code: string; message: string; since: string }[] };
  windows: { seq: number; ts?: string; windowStart?: string; windowEnd?: string; received?: number; roles: Record<string, { count: number; errors: number; latency: { p50?: number; p95?: number; p99?: number }; provider?: string; modelId?: string } | undefined> }[];
  events: { seq: number; ts: string; type: string; role?: string; message?: string; detail?: unknown }[];
}

export type RolloutState = 'pending' | 'running' | 'aborting' | 'awaiting_approval' | 'paused' | 'completed' | 'rolled_back' | 'aborted' | 'failed';

export interface Rollout {
  id: string;
  state: RolloutState;
  phase: number;
  phaseStartedAt: number;
  createdAt: number;
  updatedAt: number;
  spec: { channel: string; role: string; candidate: string; stable: string; waves: number[]; shadowFirst?: boolean; approveEachWave?: boolean; selector?: string; maxErrorRate: number; maxP95Ms: number };
  result?: Record<string, unknown>;
}

export interface RolloutLogRow {
  id: number;
  ts: number;
  kind: string;
  data: Record<string, unknown>;
}

export interface ModelEntry {
  name: string;
  version: string;
  role: string;
  modelId: string;
  state: string;
  publishedAt?: string | number;
  publishedBy?: string;
  provenance?: Record<string, unknown>;
  marks?: { mark: string; reason?: string; actor?: string; at?: string | number }[];
}

export interface AuditEntry {
  seq: number;
  ts: string | number;
  actor: string;
  action: string;
  reason?: string;
  rolloutId?: string;
  inputs?: Record<string, unknown>;
}

/** GET /api/v1/whoami */
export interface WhoAmI {
  /** the token's name: the actor in the audit trail */
  name: string;
  role: 'viewer' | 'operator' | 'approver';
  tokenId: string;
}
