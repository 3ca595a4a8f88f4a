/**
 * A lightweight simulated agent (issue 6 "Fleet simulator"): a real MQTT client speaking the real
 * protocol. It verifies releases and manifests with real Ed25519 signatures against its trust file,
 * fetches every chunk of a model it must run from the broker and checks each against the signed
 * manifest's sha256, applies the rollout bucket rule, simulates inference (ModelProfile) and reports
 * retained status with a last will, events and metrics windows on the real topics.
 * It lives in src/fleet and uses src/common only: the layer rule keeps fleet code out of src/agent.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Agent as HttpsAgent } from 'node:https';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Labels } from '../../common/selector.js';
import { AgentError, toAgentError, type ErrorCode } from '../../common/errors.js';
import { chooseRoleTarget, judgeRelease } from '../../common/release-rules.js';
import { topics as topicsOf, type Topics } from '../../common/topics.js';
import {
  ROLES,
  type AgentEvent,
  type AgentStatus,
  type ModelManifest,
  type MetricsWindow,
  type Release,
  type Role,
  type RoleStatus,
} from '../../common/wire.js';
import { prng, type ProfileBook } from './profiles.js';
import { simulateRoleMetrics } from './sim-window.js';
import { fetchSimModel, type SimCounters } from './sim-fetch.js';
import { noDelayOnConnect } from '../../common/mqtt-socket.js';
import { SimAgentTrust, type SimTrust } from './sim-trust.js';

export type { SimTrust } from './sim-trust.js';

export interface SimAgentOptions {
  url: string;
  agentId: string;
  channel: string;
  trust: SimTrust;
  profiles: ProfileBook;
  prefix?: string;
  /** metrics window length (default 60 s; seconds in tests) */
  windowMs?: number;
  requestsPerWindow?: number;
  /** fraction of requests mirrored to a shadow candidate */
  shadowSampleRate?: number;
  /** models this agent starts with (a bundled baseline), verified already */
  preinstalled?: string[];
  /** fetch and verify model bytes over MQTT (default true); false = trust the manifest alone */
  fetchModels?: boolean;
  /** CA pinned for the manifest's HTTPS origins (DESIGN.md "Scale path"); origins are tried before the broker */
  originCa?: string | Buffer;
  /** false = ignore manifest origins (broker only) */
  useOrigins?: boolean;
  /** shared keep-alive HTTPS agent for origin requests (FleetSim bounds connections per process with it) */
  originAgent?: HttpsAgent;
  maxModelBytes?: number;
  /** the variant rule's inputs (issue 21 §1): setting (default auto), provider (default cpu), CPU flags (a simulated CPU: default none) */
  variant?: { setting?: string; provider?: string; cpuFlags?: string[] };
  mqtt?: Partial<IClientOptions>;
  clock?: () => number;
  seed?: number;
  /** config labels (site, dept, …) reported in status and matched against candidate selectors */
  labels?: Labels;
  /**
   * the metrics sequence's epoch (issue 16 §2); default: new per SimAgent, i.e. per process start,
   * since the simulator's seq counter starts at 0 each time. `null` sends none (an older agent).
   */
  epoch?: string | null;
  onEvent?: (e: AgentEvent) => void;
  /** each metrics window as it is published */
  onWindow?: (w: MetricsWindow) => void;
}

interface ActiveRole {
  modelId: string;
  cohort: 'stable' | 'candidate';
  rolloutId?: string;
  version?: string;
  shadow?: { modelId: string; rolloutId: string };
  activatedAt: number;
}

interface Fetch {
  promise: Promise<ModelManifest>;
}

export class SimAgent {
  readonly agentId: string;
  readonly epoch: string | undefined;
  readonly #o: SimAgentOptions;
  readonly #t: Topics;
  readonly #clock: () => number;
  readonly #rand: () => number;
  readonly client: MqttClient;
  /** the keys in force (follows trust statements when the trust file is given: sim-trust.ts) */
  readonly trust: SimAgentTrust;
  readonly #models = new Set<string>();
  readonly #manifests = new Map<string, ModelManifest>();
  readonly variants = new Map<string, string>(); // modelId → the variant serving it (issue 21 §1); absent: fp32
  readonly #fetches = new Map<string, Fetch>();
  /** owned subscriptions: filter → its one holder's handler (a fetch's chunks, a manifest wait) */
  readonly #msgHandlers = new Map<string, (topic: string, payload: Buffer) => void>();
  /** Waits in progress (chunk fetch, one retained message); close() ends them so no timer outlives the agent. */
  readonly #waits = new Set<(err: Error) => void>();
  readonly roles = new Map<Role, ActiveRole>();
  #release: Release | undefined;
  #lastSeq = 0;
  #lastDigest = '';
  #generation = 0;
  #eventSeq = 0;
  #windowSeq = 0;
  #windowStart: number;
  #windowTimer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly counters: SimCounters = { windows: 0, releasesAccepted: 0, releasesRejected: 0, chunksVerified: 0, bytesFetched: 0, bytesFromOrigin: 0, originFallbacks: 0, activations: 0 };

