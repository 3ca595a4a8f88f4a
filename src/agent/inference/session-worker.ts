/**
 * A session worker: one worker thread per loaded model generation (issue 3 §4). onnxruntime-node's
 * session creation and run() are synchronous native calls, so they live here, off the host's event
 * loop. A swap loads the new model in a fresh worker while the old one keeps serving, and ends the old
 * worker once its leases drain: each generation's native memory goes away with its thread (issue 3 §5).
 *
 * Protocol (protocol.ts): the first message is `load`; it answers `loaded` or `load_failed` with the
 * pipeline step that failed. Then `run` messages until `close`.
 */
import { parentPort } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ErrorCode } from '../../common/errors.js';
import type { ModelManifest } from '../../common/wire.js';
import type { Feeds, FromWorker, LoadOptions, LoadStep, Outputs, ProviderAttempt, ToWorker } from './protocol.js';
import { createWithFallback, maxConcurrentRuns, ProvidersExhausted, sessionOptionsFor } from './providers.js';
import { RunQueue } from './run-queue.js';
import { percentile } from './stats.js';
import { contractMismatches, selfTestInput, selfTestMaxDiff, zerosFor, type ValueMeta } from './tensors.js';

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;

const port = parentPort;
if (!port) throw new Error('session-worker must run in a worker thread');

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

let session: Session | undefined;
let queue = new RunQueue(1);
let closing = false;

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
  port!.postMessage(msg, transfer ?? []);
}

/**
 * Scratch buffers for inputs that arrive in shared memory, per input name: onnxruntime-node rejects
 * views on a SharedArrayBuffer ("Invalid argument"), so we copy into a buffer this thread owns and
 * reuse it. Safe because runs on this worker are serialised (the queue below).
 */
const scratch = new Map<string, Uint8Array>();

function toOrtFeeds(o: Ort, feeds: Feeds): Record<string, import('onnxruntime-node').Tensor> {
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

function fromOrtOutputs(result: Record<string, import('onnxruntime-node').Tensor>): { outputs: Outputs; transfer: ArrayBuffer[] } {
  const outputs: Outputs = {};
  const transfer: ArrayBuffer[] = [];
  for (const [name, t] of Object.entries(result)) {
    const data = t.data as Outputs[string]['data'];
    outputs[name] = { type: t.type, data, dims: [...t.dims] };
    // outputs are fresh arrays owned by this thread: hand them over instead of copying
    if (data.buffer instanceof ArrayBuffer && !transfer.includes(data.buffer)) transfer.push(data.buffer);
  }
  return { outputs, transfer };
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

async function load(modelId: string, manifest: ModelManifest, shared: SharedArrayBuffer | ArrayBuffer, byteLength: number, opts: LoadOptions) {
  const t0 = performance.now();
  let failedProviders: ProviderAttempt[] = [];
  try {
    if (!ort) throw new StepError('create', 'provider_unavailable', `onnxruntime-node failed to import: ${ortImportError}`);
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
          ...sessionOptionsFor(provider),
          logSeverityLevel: opts.logSeverityLevel,
          ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
          ...(opts.interOpNumThreads ? { interOpNumThreads: opts.interOpNumThreads } : {}),
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
    session = s;
    // One run at a time per session: a worker thread executes one synchronous native run at a time
    // anyway, inputs reuse scratch buffers, and for DirectML it is required (maxConcurrentRuns('dml') = 1).
    queue = new RunQueue(Math.min(1, maxConcurrentRuns(created.provider)));

    // step: contract
    const meta = (list: readonly unknown[]) => list as ValueMeta[];
    const problems = contractMismatches(manifest.contract, meta(s.inputMetadata), meta(s.outputMetadata));
    if (problems.length > 0) throw new StepError('contract', 'contract_mismatch', problems.join('; '), { problems });

    const feeds = feedsFor(manifest);
    const runOnce = async () => {
      const ts = performance.now();
      const out = await s.run(toOrtFeeds(o, feeds));
      return { out, ms: performance.now() - ts };
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
      for (let i = 0; i < opts.warmupRuns; i++) times.push((await runOnce()).ms);
    } catch (e) {
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
    if (shared instanceof ArrayBuffer) {
      // the host keeps a shared copy for recycle(); made here so its thread never copies model bytes
      retained = new SharedArrayBuffer(byteLength);
      new Uint8Array(retained).set(bytes);
    }
    post({
      t: 'loaded',
      ...(retained ? { retained } : {}),
      provider: created.provider,
      failedProviders,
      warmupP95Ms: p95,
      ...(selfTestDiff !== undefined ? { selfTestMaxDiff: selfTestDiff } : {}),
      loadMs: performance.now() - t0,
    });
  } catch (e) {
    if (session) {
      await session.release().catch(() => undefined);
      session = undefined;
    }
    const se = e instanceof StepError ? e : new StepError('create', 'load_failed', e instanceof Error ? e.message : String(e));
    post({ t: 'load_failed', step: se.step, code: se.code, message: se.message, failedProviders, ...(se.details ? { details: se.details } : {}) });
  }
}

async function run(id: number, feeds: Feeds): Promise<void> {
  const s = session;
  if (!s || !ort || closing) {
    post({ t: 'run_error', id, code: 'no_model', message: 'no session in this worker' });
    return;
  }
  const o = ort;
  try {
    const ts = performance.now();
    // feeds are converted inside the queue slot: scratch buffers are reused run to run
    const result = await queue.run(() => s.run(toOrtFeeds(o, feeds)));
    const { outputs, transfer } = fromOrtOutputs(result);
    post({ t: 'result', id, outputs, ms: performance.now() - ts }, transfer);
  } catch (e) {
    post({ t: 'run_error', id, code: 'internal', message: e instanceof Error ? e.message : String(e) });
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.t) {
    case 'load':
      void load(msg.modelId, msg.manifest, msg.bytes, msg.byteLength, msg.options);
      break;
    case 'run':
      void run(msg.id, msg.feeds);
      break;
    case 'close':
      closing = true;
      void (async () => {
        // wait for runs already queued on this session, then release it
        await queue.run(async () => undefined);
        if (session) await session.release().catch(() => undefined);
        session = undefined;
        post({ t: 'closed' });
        port.close();
      })();
      break;
  }
});
post({ t: 'ready' });
