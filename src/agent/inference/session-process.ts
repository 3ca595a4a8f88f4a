/**
 * A session worker in its own child process, behind the same face as a worker thread (issue 17 §1, "a
 * model whose run never ends"). onnxruntime-node's run() is one synchronous native call: a thread stuck in
 * it (an ONNX Loop of 2^40 iterations) can be neither interrupted nor terminated — `worker.terminate()`
 * waits for the native call to return, and so does process exit, which joins every worker thread. A
 * process can always be killed: SIGKILL ends the run, its CPU and its memory at once.
 *
 * The message contract is worker-messages.ts's, over the IPC channel with V8 ("advanced") serialisation, so typed
 * arrays cross as they are. Two differences from a thread, handled here and in worker-port.ts:
 * - nothing is transferred (the IPC channel copies), so transfer lists are ignored;
 * - a SharedArrayBuffer cannot cross: model bytes and shared run inputs go as copies, marked `fromShared`
 *   so the child treats them as shared (it then keeps no copy of its own), and `retained` bytes come back
 *   as a copy that is made shared again on this side.
 */
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { getPriority, setPriority } from 'node:os';
import { GLIBC_MALLOC_ENV } from './malloc.js';
import type { Feeds, FromWorker, LoadBulk, LoadPart, ToWorker } from './worker-messages.js';
import { resolveWorkerEntry } from './spawn.js';
import { nodeForkSpawner, type SessionChannel, type SessionProcessSpawner } from './session-spawner.js';

/** What the host needs of a session worker: a worker thread has exactly this shape, a SessionProcess too. */
export interface SessionWorker {
  /** a thread id, or the child's pid */
  readonly threadId: number;
  postMessage(msg: ToWorker, transfer?: ArrayBuffer[]): void;
  on(event: 'message', fn: (m: FromWorker) => void): unknown;
  on(event: 'error', fn: (e: Error) => void): unknown;
  on(event: 'exit', fn: (code: number) => void): unknown;
  once(event: 'exit', fn: (code: number) => void): unknown;
  off(event: 'message', fn: (m: FromWorker) => void): unknown;
  off(event: 'error', fn: (e: Error) => void): unknown;
  off(event: 'exit', fn: (code: number) => void): unknown;
  terminate(): Promise<number>;
}

/** the envelope field telling the child that bytes were shared on the host side (worker-port.ts undoes the copy) */
export const FROM_SHARED = 'fromShared';

function unshare(view: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): ArrayBuffer {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice().buffer;
}

function plainFeeds(feeds: Feeds): Feeds {
  let out: Feeds | undefined;
  for (const [name, t] of Object.entries(feeds)) {
    if (t.data.buffer instanceof ArrayBuffer) continue;
    const Ctor = t.data.constructor as new (b: ArrayBuffer) => typeof t.data;
    (out ??= { ...feeds })[name] = { ...t, data: new Ctor(unshare(t.data)) };
  }
  return out ?? feeds;
}

/** a load's bytes above this size cross in parts of this size (sendInParts) */
export const LOAD_PART_BYTES = 1 << 20;

/** The host → child message as it can cross the IPC channel. */
function forChannel(msg: ToWorker): unknown {
  // the host's own bytes (shared with its threads, or its plain copy with process isolation): the child uses them
  // in place and keeps no copy of its own. A plain ArrayBuffer is serialised as is (one copy, not two).
  if (msg.t === 'load') return { ...msg, bytes: msg.bytes instanceof ArrayBuffer ? msg.bytes : unshare({ buffer: msg.bytes, byteOffset: 0, byteLength: msg.byteLength }), [FROM_SHARED]: true };
  if (msg.t === 'run') return { ...msg, feeds: plainFeeds(msg.feeds) };
  return msg;
}

function fromChannel(m: FromWorker): FromWorker {
  if (m.t === 'loaded' && m.retained && !(m.retained instanceof SharedArrayBuffer)) {
    const src = new Uint8Array(m.retained as ArrayBufferLike);
    const sab = new SharedArrayBuffer(src.byteLength);
    new Uint8Array(sab).set(src);
    return { ...m, retained: sab };
  }
  return m;
}

export class SessionProcess extends EventEmitter implements SessionWorker {
  private exited = false;
  private exitCode: number | undefined;
  private bulkChain: Promise<void> = Promise.resolve();

  constructor(private readonly channel: SessionChannel) {
    super();
    channel.onMessage((m) => this.emit('message', fromChannel(m as FromWorker)));
    channel.onError((e) => this.emit('error', e));
    channel.onExit((code) => {
      this.exited = true;
      this.exitCode = code;
      this.emit('exit', code);
    });
  }

  /** the child's pid (-1 until a utilityProcess has spawned) */
  get threadId(): number {
    return this.channel.pid ?? -1;
  }

