/**
 * The inference host (DESIGN.md "Inference host", issue 3): per role one live onnxruntime session,
 * held in a session worker thread so that neither session creation nor run() — both synchronous native
 * calls in onnxruntime-node — ever blocks this thread.
 *
 * - Workers are long-lived, two per role, taking turns: the standby loads the new model while the
 *   active one serves; after the swap drains, the old session is released in its thread and that
 *   thread becomes the standby. A thread per generation grew RSS by ~47 % over 100 swaps (ended threads
 *   leave their malloc arenas behind); create/release on a long-lived thread stays flat
 *   (docs/BENCHMARKS-inference.md).
 * - run() takes a lease on the role's current generation; a swap points new runs at the new generation
 *   and releases the old session once its leases drain: no request fails or waits on a swap (issue 3 §3).
 * - activate() runs the loading pipeline in the standby worker while the active one keeps serving:
 *   verify sha256 → create (providers in order, with fallback) → contract → self-test → warm-up →
 *   latency budget → swap. Any failure leaves the active model serving and emits activation_failed
 *   with the step and reason (issue 3 §2).
 * - A worker is recycled (ended and replaced by a fresh thread once it holds no session) after
 *   `recycleAfterLoads` loads, when process RSS grew by `recycleRssGrowthBytes` since the last recycle,
 *   or on recycle(role), which reloads the role's model in a fresh worker (issue 3 §5: "if the
 *   in-process host cannot stay flat, recycle the worker that holds the sessions"; onnxruntime issues
 *   25325, 26831).
 */
import { performance } from 'node:perf_hooks';
import { AgentError, type ErrorCode } from '../../common/errors.js';
import type { AgentEvent, ModelManifest, Role } from '../../common/wire.js';
import type { ActivationRequest, ActivationResult, ModelActivator } from '../activation.js';
import type { Feeds, FromWorker, LoadOptions, LoadStep, Outputs, ProviderAttempt, ToWorker } from './worker-messages.js';
import { mallocTuned } from './malloc.js';
import { selectProviders } from './providers.js';
import { RunQueue } from './run-queue.js';
import { sessionWorkerUrl, spawnWorker } from './spawn.js';
import { spawnSessionProcess, type SessionWorker } from './session-process.js';

/** What the host reports; the agent core adds agentId, ts and seq and publishes it (wire.ts AgentEvent). */
export interface HostEvent {
  /** `worker_lost`: the worker serving a role ended (crashed, killed, a run past runTimeoutMs); the agent decides what to load */
  type: AgentEvent['type'] | 'worker_lost';
  role?: Role;
  modelId?: string;
  reason?: string;
  message?: string;
  details?: Record<string, unknown>;
}
export type HostEventListener = (e: HostEvent) => void;

/** Sees every completed run (the candidate guard, telemetry). Must be cheap: it runs on the hot path. */
export interface RunObserver {
  onRun(role: Role, modelId: string, ok: boolean, latencyMs: number): void;
}

