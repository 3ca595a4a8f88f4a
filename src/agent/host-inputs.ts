/**
 * Host events as inputs to the per-role state machine (issue 18 §1; issue 17 §1):
 * - `worker_lost` (the worker serving a role ended: crashed, or killed after a run past its timeout): the
 *   role goes to `loading` and its active model is reloaded from the store in a fresh worker (bots get the
 *   retryable `model_restarting` meanwhile, from the host); then `worker_restarted` upstream and in status,
 *   or, when nothing stored loads, `activation_failed` and the role is `failed`.
 * - `provider_fallback` (e.g. CUDA → CPU): an event upstream and an alert in status, not only a log line.
 * The agent core supplies the few operations this needs; the decisions are here.
 */
import { toAgentError } from '../common/errors.js';
import type { AgentEvent, Cohort, Role } from '../common/wire.js';
import type { ActivatorEvent } from './activation.js';
import type { AlertBoard } from './alerts.js';
import type { Registry, RoleRow } from './store/registry.js';

/** The activator's events the role state machine takes, typed (mapped from the raw event at the edge). */
export type HostInput =
  | { kind: 'worker_lost'; role: Role; modelId?: string; reason?: string; message?: string }
  | { kind: 'provider_fallback'; role: Role; modelId?: string; reason?: string; message?: string; details?: Record<string, unknown> }
  | { kind: 'host_activated'; role: Role; modelId?: string };

/** The typed input for an activator event, or undefined for one the state machine does not take. */
export function hostInputOf(e: ActivatorEvent): HostInput | undefined {
  if (!e.role) return undefined;
  const about = { role: e.role, ...(e.modelId ? { modelId: e.modelId } : {}) };
  const why = { ...(e.reason ? { reason: e.reason } : {}), ...(e.message ? { message: e.message } : {}) };
  if (e.type === 'worker_lost') return { kind: 'worker_lost', ...about, ...why };
  if (e.type === 'provider_fallback') return { kind: 'provider_fallback', ...about, ...why, ...(e.details ? { details: e.details } : {}) };
  if (e.type === 'activated') return { kind: 'host_activated', ...about };
  return undefined;
}

export interface HostInputDeps {
  alerts: AlertBoard;
  role(role: Role): RoleRow | undefined;
  /** persists a role change and publishes the status */
  setRole(role: Role, patch: Parameters<Registry['updateRole']>[1]): void;
  /** reloads the role's active model (or the previous good stored one) through the role's activation chain */
  reload(role: Role): Promise<{ modelId: string; provider: string }>;
  /** stops serving a role that has nothing left to load */
  deactivate(role: Role): Promise<void>;
  emit(e: Omit<AgentEvent, 'agentId' | 'ts' | 'seq'>): void;
  /** publishes the status after an alert changed without an event */
  changed(): void;
  settledState(cohort: Cohort | undefined): 'active' | 'committed';
  closed(): boolean;
  now(): number;
}

export function createHostInputs(d: HostInputDeps): (i: HostInput) => void {
  const reloading = new Set<Role>();

  async function workerLost(role: Role, e: Extract<HostInput, { kind: 'worker_lost' }>): Promise<void> {
    const row = d.role(role);
    // only the worker serving the role's active model matters; a second loss while reloading is the same one
    if (!row?.activeModelId || (e.modelId && e.modelId !== row.activeModelId) || reloading.has(role)) return;
    reloading.add(role);
    const t0 = d.now();
    d.setRole(role, { state: 'loading', pendingModelId: row.activeModelId, pendingProgress: 1 });
    try {
      const r = await d.reload(role);
      if (d.closed()) return;
      d.setRole(role, { state: row.state === 'rolled_back' ? 'rolled_back' : d.settledState(row.cohort), activeModelId: r.modelId, pendingModelId: null, pendingProgress: null, provider: r.provider });
      const message = `the ${role} worker ended (${e.message ?? e.reason ?? 'unknown'}); model reloaded from the store in a fresh worker`;
      d.alerts.raise('worker_restarted', message, role);
      d.emit({ type: 'worker_restarted', role, modelId: r.modelId, reason: e.reason ?? 'internal', message, details: { restartMs: d.now() - t0, provider: r.provider, lostModelId: row.activeModelId } });
    } catch (err) {
      if (d.closed()) return;
      const ae = toAgentError(err);
      if (ae.code === 'aborted') return;
      d.setRole(role, { state: 'failed', activeModelId: null, pendingModelId: null, pendingProgress: null, lastErrorCode: ae.code, lastErrorMessage: ae.message });
      await d.deactivate(role).catch(() => undefined);
      d.emit({ type: 'activation_failed', role, modelId: row.activeModelId, reason: ae.code, message: `the ${role} worker ended and its model could not be reloaded: ${ae.message}`, details: { step: 'restart' } });
    } finally {
      reloading.delete(role);
    }
  }

  /** the model whose activation just fell back, per role: its 'activated' keeps the alert, a later one clears it */
  const fellBack = new Map<Role, string | undefined>();

  return (e) => {
    if (d.closed()) return;
    if (e.kind === 'host_activated') {
      if (fellBack.get(e.role) !== e.modelId && d.alerts.clear('provider_fallback', e.role)) d.changed();
      fellBack.delete(e.role);
    } else if (e.kind === 'worker_lost') {
      void workerLost(e.role, e);
    } else {
      const message = e.message ?? 'an execution provider was unavailable';
      fellBack.set(e.role, e.modelId);
      d.alerts.raise('provider_fallback', message, e.role);
      d.emit({ type: 'provider_fallback', role: e.role, ...(e.modelId ? { modelId: e.modelId } : {}), reason: e.reason ?? 'provider_unavailable', message, ...(e.details ? { details: e.details } : {}) });
    }
  };
}
