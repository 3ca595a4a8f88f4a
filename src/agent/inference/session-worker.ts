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
import type { ErrorCode } from '../../common/errors.js';
import type { ModelManifest } from '../../common/wire.js';
import type { Feeds, FromWorker, LoadOptions, LoadStep, Outputs, ProviderAttempt, ToWorker } from './worker-messages.js';
import { createWithFallback, leanSessionOptions, maxConcurrentRuns, ProvidersExhausted, sessionOptionsFor } from './providers.js';
import { RunQueue } from './run-queue.js';
import { percentile } from './stats.js';
import { contractMismatches, selfTestInput, selfTestMaxDiff, zerosFor, type ValueMeta } from './tensors.js';
import { workerPort } from './worker-port.js';
import { LoadThreads } from './session-threads.js';
import { isMainThread } from 'node:worker_threads';
import { makeFullGc } from '../full-gc.js';
import { dutyCycle } from './duty-cycle.js';

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

/** onnxruntime's wording when an execution provider is not in this build or its library is missing */
const PROVIDER_MISSING = /backend not found|no available backend|Failed to load shared library|not supported|provider.*(not|un)available/i;

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
/** Between the long synchronous steps of a load: a closing worker stops here, never mid-call. */
function stopIfClosing(): void {
  if (closing) throw new StepError('create', 'aborted', 'session worker is closing');
}

