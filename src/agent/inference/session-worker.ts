/**
 * A session worker: a long-lived worker thread holding the onnxruntime sessions of one role (issue 3 §4).
 * onnxruntime-node's session creation and run() are synchronous native calls, so they live here, off
 * the host's event loop. The host keeps two of these per role and lets them take turns: the standby
 * loads the new model while the active one serves; after the swap drains, the old session is released
 * here and this thread becomes the standby. Sessions are created and released on the same long-lived
 * thread, which keeps RSS flat (a thread per generation did not: docs/BENCHMARKS-inference.md); the
 * host ends and replaces a worker only to recycle it (issue 3 §5).
 *
 * Messages (worker-messages.ts): `load` (answers `loaded` / `load_failed` with the pipeline step that failed),
 * `run`, `release` (answers `released`), all naming the generation; `close` ends the thread.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ModelManifest } from '../../common/wire.js';
import type { Feeds, FromWorker, LoadOptions, Outputs, ToWorker } from './worker-messages.js';
import { leanSessionOptions, maxConcurrentRuns, sessionOptionsFor } from './providers.js';
import { RunQueue } from './run-queue.js';
import type { ValueMeta } from './tensors.js';
import { workerPort } from './worker-port.js';
import { LoadThreads } from './session-threads.js';
import { isMainThread } from 'node:worker_threads';
import { makeFullGc } from '../full-gc.js';
import { loadedMessage, loadFailedMessage, runLoadPipeline, StepError, type PipelineHooks, type SessionBackend } from './load-pipeline.js';

/**
 * A full GC of this thread's isolate, run at the end of a load, before answering. This thread lives for many
 * loads, and each leaves tens of MB of dead ArrayBuffers behind (the model bytes it was sent, the copy
 * onnxruntime parsed); V8 collects a small, otherwise idle worker heap late, so without this RSS climbs
 * for dozens of swaps (docs/BENCHMARKS-inference.md). How `gc` is reached: src/agent/full-gc.ts.
 */
const fullGc: () => void = makeFullGc();

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;

/** a worker thread's parentPort, or the IPC channel of a session process (session-process.ts) */
const port = workerPort();

let ort: Ort | undefined;
let ortImportError: string | undefined;
try {
  // A broken DirectML build on Windows can fail right here, at import (issue 3 §1): report it as a load
  // failure instead of crashing the thread.
  ort = await import('onnxruntime-node');
} catch (e) {
  ortImportError = e instanceof Error ? e.message : String(e);
}

interface Held {
  session: Session;
  /** runs on one session are serialised (DirectML requires it; a worker runs one native call at a time anyway) */
  queue: RunQueue;
  /**
   * Scratch buffers for inputs that arrive in shared memory, per input name: onnxruntime-node rejects
   * views on a SharedArrayBuffer ("Invalid argument"), so we copy into a buffer this thread owns and
   * reuse it. Safe because runs on one session are serialised (the queue).
   */
  scratch: Map<string, Uint8Array>;
  releasing: boolean;
}
const sessions = new Map<number, Held>();
let closing = false;
/** loads under way: 'close' waits for them (each stops at its next step once `closing` is set) */
const loadsInFlight = new Set<Promise<void>>();

function post(msg: FromWorker, transfer?: ArrayBuffer[]): void {
  port.post(msg, transfer);
}

function toOrtFeeds(o: Ort, feeds: Feeds, scratch: Map<string, Uint8Array>): Record<string, import('onnxruntime-node').Tensor> {
  const out: Record<string, import('onnxruntime-node').Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    let data = t.data;
    if (!(data.buffer instanceof ArrayBuffer)) {
      let buf = scratch.get(name);
      if (!buf || buf.byteLength !== data.byteLength) scratch.set(name, (buf = new Uint8Array(data.byteLength)));
      buf.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      const Ctor = data.constructor as new (b: ArrayBuffer, o: number, n: number) => typeof data;
      data = new Ctor(buf.buffer as ArrayBuffer, 0, data.length);
    }
    out[name] = new o.Tensor(t.type as never, data as never, t.dims);
  }
  return out;
}