export interface InferenceHostOptions {
  /** ordered provider list from config; filtered by platform (providers.ts) */
  providers?: string[];
  platform?: string;
  /** config latency budgets per role; a manifest's latencyBudgetMs takes precedence */
  latencyBudgetMs?: Partial<Record<Role, number>>;
  /** when neither manifest nor config names a budget (fleet default for the detector: 100 ms) */
  defaultLatencyBudgetMs?: number;
  warmupRuns?: number;
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  /** onnxruntime intra/inter-op threads spin-wait between ops (onnxruntime's default; here default false, see LoadOptions) */
  allowSpinning?: boolean;
  /** re-hash the bytes against modelId before loading (default true; issue 3 §7) */
  verifySha256?: boolean;
  /** give up on a load after this long (default 120 s); its worker is ended */
  loadTimeoutMs?: number;
  /**
   * a run not answered within this long fails with `timeout` and its worker is ended and replaced (issue 17
   * §1: a model whose run never ends); the role's model is then reported lost (`worker_lost`). 0 = never (default).
   */
  runTimeoutMs?: number;
  /**
   * where sessions live: 'thread' (worker threads, the default here) or 'process' (a child process per
   * worker: the only kind that can be ended while onnxruntime is inside a native call; session-process.ts)
   */
  isolation?: 'thread' | 'process';
  /** keep one started worker ready so a new or recycled worker does not pay for thread start-up (default true) */
  prespawn?: boolean;
  /** recycle a session worker after it has loaded this many models (default 50; 0 = never) */
  recycleAfterLoads?: number;
  /**
   * recycle the worker that just released a session when process RSS (sampled after each release) has
   * grown by more than this since the lowest sample after the last recycle (default 256 MiB; 0 = off)
   */
  recycleRssGrowthBytes?: number;
  /**
   * hand the activation bytes' buffer to the worker instead of copying it on this thread (the
   * caller's `bytes` are detached afterwards). Default false; a request can also ask with `transferBytes`.
   */
  transferActivationBytes?: boolean;
  /** keep the previous generation loaded after a swap so rollback(role) is instant (default false) */
  keepPrevious?: boolean;
  onEvent?: HostEventListener;
  observers?: RunObserver[];
  /** for tests: a different worker entry */
  workerUrl?: URL;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** hand the input buffers to the worker instead of copying them (they are detached here afterwards) */
  transfer?: boolean;
}

export interface RoleHostStatus {
  modelId: string;
  name: string;
  version: string;
  provider: string;
  leases: number;
  warmupP95Ms: number;
  activatedAt: number;
  /** generations still draining leases after a swap */
  draining: { modelId: string; leases: number }[];
  previous?: string;
}
export interface InferenceHostStatus {
  roles: Partial<Record<Role, RoleHostStatus>>;
  /** session worker threads alive (not counting the pre-started spare) */
  workers: number;
  /** their thread ids, per role (a recycled worker shows up as a new id) */
  threads: Partial<Record<Role, number[]>>;
  /** sessions loaded or loading across all workers */
  sessions: number;
  /** workers ended and replaced so far (recycleAfterLoads, recycleRssGrowthBytes, recycle()) */
  recycledWorkers: number;
  /** false on Linux when glibc's mmap threshold is not fixed for this process: RSS then grows over swaps (malloc.ts) */
  mallocTuned: boolean;
}

interface Pending {
  resolve: (o: Outputs) => void;
  reject: (e: unknown) => void;
  t0: number;
  settled: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

/** Inputs at least this big cross in a pooled, transferred ArrayBuffer instead of a structured-clone copy. */
const LENT_INPUT_MIN_BYTES = 16 * 1024;
const POOL_MAX_BYTES = 64 << 20;
/** two workers per role take turns (active + standby); a third exists only while one is being recycled */
const WORKERS_PER_ROLE = 2;

/**
 * Reusable ArrayBuffers for run inputs. Posting a big typed array structured-clones it (an allocation
 * and a copy on each side, and GC pressure); instead the input is copied once into a pooled buffer,
 * which is transferred to the worker (no copy), used there directly as the tensor's memory, and
 * transferred back with the result for the next run.
 */
class InputPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private bytes = 0;
  take(size: number): ArrayBuffer {
    const sab = this.free.get(size)?.pop();
    if (sab) {
      this.bytes -= size;
      return sab;
    }
    return new ArrayBuffer(size);
  }
  give(buf: ArrayBuffer): void {
    if (buf.byteLength === 0 || this.bytes + buf.byteLength > POOL_MAX_BYTES) return; // 0: detached
    let list = this.free.get(buf.byteLength);
    if (!list) this.free.set(buf.byteLength, (list = []));
    list.push(buf);
    this.bytes += buf.byteLength;
  }
}

/** A long-lived session worker thread: holds the sessions of one role. */
interface Slot {
  id: number;
  role: Role;
  worker: SessionWorker;
  /** generations loaded or loading in this thread and not yet released */
  gens: Set<Generation>;
  /** loads started in this thread (successful or not) */
  loads: number;
  /** gets no new loads; ended once it holds no session */
  recycling: boolean;
  ended: boolean;
  released: Map<number, () => void>;
}

