/**
 * A session worker whose sessions live in the native session host (native/session-host: C over onnxruntime's C API,
 * no Node, no V8; issue 17 §2), behind the same face as a worker thread or a Node session process (SessionWorker), so
 * the pool, the warming process, run timeouts and worker_lost handling are the same code for every kind.
 *
 * The host offers primitive operations only (create a session from bytes, run, release: native-frames.ts); the load
 * pipeline — sha256, contract, self-test, warm-up, latency budget, provider fallback — runs here, on the agent's event
 * loop, as load-pipeline.ts (the same code a Node session worker runs), each step an asynchronous request to the host.
 * The sha256 of a model is computed in slices between other events. A run past its timeout kills the host (SIGKILL),
 * exactly as a Node session process: every session in it is lost and reloaded by the agent.
 */
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import { AgentError, type ErrorCode } from '../../common/errors.js';
import type { Feeds, FromWorker, Outputs, ToWorker } from './worker-messages.js';
import type { SessionWorker } from './session-process.js';
import { exitCodeOf } from './session-spawner.js';
import { botActivity } from '../fetch-pacing.js';
import type { ValueMeta } from './tensors.js';
import { loadedMessage, loadFailedMessage, runLoadPipeline, StepError, type PipelineHooks, type SessionBackend } from './load-pipeline.js';
import {
  decodeCreated,
  decodeError,
  decodeReady,
  decodeResult,
  encodeCreate,
  encodeModelPart,
  encodeRelease,
  encodeRun,
  FRAME_PROTOCOL,
  FrameReader,
  FrameType,
  HostError,
  type Frame,
} from './native-frames.js';

/** a session in the host: its id there and what onnxruntime said of its inputs and outputs */
interface NativeSession {
  sid: number;
  inputs: ValueMeta[];
  outputs: ValueMeta[];
}

interface Waiter {
  resolve(f: Frame): void;
  reject(e: Error): void;
}

/** bytes hashed per turn of the event loop (about a millisecond of SHA-256 here) */
const HASH_SLICE = 1 << 20;

/** between slices the event loop turns, and the next slice waits for the bots' pause (botActivity.idle: at most 100 ms a slice) */
export async function sha256InSlices(bytes: Uint8Array): Promise<string> {
  const h = createHash('sha256');
  for (let at = 0; at < bytes.byteLength; at += HASH_SLICE) {
    h.update(bytes.subarray(at, at + HASH_SLICE));
    if (at + HASH_SLICE < bytes.byteLength) await botActivity.idle();
  }
  return h.digest('hex');
}

/**
 * A model over this size goes to the host in MODEL_PART frames of this size (frames.h) ahead of its CREATE: the runs of
 * the sessions already serving share the pipe, and a 64 MiB CREATE frame held every run sent after it until the host
 * had read all of it (issue 17 §2, the slowest detects of a swap). Each part waits, as the sha256 slices do, for the
 * bots' pause (botActivity.idle, at most BOT_HOLD_MS), so the host's reading and copying go between their requests.
 */
export const MODEL_PART_BYTES = 1 << 20;

/** the host's error class as the code a run or load failure carries */
function codeOf(hostCode: number): ErrorCode {
  if (hostCode === HostError.noSession) return 'no_model';
  if (hostCode === HostError.badFrame) return 'session_host_protocol';
  return 'internal';
}

export class NativeSessionWorker extends EventEmitter implements SessionWorker {
  private readonly reader = new FrameReader();
  /** answers awaited, by request id (sessions and runs share one id space, so an ERROR names one of them) */
  private readonly waiting = new Map<number, Waiter>();
  private readonly gens = new Map<number, NativeSession>();
  private readonly loads = new Set<Promise<void>>();
  private nextId = 0;
  private ready = false;
  private closing = false;
  private exited = false;
  private exitCode: number | undefined;

  constructor(private readonly child: ChildProcess) {
    super();
    child.stdout!.on('data', (d: Buffer) => this.fromHost(d));
    child.stdin!.on('error', () => undefined); // the host gone (EPIPE): its exit settles everything
    // a host that could not start (ENOENT, EACCES) gets no 'exit': report it as failed and gone, on a later turn, once
    // whoever started it listens (an 'error' nobody listens to would throw in the agent)
    child.on('error', (e) =>
      setImmediate(() => {
        if (this.listenerCount('error') > 0) this.emit('error', e);
        if (child.pid === undefined && !this.exited) this.onExit(127);
      }),
    );
    child.on('exit', (code, signal) => this.onExit(exitCodeOf(code, signal)));
  }

