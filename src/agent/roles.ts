/**
 * The per-role state machine (DESIGN.md "Agent core": idle → fetching → verifying → loading → self_test →
 * active → committed | rolled_back | failed, and failed): the ONE place that decides what a role does. Its
 * inputs are typed (RoleInput): an accepted release, the activator's own events (a worker lost, a provider
 * fell back), the candidate guard's verdicts, the transport's connection, the disk's space coming back.
 * Restore on start (restore.ts), the rollback rules (rollback.ts), the host events' rules (host-inputs.ts)
 * and the download (download.ts) are its parts; it owns the role jobs and the order of activations.
 */
import { AgentError, toAgentError, type ErrorCode } from '../common/errors.js';
import { chooseRoleTarget, releaseExpired } from '../common/release-rules.js';
import { ROLES, type Release, type Role } from '../common/wire.js';
import type { ModelActivator } from './activation.js';
import type { AgentReporter } from './agent-status.js';
import type { AlertBoard } from './alerts.js';
import type { AgentConfig } from './config.js';
import { isDiskFull, type DiskWatch } from './disk-watch.js';
import type { DownloadHooks, Downloads } from './download.js';
import { guardDetails, guardMessage, type GuardInputs, type GuardVerdict } from './guard-inputs.js';
import { createHostInputs, type HostInput } from './host-inputs.js';
import { activateFirstGood } from './inference/restart.js';
import { restoreRoles } from './restore.js';
import { rolledBackKey, settledState, storedVersions, TRANSIENT_STATES } from './role-status.js';
import { pinnedModel, rollbackCandidate, rollbackToPrevious, type RollbackOptions, type RollbackCtx } from './rollback.js';
import type { Clock, Logger } from './runtime.js';
import type { BlobStore } from './store/blob-store.js';
import type { Registry } from './store/registry.js';
import { variantFallsBack, type ServedFile, type VariantServing } from './variant-serving.js';

export type RoleInput =
  /** a release accepted now, or the last accepted one resumed (start, space returned) */
  | { kind: 'release'; release: Release; seq: number }
  /** the activator's own events: a worker lost, a provider fallback, an activation it reports */
  | HostInput
  | GuardVerdict
  | { kind: 'transport'; connected: boolean }
  | { kind: 'space_returned' };

export interface RoleMachineDeps {
  config: AgentConfig;
  registry: Registry;
  blobs: BlobStore;
  activator: ModelActivator;
  clock: Clock;
  logger: Logger;
  alerts: AlertBoard;
  disk: DiskWatch;
  report: AgentReporter;
  downloads: Downloads;
  /** which file (base or variant) serves a release's model (issue 21 §1) */
  variants: VariantServing;
  guard: GuardInputs;
  isClosed(): boolean;
}

/** What a role should run. */
export interface Target {
  modelId: string;
  cohort: 'stable' | 'candidate';
  rolloutId?: string;
  /** state once active, when not the cohort's usual one (a guard revert ends in rolled_back) */
  finalState?: 'rolled_back';
}

interface RoleJob {
  modelId: string;
  abort: AbortController;
  done: Promise<void>;
}

type RolePatch = Parameters<Registry['updateRole']>[1];

/** Error codes an activator reports: a failure there is activation_failed, everything before is model_rejected. */
const ACTIVATION_CODES = new Set<ErrorCode>(['load_failed', 'contract_mismatch', 'self_test_failed', 'latency_budget_exceeded', 'provider_unavailable']);

export class RoleMachine {
  private readonly jobs = new Map<Role, RoleJob>();
  /** roles whose active model is actually loaded in the activator in this process */
  private readonly loaded = new Set<Role>();
  /** activations of one role run one at a time, so a superseded one can never land after its successor */
  private readonly activationChains = new Map<Role, Promise<unknown>>();
  private readonly hostInput: (i: HostInput) => void;
  private readonly rollbackCtx: RollbackCtx;

  constructor(private readonly d: RoleMachineDeps) {
    this.hostInput = createHostInputs({
      alerts: d.alerts,
      role: (role) => d.registry.getRole(role),
      setRole: (role, patch) => this.setRole(role, patch),
      reload: (role) => this.reloadActive(role),
      deactivate: (role) => d.activator.deactivate(role),
      emit: (e) => d.report.emit(e),
      changed: () => d.report.changed(),
      settledState,
      closed: () => d.isClosed(),
      now: () => d.clock.now(),
    });
    this.rollbackCtx = {
      channel: d.config.channel,
      registry: d.registry,
      blobs: d.blobs,
      report: d.report,
      isClosed: () => d.isClosed(),
      retarget: (role, target, release, seq) => this.ensureRole(role, target, release, seq),
      jobDone: (role) => this.jobs.get(role)?.done,
      stopGuard: (role) => d.guard.unwatch(role),
    };
  }