interface Generation {
  gid: number;
  role: Role;
  modelId: string;
  manifest: ModelManifest;
  bytes: SharedArrayBuffer | undefined;
  slot: Slot;
  provider: string;
  warmupP95Ms: number;
  activatedAt: number;
  leases: number;
  retiring: boolean;
  closed: boolean;
  pending: Map<number, Pending>;
  loadWaiter?: (m: FromWorker | { t: 'exit'; message: string }) => void;
}

// 1 MiB slices: a first-touch copy of fresh shared pages costs up to a few ms per MiB on a busy machine
const COPY_CHUNK = 1 << 20;

/** Copies the caller's bytes into memory shared with the worker, in slices so the event loop keeps turning. */
async function copyToShared(src: Uint8Array, signal?: AbortSignal): Promise<SharedArrayBuffer> {
  const sab = new SharedArrayBuffer(src.byteLength);
  const dst = new Uint8Array(sab);
  for (let off = 0; off < src.byteLength; off += COPY_CHUNK) {
    signal?.throwIfAborted();
    dst.set(src.subarray(off, off + COPY_CHUNK), off);
    if (off + COPY_CHUNK < src.byteLength) await new Promise<void>((r) => setImmediate(r));
  }
  return sab;
}

type LoadAnswer = FromWorker | { t: 'exit'; message: string } | { t: 'aborted' } | { t: 'timeout' };

export class InferenceHost implements ModelActivator {
  private readonly current = new Map<Role, Generation>();
  private readonly previous = new Map<Role, Generation>();
  /** every generation not yet released, by gid (results are routed by gid) */
  private readonly gens = new Map<number, Generation>();
  private readonly slots = new Map<Role, Slot[]>();
  private readonly activationQueues = new Map<Role, RunQueue>();
  private readonly listeners = new Set<HostEventListener>();
  private readonly observers: RunObserver[];
  private readonly providers: string[];
  private readonly workerUrl: URL;
  private spare: Promise<SessionWorker> | undefined;
  /** roles whose serving worker was lost, until a model is active again: runs answer model_restarting */
  private readonly restarting = new Map<Role, string>();
  private readonly inputPool = new InputPool();
  private nextRunId = 0;
  private nextGid = 0;
  private nextSlotId = 0;
  private recycledWorkers = 0;
  /** lowest RSS sampled after a session release since the last RSS-triggered recycle */
  private rssFloor: number | undefined;
  private closed = false;