class StepError extends Error {
  constructor(
    readonly step: LoadStep,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

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

function feedsFor(manifest: ModelManifest): Feeds {
  const feeds: Feeds = {};
  const st = manifest.selfTest ? selfTestInput(manifest.selfTest) : undefined;
  for (const spec of manifest.contract.inputs) {
    if (st && st.name === spec.name) feeds[spec.name] = { type: 'float32', data: st.data, dims: st.dims };
    else feeds[spec.name] = { type: spec.dtype === 'bool' ? 'bool' : spec.dtype, ...zerosFor(spec) };
  }
  return feeds;
}

async function load(gid: number, modelId: string, manifest: ModelManifest, shared: SharedArrayBuffer | ArrayBuffer, byteLength: number, opts: LoadOptions, hostOwned = false) {
  const t0 = performance.now();
  let failedProviders: ProviderAttempt[] = [];
  let held: Held | undefined;
  try {
    if (!ort) throw new StepError('create', 'provider_unavailable', `onnxruntime-node failed to import: ${ortImportError}`);
    // Runs already sent to a session in this thread (a generation still draining after a swap) go
    // first: the steps below are long synchronous calls that would otherwise hold them up.
    await Promise.all([...sessions.values()].map((h) => h.queue.run(async () => undefined)));
    const o = ort;
    // onnxruntime's loadModel wants a plain ArrayBuffer; the host shares the bytes, so copy here, off
    // the host's event loop
    // a handed-over ArrayBuffer is used as is; shared bytes are copied (onnxruntime wants a plain buffer)
    let bytes: Uint8Array;
    let retained: SharedArrayBuffer | undefined;
    if (shared instanceof ArrayBuffer) {
      bytes = new Uint8Array(shared, 0, byteLength);
    } else {
      bytes = new Uint8Array(byteLength);
      bytes.set(new Uint8Array(shared, 0, byteLength));
    }

    // step: verify (issue 3 §7: the bytes about to be loaded are the bytes that were verified)
    if (opts.verifySha256) {
      const digest = createHash('sha256').update(bytes).digest('hex');
      if (digest !== manifest.sha256 || digest !== modelId) {
        throw new StepError('verify', 'sha256_mismatch', `sha256 of the bytes is ${digest}, expected ${modelId}`, { actual: digest });
      }
      if (byteLength !== manifest.size) throw new StepError('verify', 'size_mismatch', `size ${byteLength} != manifest ${manifest.size}`);
    }

    // step: create, trying each provider in order (onnxruntime-node throws for one it lacks)
    let created;
    try {
      created = await createWithFallback(opts.providers, (provider) =>
        o.InferenceSession.create(bytes, {
          ...leanSessionOptions(opts),
          ...sessionOptionsFor(provider),
          logSeverityLevel: opts.logSeverityLevel,
          ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
          // session config entries (onnxruntime_session_options_config_keys.h), values are strings
          extra: { session: { intra_op: { allow_spinning: opts.allowSpinning ? '1' : '0' }, inter_op: { allow_spinning: opts.allowSpinning ? '1' : '0' } } },
        } as never),
      );
    } catch (e) {
      failedProviders = e instanceof ProvidersExhausted ? e.failed : [];
      // every provider missing (no GPU, no backend) is provider_unavailable; a provider that exists but
      // cannot parse the bytes (corrupt or unsupported model) is load_failed
      const missing = failedProviders.length > 0 && failedProviders.every((f) => PROVIDER_MISSING.test(f.reason));
      throw new StepError('create', missing ? 'provider_unavailable' : 'load_failed', e instanceof Error ? e.message : String(e), { failedProviders });
    }
    failedProviders = created.failed;
    const s = created.session;
    // One run at a time per session: a worker thread executes one synchronous native run at a time
    // anyway, inputs reuse scratch buffers, and for DirectML it is required (maxConcurrentRuns('dml') = 1).
    held = { session: s, queue: new RunQueue(Math.min(1, maxConcurrentRuns(created.provider))), scratch: new Map(), releasing: false };
    const scratch = held.scratch;
    stopIfClosing();

    // step: contract
    const meta = (list: readonly unknown[]) => list as ValueMeta[];
    const problems = contractMismatches(manifest.contract, meta(s.inputMetadata), meta(s.outputMetadata));
    if (problems.length > 0) throw new StepError('contract', 'contract_mismatch', problems.join('; '), { problems });

    const feeds = feedsFor(manifest);
    // the self-test and warm-up runs keep to their share of this thread (duty-cycle.ts): each run first waits
    // what the one before owes; the last run's wait is never taken, so the answer is not delayed by it
    let dutyWait: Promise<void> = Promise.resolve();
    let runs = 0;
    const runOnce = async () => {
      await dutyWait;
      runs++;
      const ts = performance.now();
      const out = await s.run(toOrtFeeds(o, feeds, scratch));
      const ms = performance.now() - ts;
      dutyWait = dutyCycle(ms, opts.warmupShare);
      return { out, ms };
    };

    // step: self-test
    let selfTestDiff: number | undefined;
    if (manifest.selfTest) {
      let out;
      try {
        out = (await runOnce()).out;
      } catch (e) {
        throw new StepError('self_test', 'self_test_failed', `self-test run failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      const y = out[manifest.selfTest.expected.name];
      if (!y) throw new StepError('self_test', 'self_test_failed', `self-test output "${manifest.selfTest.expected.name}" missing`);
      selfTestDiff = selfTestMaxDiff(manifest.selfTest, y.data as never);
      if (!(selfTestDiff <= manifest.selfTest.tolerance)) {
        throw new StepError('self_test', 'self_test_failed', `max abs diff ${selfTestDiff} > tolerance ${manifest.selfTest.tolerance}`, {
          maxDiff: Number.isFinite(selfTestDiff) ? selfTestDiff : null,
          tolerance: manifest.selfTest.tolerance,
        });
      }
    }

    // step: warm-up, then latency: p95 over the warm-up runs within the budget
    const times: number[] = [];
    try {
      for (let i = 0; i < opts.warmupRuns; i++) {
        stopIfClosing();
        times.push((await runOnce()).ms);
      }
    } catch (e) {
      if (e instanceof StepError) throw e;
      throw new StepError('warmup', 'load_failed', `warm-up run failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const p95 = percentile(times, 95);
    if (p95 > opts.latencyBudgetMs) {
      throw new StepError('latency', 'latency_budget_exceeded', `warm-up p95 ${p95.toFixed(1)} ms > budget ${opts.latencyBudgetMs} ms`, {
        p95Ms: p95,
        budgetMs: opts.latencyBudgetMs,
        runs: times.length,
      });
    }
    if (shared instanceof ArrayBuffer && !hostOwned) {
      // the host keeps a shared copy for recycle(); made here so its thread never copies model bytes
      retained = new SharedArrayBuffer(byteLength);
      new Uint8Array(retained).set(bytes);
    }
    stopIfClosing();
    // Collect the dead model bytes now, before the host swaps to this session: a GC after 'loaded'
    // would land on the first runs the new session serves.
    bytes = new Uint8Array(0);
    shared = new ArrayBuffer(0);
    fullGc();
    sessions.set(gid, held);
    post({
      t: 'loaded',
      gid,
      ...(retained ? { retained } : {}),
      provider: created.provider,
      failedProviders,
      warmupP95Ms: p95,
      ...(selfTestDiff !== undefined ? { selfTestMaxDiff: selfTestDiff } : {}),
      loadMs: performance.now() - t0,
      runs,
    });
  } catch (e) {
    if (held) await held.session.release().catch(() => undefined);
    fullGc();
    const se = e instanceof StepError ? e : new StepError('create', 'load_failed', e instanceof Error ? e.message : String(e));
    post({ t: 'load_failed', gid, step: se.step, code: se.code, message: se.message, failedProviders, ...(se.details ? { details: se.details } : {}) });
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