function fromOrtOutputs(result: Record<string, import('onnxruntime-node').Tensor>, transfer: ArrayBuffer[]): Outputs {
  const outputs: Outputs = {};
  for (const [name, t] of Object.entries(result)) {
    const data = t.data as Outputs[string]['data'];
    outputs[name] = { type: t.type, data, dims: [...t.dims] };
    // outputs are fresh arrays owned by this thread: hand them over instead of copying
    if (data.buffer instanceof ArrayBuffer && !transfer.includes(data.buffer)) transfer.push(data.buffer);
  }
  return outputs;
}

/** onnxruntime-node as a load pipeline's backend (load-pipeline.ts): sessions made and run on this thread */
function nodeBackend(o: Ort): SessionBackend<Held> {
  return {
    async create(bytes, provider, opts) {
      const session = await o.InferenceSession.create(bytes, {
        ...leanSessionOptions(opts),
        ...sessionOptionsFor(provider),
        logSeverityLevel: opts.logSeverityLevel,
        ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
        // session config entries (onnxruntime_session_options_config_keys.h), values are strings
        extra: { session: { intra_op: { allow_spinning: opts.allowSpinning ? '1' : '0' }, inter_op: { allow_spinning: opts.allowSpinning ? '1' : '0' } } },
      } as never);
      // One run at a time per session: a worker thread executes one synchronous native run at a time
      // anyway, inputs reuse scratch buffers, and for DirectML it is required (maxConcurrentRuns('dml') = 1).
      return { session, queue: new RunQueue(Math.min(1, maxConcurrentRuns(provider))), scratch: new Map(), releasing: false };
    },
    inputs: (h) => h.session.inputMetadata as unknown as ValueMeta[],
    outputs: (h) => h.session.outputMetadata as unknown as ValueMeta[],
    run: (h, feeds) => h.session.run(toOrtFeeds(o, feeds, h.scratch)) as never,
    release: (h) => h.session.release(),
  };
}

const pipelineHooks: PipelineHooks = {
  sha256: (bytes) => createHash('sha256').update(bytes).digest('hex'),
  // between the long synchronous steps of a load: a closing worker stops here, never mid-call
  checkpoint: () => {
    if (closing) throw new StepError('create', 'aborted', 'session worker is closing');
  },
};

async function load(gid: number, modelId: string, manifest: ModelManifest, shared: SharedArrayBuffer | ArrayBuffer, byteLength: number, opts: LoadOptions, hostOwned = false) {
  const t0 = performance.now();
  try {
    if (!ort) throw new StepError('create', 'provider_unavailable', `onnxruntime-node failed to import: ${ortImportError}`);
    // Runs already sent to a session in this thread (a generation still draining after a swap) go
    // first: the steps below are long synchronous calls that would otherwise hold them up.
    await Promise.all([...sessions.values()].map((h) => h.queue.run(async () => undefined)));
    // a handed-over ArrayBuffer is used as is; shared bytes are copied (onnxruntime wants a plain buffer), here,
    // off the host's event loop
    let bytes: Uint8Array;
    let retained: SharedArrayBuffer | undefined;
    if (shared instanceof ArrayBuffer) {
      bytes = new Uint8Array(shared, 0, byteLength);
    } else {
      bytes = new Uint8Array(byteLength);
      bytes.set(new Uint8Array(shared, 0, byteLength));
    }
    const loaded = await runLoadPipeline(nodeBackend(ort), modelId, manifest, bytes, opts, pipelineHooks);
    if (shared instanceof ArrayBuffer && !hostOwned) {
      // the host keeps a shared copy for recycle(); made here so its thread never copies model bytes
      retained = new SharedArrayBuffer(byteLength);
      new Uint8Array(retained).set(bytes);
    }
    // Collect the dead model bytes now, before the host swaps to this session: a GC after 'loaded'
    // would land on the first runs the new session serves.
    bytes = new Uint8Array(0);
    shared = new ArrayBuffer(0);
    fullGc();
    sessions.set(gid, loaded.session);
    post(loadedMessage(gid, loaded, t0, retained));
  } catch (e) {
    fullGc();
    post(loadFailedMessage(gid, e));
  }
}

