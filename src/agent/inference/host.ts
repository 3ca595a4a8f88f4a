/**
 * The inference host (DESIGN.md "Inference host", issue 3): per role one live onnxruntime session, held
 * off this thread — in session worker threads, or in the one session process that serves every role
 * (worker-pool.ts) — so that neither session creation nor run(), both synchronous native calls in
 * onnxruntime-node, ever blocks this thread.
 *
 * - run() takes a lease on the role's current generation; a swap points new runs at the new generation
 *   and releases the old session once its leases drain: no request fails or waits on a swap (issue 3 §3).
 * - activate() runs the loading pipeline while the active model keeps serving: verify sha256 → create
 *   (providers in order, with fallback) → contract → self-test → warm-up → latency budget → swap. Any
 *   failure leaves the active model serving and emits activation_failed with the step and reason (issue 3
 *   §2). With process isolation the untrusted part runs first in a warming process at lower priority
 *   (warming.ts); the serving process then creates, self-tests and times its own session.
 * - A worker that ends (crashed, killed, a run past runTimeoutMs) takes its sessions with it: each serving
 *   role is reported lost (`worker_lost`) and answers `model_restarting` until a model is loaded again.
 */
import { AgentError } from '../../common/errors.js';
import type { ModelManifest, Role } from '../../common/wire.js';
import type { ActivationRequest, ActivationResult, ModelActivator } from '../activation.js';
import type { HostEvent, HostEventListener, InferenceHostOptions, InferenceHostStatus, RunObserver, RunOptions } from './host-types.js';
import { copyToShared, InputPool } from './host-buffers.js';
import { failPending, finishRun, sendRun, type RunContext } from './host-runs.js';
import { awaitLoad, awaitRelease, fail, failed, loadOptions, reportFallbacks } from './host-load.js';
import { hostStatus } from './host-status.js';
import type { Feeds, FromWorker, Outputs } from './worker-messages.js';
import { selectProviders } from './providers.js';
import { RunQueue } from './run-queue.js';
import { PROOF_WARMUP_RUNS, WarmingProcess, WARMING_NICE_DELTA } from './warming.js';
import { WorkerPool, type Generation, type Slot } from './worker-pool.js';

export type { HostEvent, HostEventListener, InferenceHostOptions, InferenceHostStatus, RoleHostStatus, RunObserver, RunOptions } from './host-types.js';

export class InferenceHost implements ModelActivator {
  private readonly current = new Map<Role, Generation>();
  private readonly previous = new Map<Role, Generation>();
  /** every generation not yet released, by gid (results are routed by gid) */
  private readonly gens = new Map<number, Generation>();
  private readonly activationQueues = new Map<Role, RunQueue>();
  private readonly listeners = new Set<HostEventListener>();
  private readonly observers: RunObserver[];
  private readonly providers: string[];
  private readonly pool: WorkerPool;
  /** process isolation only: where new models are proven before the serving process loads them */
  private readonly warming: WarmingProcess | undefined;
  /** roles whose serving worker was lost, until a model is active again: runs answer model_restarting */
  private readonly restarting = new Map<Role, string>();
  private readonly runs: RunContext;
  private readonly emitter = (e: HostEvent) => this.emit(e);
  private nextGid = 0;
  private closed = false;

  constructor(private readonly opts: InferenceHostOptions = {}) {
    this.providers = selectProviders(opts.platform ?? process.platform, opts.providers);
    this.observers = opts.observers ? [...opts.observers] : [];
    if (opts.onEvent) this.listeners.add(opts.onEvent);
    const isolation = opts.isolation ?? 'thread';
    this.pool = new WorkerPool(
      {
        isolation,
        ...(opts.workerUrl ? { workerUrl: opts.workerUrl } : {}),
        ...(opts.sessionSpawner ? { spawner: opts.sessionSpawner } : {}),
        ...(opts.nativeHost ? { nativeHost: opts.nativeHost } : {}),
        prespawn: opts.prespawn ?? true,
        recycleAfterLoads: opts.recycleAfterLoads ?? 50,
        recycleRssGrowthBytes: opts.recycleRssGrowthBytes ?? 256 << 20,
      },
      { message: (slot, m) => this.onMessage(slot, m), lost: (slot, message, reason) => this.slotLost(slot, message, reason) },
    );
    this.warming = isolation === 'process' ? new WarmingProcess(() => this.pool.start({ lowerPriorityBy: WARMING_NICE_DELTA }), (w, force) => this.pool.stop(w, force)) : undefined;
    let nextRunId = 0;
    this.runs = {
      inputPool: new InputPool(),
      observers: this.observers,
      runTimeoutMs: opts.runTimeoutMs ?? 0,
      nextRunId: () => ++nextRunId,
      timedOut: (gen, id, limit) => this.runTimedOut(gen, id, limit),
      releaseLease: (gen) => this.releaseLease(gen),
    };
  }

