/**
 * The agent core's composition root (DESIGN.md "Agent core"): config, trust, registry, blob store,
 * MQTT transport, release handling, model fetch and the activation hook, wired here and nowhere else.
 *
 *   const agent = await createAgent({ config, secretStore, activator, clock, logger });
 *   agent.snapshot(); agent.subscribe(listener); await agent.close();
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { platform } from 'node:os';
import { AgentError, toAgentError, type ErrorCode } from '../common/errors.js';
import { takesCandidate } from '../common/selector.js';
import { topics as topicsFor, type Topics } from '../common/topics.js';
import { MAX_MANIFEST_BYTES, ROLES, type AgentEvent, type AgentStatus, type Cohort, type ModelManifest, type Release, type Role, type RoleStatus } from '../common/wire.js';
import type { ModelActivator } from './activation.js';
import { createAuditLog, type AuditLog } from './audit.js';
import type { AgentConfig } from './config.js';
import { ChunkFetch, type OriginFallback } from './fetch/chunk-fetch.js';
import { fetchProgressReporter } from './fetch/progress.js';
import { createOriginClient } from './fetch/origin-client.js';
import { systemClock, systemTimers, silentLogger, type Clock, type Logger, type Timers } from './runtime.js';
import { getOrCreateSecret, SecretAccounts, type SecretStore } from './secrets/secret-store.js';
import { BlobStore, newModelKey } from './store/blob-store.js';
import type { Registry, RoleRow } from './store/registry.js';
import { MqttTransport } from './transport/mqtt-transport.js';
import { EnvelopeVerifier, loadTrustFile } from './trust/trust-store.js';
import { TrustUpdates } from './trust/trust-updates.js';
import { withGraphScan } from './trust/graph-gate.js';
import type { TrustFile } from '../common/trust-file.js';
import { activateFirstGood, type StoredVersion } from './inference/restart.js';
import type { OutboxClient } from './telemetry/outbox.js';
import { pinKey, rolledBackKey, roleStatusFrom, storedVersions } from './role-status.js';
import { AlertBoard } from './alerts.js';
import { createHostInputs } from './host-inputs.js';
import { ReleaseExpiryWatch } from './release-expiry.js';
import { checkManifest } from './manifest-checks.js';
import { DiskWatch, ensureReserve, isDiskFull, openRegistry } from './disk-watch.js';
import { EventSeq } from './event-seq.js';
import { waitForManifest, waitUntil } from './wait.js';

export { rollbackInRegistry, roleStatusFrom } from './role-status.js';

export const AGENT_VERSION = '0.1.0';
const RECENT_EVENTS = 200;

export interface AgentDeps {
  config: AgentConfig;
  secretStore: SecretStore;
  activator: ModelActivator;
  clock?: Clock;
  timers?: Timers;
  random?: () => number;
  logger?: Logger;
  agentVersion?: string;
  /** overrides reading config.trustFile (tests) */
  trust?: TrustFile;
}

export interface AgentSnapshot extends AgentStatus {
  connected: boolean;
  recentEvents: AgentEvent[];
}

export type AgentChange = { kind: 'event'; event: AgentEvent } | { kind: 'status'; status: AgentSnapshot };

interface Target {
  modelId: string;
  cohort: Cohort;
  rolloutId?: string;
  /** state once active, when not the cohort's usual one (a guard revert ends in rolled_back) */
  finalState?: 'rolled_back';
}


interface RoleJob {
  modelId: string;
  abort: AbortController;
  fetch?: ChunkFetch;
  done: Promise<void>;
}

/** Error codes an activator reports: a failure there is activation_failed, everything before is model_rejected. */
const ACTIVATION_CODES = new Set<ErrorCode>(['load_failed', 'contract_mismatch', 'self_test_failed', 'latency_budget_exceeded', 'provider_unavailable']);
const TRANSIENT_STATES = new Set(['fetching', 'verifying', 'loading', 'self_test']);

export class Agent {
  readonly config: AgentConfig;
  readonly ready: Promise<void>;
  private readonly t: Topics;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private readonly agentVersion: string;
  private readonly listeners = new Set<(c: AgentChange) => void>();
  private readonly recent: AgentEvent[] = [];
  private readonly jobs = new Map<Role, RoleJob>();
  private readonly manifestWaiters = new Map<string, { resolve: (raw: Buffer) => void }>();
  /** roles whose active model is actually loaded in the activator in this process */
  private readonly loaded = new Set<Role>();
  /** activations of one role run one at a time, so a superseded one can never land after its successor */
  private readonly activationChains = new Map<Role, Promise<unknown>>();
  /** digests of release messages already rejected: a retained bad release redelivered on every reconnect is reported once */
  private readonly rejectedReleases = new Set<string>();
  private readonly transport: MqttTransport;
  /** trust statements over the wire (issue 20 §1): rotate the keys the verifier uses */
  private readonly trustUpdates: TrustUpdates;
  /** shadow candidates being fetched (chunks are routed to them too) and kept in the store while in use */
  private readonly shadowFetches = new Map<string, ChunkFetch>();
  private readonly shadowKeep = new Set<string>();
  private closed = false;
  /** standing conditions shown in status (alerts.ts) */
  readonly alerts = new AlertBoard(() => this.nowIso());
  private offHostEvents: (() => void) | undefined;
  private readonly expiry: ReleaseExpiryWatch;
  private readonly disk: DiskWatch;
  private readonly eventSeq: EventSeq;
  /** what snapshot() returns once closed (the registry is gone by then) */
  private finalSnapshot: AgentSnapshot | undefined;
  private resolveReady!: () => void;

