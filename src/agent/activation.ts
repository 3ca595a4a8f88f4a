/**
 * The one interface through which a verified model becomes the active one for its role
 * (issue 2 "Activation hook"). The inference host implements it; the agent core only calls it.
 */
import type { ModelManifest, Role } from '../common/wire.js';

export interface ActivationRequest {
  role: Role;
  modelId: string;
  manifest: ModelManifest;
  /** decrypted model bytes, in memory only (models are encrypted at rest) */
  bytes: Uint8Array;
  /**
   * the caller gives its `bytes` up (it never reads them again): the activator may use or hand over their buffer
   * instead of copying it (a 64 MiB copy on the event loop that serves the bots, issue 17 §2)
   */
  transferBytes?: boolean;
  signal?: AbortSignal;
  /** optional: told when the checks move on, so the role's state machine can show self_test */
  onStage?: (stage: 'self_test') => void;
}

export interface ActivationResult {
  /** the execution provider that actually loaded the model, e.g. "cpu", "dml", "cuda" */
  provider: string;
  /** p95 of the warm-up runs, when measured */
  warmupP95Ms?: number;
}

/** What an activator reports on its own (inference/host.ts HostEvent): inputs to the agent's role state machine. */
export interface ActivatorEvent {
  type: string;
  role?: Role;
  modelId?: string;
  reason?: string;
  message?: string;
  details?: Record<string, unknown>;
}

export interface ModelActivator {
  /**
   * Loads, checks and (only if every step passes) swaps the model in for its role. Throws an
   * AgentError with code load_failed | contract_mismatch | self_test_failed | latency_budget_exceeded |
   * provider_unavailable otherwise, leaving the active model serving.
   */
  activate(req: ActivationRequest): Promise<ActivationResult>;
  /** Listens to the activator's own events (a worker lost, a provider fallback); returns the unsubscribe. */
  on?(listener: (e: ActivatorEvent) => void): () => void;
  /** Sees every completed run (the candidate guard); an activator without it cannot be guarded. Returns the removal. */
  addObserver?(observer: { onRun(role: Role, modelId: string, ok: boolean, latencyMs: number): void }): () => void;
  /** Stops serving a role (e.g. nothing valid left). */
  deactivate(role: Role): Promise<void>;
  close(): Promise<void>;
}
