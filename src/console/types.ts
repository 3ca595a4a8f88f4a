/**
 * What the console reads from the controller's API (src/fleet/web/* and src/fleet/api/*). The overview, the agent
 * search and the gate-evidence shapes are the server's own, shared through src/common/console-views.ts (the console layer imports
 * only src/common); the rest are plain interfaces the server side's tests pin.
 */
export type { AgentSummary, EvidenceSeries, FleetOverview, SeriesBucket, SeriesPoint as Point } from '../common/console-views.js';

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