  constructor(
    private readonly deps: Required<Pick<AgentDeps, 'config' | 'activator'>> & AgentDeps,
    private readonly registry: Registry,
    private readonly blobs: BlobStore,
    private readonly verifier: EnvelopeVerifier,
    private readonly audit: AuditLog,
    brokerPassword: string | undefined,
  ) {
    this.config = deps.config;
    this.t = topicsFor(this.config.topicPrefix);
    this.clock = deps.clock ?? systemClock;
    this.timers = deps.timers ?? systemTimers;
    this.logger = deps.logger ?? silentLogger;
    this.agentVersion = deps.agentVersion ?? AGENT_VERSION;
    this.ready = new Promise<void>((r) => (this.resolveReady = r));
    this.eventSeq = new EventSeq(registry);
    this.disk = new DiskWatch({
      dir: this.config.dataDir,
      ...this.config.disk,
      timers: this.timers,
      onFull: (message, fresh) => {
        this.alerts.raise('disk_full', message);
        if (fresh) this.emit({ type: 'disk_full', reason: 'disk_full', message, details: { freeBytes: this.disk.freeBytes() } });
        this.changed();
      },
      // space returned: downloads resume where they stopped (the release re-apply resumes every role)
      onSpace: () => {
        ensureReserve(this.config.dataDir);
        this.alerts.clear('disk_full');
        this.changed();
        const last = this.registry.getAcceptedRelease(this.config.channel);
        if (last && !this.closed) this.applyRelease(last.release, last.seq);
      },
    });
    this.trustUpdates = new TrustUpdates({ verifier, dataDir: this.config.dataDir, prefix: this.config.topicPrefix, now: () => this.clock.now(), emit: (e) => void this.emit(e) });
    this.expiry = new ReleaseExpiryWatch({ clock: this.clock, timers: this.timers, onExpired: (seq, expires) => this.releaseExpired(seq, expires, 'the active release') });
    this.transport = new MqttTransport({
      broker: this.config.broker,
      clientId: this.config.agentId, // DESIGN.md: client id = agent id (the ACL confines it to agents/{id}/#)
      ...(brokerPassword !== undefined ? { password: brokerPassword } : {}),
      will: { topic: this.t.agentStatus(this.config.agentId), payload: () => JSON.stringify(this.status(false)) },
      timers: this.timers,
      random: deps.random ?? Math.random,
      logger: this.logger,
      onMessage: (topic, payload) => this.onMessage(topic, payload),
      onConnect: () => {
        this.publishStatus();
        this.resolveReady();
        this.notify();
      },
      onDisconnect: () => this.notify(),
    });
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  // --- lifecycle ------------------------------------------------------------------------------------

  /** Restores the active models from the store, then connects and follows the channel. */
  async start(): Promise<void> {
    // host events are inputs to the role state machine (host-inputs.ts), from the restore on
    this.offHostEvents = this.deps.activator.on?.(
      createHostInputs({
        alerts: this.alerts,
        role: (role) => this.registry.getRole(role),
        setRole: (role, patch) => this.setRole(role, patch),
        reload: (role) => this.reloadActive(role),
        deactivate: (role) => this.deps.activator.deactivate(role),
        emit: (e) => this.emit(e),
        changed: () => this.changed(),
        settledState: (c) => this.settledState(c),
        closed: () => this.closed,
        now: () => this.clock.now(),
      }),
    );
    await this.restore();
    this.disk.checkNow();
    this.trustUpdates.restore();
    this.transport.start();
    this.transport.subscribe([this.t.release(this.config.channel), this.trustUpdates.filter]);
    // Resume whatever the last accepted release asked for (a crash may have interrupted it).
    const last = this.registry.getAcceptedRelease(this.config.channel);
    if (last) this.expiry.arm(last.seq, last.release.expires);
    if (last) this.applyRelease(last.release, last.seq);
  }

  /** Freeze attack: report release_expired (event + status alert) once per episode; what is active keeps serving. */
  private releaseExpired(seq: number, expires: string, which: string): void {
    if (this.closed) return;
    const message = `${which} (seq ${seq}) expired at ${expires}; keeping the active models, activating nothing new until a fresh release arrives`;
    const fresh = this.alerts.raise('release_expired', message);
    this.emit({ type: 'release_expired', channel: this.config.channel, releaseSeq: seq, reason: 'release_expired', message, details: { expires, repeated: !fresh } });
    this.changed();
  }

  private async restore(): Promise<void> {
    // Crash leftovers: partial files without a fetch record, fetch records without their partial file,
    // blobs the registry does not know.
    const fetches = new Set(this.registry.listFetches().map((f) => f.modelId));
    for (const id of this.blobs.listPartials()) if (!fetches.has(id)) this.blobs.removePartial(id);
    for (const id of fetches) if (!existsSync(this.blobs.partialPath(id))) this.registry.deleteFetch(id);
    const known = new Set(this.registry.listModels().map((m) => m.modelId));
    for (const id of this.blobs.listBlobs()) if (!known.has(id) && !fetches.has(id)) this.blobs.removeBlob(id);

    for (const row of this.registry.listRoles()) {
      if (TRANSIENT_STATES.has(row.state)) {
        // A crash mid-pipeline reverts the role to what was serving; the release re-apply resumes the rest.
        this.registry.updateRole(row.role, { state: row.activeModelId ? this.settledState(row.cohort) : 'idle', pendingModelId: null, pendingProgress: null }, this.nowIso());
        this.emit({ type: 'store_recovered', role: row.role, ...(row.pendingModelId ? { modelId: row.pendingModelId } : {}), message: `interrupted in state ${row.state}; resuming` });
      }
      if (!row.activeModelId) continue;
      // Restart safety (issue 3 §7): the active model's bytes are re-verified (blob read checks the sha256,
      // the host re-hashes before loading); a version that fails falls back to the previous good stored one.
      const versions = this.storedVersions(row.role, row.activeModelId, row.previousModelId);
      try {
        const r = await activateFirstGood(this.deps.activator, row.role, versions);
        this.loaded.add(row.role);
        for (const s of r.skipped) {
          if (s.code === 'store_corrupt' || s.code === 'sha256_mismatch' || s.code === 'not_found') {
            // A blob that no longer decrypts to its sha256 is dropped, so the release re-apply fetches it afresh.
            this.registry.deleteModel(s.modelId);
            this.blobs.removeBlob(s.modelId);
          }
        }
        if (r.modelId === row.activeModelId) {
          this.persist(() => this.registry.updateRole(row.role, { provider: r.provider }, this.nowIso()));
        } else {
          const first = r.skipped[0]!;
          this.registry.touchModel(r.modelId, this.nowIso());
          // The fallback is a previously serving version: stable cohort; the release re-apply then
          // fetches what the release names again.
          this.registry.updateRole(
            row.role,
            { state: 'committed', activeModelId: r.modelId, previousModelId: null, provider: r.provider, cohort: 'stable', rolloutId: null, lastErrorCode: first.code, lastErrorMessage: first.message },
            this.nowIso(),
          );
          this.emit({
            type: 'store_recovered',
            role: row.role,
            modelId: r.modelId,
            reason: first.code === 'sha256_mismatch' ? 'store_corrupt' : first.code,
            message: `active ${row.role} model ${first.modelId.slice(0, 12)} failed on restart (${first.code}); fell back to the stored ${r.modelId.slice(0, 12)}`,
            details: { skipped: r.skipped, failedModelId: first.modelId },
          });
        }
      } catch (e) {
        const err = toAgentError(e);
        const skipped = (err.details?.skipped as { modelId: string; code: string }[] | undefined) ?? [];
        for (const s of skipped) {
          if (s.code === 'store_corrupt' || s.code === 'sha256_mismatch' || s.code === 'not_found') {
            this.registry.deleteModel(s.modelId);
            this.blobs.removeBlob(s.modelId);
          }
        }
        const code = skipped[0]?.code ?? err.code;
        const message = skipped.length > 0 ? `no stored ${row.role} model could be activated: ${skipped.map((s) => `${s.modelId.slice(0, 12)} ${s.code}`).join(', ')}` : err.message;
        this.registry.updateRole(row.role, { state: 'failed', activeModelId: null, lastErrorCode: code, lastErrorMessage: message }, this.nowIso());
        this.emit({ type: 'activation_failed', role: row.role, modelId: row.activeModelId, reason: code, message });
      }
    }
  }

  /** The role's active model (else the previous good stored one) loaded again, in turn with the role's activations. */
  private reloadActive(role: Role): Promise<{ modelId: string; provider: string }> {
    const run = (this.activationChains.get(role) ?? Promise.resolve())
      .catch(() => {})
      .then(() => {
        const row = this.registry.getRole(role);
        if (this.closed || !row?.activeModelId) throw new AgentError('aborted', 'nothing to reload');
        return activateFirstGood(this.deps.activator, role, this.storedVersions(role, row.activeModelId, row.previousModelId));
      });
    this.activationChains.set(role, run);
    return run;
  }

  private storedVersions(role: Role, activeModelId: string, previousModelId: string | undefined): StoredVersion[] {
    return storedVersions(this.registry, this.blobs, role, activeModelId, previousModelId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.offHostEvents?.();
    this.expiry.dispose();
    this.disk.dispose();
    for (const job of this.jobs.values()) job.abort.abort();
    for (const w of this.manifestWaiters.values()) w.resolve(Buffer.alloc(0));
    await Promise.allSettled([...this.jobs.values()].map((j) => j.done));
    await this.transport.close([{ topic: this.t.agentStatus(this.config.agentId), payload: JSON.stringify(this.status(false)) }]);
    await this.deps.activator.close().catch(() => {});
    await this.audit.close();
    this.finalSnapshot = { ...this.status(false), connected: false, recentEvents: [...this.recent] };
    this.registry.close();
    this.listeners.clear();
  }

  // --- observation ------------------------------------------------------------------------------------

  snapshot(): AgentSnapshot {
    if (this.finalSnapshot) return { ...this.finalSnapshot, recentEvents: [...this.finalSnapshot.recentEvents] };
    return { ...this.status(this.transport.connected), connected: this.transport.connected, recentEvents: [...this.recent] };
  }

  /** Listens to every event and status change; returns the unsubscribe function. */
  subscribe(listener: (c: AgentChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first snapshot satisfying `predicate` (checked now and on every change). */
  waitFor(predicate: (s: AgentSnapshot) => boolean, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<AgentSnapshot> {
    return this.waitUntil(() => {
      const s = this.snapshot();
      return predicate(s) ? s : undefined;
    }, opts);
  }

  /** Resolves with the first event (already recorded or future) satisfying `predicate`. */
  waitForEvent(predicate: (e: AgentEvent) => boolean, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<AgentEvent> {
    return this.waitUntil(() => this.recent.find(predicate), opts);
  }

  private waitUntil<T>(probe: () => T | undefined, opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<T> {
    return waitUntil((onChange) => this.subscribe(onChange), this.timers, probe, opts);
  }

  private status(online: boolean): AgentStatus {
    const roles: AgentStatus['roles'] = {};
    for (const row of this.registry.listRoles()) roles[row.role] = this.roleStatus(row);
    const rel = this.registry.getAcceptedRelease(this.config.channel);
    return {
      agentId: this.config.agentId,
      online,
      ts: this.nowIso(),
      agentVersion: this.agentVersion,
      platform: `${platform()}-${process.arch}`,
      channel: this.config.channel,
      ...(rel ? { releaseSeq: rel.seq } : {}),
      roles,
      labels: { ...this.config.labels },
      ...(this.alerts.list().length ? { alerts: this.alerts.list() } : {}),
    };
  }

  private roleStatus(row: RoleRow): RoleStatus {
    return roleStatusFrom(row, this.registry);
  }

  private publishStatus(): void {
    if (this.closed) return;
    this.transport.publish(this.t.agentStatus(this.config.agentId), JSON.stringify(this.status(true)), { qos: 1, retain: true });
  }

  private notify(event?: AgentEvent): void {
    const change: AgentChange = event ? { kind: 'event', event } : { kind: 'status', status: this.snapshot() };
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (e) {
        this.logger.warn('listener failed', { error: (e as Error).message });
      }
    }
  }

  /** A state change: persisted already by the caller; published (retained) and told to listeners. */
  private changed(): void {
    this.publishStatus();
    this.notify();
  }

  // --- events ---------------------------------------------------------------------------------------

  /** Every accept and every rejection: audit log line + `agents/{id}/events` (QoS 1) + listeners. */
  private emit(e: Omit<AgentEvent, 'agentId' | 'ts' | 'seq'>): AgentEvent {
    const event: AgentEvent = { agentId: this.config.agentId, ts: this.nowIso(), epoch: this.eventSeq.epoch(), seq: this.eventSeq.next((err) => this.disk.full(String(err))), ...e };
    if (event.message && event.message.length > 2048) event.message = event.message.slice(0, 2045) + '...';
    this.recent.push(event);
    if (this.recent.length > RECENT_EVENTS) this.recent.shift();
    this.audit.write({ ...event });
    this.transport.publish(this.t.agentEvents(this.config.agentId), JSON.stringify(event), { qos: 1, retain: false });
    const level = e.reason ? 'warn' : 'info';
    this.logger[level](e.type, { role: e.role, modelId: e.modelId, reason: e.reason, message: e.message });
    this.notify(event);
    return event;
  }

  // --- inbound messages -------------------------------------------------------------------------------

  private onMessage(topic: string, payload: Buffer): void {
    if (this.closed) return;
    if (topic === this.t.release(this.config.channel)) return this.onRelease(payload);
    if (this.trustUpdates.onMessage(topic, payload)) return;
    const chunk = this.t.parseChunkTopic(topic);
    if (chunk) {
      for (const job of this.jobs.values()) if (job.fetch && job.modelId === chunk.modelId) job.fetch.onChunk(chunk.index, payload);
      this.shadowFetches.get(chunk.modelId)?.onChunk(chunk.index, payload);
      return;
    }
    const m = /^(.*)\/models\/([0-9a-f]{64})\/manifest$/.exec(topic);
    if (m && m[1] === this.config.topicPrefix) this.manifestWaiters.get(m[2]!)?.resolve(payload);
  }

  private onRelease(raw: Buffer): void {
    if (raw.length === 0) return; // a cleared retained message
    const channel = this.config.channel;
    const digest = createHash('sha256').update(raw).digest('hex');
    if (this.rejectedReleases.has(digest)) return;
    const reject = (err: AgentError, extra: Partial<AgentEvent> = {}) => {
      if (this.rejectedReleases.size >= 256) this.rejectedReleases.clear();
      this.rejectedReleases.add(digest);
      this.emit({ type: 'release_rejected', channel, reason: err.code, message: err.message, ...extra });
    };
    if (raw.length > MAX_MANIFEST_BYTES) return reject(new AgentError('bad_envelope', `release message is ${raw.length} bytes, over the 1 MiB bound`));
    let release: Release;
    try {
      release = this.verifier.verifyRelease(raw).value;
    } catch (e) {
      return reject(toAgentError(e, 'bad_envelope'));
    }
    if (release.channel !== channel)
      return reject(new AgentError('release_wrong_channel', `release is for channel ${release.channel}, this agent follows ${channel}`), { releaseSeq: release.seq });
    const last = this.registry.getAcceptedRelease(channel);
    if (last && last.seq === release.seq && last.digest === digest) return; // the retained release, delivered again
    if (last && release.seq <= last.seq)
      return reject(new AgentError('release_replayed', `release seq ${release.seq} is not above the last accepted ${last.seq}`), { releaseSeq: release.seq });
    if (Date.parse(release.expires) <= this.clock.now()) {
      reject(new AgentError('release_expired', `release ${release.seq} expired at ${release.expires}; keeping the active models`), { releaseSeq: release.seq });
      return this.releaseExpired(release.seq, release.expires, 'a published release');
    }
    try {
      this.registry.acceptRelease(channel, release.seq, digest, release, this.nowIso());
    } catch (e) {
      return reject(toAgentError(e), { releaseSeq: release.seq });
    }
    this.emit({ type: 'release_accepted', channel, releaseSeq: release.seq, details: { expires: release.expires } });
    this.alerts.clear('release_expired');
    this.expiry.arm(release.seq, release.expires);
    this.applyRelease(release, release.seq);
    this.changed();
  }

  // --- candidate guard hooks (the inference host's CandidateGuard calls these) ----------------------

  /**
   * Reverts a role's candidate to the accepted release's stable model (DESIGN.md "Agent core":
   * active → rolled back). The stable model comes from the store when kept there (instant), else it is
   * fetched. This rollout is remembered so re-applying the same release does not take it again.
   */
  async rollbackCandidate(role: Role, opts: { reason?: ErrorCode; message?: string; details?: Record<string, unknown> } = {}): Promise<void> {
    const row = this.registry.getRole(role);
    if (this.closed || !row || row.cohort !== 'candidate' || !row.activeModelId) return;
    this.registry.setMeta(rolledBackKey(role, row.rolloutId, row.activeModelId), this.nowIso());
    const last = this.registry.getAcceptedRelease(this.config.channel);
    const stable = last?.release.roles[role]?.stable;
    this.emit({
      type: 'rolled_back',
      role,
      modelId: row.activeModelId,
      channel: this.config.channel,
      ...(last ? { releaseSeq: last.seq } : {}),
      reason: opts.reason ?? 'guard_breach',
      message: opts.message ?? `candidate ${row.activeModelId.slice(0, 12)} rolled back to the stable model`,
      details: { ...(opts.details ?? {}), ...(row.rolloutId ? { rolloutId: row.rolloutId } : {}), ...(stable ? { stable } : {}) },
    });
    if (!last || !stable) return;
    this.ensureRole(role, { modelId: stable, cohort: 'stable', finalState: 'rolled_back' }, last.release, last.seq);
    await this.jobs.get(role)?.done;
  }

  /** The candidate passed its guard window: active → committed. */
  commitCandidate(role: Role): void {
    const row = this.registry.getRole(role);
    if (this.closed || !row || row.cohort !== 'candidate' || row.state !== 'active' || !row.activeModelId) return;
    this.setRole(role, { state: 'committed' });
    this.emit({ type: 'committed', role, modelId: row.activeModelId, ...(row.rolloutId ? { details: { rolloutId: row.rolloutId } } : {}) });
  }

  // --- hooks for the service composition root (src/agent/service.ts) ---------------------------------

  /** Reports an event raised outside the core (bot endpoint alarm, …): audit line + events topic + listeners. */
  report(e: Omit<AgentEvent, 'agentId' | 'ts' | 'seq'>): AgentEvent | undefined {
    if (this.closed) return undefined;
    return this.emit(e);
  }

  /** One line in the audit log that is not an agent event (bot endpoint auth, admin actions). */
  auditLine(entry: Record<string, unknown>): void {
    if (!this.closed) this.audit.write(entry);
  }

  /** The release this agent follows now (verified and accepted), if any. */
  acceptedRelease(): { release: Release; seq: number } | undefined {
    if (this.closed) return undefined;
    const last = this.registry.getAcceptedRelease(this.config.channel);
    return last ? { release: last.release, seq: last.seq } : undefined;
  }

  /** The verified manifest of a stored model (the trust path already checked it). */
  storedManifest(modelId: string): ModelManifest | undefined {
    if (this.closed) return undefined;
    return this.registry.getModel(modelId)?.manifest;
  }

  /**
   * The agent's one MQTT connection as an at-least-once publisher for SQLite outboxes (telemetry windows,
   * feedback): publish calls back on PUBACK, and 'connect' fires on every (re)connect.
   */
  outboxClient(): OutboxClient {
    const t = this.transport;
    return {
      get connected() {
        return t.connected;
      },
      publish: (topic, payload, opts, cb) => t.publishAcked(topic, payload, opts, cb),
      on: (_event, cb) => t.addConnectListener(cb),
      removeListener: (_event, cb) => t.removeConnectListener(cb),
    };
  }

  /**
   * Manual rollback (`rpa-agent rollback --role R`): a candidate goes back to the release's stable model
   * (as a guard revert does); a stable model goes back to the previous version kept in the store, and
   * the role stays pinned to it until a newer release arrives. Instant when the version is stored.
   */
  async rollbackToPrevious(role: Role, opts: { message?: string } = {}): Promise<{ from: string; to: string }> {
    const row = this.registry.getRole(role);
    if (this.closed) throw new AgentError('aborted', 'agent is closed');
    if (!row?.activeModelId) throw new AgentError('no_model', `no ${role} model is active`);
    const from = row.activeModelId;
    if (row.cohort === 'candidate') {
      await this.rollbackCandidate(role, { reason: 'manual_rollback', message: opts.message ?? `candidate ${from.slice(0, 12)} rolled back by the local administrator` });
      const now = this.registry.getRole(role);
      if (now?.activeModelId === from) throw new AgentError('not_found', `the release names no stable ${role} model to go back to`);
      return { from, to: now?.activeModelId ?? '' };
    }
    const prev = row.previousModelId;
    if (!prev || !this.registry.getModel(prev) || !this.blobs.hasBlob(prev)) throw new AgentError('not_found', `no previous ${role} version is kept in the store`);
    const last = this.registry.getAcceptedRelease(this.config.channel);
    if (!last) throw new AgentError('not_found', 'no release has been accepted yet');
    this.registry.setMeta(pinKey(role), JSON.stringify({ modelId: prev, releaseSeq: last.seq }));
    this.emit({
      type: 'rolled_back',
      role,
      modelId: from,
      channel: this.config.channel,
      releaseSeq: last.seq,
      reason: 'manual_rollback',
      message: opts.message ?? `${role} ${from.slice(0, 12)} rolled back to the previous version ${prev.slice(0, 12)} by the local administrator`,
      details: { previous: prev, pinnedUntilReleaseAfter: last.seq },
    });
    this.ensureRole(role, { modelId: prev, cohort: 'stable', finalState: 'rolled_back' }, last.release, last.seq);
    await this.jobs.get(role)?.done;
    const now = this.registry.getRole(role);
    if (now?.activeModelId !== prev) throw new AgentError(now?.lastErrorCode === 'store_corrupt' ? 'store_corrupt' : 'load_failed', now?.lastErrorMessage ?? `could not activate ${prev}`);
    return { from, to: prev };
  }

  /**
   * A shadow candidate (release `shadow: true`): fetched and verified over the same trust path as any model
   * (signed manifest, per-chunk sha256, whole-file size and sha256; the blob read re-checks the sha256), kept
   * in the store, but never put in the role's active slot. Returns the manifest and the decrypted bytes for
   * the service's shadow inference host. The role's own state is left alone.
   */
  async fetchShadowModel(role: Role, modelId: string, opts: { signal?: AbortSignal } = {}): Promise<{ manifest: ModelManifest; bytes: Uint8Array }> {
    if (this.closed) throw new AgentError('aborted', 'agent is closed');
    const signal = opts.signal ?? new AbortController().signal;
    this.shadowKeep.add(modelId);
    let stored = this.registry.getModel(modelId);
    if (!stored || !this.blobs.hasBlob(modelId)) {
      try {
        await this.download(role, modelId, signal, {
          shadow: true,
          track: (f) => (f ? this.shadowFetches.set(modelId, f) : this.shadowFetches.delete(modelId)),
        });
      } catch (e) {
        const err = toAgentError(e);
        if (err.code !== 'aborted') this.emit({ type: 'model_rejected', role, modelId, reason: err.code, message: `shadow candidate: ${err.message}`, details: { shadow: true } });
        throw err;
      }
      stored = this.registry.getModel(modelId);
    }
    if (!stored) throw new AgentError('not_found', `shadow model ${modelId} is not in the store`);
    if (stored.role !== role) throw new AgentError('model_role_mismatch', `model ${modelId} is a ${stored.role}, the release names it as ${role}`);
    return { manifest: stored.manifest, bytes: await this.blobs.read(modelId) };
  }

  /** The service no longer runs this shadow model: the store may drop it again. */
  releaseShadowModel(modelId: string): void {
    this.shadowKeep.delete(modelId);
  }

  /** A manual rollback's pin for `role`, while the release it was made under is still the current one. */
  private pinnedModel(role: Role, seq: number): string | undefined {
    const raw = this.registry.getMeta(pinKey(role));
    if (!raw) return undefined;
    try {
      const pin = JSON.parse(raw) as { modelId?: string; releaseSeq?: number };
      if (pin.modelId && pin.releaseSeq === seq) return pin.modelId;
    } catch {
      // an unreadable pin is ignored
    }
    return undefined;
  }

  // --- per-role pipeline ------------------------------------------------------------------------------

  /** Chooses stable or candidate per role (DESIGN.md bucket rule) and starts what is needed. */
  private applyRelease(release: Release, seq: number): void {
    // Downloads no role of this release wants any more are dropped (their partial files too).
    const wanted = new Set<string>();
    for (const role of ROLES) {
      const rr = release.roles[role];
      if (rr) wanted.add(rr.stable).add(rr.candidate?.modelId ?? rr.stable);
    }
    for (const f of this.registry.listFetches()) if (!wanted.has(f.modelId) && ![...this.jobs.values()].some((j) => j.modelId === f.modelId)) this.discardFetch(f.modelId);
    for (const role of ROLES) {
      const rr = release.roles[role];
      if (!rr) continue;
      let target: Target = { modelId: rr.stable, cohort: 'stable' };
      const c = rr.candidate;
      // A shadow candidate runs beside the stable one in the inference host; the active slot stays stable.
      // bucket AND the candidate's label selector (issue 16 §6), the rule the controller's cohorts use
      if (c && !c.shadow && takesCandidate(this.config.agentId, this.config.labels, c) && !this.registry.getMeta(rolledBackKey(role, c.rolloutId, c.modelId)))
        target = { modelId: c.modelId, cohort: 'candidate', rolloutId: c.rolloutId };
      // a manual rollback holds until the fleet publishes a newer release
      const pinned = this.pinnedModel(role, seq);
      if (pinned) target = { modelId: pinned, cohort: 'stable', finalState: 'rolled_back' };
      this.ensureRole(role, target, release, seq);
    }
  }

  private ensureRole(role: Role, target: Target, release: Release, seq: number): void {
    const job = this.jobs.get(role);
    if (job && job.modelId === target.modelId) return;
    if (job) job.abort.abort(); // superseded by a newer release
    const row = this.registry.getRole(role);
    if (row?.activeModelId === target.modelId && this.loaded.has(role)) {
      // the target is already serving: a superseded job (a stalled fetch, say) must not leave the role fetching
      const moved = row.cohort !== target.cohort || row.rolloutId !== target.rolloutId;
      if (moved || TRANSIENT_STATES.has(row.state) || row.pendingModelId) {
        const state = moved || TRANSIENT_STATES.has(row.state) ? this.settledState(target.cohort) : row.state;
        this.registry.updateRole(role, { cohort: target.cohort, rolloutId: target.rolloutId ?? null, state, pendingModelId: null, pendingProgress: null }, this.nowIso());
        this.changed();
      }
      return;
    }
    const abort = new AbortController();
    const newJob: RoleJob = { modelId: target.modelId, abort, done: Promise.resolve() };
    this.jobs.set(role, newJob);
    newJob.done = this.runRoleJob(role, target, release, seq, newJob)
      .catch((e: unknown) => this.logger.error('role job failed', { role, error: String(e) })) // never a process crash
      .finally(() => {
        if (this.jobs.get(role) === newJob) this.jobs.delete(role);
      });
  }

  /** A download got no chunk for a while and re-subscribed: event each time (backoff bounds them), alert until it ends. */
  private fetchStalled(role: Role, modelId: string, st: { attempt: number; waitedMs: number; have: number; total: number }): void {
    const message = `no chunk of ${modelId.slice(0, 12)} for ${st.waitedMs} ms (${st.have}/${st.total} held); re-subscribed (try ${st.attempt})`;
    this.alerts.raise('fetch_stalled', message, role);
    this.emit({ type: 'fetch_stalled', role, modelId, reason: 'fetch_stalled', message, details: st });
  }

  /** A registry write that may meet a full disk: then reported (disk_full) instead of thrown. */
  private persist(write: () => void): void {
    try {
      write();
    } catch (e) {
      if (!isDiskFull(e)) throw e;
      this.disk.full(`writing the registry: ${(e as Error).message}`);
      this.changed();
    }
  }

  private settledState(cohort: Cohort | undefined): 'active' | 'committed' {
    // A candidate stays "active" (under guard) until committed or rolled back; stable is committed at once.
    return cohort === 'candidate' ? 'active' : 'committed';
  }

  private setRole(role: Role, patch: Parameters<Registry['updateRole']>[1]): void {
    this.registry.updateRole(role, patch, this.nowIso());
    this.changed();
  }

  private async runRoleJob(role: Role, target: Target, release: Release, seq: number, job: RoleJob): Promise<void> {
    const { modelId } = target;
    const signal = job.abort.signal;
    try {
      let manifest: ModelManifest;
      const stored = this.registry.getModel(modelId);
      if (stored && this.blobs.hasBlob(modelId)) {
        if (stored.role !== role) throw new AgentError('model_role_mismatch', `model ${modelId} is a ${stored.role}, the release names it as ${role}`);
        manifest = stored.manifest; // already verified and stored: instant switch (e.g. rollback)
      } else {
        this.setRole(role, { state: 'fetching', pendingModelId: modelId, pendingProgress: 0, lastErrorCode: null, lastErrorMessage: null });
        manifest = await this.download(role, modelId, signal, {
          track: (f) => (job.fetch = f),
          onProgress: (p) => {
            this.registry.updateRole(role, { pendingProgress: p }, this.nowIso());
            this.emit({ type: 'download_progress', role, modelId, details: { progress: p } });
            this.publishStatus();
          },
          onFetched: () => this.setRole(role, { state: 'verifying', pendingProgress: 1 }),
        });
      }
      if (signal.aborted) throw new AgentError('aborted', 'superseded');
      // Freeze attack: a release that expired while its model was on the way activates nothing.
      if (Date.parse(release.expires) <= this.clock.now())
        throw new AgentError('release_expired', `release ${seq} expired at ${release.expires} before activation; keeping the active model`);
      await this.activate(role, target, manifest, signal, seq);
    } catch (e) {
      const err = toAgentError(e);
      // Disk full: the download pauses (its partial file kept) until the disk watch sees space again.
      if (isDiskFull(e) && !this.closed) {
        this.disk.full(`storing ${role} model ${modelId.slice(0, 12)}: ${err.message}`);
        const row = this.registry.getRole(role);
        const state = row?.activeModelId && this.loaded.has(role) ? this.settledState(row.cohort) : 'idle';
        return this.persist(() => this.setRole(role, { state, pendingModelId: null, pendingProgress: null, lastErrorCode: 'disk_full', lastErrorMessage: err.message }));
      }
      if (err.code === 'aborted' || this.closed) {
        if (!this.closed) {
          this.logger.info('role job superseded', { role, modelId });
          this.dropUnwantedFetch(modelId, job);
        }
        return;
      }
      // The active model (if any) keeps serving: nothing was written to the active slot, so the role
      // shows the active model's settled state with lastError; only a role with nothing serving is "failed".
      const row = this.registry.getRole(role);
      const state = row?.activeModelId && this.loaded.has(role) ? this.settledState(row.cohort) : 'failed';
      this.setRole(role, { state, pendingModelId: null, pendingProgress: null, lastErrorCode: err.code, lastErrorMessage: err.message });
      this.collectGarbage(role, job); // a rejected model's blob is not kept (issue 17 §1: the store holds what is needed)
      this.emit({
        type: ACTIVATION_CODES.has(err.code) ? 'activation_failed' : err.code === 'release_expired' ? 'release_rejected' : 'model_rejected',
        role,
        modelId,
        channel: this.config.channel,
        releaseSeq: seq,
        reason: err.code,
        message: err.message,
        ...(err.details ? { details: err.details } : {}),
      });
    }
  }

  private activate(role: Role, target: Target, manifest: ModelManifest, signal: AbortSignal, seq: number): Promise<void> {
    const prev = this.activationChains.get(role) ?? Promise.resolve();
    const run = prev.catch(() => {}).then(() => {
      if (signal.aborted || this.closed) throw new AgentError('aborted', 'superseded');
      return this.activateNow(role, target, manifest, signal, seq);
    });
    this.activationChains.set(role, run);
    return run;
  }

  private async activateNow(role: Role, target: Target, manifest: ModelManifest, signal: AbortSignal, seq: number): Promise<void> {
    const { modelId } = target;
    this.setRole(role, { state: 'loading', pendingModelId: modelId, pendingProgress: 1 });
    const bytes = await this.blobs.read(modelId); // decrypted into memory only
    const result = await this.deps.activator.activate({
      role,
      modelId,
      manifest,
      bytes,
      signal,
      onStage: (stage) => {
        if (!signal.aborted && !this.closed) this.setRole(role, { state: stage });
      },
    });
    const prev = this.registry.getRole(role)?.activeModelId;
    this.loaded.add(role);
    this.registry.touchModel(modelId, this.nowIso());
    this.setRole(role, {
      state: target.finalState ?? this.settledState(target.cohort),
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
    this.emit({
      type: 'activated',
      role,
      modelId,
      channel: this.config.channel,
      releaseSeq: seq,
      details: { cohort: target.cohort, provider: result.provider, name: manifest.name, version: manifest.version, ...(result.warmupP95Ms !== undefined ? { warmupP95Ms: result.warmupP95Ms } : {}) },
    });
    this.collectGarbage(role);
  }

  /** Keeps the last `keepVersions` models per role (the active one always), for instant rollback; `ended`: a job whose model is no longer needed. */
  private collectGarbage(role: Role, ended?: RoleJob): void {
    const row = this.registry.getRole(role);
    const models = this.registry.listModels(role);
    const keep = new Set<string>();
    if (row?.activeModelId) keep.add(row.activeModelId);
    for (const m of models) {
      if (keep.size >= this.config.keepVersions) break;
      if (m.lastActiveAt) keep.add(m.modelId);
    }
    for (const job of this.jobs.values()) if (job !== ended) keep.add(job.modelId);
    for (const id of this.shadowKeep) keep.add(id);
    for (const m of models) {
      if (keep.has(m.modelId)) continue;
      this.registry.deleteModel(m.modelId);
      this.blobs.removeBlob(m.modelId);
      this.logger.info('model removed from store', { role, modelId: m.modelId });
    }
  }

  /** A superseded download whose model the accepted release no longer names is dropped with its partial file. */
  private dropUnwantedFetch(modelId: string, except: RoleJob): void {
    const release = this.registry.getAcceptedRelease(this.config.channel)?.release;
    for (const role of ROLES) {
      const rr = release?.roles[role];
      if (rr && (rr.stable === modelId || rr.candidate?.modelId === modelId)) return;
    }
    for (const j of this.jobs.values()) if (j !== except && j.modelId === modelId) return;
    this.discardFetch(modelId);
  }

  private discardFetch(modelId: string): void {
    this.registry.deleteFetch(modelId);
    this.blobs.removePartial(modelId);
  }

  /**
   * Downloads, verifies and stores one model (DESIGN.md "Trust rules"): the signed manifest (or the one a
   * resumed fetch kept), its checks, the chunks — from the manifest's HTTPS origins first, the broker's
   * retained chunks as fallback — each verified and sealed as it arrives, a dropped connection switching a
   * wildcard fetch to per-topic resume, then the whole-file size + sha256 before the file becomes a blob.
   * Used for a role's own model and for a shadow candidate alike. Returns the stored manifest.
   */
  private async download(
    role: Role,
    modelId: string,
    signal: AbortSignal,
    o: { shadow?: boolean; track: (fetch: ChunkFetch | undefined) => void; onProgress?: (p: number) => void; onFetched?: () => void },
  ): Promise<ModelManifest> {
    const resumed = this.registry.getFetch(modelId);
    const manifest = resumed && resumed.role === role ? resumed.manifest : await this.fetchManifest(modelId, signal);
    checkManifest(manifest, role, modelId, this.config.limits.maxModelBytes);
    const origins = manifest.origins?.length ? createOriginClient({ ...(this.config.fetch.originCa ? { caFile: this.config.fetch.originCa } : {}), idleMs: this.config.fetch.originIdleMs }) : undefined;
    const shadow = o.shadow ? { shadow: true } : {};
    const fetch = new ChunkFetch(manifest, {
      registry: this.registry,
      blobs: this.blobs,
      subscriber: this.transport,
      topics: this.t,
      // bounded in topics and in bytes: window × chunkSize stays ≤ windowBytes (at least one chunk)
      window: Math.max(1, Math.min(this.config.fetch.window, Math.floor(this.config.fetch.windowBytes / manifest.chunkSize))),
      stall: { stallMs: this.config.fetch.stallMs, onStall: (st) => this.fetchStalled(role, modelId, st) },
      now: () => this.nowIso(),
      ...(o.onProgress ? { onProgress: fetchProgressReporter(manifest.chunkSha256.length, () => this.clock.now(), o.onProgress) } : {}),
      // DESIGN.md "Scale path": the signed manifest's HTTPS origins first, the broker's chunks as fallback
      ...(origins
        ? {
            origin: {
              urls: manifest.origins!,
              client: origins,
              onFallback: (f: OriginFallback) =>
                this.emit({ type: 'origin_fallback', role, modelId, reason: 'origin_unavailable', message: f.message, details: { ...shadow, failures: f.failures, chunksFromOrigin: f.chunksFromOrigin } }),
            },
          }
        : {}),
    });
    o.track(fetch);
    const before = this.registry.getFetch(modelId);
    this.emit({
      type: 'download_started',
      role,
      modelId,
      details: { ...shadow, chunks: manifest.chunkSha256.length, have: before?.have ?? 0, size: manifest.size, name: manifest.name, version: manifest.version },
    });
    // A dropped connection switches a wildcard fetch to per-topic resume (no replay of held chunks).
    const offConn = this.subscribe((c) => {
      if (c.kind === 'status' && !c.status.connected) fetch.onConnectionLost();
    });
    let result: Awaited<ReturnType<ChunkFetch['run']>>;
    try {
      result = await fetch.run({ signal });
    } finally {
      offConn();
      if (this.alerts.clear('fetch_stalled', role)) this.changed();
      origins?.close();
      o.track(undefined);
    }
    o.onFetched?.();
    try {
      await fetch.commit({ signal }); // whole-file size + sha256, then the sealed partial becomes the blob
    } catch (e) {
      const err = toAgentError(e);
      // The assembled file is wrong as a whole: nothing of it can be reused.
      if (err.code === 'size_mismatch' || err.code === 'sha256_mismatch') this.discardFetch(modelId);
      throw err;
    }
    this.registry.putModel(manifest, this.nowIso());
    const rec = this.registry.getFetch(modelId);
    this.discardFetch(modelId);
    this.emit({
      type: 'model_verified',
      role,
      modelId,
      details: { ...shadow, ...result, chunks: manifest.chunkSha256.length, chunksWrittenTotal: rec?.chunksWritten ?? result.written, size: manifest.size },
    });
    return manifest;
  }

  /** Subscribes to the retained manifest and verifies it (size bound first, then DSSE, then zod). */
  private fetchManifest(modelId: string, signal: AbortSignal): Promise<ModelManifest> {
    return waitForManifest<ModelManifest>({
      modelId,
      topic: this.t.manifest(modelId),
      signal,
      timers: this.timers,
      timeoutMs: this.config.timeouts.manifestMs,
      waiters: this.manifestWaiters,
      subscribe: (topic) => this.transport.subscribe([topic]),
      unsubscribe: (topic) => this.transport.unsubscribe([topic]),
      isClosed: () => this.closed,
      verify: <M>(raw: Buffer) => this.verifier.verifyManifest(raw, this.config.limits.maxManifestBytes).value as M,
    });
  }
}

/**
 * Builds the agent from its dependencies: reads the trust file, opens the registry (WAL) and the
 * encrypted store (at-rest key from the credential store, created on first run), restores the active
 * models, then connects.
 */
export async function createAgent(deps: AgentDeps): Promise<Agent> {
  const { config, secretStore } = deps;
  const trust = deps.trust ?? loadTrustFile(config.trustFile);
  const verifier = new EnvelopeVerifier(trust);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  let brokerPassword: string | undefined;
  if (config.broker.passwordFromCredentialStore) {
    brokerPassword = await secretStore.get(SecretAccounts.brokerPassword);
    if (brokerPassword === undefined) throw new AgentError('secret_missing', `broker password (account "${SecretAccounts.brokerPassword}") is not in the OS credential store`);
  }
  const key = Buffer.from(await getOrCreateSecret(secretStore, SecretAccounts.modelKey, newModelKey), 'base64');
  if (key.length !== 32) throw new AgentError('secret_missing', 'the at-rest model key in the credential store is not 32 bytes');
  const registry = openRegistry(config.dataDir); // on a full disk too (disk-watch.ts)
  ensureReserve(config.dataDir);
  let audit: AuditLog | undefined;
  try {
    const blobs = new BlobStore(config.dataDir, key);
    audit = createAuditLog(config.dataDir, { maxFiles: config.auditMaxFiles });
    // [issue 20 §3] the graph scan runs on the verified bytes before any session sees them
    const agent = new Agent({ ...deps, activator: withGraphScan(deps.activator) }, registry, blobs, verifier, audit, brokerPassword);
    await agent.start();
    return agent;
  } catch (e) {
    registry.close();
    await audit?.close();
    throw e;
  }
}
