/**
 * The agent core (DESIGN.md "Agent core"): config, trust, registry, blob store, MQTT transport, release intake,
 * the role state machine with its download, restore and rollback parts, and the candidate guard — built here
 * from what the caller passes in. The caller keeps what it created: the activator (the inference host, or the
 * in-process ONNX activator) is not closed by the agent; everything the agent creates, it disposes.
 *
 *   const agent = await createAgent({ config, secretStore, activator, clock, logger });
 *   agent.snapshot(); agent.subscribe(listener); await agent.close(); await activator.close();
 *
 * Inputs reach the one state machine (roles.ts) as typed RoleInputs: releases (release-intake.ts), the
 * activator's events, the guard's verdicts (guard-inputs.ts), the transport's connection, the disk's space.
 */
import { mkdirSync } from 'node:fs';
import { AgentError } from '../common/errors.js';
import { DisposableStore } from '../common/lifetime.js';
import { topics as topicsFor, type Topics } from '../common/topics.js';
import type { AgentEvent, ModelManifest, Release, Role } from '../common/wire.js';
import type { ModelActivator } from './activation.js';
import { AgentReporter, type AgentChange, type AgentSnapshot, type EventInput } from './agent-status.js';
import { AlertBoard } from './alerts.js';
import { createAuditLog, type AuditLog } from './audit.js';
import type { AgentConfig } from './config.js';
import { DiskWatch, ensureReserve, openRegistry } from './disk-watch.js';
import { Downloads } from './download.js';
import { VariantServing } from './variant-serving.js';
import { EventSeq } from './event-seq.js';
import { GuardInputs } from './guard-inputs.js';
import { hostInputOf } from './host-inputs.js';
import type { CandidateGuard } from './inference/index.js';
import { releaseIntake } from './release-intake.js';
import { ReleaseExpiryWatch } from './release-expiry.js';
import type { RollbackOptions } from './rollback.js';
import { RoleMachine, type RoleInput } from './roles.js';
import { systemClock, systemTimers, silentLogger, type Clock, type Logger, type Timers } from './runtime.js';
import { getOrCreateSecret, SecretAccounts, type SecretStore } from './secrets/secret-store.js';
import { BlobStore, newModelKey } from './store/blob-store.js';
import type { Registry } from './store/registry.js';
import type { OutboxClient } from './telemetry/outbox.js';
import { MqttTransport } from './transport/mqtt-transport.js';
import { EnvelopeVerifier, loadTrustFile } from './trust/trust-store.js';
import { TrustUpdates } from './trust/trust-updates.js';
import { withGraphScan } from './trust/graph-gate.js';
import type { TrustFile } from '../common/trust-file.js';

export { rollbackInRegistry, roleStatusFrom } from './role-status.js';
import { variantRecord } from './role-status.js';
import { widenHeapGrowth } from './heap-growth.js';
export type { AgentChange, AgentSnapshot } from './agent-status.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentDeps {
  config: AgentConfig;
  secretStore: SecretStore;
  /** the caller's: the agent uses it and never closes it */
  activator: ModelActivator;
  clock?: Clock;
  timers?: Timers;
  random?: () => number;
  logger?: Logger;
  agentVersion?: string;
  /** overrides reading config.trustFile (tests) */
  trust?: TrustFile;
  /** how often the candidate guard re-judges its window without new runs (default 1 s) */
  guardCheckMs?: number;
}

/** What createAgent opened for the agent (the agent disposes them). */
interface Opened {
  registry: Registry;
  blobs: BlobStore;
  verifier: EnvelopeVerifier;
  audit: AuditLog;
  brokerPassword: string | undefined;
}