/** The lent input buffers (ArrayBuffers the host pools) go back with the answer, unless an output took one over. */
function lentBack(feeds: Feeds, lent: boolean | undefined, transfer: ArrayBuffer[]): ArrayBuffer[] | undefined {
  if (!lent) return undefined;
  const back: ArrayBuffer[] = [];
  for (const t of Object.values(feeds)) {
    const b = t.data.buffer;
    if (b instanceof ArrayBuffer && b.byteLength > 0 && !transfer.includes(b) && !back.includes(b)) back.push(b);
  }
  transfer.push(...back);
  return back;
}

async function run(gid: number, id: number, feeds: Feeds, lent: boolean | undefined): Promise<void> {
  const h = sessions.get(gid);
  if (!h || !ort || h.releasing || closing) {
    const transfer: ArrayBuffer[] = [];
    const back = lentBack(feeds, lent, transfer);
    post({ t: 'run_error', gid, id, code: 'no_model', message: 'no such session in this worker', ...(back ? { lent: back } : {}) }, transfer);
    return;
  }
  const o = ort;
  const ts = performance.now();
  try {
    // feeds are converted inside the queue slot: scratch buffers are reused run to run
    const result = await h.queue.run(() => h.session.run(toOrtFeeds(o, feeds, h.scratch)));
    const transfer: ArrayBuffer[] = [];
    const outputs = fromOrtOutputs(result, transfer);
    const back = lentBack(feeds, lent, transfer);
    post({ t: 'result', gid, id, outputs, ms: performance.now() - ts, ...(back ? { lent: back } : {}) }, transfer);
  } catch (e) {
    const transfer: ArrayBuffer[] = [];
    const back = lentBack(feeds, lent, transfer);
    post({ t: 'run_error', gid, id, code: 'internal', message: e instanceof Error ? e.message : String(e), ...(back ? { lent: back } : {}) }, transfer);
  }
}

async function release(gid: number): Promise<void> {
  const h = sessions.get(gid);
  if (h && !h.releasing) {
    h.releasing = true;
    // wait for runs already queued on this session, then release it
    await h.queue.run(async () => undefined);
    await h.session.release().catch(() => undefined);
    sessions.delete(gid);
  }
  post({ t: 'released', gid });
}

/**
 * In a session process (not a thread): once it serves anything, loads go to load threads of this process so
 * that a session create never blocks the sessions serving on this thread (session-threads.ts).
 */
const loadThreads = isMainThread && LoadThreads.usable(new URL(import.meta.url)) ? new LoadThreads(new URL(import.meta.url), (m) => post(m)) : undefined;

port.onMessage((msg: ToWorker) => {
  if (loadThreads && (msg.t === 'run' || msg.t === 'release') && loadThreads.forward(msg)) return;
  switch (msg.t) {
    case 'load': {
      if (loadThreads && !closing && (sessions.size > 0 || loadThreads.size > 0)) {
        loadThreads.load(msg);
        break;
      }
      const p = load(msg.gid, msg.modelId, msg.manifest, msg.bytes, msg.byteLength, msg.options, msg.fromShared === true);
      loadsInFlight.add(p);
      void p.finally(() => loadsInFlight.delete(p));
      break;
    }
    case 'run':
      void run(msg.gid, msg.id, msg.feeds, msg.lent);
      break;
    case 'release':
      // no GC here: release() frees the session's native memory itself, and a GC right after a swap
      // would compete for the cores with the first runs on the new session
      void release(msg.gid);
      break;
    case 'close':
      // A graceful end (the host's close): loads stop at their next step and release what they made,
      // every session is released after its queued runs, and only then does the thread end by itself.
      // Terminating a thread while onnxruntime is inside a native call aborts the whole process
      // ("terminate called after throwing an instance of 'Napi::Error'").
      closing = true;
      void (async () => {
        await Promise.allSettled([...loadsInFlight, loadThreads?.close()]);
        await Promise.all([...sessions.keys()].map((gid) => release(gid)));
        post({ t: 'closed' });
        port.close();
      })();
      break;
  }
});
post({ t: 'ready' });