  get threadId(): number {
    return this.child.pid ?? -1;
  }

  private fromHost(d: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(d);
    } catch (e) {
      // the stream is out of step for good: nothing it says can be trusted any more
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    for (const f of frames) {
      if (f.type === FrameType.ready) {
        const r = decodeReady(f.payload);
        if (r.protocol !== FRAME_PROTOCOL) return this.fail(new AgentError('session_host_protocol', `the session host speaks protocol ${r.protocol}, the agent ${FRAME_PROTOCOL}`));
        this.ready = true;
        this.emit('message', { t: 'ready' } satisfies FromWorker);
        continue;
      }
      const w = this.waiting.get(f.id);
      if (!w) {
        if (f.type === FrameType.error && !this.ready) this.fail(new Error(`the session host could not start: ${decodeError(f.payload).message}`));
        continue; // a second answer to a settled request (a create that failed twice over): nothing waits for it
      }
      this.waiting.delete(f.id);
      w.resolve(f);
    }
  }

  /** a malformed stream: the host is killed and reported as failed (the pool replaces it; roles are reloaded) */
  private fail(e: Error): void {
    if (this.exited) return;
    this.emit('error', e);
    this.child.kill('SIGKILL');
  }

  private onExit(code: number): void {
    this.exited = true;
    this.exitCode = code;
    const gone = new Error(`the session host exited (code ${code})`);
    for (const w of this.waiting.values()) w.reject(gone);
    this.waiting.clear();
    this.emit('exit', code);
  }

  /** sends a request and waits for its answer frame (an ERROR frame rejects, with the host's message and class) */
  private request(id: number, parts: Uint8Array[], expect: number): Promise<Frame> {
    if (this.exited || this.child.stdin!.writableEnded) return Promise.reject(new Error('the session host is gone'));
    return new Promise<Frame>((resolve, reject) => {
      this.waiting.set(id, {
        resolve: (f) => {
          if (f.type === expect) return resolve(f);
          if (f.type !== FrameType.error) return reject(new AgentError('session_host_protocol', `the session host answered request ${id} with frame type ${f.type}`));
          const err = decodeError(f.payload);
          reject(new AgentError(codeOf(err.code), err.message, { hostError: err.code }));
        },
        reject,
      });
      this.write(parts);
    });
  }

  /** one frame onto the host's input, its buffers written together */
  private write(parts: Uint8Array[]): void {
    const stdin = this.child.stdin!;
    stdin.cork();
    for (const p of parts) stdin.write(p);
    stdin.uncork();
  }

  /**
   * Writes a big model as MODEL_PART frames for session `sid`, one part per turn once the bots pause (or after
   * BOT_HOLD_MS), each after the pipe took the one before (no second copy of the model piles up in the stream).
   */
  private async sendModelInParts(sid: number, bytes: Uint8Array): Promise<void> {
    const stdin = this.child.stdin!;
    for (let at = 0; at < bytes.byteLength; at += MODEL_PART_BYTES) {
      await botActivity.idle();
      if (this.exited || stdin.writableEnded) throw new Error('the session host is gone');
      if (this.closing) {
        // the parts sent so far are dropped by the host with this session id's release
        this.write(encodeRelease(sid));
        throw new StepError('create', 'aborted', 'session worker is closing');
      }
      this.write(encodeModelPart(sid, bytes.byteLength, at, bytes.subarray(at, at + MODEL_PART_BYTES)));
      if (stdin.writableNeedDrain) await this.drained();
    }
  }

  /** resolves once the host's input took what was written (or the host is gone) */
  private drained(): Promise<void> {
    const stdin = this.child.stdin!;
    return new Promise<void>((resolve) => {
      const done = () => {
        stdin.off('drain', done);
        this.off('exit', done);
        resolve();
      };
      stdin.on('drain', done);
      this.on('exit', done);
    });
  }