  /** Every input the roles react to. Resolves when the input's own work is over (a revert's activation, say). */
  input(i: RoleInput): Promise<void> {
    if (this.d.isClosed()) return Promise.resolve();
    switch (i.kind) {
      case 'release':
        this.applyRelease(i.release, i.seq);
        return Promise.resolve();
      case 'worker_lost':
      case 'provider_fallback':
      case 'host_activated':
        this.hostInput(i);
        return Promise.resolve();
      case 'guard_breach':
        return this.rollbackCandidate(i.role, { reason: 'guard_breach', message: guardMessage(i.evidence), details: guardDetails(i.evidence) });
      case 'guard_passed':
        this.commitCandidate(i.role);
        return Promise.resolve();
      case 'transport':
        // a dropped connection switches wildcard fetches to per-topic resume (no replay of held chunks)
        if (!i.connected) this.d.downloads.connectionLost();
        return Promise.resolve();
      case 'space_returned': {
        // downloads resume where they stopped (the release re-apply resumes every role)
        const last = this.d.registry.getAcceptedRelease(this.d.config.channel);
        if (last) this.applyRelease(last.release, last.seq);
        return Promise.resolve();
      }
    }
  }

  /** Restores the active models from the store (start), then watches a restored candidate. */
  async restore(): Promise<void> {
    await restoreRoles({
      registry: this.d.registry,
      blobs: this.d.blobs,
      activator: this.d.activator,
      report: this.d.report,
      persist: (w) => this.persist(w),
      markLoaded: (role) => this.loaded.add(role),
    });
    const release = this.d.registry.getAcceptedRelease(this.d.config.channel)?.release;
    for (const row of this.d.registry.listRoles())
      if (row.activeModelId && row.cohort === 'candidate' && row.state === 'active') this.d.guard.watch(row.role, row.activeModelId, release, this.d.variants.baseOf(row.activeModelId));
  }

  /** Reverts a role's candidate to the release's stable model (guard breach, or a manual request). */
  rollbackCandidate(role: Role, opts: RollbackOptions = {}): Promise<void> {
    return rollbackCandidate(this.rollbackCtx, role, opts);
  }

  /** Manual rollback (`rpa-agent rollback --role R`): see rollback.ts. */
  rollbackToPrevious(role: Role, opts: { message?: string } = {}): Promise<{ from: string; to: string }> {
    return rollbackToPrevious(this.rollbackCtx, role, opts);
  }

  /** The candidate passed its guard window: active → committed. */
  commitCandidate(role: Role): void {
    const row = this.d.registry.getRole(role);
    if (this.d.isClosed() || !row || row.cohort !== 'candidate' || row.state !== 'active' || !row.activeModelId) return;
    this.setRole(role, { state: 'committed' });
    this.d.guard.unwatch(role);
    this.d.report.emit({ type: 'committed', role, modelId: row.activeModelId, ...(row.rolloutId ? { details: { rolloutId: row.rolloutId } } : {}) });
  }

  /** Aborts every job and waits for them (close). */
  async stop(): Promise<void> {
    for (const job of this.jobs.values()) job.abort.abort();
    await Promise.allSettled([...this.jobs.values()].map((j) => j.done));
  }

  /** Models the running jobs need (`except`: one that ended). */
  private busy(except?: RoleJob): Set<string> {
    const out = new Set<string>();
    for (const j of this.jobs.values()) if (j !== except) out.add(j.modelId);
    return out;
  }

  // --- release → roles ------------------------------------------------------------------------------

  /** Chooses stable or candidate per role (common/release-rules.ts) and starts what is needed. */
  private applyRelease(release: Release, seq: number): void {
    const { config, registry } = this.d;
    this.d.downloads.dropUnnamed(release, this.busy());
    for (const role of ROLES) {
      const rr = release.roles[role];
      if (!rr) continue;
      // A shadow candidate runs beside the stable one in the service's shadow host; the active slot stays stable.
      const chosen = chooseRoleTarget(rr, config.agentId, config.labels, (c) => registry.getMeta(rolledBackKey(role, c.rolloutId, c.modelId)) !== undefined);
      let target: Target = { modelId: chosen.modelId, cohort: chosen.cohort, ...(chosen.rolloutId ? { rolloutId: chosen.rolloutId } : {}) };
      // a manual rollback holds until the fleet publishes a newer release
      const pinned = pinnedModel(registry, role, seq);
      if (pinned) target = { modelId: pinned, cohort: 'stable', finalState: 'rolled_back' };
      this.ensureRole(role, target, release, seq);
    }
  }