  postMessage(msg: ToWorker): void {
    if (this.exited || !this.channel.connected) throw new Error('session process is gone');
    if (msg.t === 'load' && msg.byteLength > LOAD_PART_BYTES) {
      const bulk = this.channel.bulk;
      if (bulk) {
        // on the bulk pipe (bulk-reader.ts), announced first on the channel; one load's bytes at a time: the child
        // reads them in the order they were announced. Written from the host's copy: no serialisation, no copy
        this.bulkChain = this.bulkChain.then(() =>
          this.sendInParts(msg, (view, _offset, done) => bulk.write(view, done), () => this.channel.send({ t: 'load_bulk', gid: msg.gid, total: msg.byteLength } satisfies LoadBulk)),
        );
      } else {
        void this.sendInParts(msg, (view, offset, done) => {
          // over Node's channel a view of the part is serialised as its own bytes (no copy here: 64 MiB of garbage
          // less per process and load, issue 17 §2); a structured clone would carry the whole underlying buffer: copy it out
          const data = this.channel.viewsCrossAsTheirBytes ? view : view.slice();
          this.channel.send({ t: 'load_part', gid: msg.gid, offset, total: msg.byteLength, data } satisfies LoadPart, done);
        });
      }
      return;
    }
    this.channel.send(forChannel(msg));
  }

  /**
   * A big model's bytes go in parts, each written (`write`: a load_part message on the channel, or the bulk pipe)
   * once the one before is, then the load itself (issue 17 §2): serialising 64 MiB in one message held this event
   * loop — and the child's, which serves the bots' detects — for tens of ms at a time (one copy into the
   * serialiser, one concat and one copy out on the other side). Parts keep each of those steps to ~1 MiB between
   * other messages. A child that ends meanwhile fails the load through its exit, as any other message would.
   */
  private async sendInParts(
    msg: Extract<ToWorker, { t: 'load' }>,
    write: (view: Uint8Array, offset: number, done: (e?: Error | null) => void) => void,
    announce?: () => void,
  ): Promise<void> {
    const all = new Uint8Array(msg.bytes, 0, msg.byteLength);
    try {
      announce?.();
      for (let offset = 0; offset < msg.byteLength; offset += LOAD_PART_BYTES) {
        if (this.exited) return;
        const view = all.subarray(offset, offset + LOAD_PART_BYTES);
        await new Promise<void>((resolve, reject) => write(view, offset, (e) => (e ? reject(e) : resolve())));
      }
      if (this.exited) return;
      this.channel.send({ ...msg, bytes: new ArrayBuffer(0), parts: true, [FROM_SHARED]: true });
    } catch {
      // the channel closed or the child is gone: the exit that follows ends the load
    }
  }

  /** SIGKILL: safe for a process whatever native call it is in (unlike a thread's terminate). */
  terminate(): Promise<number> {
    if (this.exited) return Promise.resolve(this.exitCode ?? 1);
    return new Promise<number>((resolve) => {
      this.once('exit', (code: number) => resolve(code));
      this.channel.kill();
    });
  }
}

/**
 * The environment of a session process. glibc reads its malloc tuning once, at process start, so it is set
 * here, where the child that hosts onnxruntime is spawned (no resident launcher needed for it, issue 17 §2):
 * a fixed mmap threshold returns a released session's big blocks to the OS (malloc.ts), and two arenas
 * instead of 8 × cores stop onnxruntime's threads from each growing an arena that is never trimmed.
 * Variables already set by whoever started the agent win.
 */
export function sessionProcessEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: '2', ...GLIBC_MALLOC_ENV, ...env, RPA_SESSION_PROCESS: '1' };
}

/**
 * V8 flags of a session process: its JavaScript only routes messages, so a small young generation and
 * heap are plenty, and V8 sized for that keeps tens of MB of semi-space and code space from growing.
 * `--jitless`: no JavaScript is hot here (onnxruntime's run is one native call), and without V8's compilers
 * ~4–5 MB fewer pages of the Node binary are ever touched (docs/BENCHMARKS.md "Footprint, round 3": 36.8 → 32.8 MB
 * of `node` text, detect latency unchanged). It turns WebAssembly off, which nothing here uses; `--no-expose-wasm`
 * says so, so that V8 does not warn about it on stderr at every start.
 */
export const SESSION_PROCESS_V8_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=96', '--optimize-for-size', '--jitless', '--no-expose-wasm'];

export interface SpawnSessionProcessOptions {
  /**
   * nice value added to this process's own for the child (a warming process: loads, self-tests and
   * warm-ups of a new model must not take the CPU from the session that serves the bots; issue 17 §2)
   */
  lowerPriorityBy?: number;
}

/**
 * Starts a session process from the same entry a thread would run (the bundle from sources, the .js when
 * built), through `spawner` (Node's fork by default; Electron's utilityProcess in the packaged app).
 */
export async function spawnSessionProcess(entry: URL, opts: SpawnSessionProcessOptions = {}, spawner: SessionProcessSpawner = nodeForkSpawner): Promise<SessionProcess> {
  const resolved = await resolveWorkerEntry(entry);
  const channel = spawner({
    modulePath: fileURLToPath(resolved ?? entry),
    // the bundle is plain JS: no tsx in the child (start-up, memory), unless the bundle could not be made
    execArgv: [...SESSION_PROCESS_V8_FLAGS, ...(resolved ? [] : ['--import', 'tsx'])],
    env: sessionProcessEnv(),
  });
  const by = opts.lowerPriorityBy;
  if (by) channel.onSpawn((pid) => lowerPriority(pid, by));
  return new SessionProcess(channel);
}

/** os.setPriority on the child: on Windows the value maps to a priority class (below normal for 10). */
export function lowerPriority(pid: number, by: number): void {
  try {
    setPriority(pid, Math.min(19, getPriority() + by));
  } catch {
    // not allowed here (a sandbox): the child runs at our priority, paced by its single intra-op thread
  }
}