  /** the host as the load pipeline's backend */
  private readonly backend: SessionBackend<NativeSession> = {
    create: async (bytes, provider, opts) => {
      const sid = ++this.nextId;
      const inParts = bytes.byteLength > MODEL_PART_BYTES;
      if (inParts) await this.sendModelInParts(sid, bytes);
      const f = await this.request(sid, encodeCreate(sid, { provider, allowSpinning: opts.allowSpinning, logSeverityLevel: opts.logSeverityLevel, interOpNumThreads: opts.interOpNumThreads ?? 1, ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}), ...(opts.cpuMemArena ? { cpuMemArena: true } : {}) }, inParts ? new Uint8Array(0) : bytes), FrameType.created);
      return { sid, ...decodeCreated(f.payload) };
    },
    inputs: (s) => s.inputs,
    outputs: (s) => s.outputs,
    run: (s, feeds) => this.runIn(s.sid, feeds),
    release: async (s) => {
      await this.request(s.sid, encodeRelease(s.sid), FrameType.released);
    },
  };

  private async runIn(sid: number, feeds: Feeds): Promise<Outputs> {
    const id = ++this.nextId;
    const f = await this.request(id, encodeRun(id, sid, feeds), FrameType.result);
    return decodeResult(f.payload);
  }

  private readonly hooks: PipelineHooks = {
    sha256: sha256InSlices,
    checkpoint: () => {
      if (this.closing) throw new StepError('create', 'aborted', 'session worker is closing');
    },
  };

  private post(m: FromWorker): void {
    if (!this.exited) this.emit('message', m);
  }

  postMessage(msg: ToWorker): void {
    if (this.exited) throw new Error('session host is gone');
    switch (msg.t) {
      case 'load': {
        const p = this.load(msg);
        this.loads.add(p);
        void p.finally(() => this.loads.delete(p));
        return;
      }
      case 'run':
        void this.run(msg);
        return;
      case 'release':
        void this.release(msg.gid);
        return;
      case 'close':
        void this.close();
        return;
    }
  }

  private async load(msg: Extract<ToWorker, { t: 'load' }>): Promise<void> {
    const t0 = performance.now();
    try {
      // the host's plain copy with process isolation (written to the pipe from it); shared memory is copied once
      const bytes = msg.bytes instanceof ArrayBuffer ? new Uint8Array(msg.bytes, 0, msg.byteLength) : new Uint8Array(msg.bytes, 0, msg.byteLength).slice();
      const loaded = await runLoadPipeline(this.backend, msg.modelId, msg.manifest, bytes, msg.options, this.hooks);
      this.gens.set(msg.gid, loaded.session);
      this.post(loadedMessage(msg.gid, loaded, t0));
    } catch (e) {
      this.post(loadFailedMessage(msg.gid, e));
    }
  }

  private async run(msg: Extract<ToWorker, { t: 'run' }>): Promise<void> {
    // lent input buffers go back with the answer: the host had read the whole frame before it answered
    const lent = msg.lent ? [...new Set(Object.values(msg.feeds).map((t) => t.data.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer && b.byteLength > 0))] : undefined;
    const s = this.gens.get(msg.gid);
    if (!s || this.closing) {
      this.post({ t: 'run_error', gid: msg.gid, id: msg.id, code: 'no_model', message: 'no such session in this worker', ...(lent ? { lent } : {}) });
      return;
    }
    const ts = performance.now();
    try {
      const outputs = await this.runIn(s.sid, msg.feeds);
      this.post({ t: 'result', gid: msg.gid, id: msg.id, outputs, ms: performance.now() - ts, ...(lent ? { lent } : {}) });
    } catch (e) {
      const code: ErrorCode = e instanceof AgentError ? e.code : 'internal';
      this.post({ t: 'run_error', gid: msg.gid, id: msg.id, code, message: e instanceof Error ? e.message : String(e), ...(lent ? { lent } : {}) });
    }
  }

  private async release(gid: number): Promise<void> {
    const s = this.gens.get(gid);
    this.gens.delete(gid);
    if (s) await this.backend.release(s).catch(() => undefined);
    this.post({ t: 'released', gid });
  }

  /** the graceful end: loads stop at their next step, every session is released, then the host's input closes */
  private async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.loads]);
    await Promise.all([...this.gens.keys()].map((gid) => this.release(gid)));
    this.post({ t: 'closed' });
    this.child.stdin!.end();
  }

  /** SIGKILL: safe whatever native call the host is in */
  terminate(): Promise<number> {
    if (this.exited) return Promise.resolve(this.exitCode ?? 1);
    return new Promise<number>((resolve) => {
      this.once('exit', (code: number) => resolve(code));
      this.child.kill('SIGKILL');
    });
  }
}