  private ensureRole(role: Role, target: Target, release: Release, seq: number): void {
    const job = this.jobs.get(role);
    if (job && job.modelId === target.modelId) return;
    if (job) job.abort.abort(); // superseded by a newer release
    const row = this.d.registry.getRole(role);
    if (this.d.variants.serves(row?.activeModelId, target.modelId) && row && this.loaded.has(role)) {
      // the target is already serving: a superseded job (a stalled fetch, say) must not leave the role fetching
      const moved = row.cohort !== target.cohort || row.rolloutId !== target.rolloutId;
      if (moved || TRANSIENT_STATES.has(row.state) || row.pendingModelId) {
        const state = moved || TRANSIENT_STATES.has(row.state) ? settledState(target.cohort) : row.state;
        this.d.registry.updateRole(role, { cohort: target.cohort, rolloutId: target.rolloutId ?? null, state, pendingModelId: null, pendingProgress: null }, this.d.report.nowIso());
        this.d.report.changed();
      }
      return;
    }
    const abort = new AbortController();
    const newJob: RoleJob = { modelId: target.modelId, abort, done: Promise.resolve() };
    this.jobs.set(role, newJob);
    newJob.done = this.runRoleJob(role, target, release, seq, newJob)
      .catch((e: unknown) => this.d.logger.error('role job failed', { role, error: String(e) })) // never a process crash
      .finally(() => {
        if (this.jobs.get(role) === newJob) this.jobs.delete(role);
      });
  }

  private async runRoleJob(role: Role, target: Target, release: Release, seq: number, job: RoleJob): Promise<void> {
    const { modelId } = target;
    const { registry, report } = this.d;
    const signal = job.abort.signal;
    try {
      const stored = registry.getModel(modelId);
      if (stored && stored.role !== role) throw new AgentError('model_role_mismatch', `model ${modelId} is a ${stored.role}, the release names it as ${role}`);
      const hooks = {
        onProgress: (p: number) => {
          registry.updateRole(role, { pendingProgress: p }, report.nowIso());
          report.emit({ type: 'download_progress', role, modelId, details: { progress: p } });
          report.publishStatus();
        },
        onFetched: () => this.setRole(role, { state: 'verifying', pendingProgress: 1 }),
      };
      // the base file or a variant (variant-serving.ts); a stored one is an instant switch (e.g. rollback)
      let file: ServedFile = stored && this.d.blobs.hasBlob(modelId) && !stored.manifest.variants?.length ? { modelId, manifest: stored.manifest, baseModelId: modelId } : await this.obtain(role, modelId, signal, hooks);
      if (signal.aborted) throw new AgentError('aborted', 'superseded');
      // Freeze attack: a release that expired while its model was on the way activates nothing.
      if (releaseExpired(release, this.d.clock.now()))
        throw new AgentError('release_expired', `release ${seq} expired at ${release.expires} before activation; keeping the active model`);
      try {
        await this.activate(role, target, file, signal, seq);
      } catch (e) {
        // [issue 21 §1] a variant that fails a gate gives way to the base file; the active model served meanwhile
        if (!file.variant || !variantFallsBack(e, signal) || this.d.isClosed()) throw e;
        file = await this.d.variants.fallbackAfter(role, file, e, signal, hooks);
        await this.activate(role, target, file, signal, seq);
      }
    } catch (e) {
      this.jobFailed(role, target, seq, job, e);
    }
  }

  private obtain(role: Role, modelId: string, signal: AbortSignal, hooks: DownloadHooks): Promise<ServedFile> {
    this.setRole(role, { state: 'fetching', pendingModelId: modelId, pendingProgress: 0, lastErrorCode: null, lastErrorMessage: null });
    // the provider the role runs on; before any load, the first configured one (else cpu): docs/OPERATIONS.md "Variants"
    const provider = this.d.registry.getRole(role)?.provider ?? this.d.config.inference.providers?.[0] ?? 'cpu';
    return this.d.variants.obtain(role, modelId, provider, signal, hooks);
  }

  private jobFailed(role: Role, { modelId }: Target, seq: number, job: RoleJob, e: unknown): void {
    const { registry, report } = this.d;
    const err = toAgentError(e);
    const closed = this.d.isClosed();
    // Disk full: the download pauses (its partial file kept) until the disk watch sees space again.
    if (isDiskFull(e) && !closed) {
      this.d.disk.full(`storing ${role} model ${modelId.slice(0, 12)}: ${err.message}`);
      const row = registry.getRole(role);
      const state = row?.activeModelId && this.loaded.has(role) ? settledState(row.cohort) : 'idle';
      return this.persist(() => this.setRole(role, { state, pendingModelId: null, pendingProgress: null, lastErrorCode: 'disk_full', lastErrorMessage: err.message }));
    }
    if (err.code === 'aborted' || closed) {
      if (!closed) {
        this.d.logger.info('role job superseded', { role, modelId });
        this.d.downloads.dropIfUnwanted(modelId, this.busy(job));
      }
      return;
    }
    // The active model (if any) keeps serving: nothing was written to the active slot, so the role
    // shows the active model's settled state with lastError; only a role with nothing serving is "failed".
    const row = registry.getRole(role);
    const state = row?.activeModelId && this.loaded.has(role) ? settledState(row.cohort) : 'failed';
    this.setRole(role, { state, pendingModelId: null, pendingProgress: null, lastErrorCode: err.code, lastErrorMessage: err.message });
    this.d.downloads.collectGarbage(role, this.busy(job)); // a rejected model's blob is not kept (issue 17 §1)
    report.emit({
      type: ACTIVATION_CODES.has(err.code) ? 'activation_failed' : err.code === 'release_expired' ? 'release_rejected' : 'model_rejected',
      role,
      modelId,
      channel: this.d.config.channel,
      releaseSeq: seq,
      reason: err.code,
      message: err.message,
      ...(err.details ? { details: err.details } : {}),
    });
  }

