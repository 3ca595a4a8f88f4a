/**
 * The loading pipeline of one model (issue 3 §2), written once for every kind of session worker: verify sha256 →
 * create (providers in order, with fallback) → contract → self-test → warm-up → latency budget. What differs between
 * a Node session worker (onnxruntime-node in a thread or a session process, session-worker.ts) and the native session
 * host (native/session-host, driven from native-session-worker.ts) is only how a session is created, run and
 * released: a `SessionBackend`.
 */
import { performance } from 'node:perf_hooks';
import type { ErrorCode } from '../../common/errors.js';
import type { ModelManifest } from '../../common/wire.js';
import type { Feeds, FromWorker, LoadOptions, LoadStep, ProviderAttempt, TensorData } from './worker-messages.js';
import { createWithFallback, ProvidersExhausted } from './providers.js';
import { percentile } from './stats.js';
import { contractMismatches, selfTestInput, selfTestMaxDiff, zerosFor, type ValueMeta } from './tensors.js';
import { dutyCycle } from './duty-cycle.js';

/** Creates, runs and releases sessions: onnxruntime-node in this process, or the native session host. */
export interface SessionBackend<S> {
  /** one provider; throws with onnxruntime's reason when this provider cannot load the bytes */
  create(bytes: Uint8Array, provider: string, opts: LoadOptions): Promise<S>;
  inputs(session: S): readonly ValueMeta[];
  outputs(session: S): readonly ValueMeta[];
  run(session: S, feeds: Feeds): Promise<Record<string, { data: TensorData | readonly unknown[] }>>;
  release(session: S): Promise<void>;
}

export interface PipelineHooks {
  /** hex sha256 of the bytes (a worker's own thread may hash synchronously; the agent's event loop must not) */
  sha256(bytes: Uint8Array): Promise<string> | string;
  /** called between the long steps: throws (a StepError 'aborted') when the worker is closing */
  checkpoint(): void;
}

export interface Loaded<S> {
  session: S;
  provider: string;
  failedProviders: ProviderAttempt[];
  warmupP95Ms: number;
  selfTestMaxDiff?: number;
  /** how many times the load ran the model (the self-test's run plus the warm-up runs) */
  runs: number;
}

export class StepError extends Error {
  constructor(
    readonly step: LoadStep,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly failedProviders: ProviderAttempt[] = [],
  ) {
    super(message);
  }
}

/** onnxruntime's wording when an execution provider is not in this build or its library is missing */
const PROVIDER_MISSING = /backend not found|no available backend|Failed to load shared library|not supported|not available|provider.*(not|un)available|not enabled in this build/i;

/** the self-test's input where the manifest has one, zeros of the contract's shape for every other input */
export function feedsFor(manifest: ModelManifest): Feeds {
  const feeds: Feeds = {};
  const st = manifest.selfTest ? selfTestInput(manifest.selfTest) : undefined;
  for (const spec of manifest.contract.inputs) {
    if (st && st.name === spec.name) feeds[spec.name] = { type: 'float32', data: st.data, dims: st.dims };
    else feeds[spec.name] = { type: spec.dtype === 'bool' ? 'bool' : spec.dtype, ...zerosFor(spec) };
  }
  return feeds;
}

/** Runs the pipeline; the session it made is released again on any failure. Throws StepError. */
export async function runLoadPipeline<S>(backend: SessionBackend<S>, modelId: string, manifest: ModelManifest, bytes: Uint8Array, opts: LoadOptions, hooks: PipelineHooks): Promise<Loaded<S>> {
  // step: verify (issue 3 §7: the bytes about to be loaded are the bytes that were verified)
  if (opts.verifySha256) {
    const digest = await hooks.sha256(bytes);
    if (digest !== manifest.sha256 || digest !== modelId) {
      throw new StepError('verify', 'sha256_mismatch', `sha256 of the bytes is ${digest}, expected ${modelId}`, { actual: digest });
    }
    if (bytes.byteLength !== manifest.size) throw new StepError('verify', 'size_mismatch', `size ${bytes.byteLength} != manifest ${manifest.size}`);
  }

  // step: create, trying each provider in order (a provider this build or machine lacks fails its create)
  let created;
  try {
    created = await createWithFallback(opts.providers, (provider) => backend.create(bytes, provider, opts));
  } catch (e) {
    const failedProviders = e instanceof ProvidersExhausted ? e.failed : [];
    // every provider missing (no GPU, no backend) is provider_unavailable; a provider that exists but
    // cannot parse the bytes (corrupt or unsupported model) is load_failed
    const missing = failedProviders.length > 0 && failedProviders.every((f) => PROVIDER_MISSING.test(f.reason));
    throw new StepError('create', missing ? 'provider_unavailable' : 'load_failed', e instanceof Error ? e.message : String(e), { failedProviders }, failedProviders);
  }
  const s = created.session;
  const failedProviders = created.failed;
  try {
    hooks.checkpoint();
    // step: contract
    const problems = contractMismatches(manifest.contract, backend.inputs(s), backend.outputs(s), manifest.preprocess);
    if (problems.length > 0) throw new StepError('contract', 'contract_mismatch', problems.join('; '), { problems });

    const feeds = feedsFor(manifest);
    // the self-test and warm-up runs keep to their share of the loading thread (duty-cycle.ts): each run first waits
    // what the one before owes; the last run's wait is never taken, so the answer is not delayed by it
    let dutyWait: Promise<void> = Promise.resolve();
    let runs = 0;
    const runOnce = async () => {
      await dutyWait;
      runs++;
      const ts = performance.now();
      const out = await backend.run(s, feeds);
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
        hooks.checkpoint();
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
    hooks.checkpoint();
    return { session: s, provider: created.provider, failedProviders, warmupP95Ms: p95, ...(selfTestDiff !== undefined ? { selfTestMaxDiff: selfTestDiff } : {}), runs };
  } catch (e) {
    await backend.release(s).catch(() => undefined);
    if (e instanceof StepError) throw new StepError(e.step, e.code, e.message, e.details, failedProviders);
    throw new StepError('create', 'load_failed', e instanceof Error ? e.message : String(e), undefined, failedProviders);
  }
}

/** the `loaded` answer of a pipeline that succeeded (`t0`: when the load began; `retained`: a thread's copy for recycle()) */
export function loadedMessage(gid: number, loaded: Loaded<unknown>, t0: number, retained?: SharedArrayBuffer): Extract<FromWorker, { t: 'loaded' }> {
  return {
    t: 'loaded',
    gid,
    ...(retained ? { retained } : {}),
    provider: loaded.provider,
    failedProviders: loaded.failedProviders,
    warmupP95Ms: loaded.warmupP95Ms,
    ...(loaded.selfTestMaxDiff !== undefined ? { selfTestMaxDiff: loaded.selfTestMaxDiff } : {}),
    loadMs: performance.now() - t0,
    runs: loaded.runs,
  };
}

/** the `load_failed` answer for whatever a load threw (a StepError names its step; anything else failed at create) */
export function loadFailedMessage(gid: number, e: unknown): Extract<FromWorker, { t: 'load_failed' }> {
  const se = e instanceof StepError ? e : new StepError('create', 'load_failed', e instanceof Error ? e.message : String(e));
  return { t: 'load_failed', gid, step: se.step, code: se.code, message: se.message, failedProviders: se.failedProviders, ...(se.details ? { details: se.details } : {}) };
}
