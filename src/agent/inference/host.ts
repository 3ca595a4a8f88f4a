/**
 * The inference host (DESIGN.md "Inference host", issue 3): per role one live onnxruntime session,
 * held in a session worker (one worker thread per loaded model generation) so that neither session
 * creation nor run() — both synchronous native calls in onnxruntime-node — ever blocks this thread.
 *
 * - run() takes a lease on the role's current generation; a swap points new runs at the new generation
 *   and closes the old one once its leases drain: no request fails or waits on a swap (issue 3 §3).
 * - activate() runs the loading pipeline in a fresh worker while the current one keeps serving:
 *   verify sha256 → create (providers in order, with fallback) → contract → self-test → warm-up →
 *   latency budget → swap. Any failure leaves the active model serving and emits activation_failed
 *   with the step and reason (issue 3 §2).
 * - Ending a generation ends its thread, so sessions never accumulate in a long-lived thread
 *   (onnxruntime issues 25325, 26831; issue 3 §5); recycle(role) reloads the same model in a fresh worker.
 */
import type { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { AgentError, type ErrorCode } from '../../common/errors.js';
import type { AgentEvent, ModelManifest, Role } from '../../common/wire.js';
import type { ActivationRequest, ActivationResult, ModelActivator } from '../activation.js';
import type { Feeds, FromWorker, LoadOptions, LoadStep, Outputs, ProviderAttempt } from './protocol.js';
import { selectProviders } from './providers.js';
import { RunQueue } from './run-queue.js';
import { sessionWorkerUrl, spawnWorker } from './spawn.js';

/** What the host reports; the agent core adds agentId, ts and seq and publishes it (wire.ts AgentEvent). */
export interface HostEvent {
  type: AgentEvent['type'];
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
  /** re-hash the bytes against modelId before loading (default true; issue 3 §7) */
  verifySha256?: boolean;
  /** give up on a load after this long (default 120 s) */
  loadTimeoutMs?: number;
  /** keep one started worker ready so a swap does not pay for thread start-up (default true) */
  prespawn?: boolean;
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
  workers: number;
}

interface Pending {
  resolve: (o: Outputs) => void;
  reject: (e: unknown) => void;
  t0: number;
  settled: boolean;
  /** shared input buffers lent to this run, returned to the pool when the worker answers */
  slots?: SharedArrayBuffer[];
}

/** Inputs at least this big go through pooled shared memory instead of a structured-clone copy. */
const SHARED_INPUT_MIN_BYTES = 16 * 1024;
const POOL_MAX_BYTES = 64 << 20;

/**
 * Reusable SharedArrayBuffers for run inputs. Posting a big typed array structured-clones it (an
 * allocation and copy on each side, and GC pressure); copying it into a pooled shared buffer is one
 * memcpy here and one into a reused scratch buffer in the worker.
 */
class SharedInputPool {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  private bytes = 0;
  take(size: number): SharedArrayBuffer {
    const list = this.free.get(size);
    const sab = list?.pop();
    if (sab) {
      this.bytes -= size;
      return sab;
    }
    return new SharedArrayBuffer(size);
  }
  give(sab: SharedArrayBuffer): void {
    if (this.bytes + sab.byteLength > POOL_MAX_BYTES) return;
    let list = this.free.get(sab.byteLength);
    if (!list) this.free.set(sab.byteLength, (list = []));
    list.push(sab);
    this.bytes += sab.byteLength;
  }
}

interface Generation {
  seq: number;
  role: Role;
  modelId: string;
  manifest: ModelManifest;
  bytes: SharedArrayBuffer | undefined;
  worker: Worker;
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

export class InferenceHost implements ModelActivator {
  private readonly current = new Map<Role, Generation>();
  private readonly previous = new Map<Role, Generation>();
  private readonly live = new Set<Generation>();
  private readonly activationQueues = new Map<Role, RunQueue>();
  private readonly listeners = new Set<HostEventListener>();
  private readonly observers: RunObserver[];
  private readonly providers: string[];
  private readonly workerUrl: URL;
  private spare: Promise<Worker> | undefined;
  private readonly inputPool = new SharedInputPool();
  private nextRunId = 0;
  private nextSeq = 0;
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
      let transfer: ArrayBuffer[] | undefined;
      let sent: Feeds = feeds;
      if (opts.transfer) {
        // the caller gives the buffers up: no copy at all
        transfer = [];
        for (const t of Object.values(feeds)) if (t.data.buffer instanceof ArrayBuffer && !transfer.includes(t.data.buffer)) transfer.push(t.data.buffer);
      } else {
        for (const [name, t] of Object.entries(feeds)) {
          const d = t.data;
          if (!(d.buffer instanceof ArrayBuffer) || d.byteLength < SHARED_INPUT_MIN_BYTES) continue; // already shared, or cheap to clone
          const sab = this.inputPool.take(d.byteLength);
          new Uint8Array(sab).set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
          const Ctor = d.constructor as new (b: SharedArrayBuffer, o: number, n: number) => typeof d;
          if (sent === feeds) sent = { ...feeds };
          sent[name] = { type: t.type, data: new Ctor(sab, 0, d.length), dims: t.dims };
          (p.slots ??= []).push(sab);
        }
      }
      try {
        gen.worker.postMessage({ t: 'run', id, feeds: sent }, transfer ?? []);
      } catch (e) {
        gen.pending.delete(id);
        this.releaseLease(gen);
        p.settled = true;
        reject(new AgentError('internal', `could not send the run to the worker: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  }

  private finishRun(gen: Generation, id: number, ok: boolean, outputs?: Outputs, err?: AgentError): void {
    const p = gen.pending.get(id);
    if (!p) return;
    gen.pending.delete(id);
    const ms = performance.now() - p.t0;
    if (p.slots) for (const sab of p.slots) this.inputPool.give(sab);
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
    if (gen.retiring && gen.leases === 0) void this.dispose(gen);
  }

  // ---------------------------------------------------------------- activation

  activate(req: ActivationRequest & { transferBytes?: boolean }): Promise<ActivationResult> {
    // activations for one role apply in order; other roles are independent
    let q = this.activationQueues.get(req.role);
    if (!q) this.activationQueues.set(req.role, (q = new RunQueue(1)));
    return q.run(() => this.activateNow(req));
  }

  /** Loads the role's current model again in a fresh worker (issue 3 §5: shed whatever a long-lived session accumulated). */
  async recycle(role: Role, opts: { signal?: AbortSignal } = {}): Promise<ActivationResult> {
    const gen = this.current.get(role);
    if (!gen) throw new AgentError('no_model', `no model is active for ${role}`);
    if (!gen.bytes) throw new AgentError('not_found', `the ${role} model's bytes are not retained`);
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
    let worker: Worker;
    try {
      worker = await this.takeWorker();
    } catch (e) {
      throw this.fail(role, modelId, 'create', 'load_failed', `could not start a session worker: ${e instanceof Error ? e.message : String(e)}`);
    }
    const gen: Generation = {
      seq: ++this.nextSeq,
      role,
      modelId,
      manifest,
      bytes: shared instanceof SharedArrayBuffer ? shared : undefined,
      worker,
      provider: '',
      warmupP95Ms: 0,
      activatedAt: 0,
      leases: 0,
      retiring: false,
      closed: false,
      pending: new Map(),
    };
    this.live.add(gen);
    this.wire(gen);
    const options: LoadOptions = {
      providers: this.providers,
      latencyBudgetMs: this.budgetFor(role, manifest),
      warmupRuns: this.opts.warmupRuns ?? 10,
      logSeverityLevel: 3,
      verifySha256: this.opts.verifySha256 ?? true,
      ...(this.opts.intraOpNumThreads ? { intraOpNumThreads: this.opts.intraOpNumThreads } : {}),
      ...(this.opts.interOpNumThreads ? { interOpNumThreads: this.opts.interOpNumThreads } : {}),
    };
    const answer = await new Promise<FromWorker | { t: 'exit'; message: string } | { t: 'aborted' } | { t: 'timeout' }>((resolve) => {
      const timer = setTimeout(() => resolve({ t: 'timeout' }), this.opts.loadTimeoutMs ?? 120_000);
      const onAbort = () => resolve({ t: 'aborted' });
      signal?.addEventListener('abort', onAbort, { once: true });
      gen.loadWaiter = (m) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(m);
      };
      worker.postMessage({ t: 'load', modelId, manifest, bytes: shared, byteLength, options }, shared instanceof ArrayBuffer ? [shared] : []);
    });
    gen.loadWaiter = undefined;

    if (answer.t !== 'loaded') {
      gen.retiring = true;
      void this.dispose(gen, true);
      if (answer.t === 'aborted') throw new AgentError('aborted', 'activation aborted');
      if (answer.t === 'timeout') throw this.fail(role, modelId, 'create', 'timeout', 'model load timed out');
      if (answer.t === 'exit') throw this.fail(role, modelId, 'create', 'load_failed', answer.message);
      if (answer.t === 'load_failed') {
        this.reportFallbacks(role, modelId, answer.failedProviders, undefined);
        throw this.fail(role, modelId, answer.step, answer.code, answer.message, answer.details);
      }
      throw this.fail(role, modelId, 'create', 'internal', `unexpected worker answer ${answer.t}`);
    }
    if (this.closed) {
      void this.dispose(gen, true);
      throw new AgentError('aborted', 'inference host is closed');
    }
    if (answer.retained) gen.bytes = answer.retained;
    gen.provider = answer.provider;
    gen.warmupP95Ms = answer.warmupP95Ms;
    gen.activatedAt = Date.now();
    this.reportFallbacks(role, modelId, answer.failedProviders, answer.provider);

    // the swap itself: new runs go to the new generation from this line on (issue 3 §3)
    const old = this.current.get(role);
    this.current.set(role, gen);
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

  /** Stops pointing new runs at `gen`; keeps it as the role's previous generation or closes it after its leases drain. */
  private retire(gen: Generation, keep: boolean): void {
    if (keep) {
      const older = this.previous.get(gen.role);
      this.previous.set(gen.role, gen);
      if (older && older !== gen) this.retire(older, false);
      return;
    }
    gen.retiring = true;
    if (gen.leases === 0) void this.dispose(gen);
  }

  async deactivate(role: Role): Promise<void> {
    const gen = this.current.get(role);
    this.current.delete(role);
    const prev = this.previous.get(role);
    this.previous.delete(role);
    if (prev) this.retire(prev, false);
    if (gen) this.retire(gen, false);
  }

  // ---------------------------------------------------------------- workers

  private startWorker(): Promise<Worker> {
    return spawnWorker(this.workerUrl).then((w) => this.whenReady(w));
  }

  private whenReady(w: Worker): Promise<Worker> {
    return new Promise<Worker>((resolve, reject) => {
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

  private async takeWorker(): Promise<Worker> {
    const spare = this.spare;
    this.spare = undefined;
    let w: Worker | undefined;
    if (spare) w = await spare.catch(() => undefined);
    if (!w) w = await this.startWorker();
    // start the next spare now, so the next swap does not wait for a thread either
    if ((this.opts.prespawn ?? true) && !this.closed) {
      this.spare = this.startWorker();
      this.spare.catch(() => undefined);
    }
    return w;
  }

  private wire(gen: Generation): void {
    gen.worker.on('message', (m: FromWorker) => {
      switch (m.t) {
        case 'result':
          this.finishRun(gen, m.id, true, m.outputs);
          break;
        case 'run_error':
          this.finishRun(gen, m.id, false, undefined, new AgentError(m.code, m.message));
          break;
        case 'loaded':
        case 'load_failed':
          gen.loadWaiter?.(m);
          break;
      }
    });
    const onGone = (message: string) => {
      if (gen.closed) return;
      gen.closed = true;
      this.live.delete(gen);
      gen.loadWaiter?.({ t: 'exit', message });
      for (const id of [...gen.pending.keys()]) this.finishRun(gen, id, false, undefined, new AgentError('internal', message));
      if (this.current.get(gen.role) === gen) {
        // the serving worker died: stop routing to it and report; the agent core decides what to load
        this.current.delete(gen.role);
        this.emit({ type: 'activation_failed', role: gen.role, modelId: gen.modelId, reason: 'internal', message, details: { step: 'serve' } });
      }
      if (this.previous.get(gen.role) === gen) this.previous.delete(gen.role);
    };
    gen.worker.on('error', (e) => onGone(`session worker failed: ${e.message}`));
    gen.worker.on('exit', (code) => onGone(`session worker exited (code ${code})`));
  }

  /** Closes a generation: releases the session in the worker, then ends the thread. */
  private async dispose(gen: Generation, now = false): Promise<void> {
    if (gen.closed) return;
    gen.closed = true;
    this.live.delete(gen);
    const w = gen.worker;
    if (!now) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        const onMsg = (m: FromWorker) => {
          if (m.t === 'closed') {
            clearTimeout(timer);
            w.off('message', onMsg);
            resolve();
          }
        };
        w.on('message', onMsg);
        w.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        try {
          w.postMessage({ t: 'close' });
        } catch {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    for (const id of [...gen.pending.keys()]) this.finishRun(gen, id, false, undefined, new AgentError('aborted', 'model was unloaded'));
    await w.terminate();
  }

  // ---------------------------------------------------------------- status and lifetime

  status(): InferenceHostStatus {
    const roles: Partial<Record<Role, RoleHostStatus>> = {};
    for (const [role, g] of this.current) {
      const draining = [...this.live].filter((x) => x.role === role && x.retiring && !x.closed).map((x) => ({ modelId: x.modelId, leases: x.leases }));
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
    return { roles, workers: this.live.size };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const spare = this.spare;
    this.spare = undefined;
    const gens = [...this.live];
    this.current.clear();
    this.previous.clear();
    await Promise.all(gens.map((g) => this.dispose(g, true)));
    if (spare) {
      const w = await spare.catch(() => undefined);
      if (w) await w.terminate();
    }
    this.listeners.clear();
  }
}
