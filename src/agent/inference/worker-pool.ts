/**
 * The session workers of the inference host and their lifetimes (DESIGN.md "Inference host", issue 3 §5,
 * issue 17 §1-2).
 *
 * - Threads (`isolation: 'thread'`): two long-lived workers per role take turns — the standby loads the
 *   new model while the active one serves; after the swap drains, the old session is released in its
 *   thread and that thread becomes the standby. A thread per generation grew RSS by ~47 % over 100 swaps
 *   (ended threads leave their malloc arenas behind); create/release on a long-lived thread stays flat.
 * - Processes (`isolation: 'process'`): ONE session process serves every role (issue 17 §2: a process per
 *   role cost ~90 MB each). A run past its timeout, or the process dying, takes every role's session with
 *   it; each serving role is then reported lost and reloaded by the agent (issue 17 §1). New models are
 *   proven in a separate warming process at lower priority first (warming.ts), so the serving process
 *   only creates the session.
 * - A worker is recycled (ended and replaced by a fresh one once it holds no session) after
 *   `recycleAfterLoads` loads, when RSS grew by `recycleRssGrowthBytes` since the last recycle, or on
 *   recycle(role) (onnxruntime issues 25325, 26831).
 */
import type { Role, ModelManifest } from '../../common/wire.js';
import type { FromWorker, Outputs, ToWorker } from './worker-messages.js';
import { sessionWorkerUrl, spawnWorker } from './spawn.js';
import { spawnSessionProcess, type SessionWorker, type SpawnSessionProcessOptions } from './session-process.js';
import type { SessionProcessSpawner } from './session-spawner.js';
import { spawnNativeSessionWorker, type NativeHostPaths } from './native-host.js';

/** A run waiting for its answer. */
export interface Pending {
  resolve: (o: Outputs) => void;
  reject: (e: unknown) => void;
  t0: number;
  settled: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

/** One loaded (or loading) model of a role, in one worker; runs are routed to it by gid. */
export interface Generation {
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

/** A long-lived session worker: a thread holding one role's sessions, or the process holding every role's. */
export interface Slot {
  id: number;
  /** the role (threads) or 'shared' (the one session process) */
  pool: string;
  worker: SessionWorker;
  /** generations loaded or loading in this worker and not yet released */
  gens: Set<Generation>;
  /** loads started in this worker (successful or not) */
  loads: number;
  /** gets no new loads; ended once it holds no session */
  recycling: boolean;
  ended: boolean;
  released: Map<number, () => void>;
}

export interface WorkerPoolOptions {
  isolation: 'thread' | 'process';
  workerUrl?: URL;
  /** how a session process is started (isolation 'process'; default Node's fork: session-spawner.ts) */
  spawner?: SessionProcessSpawner;
  /** isolation 'process': sessions in the native session host instead of a Node session process (native-host.ts) */
  nativeHost?: NativeHostPaths;
  prespawn: boolean;
  recycleAfterLoads: number;
  recycleRssGrowthBytes: number;
}

export interface WorkerPoolEvents {
  message(slot: Slot, m: FromWorker): void;
  /** the worker ended or failed; `reason` is the wire reason for a serving role it took down */
  lost(slot: Slot, message: string, reason: string): void;
}

/** how long a worker gets to finish its current native call and release its sessions before it is terminated */
const WORKER_STOP_TIMEOUT_MS = 10_000;
/** a session process gets less: killing it is always safe, and shutdown must end within 5 s (issue 17 §1) */
const PROCESS_STOP_TIMEOUT_MS = 1_500;

export class WorkerPool {
  private readonly slots = new Map<string, Slot[]>();
  private readonly url: URL;
  private spare: Promise<SessionWorker> | undefined;
  /** the shared session process being started */
  private starting: Promise<Slot> | undefined;
  private nextSlotId = 0;
  /** lowest RSS sampled after a session release since the last RSS-triggered recycle */
  private rssFloor: number | undefined;
  private closed = false;
  recycledWorkers = 0;

  constructor(
    private readonly opts: WorkerPoolOptions,
    private readonly events: WorkerPoolEvents,
  ) {
    this.url = opts.workerUrl ?? sessionWorkerUrl();
    if (opts.prespawn) this.spare = this.start();
  }

  get shared(): boolean {
    return this.opts.isolation === 'process';
  }

  /** Starts a worker of this pool's kind; `spawn` options only for a process (the warming process). */
  start(spawn: SpawnSessionProcessOptions = {}): Promise<SessionWorker> {
    const native = this.opts.nativeHost;
    const spawned: Promise<SessionWorker> = !this.shared
      ? spawnWorker(this.url)
      : native
        ? Promise.resolve(spawnNativeSessionWorker(native, spawn))
        : spawnSessionProcess(this.url, spawn, this.opts.spawner);
    return spawned.then(whenReady);
  }

  /** every live worker */
  all(): Slot[] {
    return [...this.slots.values()].flat();
  }

  /** the workers that may hold sessions of `role` */
  of(role: Role): Slot[] {
    return this.slots.get(this.shared ? 'shared' : role) ?? [];
  }

  private async take(): Promise<SessionWorker> {
    const spare = this.spare;
    this.spare = undefined;
    let w: SessionWorker | undefined;
    if (spare) w = await spare.catch(() => undefined);
    if (!w) w = await this.start();
    // start the next spare now, so a new or recycled worker does not wait for a thread either. Only if
    // none is on its way: roles load concurrently, and overwriting a pending spare orphaned its thread.
    if (this.opts.prespawn && !this.closed && !this.spare) {
      this.spare = this.start();
      this.spare.catch(() => undefined);
    }
    return w;
  }