export class Agent {
  readonly config: AgentConfig;
  readonly ready: Promise<void>;
  /** standing conditions shown in status (alerts.ts) */
  readonly alerts: AlertBoard;
  /** the candidate guard: the agent's own, fed the activator's runs */
  readonly guard: CandidateGuard;
  private readonly t: Topics;
  private readonly clock: Clock;
  private readonly registry: Registry;
  private readonly transport: MqttTransport;
  private readonly reporter: AgentReporter;
  private readonly roles: RoleMachine;
  private readonly downloads: Downloads;
  private readonly guarding: GuardInputs;
  /** trust statements over the wire (issue 20 §1): rotate the keys the verifier uses */
  private readonly trustUpdates: TrustUpdates;
  private readonly expiry: ReleaseExpiryWatch;
  private readonly disk: DiskWatch;
  /** aborts what waits on the agent's behalf (a shadow download) when it closes */
  private readonly closing = new AbortController();
  /** everything the agent created (or was handed to own: registry, audit log), disposed in reverse order */
  private readonly owned = new DisposableStore();
  private closed = false;

  constructor(
    private readonly deps: AgentDeps,
    private readonly opened: Opened,
  ) {
    const config = (this.config = deps.config);
    const clock = (this.clock = deps.clock ?? systemClock);
    const timers = deps.timers ?? systemTimers;
    const logger = deps.logger ?? silentLogger;
    const { registry, blobs } = opened;
    this.registry = this.owned.add(registry, 'registry');
    this.owned.add(opened.audit, 'audit log');
    this.t = topicsFor(config.topicPrefix);
    let resolveReady!: () => void;
    this.ready = new Promise<void>((r) => (resolveReady = r));
    const isClosed = () => this.closed;
    this.alerts = new AlertBoard(() => new Date(clock.now()).toISOString());
    this.disk = this.owned.add(new DiskWatch({
      dir: config.dataDir,
      ...config.disk,
      timers,
      onFull: (message, fresh) => {
        this.alerts.raise('disk_full', message);
        if (fresh) this.reporter.emit({ type: 'disk_full', reason: 'disk_full', message, details: { freeBytes: this.disk.freeBytes() } });
        this.reporter.changed();
      },
      onSpace: () => {
        ensureReserve(config.dataDir);
        this.alerts.clear('disk_full');
        this.reporter.changed();
        void this.input({ kind: 'space_returned' });
      },
    }), 'disk watch');
    this.trustUpdates = new TrustUpdates({ verifier: opened.verifier, dataDir: config.dataDir, prefix: config.topicPrefix, now: () => clock.now(), emit: (e) => void this.reporter.emit(e) });
    this.transport = new MqttTransport({
      broker: config.broker,
      clientId: config.agentId, // DESIGN.md: client id = agent id (the ACL confines it to agents/{id}/#)
      ...(opened.brokerPassword !== undefined ? { password: opened.brokerPassword } : {}),
      will: { topic: this.t.agentStatus(config.agentId), payload: () => JSON.stringify(this.reporter.status(false)) },
      timers,
      random: deps.random ?? Math.random,
      logger,
      onConnect: () => {
        this.reporter.publishStatus();
        resolveReady();
        this.reporter.notify();
        void this.input({ kind: 'transport', connected: true });
      },
      onDisconnect: () => {
        this.reporter.notify();
        void this.input({ kind: 'transport', connected: false });
      },
    });
    // the offline status goes out before a graceful DISCONNECT (which suppresses the will)
    this.owned.add(() => this.transport.close([{ topic: this.t.agentStatus(config.agentId), payload: JSON.stringify(this.reporter.status(false)) }]), 'broker connection');
    this.reporter = new AgentReporter({
      config,
      topics: this.t,
      registry,
      alerts: this.alerts,
      audit: opened.audit,
      eventSeq: new EventSeq(registry),
      transport: this.transport,
      clock,
      timers,
      logger,
      agentVersion: deps.agentVersion ?? AGENT_VERSION,
      onSeqStoreFailed: (err) => this.disk.full(String(err)),
      isClosed,
    });
    this.owned.add(() => this.reporter.close(), 'final snapshot');
    this.expiry = this.owned.add(new ReleaseExpiryWatch({ clock, timers, onExpired: (seq, expires) => this.releaseExpired(seq, expires, 'the active release') }), 'release expiry');
    this.downloads = new Downloads({ config, topics: this.t, registry, blobs, transport: this.transport, verifier: opened.verifier, clock, timers, logger, alerts: this.alerts, report: this.reporter });
    // The guard exists before the restore, so that no run of a restored candidate is missed.
    this.guarding = this.owned.add(new GuardInputs({ activator: deps.activator, clock, timers, logger, ...(deps.guardCheckMs ? { checkMs: deps.guardCheckMs } : {}), verdict: (v) => this.input(v) }), 'candidate guard');
    this.guard = this.guarding.guard;
    const variants = new VariantServing({ config, registry, blobs, downloads: this.downloads, report: this.reporter });
    this.roles = new RoleMachine({ config, registry, blobs, activator: deps.activator, clock, logger, alerts: this.alerts, disk: this.disk, report: this.reporter, downloads: this.downloads, variants, guard: this.guarding, isClosed });
    this.owned.add(() => {
      this.closing.abort();
      return this.roles.stop();
    }, 'role jobs');
  }