  constructor(opts: SimAgentOptions) {
    this.#o = opts;
    this.agentId = opts.agentId;
    this.epoch = opts.epoch === null ? undefined : (opts.epoch ?? randomBytes(8).toString('hex'));
    this.#t = topicsOf(opts.prefix);
    this.#clock = opts.clock ?? Date.now;
    this.#rand = prng(opts.seed ?? hashSeed(opts.agentId));
    this.#windowStart = this.#clock();
    this.trust = new SimAgentTrust(opts.trust);
    for (const m of opts.preinstalled ?? []) this.#models.add(m);
    const offline: AgentStatus = { agentId: this.agentId, online: false, ts: new Date(this.#clock()).toISOString(), agentVersion: 'sim-0.1.0', channel: opts.channel, roles: {} };
    this.client = mqtt.connect(opts.url, {
      clientId: this.agentId,
      protocolVersion: 5,
      clean: true,
      // DESIGN.md "Broker connections": reconnects back off with jitter so a broker restart does not
      // bring every agent back in the same second.
      reconnectPeriod: 500 + Math.floor(this.#rand() * 1500),
      connectTimeout: 30_000,
      keepalive: 60,
      will: { topic: this.#t.agentStatus(this.agentId), payload: Buffer.from(JSON.stringify(offline)), qos: 1, retain: true },
      ...opts.mqtt,
    });
    noDelayOnConnect(this.client);
    this.client.on('error', () => {}); // reconnects on its own; errors show up as offline time
    this.client.on('connect', () => this.#onConnect());
    this.client.on('message', (topic, payload) => this.#onMessage(topic, payload));
  }

  /** Resolves once connected for the first time. */
  ready(): Promise<void> {
    if (this.client.connected) return Promise.resolve();
    return new Promise((res) => this.client.once('connect', () => res()));
  }

  #onConnect(): void {
    this.#publishStatus();
    const filters = [this.#t.release(this.#o.channel), ...(this.trust.follows ? [this.#t.allTrust()] : [])];
    void this.client.subscribeAsync(filters, { qos: 1 }).catch(() => {});
    if (!this.#windowTimer) {
      // Spread the windows of many agents across the period instead of all at once.
      const windowMs = this.#o.windowMs ?? 60_000;
      const first = setTimeout(() => {
        this.#emitWindow();
        this.#windowTimer = setInterval(() => this.#emitWindow(), windowMs);
      }, Math.floor(this.#rand() * windowMs));
      this.#windowTimer = first;
    }
  }

  #onMessage(topic: string, payload: Buffer): void {
    if (topic === this.#t.release(this.#o.channel)) return void this.#onRelease(payload);
    const trustEvents = this.trust.onMessage(this.#t, topic, payload, this.#clock());
    if (trustEvents) return trustEvents.forEach((e) => this.#event(e));
    for (const [filter, h] of this.#msgHandlers) if (matches(filter, topic)) h(topic, payload);
  }

  // ---- releases ------------------------------------------------------------------------------------

  #onRelease(payload: Buffer): void {
    if (payload.length === 0) return;
    let release: Release;
    try {
      // DESIGN.md "Trust rules": signatures first (the keys in force), then payloadType, then the schema.
      release = this.trust.verifyRelease(payload);
    } catch (e) {
      return this.#reject('release_rejected', toAgentError(e, 'bad_payload').code);
    }
    // the agent's acceptance rules (channel, repeat, seq, expiry), shared
    const digest = createHash('sha256').update(payload).digest('hex');
    const last = this.#lastSeq > 0 ? { seq: this.#lastSeq, digest: this.#lastDigest } : undefined;
    const verdict = judgeRelease(release, { channel: this.#o.channel, digest, last, now: this.#clock() });
    if (verdict.kind === 'repeat') return; // the same release again (reconnect): nothing to do
    if (verdict.kind === 'reject') return this.#reject('release_rejected', verdict.error.code);
    this.#lastSeq = release.seq;
    this.#lastDigest = digest;
    this.#release = release;
    this.counters.releasesAccepted++;
    this.#event({ type: 'release_accepted', channel: release.channel, releaseSeq: release.seq });
    const gen = ++this.#generation;
    for (const role of ROLES) {
      const rr = release.roles[role];
      if (rr) void this.#applyRole(role, rr, gen);
    }
  }

  #reject(type: 'release_rejected' | 'model_rejected', reason: ErrorCode | string, modelId?: string): void {
    this.counters.releasesRejected++;
    this.#event({ type, reason, ...(modelId ? { modelId } : {}) });
  }

  async #applyRole(role: Role, rr: NonNullable<Release['roles'][Role]>, gen: number): Promise<void> {
    // the agent's targeting rule: bucket and, when the candidate has one, the label selector
    const chosen = chooseRoleTarget(rr, this.agentId, this.#o.labels ?? {});
    const target = chosen.modelId;
    const shadow = chosen.shadow;
    try {
      const manifest = await this.#ensureModel(target, role);
      if (shadow) await this.#ensureModel(shadow.modelId, role);
      if (gen !== this.#generation || this.#closed) return; // a newer release superseded this one
      const prev = this.roles.get(role);
      const next: ActiveRole = {
        modelId: target,
        cohort: chosen.cohort,
        ...(chosen.rolloutId ? { rolloutId: chosen.rolloutId } : {}),
        version: manifest?.version ?? '0.0.0',
        ...(shadow ? { shadow } : {}),
        activatedAt: prev?.modelId === target ? prev.activatedAt : this.#clock(),
      };
      const changed = prev?.modelId !== target;
      if (changed || prev?.shadow?.modelId !== shadow?.modelId || prev?.cohort !== next.cohort) {
        // A model change closes the current window so no window mixes two models (as the real agent does).
        if (changed && prev) this.#emitWindow();
        this.roles.set(role, next);
        if (changed) {
          this.counters.activations++;
          const back = prev?.cohort === 'candidate' && next.cohort === 'stable';
          this.#event({ type: back ? 'rolled_back' : 'activated', role, modelId: target, releaseSeq: this.#lastSeq, ...(back ? { reason: 'release' } : {}) });
        }
        this.#publishStatus();
      }
    } catch (e) {
      const err = toAgentError(e, 'internal');
      this.#event({ type: 'model_rejected', role, modelId: target, reason: err.code, message: err.message });
    }
  }

  // ---- model fetch ---------------------------------------------------------------------------------

  /** Verified manifest of a model this agent holds, fetching and verifying it first if needed. */
  async #ensureModel(modelId: string, role: Role): Promise<ModelManifest | undefined> {
    if (this.#models.has(modelId)) return this.#manifests.get(modelId);
    let f = this.#fetches.get(modelId);
    if (!f) {
      f = { promise: this.#fetch(modelId, role) };
      this.#fetches.set(modelId, f);
      f.promise.then(
        () => this.#fetches.delete(modelId),
        () => this.#fetches.delete(modelId),
      );
    }
    return f.promise;
  }

  async #fetch(modelId: string, role: Role): Promise<ModelManifest> {
    const manifest = await fetchSimModel(
      {
        topics: this.#t,
        trust: this.trust.models(),
        maxModelBytes: this.#o.maxModelBytes ?? 512 * 1024 * 1024,
        fetchModels: this.#o.fetchModels !== false,
        useOrigins: this.#o.useOrigins !== false,
        ...(this.#o.originCa ? { originCa: this.#o.originCa } : {}),
        ...(this.#o.originAgent ? { originAgent: this.#o.originAgent } : {}),
        counters: this.counters,
        event: (e) => this.#event(e),
        subscribe: (filter, handler, onError) => this.#subscribe(filter, handler, onError),
        waits: this.#waits,
        closed: () => this.#closed,
        variants: { setting: this.#o.variant?.setting ?? 'auto', provider: this.#o.variant?.provider ?? 'cpu', cpuFlags: this.#o.variant?.cpuFlags ?? [], chosen: this.variants },
      },
      modelId,
      role,
    );
    this.#models.add(modelId);
    this.#manifests.set(modelId, manifest);
    return manifest;
  }

  /** Holds `filter` for `handler` until the disposer runs (its own subscription; no central switch). */
  #subscribe(filter: string, handler: (topic: string, payload: Buffer) => void, onError: (e: Error) => void): () => void {
    this.#msgHandlers.set(filter, handler);
    this.client.subscribe(filter, { qos: 1 }, (err) => err && onError(err));
    return () => {
      if (this.#msgHandlers.get(filter) !== handler) return;
      this.#msgHandlers.delete(filter);
      void this.client.unsubscribeAsync(filter).catch(() => {});
    };
  }

  // ---- reporting ---------------------------------------------------------------------------------

  #event(e: Omit<AgentEvent, 'agentId' | 'ts' | 'seq'>): void {
    const ev: AgentEvent = { agentId: this.agentId, ts: new Date(this.#clock()).toISOString(), ...(this.epoch !== undefined ? { epoch: this.epoch } : {}), seq: this.#eventSeq++, ...e };
    this.#o.onEvent?.(ev);
    if (!this.#closed) this.client.publish(this.#t.agentEvents(this.agentId), JSON.stringify(ev), { qos: 1 });
  }

  status(): AgentStatus {
    const roles: AgentStatus['roles'] = {};
    for (const [role, a] of this.roles) {
      const rs: RoleStatus = { state: 'active', modelId: a.modelId, provider: 'sim', version: a.version ?? '0.0.0', cohort: a.shadow ? 'shadow' : a.cohort };
      if (a.rolloutId ?? a.shadow?.rolloutId) rs.rolloutId = a.rolloutId ?? a.shadow!.rolloutId;
      rs.variant = { name: this.variants.get(a.modelId) ?? 'fp32' };
      roles[role] = rs;
    }
    return {
      agentId: this.agentId,
      online: true,
      ts: new Date(this.#clock()).toISOString(),
      agentVersion: 'sim-0.1.0',
      platform: 'sim',
      channel: this.#o.channel,
      releaseSeq: this.#lastSeq,
      roles,
      labels: { ...this.#o.labels },
    };
  }

  #publishStatus(): void {
    if (this.#closed) return;
    this.client.publish(this.#t.agentStatus(this.agentId), JSON.stringify(this.status()), { qos: 1, retain: true });
  }

  /** Simulates the window's requests from each active model's profile and publishes the window. */
  #emitWindow(): void {
    if (this.#closed) return;
    const end = this.#clock();
    const n = this.#o.requestsPerWindow ?? 50;
    const roles: MetricsWindow['roles'] = {};
    for (const [role, a] of this.roles) {
      roles[role] = simulateRoleMetrics(a, this.#o.profiles, this.#rand, n, this.#o.shadowSampleRate ?? 0.2);
    }
    const w: MetricsWindow = {
      agentId: this.agentId,
      ...(this.epoch !== undefined ? { epoch: this.epoch } : {}),
      seq: this.#windowSeq++,
      windowStart: new Date(this.#windowStart).toISOString(),
      windowEnd: new Date(Math.max(end, this.#windowStart + 1)).toISOString(),
      channel: this.#o.channel,
      releaseSeq: this.#lastSeq,
      roles,
      process: { rssBytes: 50e6, heapUsedBytes: 20e6, eventLoopDelayP99Ms: 1 },
    };
    this.#windowStart = end;
    this.counters.windows++;
    this.#o.onWindow?.(w);
    this.client.publish(this.#t.agentMetrics(this.agentId), JSON.stringify(w), { qos: 1 });
  }

  get release(): Release | undefined {
    return this.#release;
  }

  /** How many waits (chunk fetch, manifest) are in progress; close() ends them all. */
  waiting(): number {
    return this.#waits.size;
  }

  activeModel(role: Role): string | undefined {
    return this.roles.get(role)?.modelId;
  }

  /** Graceful stop: marks itself offline (retained) and disconnects. `crash` skips that, so the will fires. */
  async close(opts: { crash?: boolean } = {}): Promise<void> {
    if (this.#windowTimer) {
      clearTimeout(this.#windowTimer);
      clearInterval(this.#windowTimer);
    }
    if (!opts.crash && this.client.connected) {
      const s = { ...this.status(), online: false };
      await this.client.publishAsync(this.#t.agentStatus(this.agentId), JSON.stringify(s), { qos: 1, retain: true }).catch(() => {});
    }
    this.#closed = true;
    // a fetch or manifest wait in progress ends now, not when its 10-minute timer fires (it kept the process alive)
    for (const end of [...this.#waits]) end(new AgentError('aborted', `agent ${this.agentId} closed`));
    if (opts.crash) {
      this.client.stream?.destroy();
      await this.client.endAsync(true);
    } else await this.client.endAsync();
  }
}

function hashSeed(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0);
}

function matches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  if (!filter.endsWith('/+')) return false;
  const head = filter.slice(0, -1);
  return topic.startsWith(head) && !topic.slice(head.length).includes('/');
}