  /** the providers this host tries, in order, after platform filtering */
  get providerOrder(): readonly string[] {
    return this.providers;
  }

  on(listener: HostEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  addObserver(o: RunObserver): () => void {
    this.observers.push(o);
    return () => {
      const i = this.observers.indexOf(o);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  private emit(e: HostEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a faulty listener must not break inference
      }
    }
  }

  // ---------------------------------------------------------------- run

  /**
   * Runs the role's current model. Takes a lease on the generation serving right now; a swap during
   * the run does not affect it (issue 3 §3).
   */
  run(role: Role, feeds: Feeds, opts: RunOptions = {}): Promise<Outputs> {
    const gen = this.current.get(role);
    if (this.closed) return Promise.reject(new AgentError('aborted', 'inference host is closed'));
    if (!gen && this.restarting.has(role)) return Promise.reject(new AgentError('model_restarting', `the ${role} model is being reloaded after its worker ended: retry shortly`));
    if (!gen) return Promise.reject(new AgentError('no_model', `no model is active for ${role}`));
    if (opts.signal?.aborted) return Promise.reject(new AgentError('aborted', 'run aborted before it started'));
    gen.leases++;
    return sendRun(this.runs, gen, feeds, opts);
  }

  /**
   * A run past runTimeoutMs: the caller gets `timeout`, and the worker — stuck in one native call that
   * nothing can interrupt — is ended (a session process is killed), with every session it held.
   */
  private runTimedOut(gen: Generation, id: number, limit: number): void {
    if (!gen.pending.has(id)) return;
    finishRun(this.runs, gen, id, false, undefined, new AgentError('timeout', `the ${gen.role} run took longer than ${limit} ms; its worker is being replaced`));
    this.pool.end(gen.slot, `a run took longer than ${limit} ms`, true, 'timeout');
  }

  private releaseLease(gen: Generation): void {
    gen.leases--;
    if (gen.retiring && gen.leases === 0) void this.release(gen);
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    switch (m.t) {
      case 'result':
      case 'run_error': {
        if (m.lent) for (const b of m.lent) this.runs.inputPool.give(b);
        const gen = this.gens.get(m.gid);
        if (!gen) break;
        if (m.t === 'result') finishRun(this.runs, gen, m.id, true, m.outputs);
        else finishRun(this.runs, gen, m.id, false, undefined, new AgentError(m.code, m.message));
        break;
      }
      case 'loaded':
      case 'load_failed':
        this.gens.get(m.gid)?.loadWaiter?.(m);
        break;
      case 'released': {
        const r = slot.released.get(m.gid);
        slot.released.delete(m.gid);
        r?.();
        break;
      }
    }
  }

  // ---------------------------------------------------------------- activation

  activate(req: ActivationRequest & { transferBytes?: boolean }): Promise<ActivationResult> {
    // activations for one role apply in order; other roles are independent
    let q = this.activationQueues.get(req.role);
    if (!q) this.activationQueues.set(req.role, (q = new RunQueue(1)));
    return q.run(() => this.activateNow(req));
  }

  /**
   * Loads the role's current model again in a fresh worker and ends the role's old workers once they
   * hold no session (issue 3 §5: shed whatever a long-lived thread accumulated). Threads only: the one
   * session process keeps no copy of the bytes here (`not_found`); the agent reloads from its store.
   */
  async recycle(role: Role, opts: { signal?: AbortSignal } = {}): Promise<ActivationResult> {
    const gen = this.current.get(role);
    if (!gen) throw new AgentError('no_model', `no model is active for ${role}`);
    if (!gen.bytes) throw new AgentError('not_found', `the ${role} model's bytes are not retained`);
    for (const s of this.pool.of(role)) {
      s.recycling = true;
      this.pool.maybeEnd(s);
    }
    return this.activate({ role, modelId: gen.modelId, manifest: gen.manifest, bytes: new Uint8Array(gen.bytes), ...(opts.signal ? { signal: opts.signal } : {}) });
  }

  /**
   * Instant rollback to the previous generation (kept loaded with keepPrevious): a pointer swap, no
   * load. This is the host side of `rpa-agent rollback --role R` and of a guard revert.
   */
  rollback(role: Role, expectModelId?: string): ActivationResult & { modelId: string } {
    const prev = this.previous.get(role);
    if (!prev || prev.closed || (expectModelId && prev.modelId !== expectModelId)) {
      throw new AgentError('not_found', `no previous ${role} model is loaded${expectModelId ? ` (wanted ${expectModelId})` : ''}`);
    }
    this.previous.delete(role);
    const cur = this.current.get(role);
    prev.retiring = false;
    this.current.set(role, prev);
    if (cur) this.retire(cur, true);
    return { modelId: prev.modelId, provider: prev.provider, warmupP95Ms: prev.warmupP95Ms };
  }

  private budgetFor(role: Role, manifest: ModelManifest): number {
    return manifest.latencyBudgetMs ?? this.opts.latencyBudgetMs?.[role] ?? this.opts.defaultLatencyBudgetMs ?? 100;
  }

  private async activateNow(req: ActivationRequest & { transferBytes?: boolean }): Promise<ActivationResult> {
    const { role, modelId, manifest, bytes, signal } = req;
    if (this.closed) throw new AgentError('aborted', 'inference host is closed');
    if (manifest.role !== role) throw fail(this.emitter, role, modelId, 'verify', 'model_role_mismatch', `manifest is for ${manifest.role}, not ${role}`);
    signal?.throwIfAborted();
    // Handing the buffer over costs this thread nothing; otherwise copy it into shared memory in slices
    // (a 50 MB copy in one go would stall the event loop for tens of ms). A session process gets a copy
    // over its channel either way, and is proven first with these same bytes: always shared then.
    const ownsWholeBuffer = bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const given = (req.transferBytes ?? this.opts.transferActivationBytes ?? false) && ownsWholeBuffer;
    const handOver = !this.warming && given;
    const byteLength = bytes.byteLength;
    // with session processes the host's copy is a plain ArrayBuffer: it crosses their channel as it is, and is
    // the one copy both the warming and the serving process get (the bytes verified are the bytes loaded)
    // (session processes: bytes the caller gave up are that plain copy already — nothing on this side writes to them)
    const shared: SharedArrayBuffer | ArrayBuffer =
      handOver || (this.warming && given) ? (bytes.buffer as ArrayBuffer) : this.warming ? await copyToShared(bytes, signal, 'plain') : await copyToShared(bytes, signal);
    const options = loadOptions(this.opts, this.providers, this.budgetFor(role, manifest));
    const loadTimeoutMs = this.opts.loadTimeoutMs ?? 120_000;
    const t0 = performance.now();
    let provedRuns: number | undefined;
    if (this.warming) {
      // the whole pipeline in the warming process: one intra-op thread, lower priority; the latency budget is judged
      // where the model will serve, below, and so it is warmed there only (PROOF_WARMUP_RUNS, issue 17 §2)
      const proof = await this.warming.prove(
        { t: 'load', gid: ++this.nextGid, modelId, manifest, bytes: shared, byteLength, options: { ...options, intraOpNumThreads: 1, warmupRuns: PROOF_WARMUP_RUNS, latencyBudgetMs: Number.MAX_SAFE_INTEGER } },
        loadTimeoutMs,
        signal,
      );
      if (proof.t !== 'loaded') throw failed(this.emitter, this.providers, role, modelId, proof);
      provedRuns = proof.runs;
      // the bytes were verified a moment ago, in the warming process, from this same shared copy
      options.verifySha256 = false;
    }
    if (this.closed) throw new AgentError('aborted', 'inference host is closed');
    let slot: Slot;
    try {
      slot = await this.pool.forLoad(role, this.current.get(role)?.slot);
    } catch (e) {
      if (this.closed) throw new AgentError('aborted', 'inference host is closed');
      throw fail(this.emitter, role, modelId, 'create', 'load_failed', `could not start a session worker: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (this.closed) throw new AgentError('aborted', 'inference host is closed');
    const gen: Generation = {
      gid: ++this.nextGid,
      role,
      modelId,
      manifest,
      // kept for recycle() with threads; a session process's model is reloaded from the store instead (the
      // agent core, on worker_lost), so the agent process does not hold a copy of every model (issue 17 §2)
      bytes: shared instanceof SharedArrayBuffer && !this.warming ? shared : undefined,
      slot,
      provider: '',
      warmupP95Ms: 0,
      activatedAt: 0,
      leases: 0,
      retiring: false,
      closed: false,
      pending: new Map(),
    };
    this.gens.set(gen.gid, gen);
    slot.gens.add(gen);
    slot.loads++;
    const answer = await awaitLoad(gen, { t: 'load', gid: gen.gid, modelId, manifest, bytes: shared, byteLength, options }, loadTimeoutMs, signal);
    gen.loadWaiter = undefined;
    this.pool.noteLoads(slot);

    if (answer.t !== 'loaded') {
      gen.retiring = true;
      if (answer.t === 'aborted') {
        // the native load cannot be interrupted: release the session if it arrives after all
        gen.loadWaiter = (m) => {
          gen.loadWaiter = undefined;
          if (m.t === 'loaded') void this.release(gen);
          else this.forget(gen);
        };
      } else if (answer.t === 'timeout') {
        // a worker stuck in a native load cannot be trusted with anything else: end it
        this.pool.end(slot, 'model load timed out', true);
      } else this.forget(gen);
      throw failed(this.emitter, this.providers, role, modelId, answer);
    }
    if (this.closed) throw new AgentError('aborted', 'inference host is closed');
    if (answer.retained && !this.warming) gen.bytes = answer.retained;
    gen.provider = answer.provider;
    gen.warmupP95Ms = answer.warmupP95Ms;
    gen.activatedAt = Date.now();
    reportFallbacks(this.emitter, this.providers, role, modelId, answer.failedProviders, answer.provider);

    // the swap itself: new runs go to the new generation from this line on (issue 3 §3)
    const old = this.current.get(role);
    this.current.set(role, gen);
    this.restarting.delete(role);
    if (old) this.retire(old, this.opts.keepPrevious ?? false);
    const loadMs = this.warming ? performance.now() - t0 : answer.loadMs;
    this.emit({
      type: 'activated',
      role,
      modelId,
      // runs: of the model in the warming process (its proof) and where it serves (self-test and warm-up)
      details: { provider: gen.provider, warmupP95Ms: gen.warmupP95Ms, loadMs, runs: { ...(provedRuns !== undefined ? { proof: provedRuns } : {}), serving: answer.runs }, ...(answer.selfTestMaxDiff !== undefined ? { selfTestMaxDiff: answer.selfTestMaxDiff } : {}), ...(old ? { replaced: old.modelId } : {}) },
    });
    return { provider: gen.provider, warmupP95Ms: gen.warmupP95Ms };
  }

  /** Stops pointing new runs at `gen`; keeps it as the role's previous generation or releases it after its leases drain. */
  private retire(gen: Generation, keep: boolean): void {
    if (keep) {
      const older = this.previous.get(gen.role);
      this.previous.set(gen.role, gen);
      if (older && older !== gen) this.retire(older, false);
      return;
    }
    gen.retiring = true;
    if (gen.leases === 0) void this.release(gen);
  }

  async deactivate(role: Role): Promise<void> {
    this.restarting.delete(role);
    const gen = this.current.get(role);
    this.current.delete(role);
    const prev = this.previous.get(role);
    this.previous.delete(role);
    if (prev) this.retire(prev, false);
    if (gen) this.retire(gen, false);
  }

  // ---------------------------------------------------------------- generations and workers

  private slotLost(slot: Slot, message: string, reason: string): void {
    for (const gen of [...slot.gens]) this.gone(gen, message, reason);
  }

  /** A generation whose worker went away: fail its runs, stop routing to it, report if it was serving. */
  private gone(gen: Generation, message: string, reason = 'internal'): void {
    const serving = !gen.closed && this.current.get(gen.role) === gen;
    gen.closed = true;
    gen.loadWaiter?.({ t: 'exit', message });
    failPending(this.runs, gen, new AgentError('model_restarting', `${message}: retry shortly`));
    if (serving && !this.closed) {
      // the serving worker died: stop routing to it (runs answer model_restarting) and report; the agent
      // core's role state machine decides what to load (issue 18: host events are its inputs)
      this.current.delete(gen.role);
      this.restarting.set(gen.role, gen.modelId);
      this.emit({ type: 'worker_lost', role: gen.role, modelId: gen.modelId, reason, message, details: { provider: gen.provider } });
    }
    if (this.previous.get(gen.role) === gen) this.previous.delete(gen.role);
    this.forget(gen);
  }

  private forget(gen: Generation): void {
    gen.closed = true;
    this.gens.delete(gen.gid);
    gen.slot.gens.delete(gen);
  }

  /** Releases a generation's session in its worker (the worker lives on: a thread as the role's standby). */
  private async release(gen: Generation): Promise<void> {
    if (gen.closed) return;
    gen.closed = true;
    const slot = gen.slot;
    if (!slot.ended) await awaitRelease(slot, gen.gid);
    failPending(this.runs, gen, new AgentError('aborted', 'model was unloaded'));
    this.forget(gen);
    if (this.closed || slot.ended) return;
    this.pool.noteRss(slot);
    this.pool.maybeEnd(slot);
  }

  // ---------------------------------------------------------------- status and lifetime

  status(): InferenceHostStatus {
    return hostStatus(this.current, this.previous, this.gens, this.pool);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const gens = [...this.gens.values()];
    this.current.clear();
    this.previous.clear();
    for (const g of gens) {
      g.loadWaiter?.({ t: 'exit', message: 'inference host is closed' });
      g.closed = true;
      failPending(this.runs, g, new AgentError('aborted', 'model was unloaded'));
    }
    this.gens.clear();
    await Promise.all([this.pool.close(), this.warming?.close()]);
    this.listeners.clear();
  }
}