  /** The one way into the role state machine. */
  private input(i: RoleInput): Promise<void> {
    return this.roles.input(i);
  }

  // --- lifecycle ------------------------------------------------------------------------------------

  /** Restores the active models from the store, then connects and follows the channel. */
  async start(): Promise<void> {
    // host events are inputs to the role state machine, from the restore on
    const offHost = this.deps.activator.on?.((event) => {
      const i = hostInputOf(event);
      if (i) void this.input(i);
    });
    if (offHost) this.owned.add(offHost, 'host events');
    await this.roles.restore();
    this.disk.checkNow();
    this.trustUpdates.restore();
    this.transport.start();
    const onRelease = releaseIntake({
      channel: this.config.channel,
      registry: this.registry,
      verifier: this.opened.verifier,
      clock: this.clock,
      report: this.reporter,
      profile: this.config.profile,
      expired: (seq, expires) => this.releaseExpired(seq, expires, 'a published release'),
      accepted: (release, seq) => {
        this.alerts.clear('release_expired');
        this.expiry.arm(seq, release.expires);
        void this.input({ kind: 'release', release, seq });
        this.reporter.changed();
      },
    });
    this.owned.add(this.transport.subscribe(this.t.release(this.config.channel), (_topic, raw) => !this.closed && onRelease(raw)), 'release subscription');
    // trust statements (issue 20 §1): retained, one topic per version; the updater walks them in order
    this.owned.add(this.transport.subscribe(this.trustUpdates.filter, (topic, raw) => { if (!this.closed) this.trustUpdates.onMessage(topic, raw); }), 'trust subscription');
    // Resume whatever the last accepted release asked for (a crash may have interrupted it).
    const last = this.registry.getAcceptedRelease(this.config.channel);
    if (last) {
      this.expiry.arm(last.seq, last.release.expires);
      void this.input({ kind: 'release', release: last.release, seq: last.seq });
    }
  }

  /** Freeze attack: report release_expired (event + status alert) once per episode; what is active keeps serving. */
  private releaseExpired(seq: number, expires: string, which: string): void {
    if (this.closed) return;
    const message = `${which} (seq ${seq}) expired at ${expires}; keeping the active models, activating nothing new until a fresh release arrives`;
    const fresh = this.alerts.raise('release_expired', message);
    this.reporter.emit({ type: 'release_expired', channel: this.config.channel, releaseSeq: seq, reason: 'release_expired', message, details: { expires, repeated: !fresh } });
    this.reporter.changed();
  }

  /** Stops everything the agent created (not the activator: its creator closes it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // reverse order of creation: subscriptions, host events, role jobs, guard, expiry, final snapshot,
    // broker connection, disk watch, audit log, registry
    await this.owned.dispose();
  }

  // --- observation ------------------------------------------------------------------------------------

  snapshot(): AgentSnapshot {
    return this.reporter.snapshot();
  }

  /** Listens to every event and status change; returns the unsubscribe function. */
  subscribe(listener: (c: AgentChange) => void): () => void {
    return this.reporter.subscribe(listener);
  }