  // --- activation -------------------------------------------------------------------------------------

  private activate(role: Role, target: Target, file: ServedFile, signal: AbortSignal, seq: number): Promise<void> {
    const run = (this.activationChains.get(role) ?? Promise.resolve())
      .catch(() => {})
      .then(() => {
        if (signal.aborted || this.d.isClosed()) throw new AgentError('aborted', 'superseded');
        return this.activateNow(role, target, file, signal, seq);
      });
    this.activationChains.set(role, run);
    return run;
  }

  private async activateNow(role: Role, target: Target, file: ServedFile, signal: AbortSignal, seq: number): Promise<void> {
    // the file that serves (a variant's own sha256, or the base's) is what loads, is stored and is active
    const { modelId, manifest } = file;
    const { registry, report } = this.d;
    this.setRole(role, { state: 'loading', pendingModelId: modelId, pendingProgress: 1 });
    const bytes = await this.d.blobs.read(modelId); // decrypted into memory only
    const result = await this.d.activator.activate({
      role,
      modelId,
      manifest,
      bytes,
      transferBytes: true, // read from the store for this activation only (no copy on the event loop, issue 17 §2)
      signal,
      onStage: (stage) => {
        if (!signal.aborted && !this.d.isClosed()) this.setRole(role, { state: stage });
      },
    });
    const prev = registry.getRole(role)?.activeModelId;
    this.loaded.add(role);
    registry.touchModel(modelId, report.nowIso());
    this.setRole(role, {
      state: target.finalState ?? settledState(target.cohort),
      activeModelId: modelId,
      previousModelId: prev && prev !== modelId ? prev : null,
      pendingModelId: null,
      pendingProgress: null,
      provider: result.provider,
      cohort: target.cohort,
      rolloutId: target.rolloutId ?? null,
      lastErrorCode: null,
      lastErrorMessage: null,
    });
    // a candidate is watched by the guard with its release's gates; anything else ends a watch
    if (target.cohort === 'candidate') this.d.guard.watch(role, modelId, registry.getAcceptedRelease(this.d.config.channel)?.release, target.modelId);
    else this.d.guard.unwatch(role);
    report.emit({
      type: 'activated',
      role,
      modelId: target.modelId,
      channel: this.d.config.channel,
      releaseSeq: seq,
      details: { cohort: target.cohort, provider: result.provider, name: manifest.name, version: manifest.version, variant: file.variant?.name ?? 'fp32', ...(file.variant ? { variantSha256: file.variant.sha256 } : {}), ...(result.warmupP95Ms !== undefined ? { warmupP95Ms: result.warmupP95Ms } : {}) },
    });
    this.d.downloads.collectGarbage(role, this.busy());
  }

  /** The role's active model (else the previous good stored one) loaded again, in turn with the role's activations. */
  private reloadActive(role: Role): Promise<{ modelId: string; provider: string }> {
    const run = (this.activationChains.get(role) ?? Promise.resolve())
      .catch(() => {})
      .then(() => {
        const row = this.d.registry.getRole(role);
        if (this.d.isClosed() || !row?.activeModelId) throw new AgentError('aborted', 'nothing to reload');
        return activateFirstGood(this.d.activator, role, storedVersions(this.d.registry, this.d.blobs, role, row.activeModelId, row.previousModelId));
      });
    this.activationChains.set(role, run);
    return run;
  }

  // --- persistence ------------------------------------------------------------------------------------

  /** A registry write that may meet a full disk: then reported (disk_full) instead of thrown. */
  persist(write: () => void): void {
    try {
      write();
    } catch (e) {
      if (!isDiskFull(e)) throw e;
      this.d.disk.full(`writing the registry: ${(e as Error).message}`);
      this.d.report.changed();
    }
  }

  private setRole(role: Role, patch: RolePatch): void {
    this.d.registry.updateRole(role, patch, this.d.report.nowIso());
    this.d.report.changed();
  }
}