  constructor(private readonly opts: InferenceHostOptions = {}) {
    this.providers = selectProviders(opts.platform ?? process.platform, opts.providers);
    this.workerUrl = opts.workerUrl ?? sessionWorkerUrl();
    this.observers = opts.observers ? [...opts.observers] : [];
    if (opts.onEvent) this.listeners.add(opts.onEvent);
    if (opts.prespawn ?? true) this.spare = this.startWorker();
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
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(new AgentError('aborted', 'run aborted before it started'));
    const id = ++this.nextRunId;
    gen.leases++;
    return new Promise<Outputs>((resolve, reject) => {
      const p: Pending = { resolve, reject, t0: performance.now(), settled: false };
      if (signal) {
        // the native run cannot be interrupted; the caller stops waiting and the lease is released
        // when the worker answers
        const onAbort = () => {
          if (p.settled) return;
          p.settled = true;
          reject(new AgentError('aborted', 'run aborted'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        p.resolve = (o) => {
          signal.removeEventListener('abort', onAbort);
          resolve(o);
        };
        p.reject = (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        };
      }
      gen.pending.set(id, p);
      const limit = this.opts.runTimeoutMs ?? 0;
      if (limit > 0) p.timer = setTimeout(() => this.runTimedOut(gen, id, limit), limit);
      const transfer: ArrayBuffer[] = [];
      let sent: Feeds = feeds;
      let lent = false;
      if (opts.transfer) {
        // the caller gives the buffers up: no copy at all
        for (const t of Object.values(feeds)) if (t.data.buffer instanceof ArrayBuffer && !transfer.includes(t.data.buffer)) transfer.push(t.data.buffer);
      } else {
        for (const [name, t] of Object.entries(feeds)) {
          const d = t.data;
          if (!(d.buffer instanceof ArrayBuffer) || d.byteLength < LENT_INPUT_MIN_BYTES) continue; // shared, or cheap to clone
          const buf = this.inputPool.take(d.byteLength);
          new Uint8Array(buf).set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
          const Ctor = d.constructor as new (b: ArrayBuffer, o: number, n: number) => typeof d;
          if (sent === feeds) sent = { ...feeds };
          sent[name] = { type: t.type, data: new Ctor(buf, 0, d.length), dims: t.dims };
          transfer.push(buf);
          lent = true;
        }
      }
      try {
        this.post(gen.slot, { t: 'run', gid: gen.gid, id, feeds: sent, ...(lent ? { lent } : {}) }, transfer);
      } catch (e) {
        gen.pending.delete(id);
        this.releaseLease(gen);
        p.settled = true;
        reject(new AgentError('internal', `could not send the run to the worker: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  }

  private post(slot: Slot, msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    slot.worker.postMessage(msg, transfer);
  }

  /**
   * A run past runTimeoutMs: the caller gets `timeout`, and the worker — stuck in one native call that
   * nothing can interrupt — is ended (a session process is killed), with every session it held.
   */
  private runTimedOut(gen: Generation, id: number, limit: number): void {
    if (!gen.pending.has(id)) return;
    this.finishRun(gen, id, false, undefined, new AgentError('timeout', `the ${gen.role} run took longer than ${limit} ms; its worker is being replaced`));
    this.endSlot(gen.slot, `a run took longer than ${limit} ms`, true, 'timeout');
  }

  private finishRun(gen: Generation, id: number, ok: boolean, outputs?: Outputs, err?: AgentError): void {
    const p = gen.pending.get(id);
    if (!p) return;
    gen.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    const ms = performance.now() - p.t0;
    this.releaseLease(gen);
    for (const o of this.observers) {
      try {
        o.onRun(gen.role, gen.modelId, ok, ms);
      } catch {
        // observers must not break inference
      }
    }
    if (p.settled) return;
    p.settled = true;
    if (ok && outputs) p.resolve(outputs);
    else p.reject(err ?? new AgentError('internal', 'run failed'));
  }

  private releaseLease(gen: Generation): void {
    gen.leases--;
    if (gen.retiring && gen.leases === 0) void this.release(gen);
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
   * hold no session (issue 3 §5: shed whatever a long-lived thread accumulated).
   */
  async recycle(role: Role, opts: { signal?: AbortSignal } = {}): Promise<ActivationResult> {
    const gen = this.current.get(role);
    if (!gen) throw new AgentError('no_model', `no model is active for ${role}`);
    if (!gen.bytes) throw new AgentError('not_found', `the ${role} model's bytes are not retained`);
    for (const s of this.slots.get(role) ?? []) {
      s.recycling = true;
      this.maybeEndSlot(s);
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

  private fail(role: Role, modelId: string, step: LoadStep, code: ErrorCode, message: string, details: Record<string, unknown> = {}): AgentError {
    this.emit({ type: 'activation_failed', role, modelId, reason: code, message, details: { step, ...details } });
    return new AgentError(code, message, { step, ...details });
  }

  private async activateNow(req: ActivationRequest & { transferBytes?: boolean }): Promise<ActivationResult> {
    const { role, modelId, manifest, bytes, signal } = req;
    if (this.closed) throw new AgentError('aborted', 'inference host is closed');
    if (manifest.role !== role) throw this.fail(role, modelId, 'verify', 'model_role_mismatch', `manifest is for ${manifest.role}, not ${role}`);
    signal?.throwIfAborted();
    // Handing the buffer over costs this thread nothing; otherwise copy it into shared memory in slices
    // (a 50 MB copy in one go would stall the event loop for tens of ms).
    const ownsWholeBuffer = bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const handOver = (req.transferBytes ?? this.opts.transferActivationBytes ?? false) && ownsWholeBuffer;
    const byteLength = bytes.byteLength;
    const shared: SharedArrayBuffer | ArrayBuffer = handOver ? (bytes.buffer as ArrayBuffer) : await copyToShared(bytes, signal);
    let slot: Slot;
    try {
      slot = await this.slotForLoad(role);
    } catch (e) {
      throw this.fail(role, modelId, 'create', 'load_failed', `could not start a session worker: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (this.closed) throw new AgentError('aborted', 'inference host is closed');
    const gen: Generation = {
      gid: ++this.nextGid,
      role,
      modelId,
      manifest,
      bytes: shared instanceof SharedArrayBuffer ? shared : undefined,
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
    const options: LoadOptions = {
      providers: this.providers,
      latencyBudgetMs: this.budgetFor(role, manifest),
      warmupRuns: this.opts.warmupRuns ?? 10,
      logSeverityLevel: 3,
      allowSpinning: this.opts.allowSpinning ?? false,
      verifySha256: this.opts.verifySha256 ?? true,
      ...(this.opts.intraOpNumThreads ? { intraOpNumThreads: this.opts.intraOpNumThreads } : {}),
      ...(this.opts.interOpNumThreads ? { interOpNumThreads: this.opts.interOpNumThreads } : {}),
    };
    const answer = await new Promise<LoadAnswer>((resolve) => {
      // every way out clears the timer: an aborted load once left a 120 s timer holding the process open
      const settle = (m: LoadAnswer) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(m);
      };
      const timer = setTimeout(() => settle({ t: 'timeout' }), this.opts.loadTimeoutMs ?? 120_000);
      const onAbort = () => settle({ t: 'aborted' });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort(); // aborted while the worker was being picked: the listener never fires
      gen.loadWaiter = settle;
      try {
        this.post(slot, { t: 'load', gid: gen.gid, modelId, manifest, bytes: shared, byteLength, options }, shared instanceof ArrayBuffer ? [shared] : []);
      } catch (e) {
        gen.loadWaiter({ t: 'exit', message: `could not send the load to the worker: ${e instanceof Error ? e.message : String(e)}` });
      }
    });
    gen.loadWaiter = undefined;
    this.noteLoads(slot);

    if (answer.t !== 'loaded') {
      gen.retiring = true;
      if (answer.t === 'aborted') {
        // the native load cannot be interrupted: release the session if it arrives after all
        gen.loadWaiter = (m) => {
          gen.loadWaiter = undefined;
          if (m.t === 'loaded') void this.release(gen);
          else this.forget(gen);
        };
        throw new AgentError('aborted', 'activation aborted');
      }
      if (answer.t === 'timeout') {
        // a worker stuck in a native load cannot be trusted with anything else: end it
        this.endSlot(slot, 'model load timed out', true);
        throw this.fail(role, modelId, 'create', 'timeout', 'model load timed out');
      }
      this.forget(gen);
      if (answer.t === 'exit') throw this.fail(role, modelId, 'create', 'load_failed', answer.message);
      if (answer.t === 'load_failed') {
        this.reportFallbacks(role, modelId, answer.failedProviders, undefined);
        throw this.fail(role, modelId, answer.step, answer.code, answer.message, answer.details);
      }
      throw this.fail(role, modelId, 'create', 'internal', `unexpected worker answer ${answer.t}`);
    }
    if (this.closed) throw new AgentError('aborted', 'inference host is closed');
    if (answer.retained) gen.bytes = answer.retained;
    gen.provider = answer.provider;
    gen.warmupP95Ms = answer.warmupP95Ms;
    gen.activatedAt = Date.now();
    this.reportFallbacks(role, modelId, answer.failedProviders, answer.provider);

    // the swap itself: new runs go to the new generation from this line on (issue 3 §3)
    const old = this.current.get(role);
    this.current.set(role, gen);
    this.restarting.delete(role);
    if (old) this.retire(old, this.opts.keepPrevious ?? false);
    this.emit({
      type: 'activated',
      role,
      modelId,
      details: { provider: gen.provider, warmupP95Ms: gen.warmupP95Ms, loadMs: answer.loadMs, ...(answer.selfTestMaxDiff !== undefined ? { selfTestMaxDiff: answer.selfTestMaxDiff } : {}), ...(old ? { replaced: old.modelId } : {}) },
    });
    return { provider: gen.provider, warmupP95Ms: gen.warmupP95Ms };
  }

  private reportFallbacks(role: Role, modelId: string, failed: ProviderAttempt[], used: string | undefined): void {
    if (failed.length === 0) return;
    this.emit({
      type: 'provider_fallback',
      role,
      modelId,
      reason: used ? 'provider_unavailable' : 'load_failed',
      message: used ? `using ${used}: ${failed.map((f) => f.provider).join(', ')} unavailable` : `no provider could load the model`,
      details: { provider: used ?? null, tried: this.providers, failed },
    });
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

  // ---------------------------------------------------------------- workers

  private startWorker(): Promise<SessionWorker> {
    const spawned: Promise<SessionWorker> = this.opts.isolation === 'process' ? spawnSessionProcess(this.workerUrl) : spawnWorker(this.workerUrl);
    return spawned.then((w) => this.whenReady(w));
  }

  private whenReady(w: SessionWorker): Promise<SessionWorker> {
    return new Promise<SessionWorker>((resolve, reject) => {
      const onReady = (m: FromWorker) => {
        if (m.t !== 'ready') return;
        cleanup();
        resolve(w);
      };
      const onError = (e: Error) => {
        cleanup();
        reject(e);
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`session worker exited during start-up (code ${code})`));
      };
      const cleanup = () => {
        w.off('message', onReady);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      w.on('message', onReady);
      w.on('error', onError);
      w.on('exit', onExit);
    });
  }

  private async takeWorker(): Promise<SessionWorker> {
    const spare = this.spare;
    this.spare = undefined;
    let w: SessionWorker | undefined;
    if (spare) w = await spare.catch(() => undefined);
    if (!w) w = await this.startWorker();
    // start the next spare now, so a new or recycled worker does not wait for a thread either. Only if
    // none is on its way: roles load concurrently, and overwriting a pending spare orphaned its thread
    // (close() never terminated it, so a process that ran the host never exited).
    if ((this.opts.prespawn ?? true) && !this.closed && !this.spare) {
      this.spare = this.startWorker();
      this.spare.catch(() => undefined);
    }
    return w;
  }

  /**
   * The worker that loads the role's next model: one that does not hold the serving session and is not
   * being recycled (the standby), else a new one. Activations of one role are serialised, so at most
   * one load per role is in flight.
   */
  private async slotForLoad(role: Role): Promise<Slot> {
    const cur = this.current.get(role);
    const list = this.slots.get(role) ?? [];
    const standby = list.filter((s) => !s.recycling && !s.ended && s !== cur?.slot).sort((x, y) => x.gens.size - y.gens.size)[0];
    if (standby) return standby;
    const worker = await this.takeWorker();
    if (this.closed) {
      void this.stopWorker(worker);
      throw new AgentError('aborted', 'inference host is closed');
    }
    const slot: Slot = { id: ++this.nextSlotId, role, worker, gens: new Set(), loads: 0, recycling: false, ended: false, released: new Map() };
    this.wire(slot);
    if (!this.slots.has(role)) this.slots.set(role, []);
    this.slots.get(role)!.push(slot);
    return slot;
  }

  /** recycle by load count (issue 3 §5) */
  private noteLoads(slot: Slot): void {
    const limit = this.opts.recycleAfterLoads ?? 50;
    if (limit > 0 && slot.loads >= limit) slot.recycling = true;
  }

  /** recycle by RSS growth, sampled right after a session was released (the thread is at its leanest) */
  private noteRss(slot: Slot): void {
    const limit = this.opts.recycleRssGrowthBytes ?? 256 << 20;
    if (!(limit > 0)) return;
    const rss = process.memoryUsage.rss();
    if (this.rssFloor === undefined || rss < this.rssFloor) this.rssFloor = rss;
    else if (rss - this.rssFloor > limit) {
      slot.recycling = true;
      this.rssFloor = undefined;
    }
  }

  /** Ends a worker that holds no session and is being recycled, or is surplus to the role's two. */
  private maybeEndSlot(slot: Slot): void {
    if (slot.ended || slot.gens.size > 0) return;
    const list = this.slots.get(slot.role) ?? [];
    const surplus = list.filter((s) => !s.ended && !s.recycling).length > WORKERS_PER_ROLE;
    if (!slot.recycling && !surplus) return;
    this.recycledWorkers++;
    this.endSlot(slot, 'recycled');
  }

  /** `force`: the worker is stuck in a native call (a load or run past its timeout): end it now, not gracefully */
  private endSlot(slot: Slot, why: string, force = false, reason = 'internal'): void {
    if (slot.ended) return;
    slot.ended = true;
    const list = this.slots.get(slot.role);
    if (list) {
      const i = list.indexOf(slot);
      if (i >= 0) list.splice(i, 1);
    }
    for (const gen of [...slot.gens]) this.gone(gen, `session worker ended (${why})`, reason);
    for (const r of slot.released.values()) r();
    slot.released.clear();
    void this.stopWorker(slot.worker, force);
  }

  private wire(slot: Slot): void {
    slot.worker.on('message', (m: FromWorker) => {
      switch (m.t) {
        case 'result':
        case 'run_error': {
          if (m.lent) for (const b of m.lent) this.inputPool.give(b);
          const gen = this.gens.get(m.gid);
          if (!gen) break;
          if (m.t === 'result') this.finishRun(gen, m.id, true, m.outputs);
          else this.finishRun(gen, m.id, false, undefined, new AgentError(m.code, m.message));
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
    });
    const onGone = (message: string) => {
      if (slot.ended) return;
      slot.ended = true;
      const list = this.slots.get(slot.role);
      if (list && list.includes(slot)) list.splice(list.indexOf(slot), 1);
      for (const gen of [...slot.gens]) this.gone(gen, message);
      for (const r of slot.released.values()) r();
      slot.released.clear();
    };
    slot.worker.on('error', (e) => onGone(`session worker failed: ${e.message}`));
    slot.worker.on('exit', (code) => onGone(`session worker exited (code ${code})`));
  }

  /** A generation whose thread went away: fail its runs, stop routing to it, report if it was serving. */
  private gone(gen: Generation, message: string, reason = 'internal'): void {
    const serving = !gen.closed && this.current.get(gen.role) === gen;
    gen.closed = true;
    gen.loadWaiter?.({ t: 'exit', message });
    for (const id of [...gen.pending.keys()]) this.finishRun(gen, id, false, undefined, new AgentError('model_restarting', `${message}: retry shortly`));
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

  /** Releases a generation's session in its worker (the thread lives on as the role's standby). */
  private async release(gen: Generation): Promise<void> {
    if (gen.closed) return;
    gen.closed = true;
    const slot = gen.slot;
    if (!slot.ended) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          slot.released.delete(gen.gid);
          resolve();
        }, 5000);
        slot.released.set(gen.gid, () => {
          clearTimeout(timer);
          resolve();
        });
        try {
          this.post(slot, { t: 'release', gid: gen.gid });
        } catch {
          slot.released.delete(gen.gid);
          clearTimeout(timer);
          resolve();
        }
      });
    }
    for (const id of [...gen.pending.keys()]) this.finishRun(gen, id, false, undefined, new AgentError('aborted', 'model was unloaded'));
    this.forget(gen);
    if (this.closed || slot.ended) return;
    this.noteRss(slot);
    this.maybeEndSlot(slot);
  }

  // ---------------------------------------------------------------- status and lifetime

  status(): InferenceHostStatus {
    const roles: Partial<Record<Role, RoleHostStatus>> = {};
    for (const [role, g] of this.current) {
      const draining = [...this.gens.values()].filter((x) => x.role === role && x.retiring && !x.closed).map((x) => ({ modelId: x.modelId, leases: x.leases }));
      const prev = this.previous.get(role);
      roles[role] = {
        modelId: g.modelId,
        name: g.manifest.name,
        version: g.manifest.version,
        provider: g.provider,
        leases: g.leases,
        warmupP95Ms: g.warmupP95Ms,
        activatedAt: g.activatedAt,
        draining,
        ...(prev ? { previous: prev.modelId } : {}),
      };
    }
    let workers = 0;
    const threads: Partial<Record<Role, number[]>> = {};
    for (const [role, list] of this.slots) {
      workers += list.length;
      if (list.length > 0) threads[role] = list.map((s) => s.worker.threadId);
    }
    return { roles, workers, threads, sessions: this.gens.size, recycledWorkers: this.recycledWorkers, mallocTuned: mallocTuned() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const spare = this.spare;
    this.spare = undefined;
    const gens = [...this.gens.values()];
    this.current.clear();
    this.previous.clear();
    for (const g of gens) {
      g.loadWaiter?.({ t: 'exit', message: 'inference host is closed' });
      g.closed = true;
      for (const id of [...g.pending.keys()]) this.finishRun(g, id, false, undefined, new AgentError('aborted', 'model was unloaded'));
    }
    this.gens.clear();
    const slots = [...this.slots.values()].flat();
    this.slots.clear();
    await Promise.all(
      slots.map((s) => {
        s.ended = true;
        for (const r of s.released.values()) r();
        return this.stopWorker(s.worker);
      }),
    );
    if (spare) {
      const w = await spare.catch(() => undefined);
      if (w) await this.stopWorker(w);
    }
    this.listeners.clear();
  }

  /** `force` (or a closing process-isolated host) ends a session process at once: SIGKILL is safe for a process */
  private stopWorker(worker: SessionWorker, force = false): Promise<void> {
    if (this.opts.isolation === 'process') return stopWorker(worker, force ? 0 : PROCESS_STOP_TIMEOUT_MS);
    return stopWorker(worker, WORKER_STOP_TIMEOUT_MS);
  }
}

/** how long a worker gets to finish its current native call and release its sessions before it is terminated */
const WORKER_STOP_TIMEOUT_MS = 10_000;
/** a session process gets less: killing it is always safe, and shutdown must end within 5 s (issue 17 §1) */
const PROCESS_STOP_TIMEOUT_MS = 1_500;

/**
 * Ends a session worker gracefully: 'close' makes it stop its loads at their next step, release every
 * session and end by itself. worker.terminate() while onnxruntime is inside a native call (a session
 * create or run) aborts the whole process (seen: "terminate called after throwing an instance of
 * 'Napi::Error'", 8 of 20 runs that closed the host mid-load), so it is only the last resort for a
 * worker stuck longer than WORKER_STOP_TIMEOUT_MS (a load that timed out). A session process has no such
 * hazard: it is killed after PROCESS_STOP_TIMEOUT_MS, or at once (`timeoutMs` 0) when known to be stuck.
 */
function stopWorker(worker: SessionWorker, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve();
    };
    worker.once('exit', finish);
    if (timeoutMs <= 0) {
      void worker.terminate().finally(finish);
      return;
    }
    timer = setTimeout(() => void worker.terminate().finally(finish), timeoutMs);
    try {
      worker.postMessage({ t: 'close' } satisfies ToWorker);
    } catch {
      void worker.terminate().finally(finish);
    }
  });
}