  /** Resolves with the first snapshot satisfying `predicate` (checked now and on every change). */
  waitFor(predicate: (s: AgentSnapshot) => boolean, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<AgentSnapshot> {
    return this.reporter.waitFor(predicate, opts);
  }

  /** Resolves with the first event (already recorded or future) satisfying `predicate`. */
  waitForEvent(predicate: (e: AgentEvent) => boolean, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<AgentEvent> {
    return this.reporter.waitForEvent(predicate, opts);
  }

  // --- requests (guard verdicts given by hand, the local administrator, the service) --------------------

  /** A guard breach as an input: the candidate goes back to the release's stable model (see rollback.ts). */
  rollbackCandidate(role: Role, opts: RollbackOptions = {}): Promise<void> {
    return this.closed ? Promise.resolve() : this.roles.rollbackCandidate(role, opts);
  }

  /** A guard pass as an input: active → committed. */
  commitCandidate(role: Role): void {
    if (!this.closed) this.roles.commitCandidate(role);
  }

  /** Manual rollback (`rpa-agent rollback --role R`): see rollback.ts. */
  rollbackToPrevious(role: Role, opts: { message?: string } = {}): Promise<{ from: string; to: string }> {
    return this.roles.rollbackToPrevious(role, opts);
  }

  /** Reports an event raised outside the core (bot endpoint alarm, …): audit line + events topic + listeners. */
  report(e: EventInput): AgentEvent | undefined {
    return this.closed ? undefined : this.reporter.emit(e);
  }

  /** One line in the audit log that is not an agent event (bot endpoint auth, admin actions). */
  auditLine(entry: Record<string, unknown>): void {
    if (!this.closed) this.opened.audit.write(entry);
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
    // a release's model served by a variant (issue 21 §1) is stored under the variant's own sha256
    const served = this.registry.listRoles().find((r) => r.activeModelId && variantRecord(this.registry, r.activeModelId)?.baseModelId === modelId)?.activeModelId;
    return (this.registry.getModel(modelId) ?? (served ? this.registry.getModel(served) : undefined))?.manifest;
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

  /** A shadow candidate, fetched over the same trust path and kept in the store (download.ts). */
  fetchShadowModel(role: Role, modelId: string, opts: { signal?: AbortSignal } = {}): Promise<{ manifest: ModelManifest; bytes: Uint8Array }> {
    if (this.closed) return Promise.reject(new AgentError('aborted', 'agent is closed'));
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.closing.signal]) : this.closing.signal;
    return this.downloads.fetchShadowModel(role, modelId, signal);
  }

  /** The service no longer runs this shadow model: the store may drop it again. */
  releaseShadowModel(modelId: string): void {
    this.downloads.releaseShadowModel(modelId);
  }
}

/**
 * Builds the agent from its dependencies: reads the trust file, opens the registry (WAL) and the
 * encrypted store (at-rest key from the credential store, created on first run), restores the active
 * models, then connects.
 */
export async function createAgent(deps: AgentDeps): Promise<Agent> {
  const { config, secretStore } = deps;
  widenHeapGrowth(); // no mark-compact per ~8 MiB of a download's buffers (heap-growth.ts, issue 17 §2)
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
  let agent: Agent | undefined;
  try {
    const blobs = new BlobStore(config.dataDir, key);
    audit = createAuditLog(config.dataDir, { maxFiles: config.auditMaxFiles });
    // [issue 20 §3] the graph scan runs on the verified bytes before any session sees them
    agent = new Agent({ ...deps, activator: withGraphScan(deps.activator) }, { registry, blobs, verifier, audit, brokerPassword });
    await agent.start();
    return agent;
  } catch (e) {
    if (agent) await agent.close().catch(() => undefined);
    else {
      registry.close();
      await audit?.close();
    }
    throw e;
  }
}