  /**
   * The worker that loads the role's next model. Threads: one that does not hold the serving session and
   * is not being recycled (the standby), else a new one. Process: the one serving process (a new one if
   * there is none or it is being recycled). Activations of one role are serialised by the host.
   */
  async forLoad(role: Role, serving: Slot | undefined): Promise<Slot> {
    const pool = this.shared ? 'shared' : role;
    const list = this.slots.get(pool) ?? [];
    const live = list.filter((s) => !s.recycling && !s.ended && (this.shared || s !== serving)).sort((x, y) => x.gens.size - y.gens.size);
    if (live[0]) return live[0];
    if (!this.shared) return this.add(pool);
    // roles load concurrently (at start, all three): they share the one process being started
    if (!this.starting) {
      this.starting = this.add(pool);
      void this.starting.catch(() => undefined).finally(() => (this.starting = undefined));
    }
    return this.starting;
  }

  private async add(pool: string): Promise<Slot> {
    const worker = await this.take();
    if (this.closed) {
      void this.stop(worker);
      throw new Error('inference host is closed');
    }
    const slot: Slot = { id: ++this.nextSlotId, pool, worker, gens: new Set(), loads: 0, recycling: false, ended: false, released: new Map() };
    this.wire(slot);
    if (!this.slots.has(pool)) this.slots.set(pool, []);
    this.slots.get(pool)!.push(slot);
    return slot;
  }

  /** recycle by load count (issue 3 §5) */
  noteLoads(slot: Slot): void {
    if (this.opts.recycleAfterLoads > 0 && slot.loads >= this.opts.recycleAfterLoads) slot.recycling = true;
  }

  /** recycle by RSS growth, sampled right after a session was released (the worker is at its leanest) */
  noteRss(slot: Slot): void {
    const limit = this.opts.recycleRssGrowthBytes;
    if (!(limit > 0)) return;
    // a session process's memory is not in ours; its growth is bounded by the mmap threshold it starts with
    if (this.shared) return;
    const rss = process.memoryUsage.rss();
    if (this.rssFloor === undefined || rss < this.rssFloor) this.rssFloor = rss;
    else if (rss - this.rssFloor > limit) {
      slot.recycling = true;
      this.rssFloor = undefined;
    }
  }

  /** Ends a worker that holds no session and is being recycled, or is surplus (threads: two per role; process: one). */
  maybeEnd(slot: Slot): void {
    if (slot.ended || slot.gens.size > 0) return;
    const list = this.slots.get(slot.pool) ?? [];
    const surplus = list.filter((s) => !s.ended && !s.recycling).length > (this.shared ? 1 : 2);
    if (!slot.recycling && !surplus) return;
    this.recycledWorkers++;
    this.end(slot, 'recycled');
  }

  /** `force`: the worker is stuck in a native call (a load or run past its timeout): end it now, not gracefully */
  end(slot: Slot, why: string, force = false, reason = 'internal'): void {
    if (!this.forget(slot, `session worker ended (${why})`, reason)) return;
    void this.stop(slot.worker, force);
  }

  /** Marks the worker gone, tells the host (its generations), settles waits for releases. False if it was already. */
  private forget(slot: Slot, message: string, reason: string): boolean {
    if (slot.ended) return false;
    slot.ended = true;
    const list = this.slots.get(slot.pool);
    if (list && list.includes(slot)) list.splice(list.indexOf(slot), 1);
    this.events.lost(slot, message, reason);
    for (const r of slot.released.values()) r();
    slot.released.clear();
    return true;
  }

  private wire(slot: Slot): void {
    slot.worker.on('message', (m: FromWorker) => this.events.message(slot, m));
    slot.worker.on('error', (e) => this.forget(slot, `session worker failed: ${e.message}`, 'internal'));
    slot.worker.on('exit', (code) => this.forget(slot, `session worker exited (code ${code})`, 'internal'));
  }

  /** `force` (or a process) ends a session process at once or soon: SIGKILL is safe for a process */
  stop(worker: SessionWorker, force = false): Promise<void> {
    if (this.shared) return stopWorker(worker, force ? 0 : PROCESS_STOP_TIMEOUT_MS);
    return stopWorker(worker, WORKER_STOP_TIMEOUT_MS);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const spare = this.spare;
    this.spare = undefined;
    const slots = this.all();
    this.slots.clear();
    await Promise.all(
      slots.map((s) => {
        s.ended = true;
        for (const r of s.released.values()) r();
        return this.stop(s.worker);
      }),
    );
    if (spare) {
      const w = await spare.catch(() => undefined);
      if (w) await this.stop(w);
    }
  }
}

function whenReady(w: SessionWorker): Promise<SessionWorker> {
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

/**
 * Ends a session worker gracefully: 'close' makes it stop its loads at their next step, release every
 * session and end by itself. worker.terminate() while onnxruntime is inside a native call (a session
 * create or run) aborts the whole process (seen: "terminate called after throwing an instance of
 * 'Napi::Error'", 8 of 20 runs that closed the host mid-load), so it is only the last resort for a
 * worker stuck longer than WORKER_STOP_TIMEOUT_MS (a load that timed out). A session process has no such
 * hazard: it is killed after PROCESS_STOP_TIMEOUT_MS, or at once (`timeoutMs` 0) when known to be stuck.
 */
export function stopWorker(worker: SessionWorker, timeoutMs: number): Promise<void> {
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

/** the stop timeout of a session process, for the warming process */
export const SESSION_PROCESS_STOP_TIMEOUT_MS = PROCESS_STOP_TIMEOUT_MS;
