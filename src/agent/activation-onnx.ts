/**
 * A simple ModelActivator on a real onnxruntime-node CPU session: load, check the manifest contract
 * (names, and dtypes/shapes where the session exposes metadata), run the self-test and a short
 * latency check, and only then swap the session in for its role. The full inference host
 * (src/agent/inference/) replaces this; the agent core only sees the ModelActivator interface.
 */
import * as ort from 'onnxruntime-node';
import { AgentError, toAgentError } from '../common/errors.js';
import type { ModelContract, ModelManifest, Role, SelfTest, TensorSpec } from '../common/wire.js';
import type { ActivationRequest, ActivationResult, ModelActivator } from './activation.js';

interface Loaded {
  modelId: string;
  session: ort.InferenceSession;
}

export interface OnnxActivatorOptions {
  /** p95 budget of the warm-up runs when the manifest names none (config latencyBudgetMs) */
  latencyBudgetMs?: number;
  warmupRuns?: number;
}

export class OnnxActivator implements ModelActivator {
  private readonly sessions = new Map<Role, Loaded>();
  private closed = false;

  constructor(private readonly opts: OnnxActivatorOptions = {}) {}

  async activate(req: ActivationRequest): Promise<ActivationResult> {
    if (this.closed) throw new AgentError('aborted', 'activator is closed');
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(req.bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
    } catch (e) {
      throw new AgentError('load_failed', `onnxruntime could not load the model: ${(e as Error).message}`);
    }
    let warmupP95Ms: number | undefined;
    try {
      checkContract(session, req.manifest.contract);
      if (req.signal?.aborted) throw new AgentError('aborted', 'activation cancelled');
      req.onStage?.('self_test');
      if (req.manifest.selfTest) await runSelfTest(session, req.manifest.selfTest);
      warmupP95Ms = await measureP95(session, req.manifest, this.opts.warmupRuns ?? 5);
      const budget = req.manifest.latencyBudgetMs ?? this.opts.latencyBudgetMs;
      if (warmupP95Ms !== undefined && budget !== undefined && warmupP95Ms > budget)
        throw new AgentError('latency_budget_exceeded', `warm-up p95 ${warmupP95Ms.toFixed(1)} ms is above the budget of ${budget} ms`);
      if (req.signal?.aborted) throw new AgentError('aborted', 'activation cancelled');
    } catch (e) {
      await session.release().catch(() => {});
      throw toAgentError(e, 'load_failed');
    }
    if (this.closed) {
      await session.release().catch(() => {});
      throw new AgentError('aborted', 'activator is closed');
    }
    // Only now, with every check passed, does the new session replace the active one.
    const old = this.sessions.get(req.role);
    this.sessions.set(req.role, { modelId: req.modelId, session });
    await old?.session.release().catch(() => {});
    return warmupP95Ms === undefined ? { provider: 'cpu' } : { provider: 'cpu', warmupP95Ms };
  }

  activeModelId(role: Role): string | undefined {
    return this.sessions.get(role)?.modelId;
  }

  /** Runs the active session of a role (tests use this to see that the active model still serves). */
  async run(role: Role, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
    const s = this.sessions.get(role);
    if (!s) throw new AgentError('no_model', `no model is active for ${role}`);
    return s.session.run(feeds);
  }

  async deactivate(role: Role): Promise<void> {
    const s = this.sessions.get(role);
    this.sessions.delete(role);
    await s?.session.release().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.session.release().catch(() => {})));
  }
}

function checkContract(session: ort.InferenceSession, contract: ModelContract): void {
  const problems: string[] = [];
  const check = (kind: 'input' | 'output', names: readonly string[], meta: readonly ort.InferenceSession.ValueMetadata[] | undefined, specs: TensorSpec[]) => {
    for (const spec of specs) {
      if (!names.includes(spec.name)) {
        problems.push(`${kind} "${spec.name}" is missing (model has ${names.join(', ') || 'none'})`);
        continue;
      }
      const m = meta?.find((x) => x.name === spec.name);
      if (!m || !m.isTensor) continue; // metadata not exposed: names are all that can be checked
      if (m.type !== spec.dtype) problems.push(`${kind} "${spec.name}" is ${m.type}, the contract says ${spec.dtype}`);
      if (m.shape.length > 0) {
        if (m.shape.length !== spec.shape.length) problems.push(`${kind} "${spec.name}" has rank ${m.shape.length}, the contract says ${spec.shape.length}`);
        else
          spec.shape.forEach((d, i) => {
            const actual = m.shape[i];
            // a symbolic dim on either side matches any size
            if (typeof d === 'number' && typeof actual === 'number' && actual >= 0 && d !== actual)
              problems.push(`${kind} "${spec.name}" dim ${i} is ${actual}, the contract says ${d}`);
          });
      }
    }
  };
  let inMeta: readonly ort.InferenceSession.ValueMetadata[] | undefined;
  let outMeta: readonly ort.InferenceSession.ValueMetadata[] | undefined;
  try {
    inMeta = session.inputMetadata;
    outMeta = session.outputMetadata;
  } catch {
    // older runtimes do not expose metadata
  }
  check('input', session.inputNames, inMeta, contract.inputs);
  check('output', session.outputNames, outMeta, contract.outputs);
  if (problems.length > 0) throw new AgentError('contract_mismatch', problems.join('; '), { problems });
}

function selfTestInput(t: SelfTest): Float32Array {
  const n = t.input.shape.reduce((a, b) => a * b, 1);
  if (t.input.data) {
    if (t.input.data.length !== n) throw new AgentError('self_test_failed', `self-test input has ${t.input.data.length} values for shape [${t.input.shape.join(',')}]`);
    return Float32Array.from(t.input.data);
  }
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = ((i * 7919) % 256) / 255; // pattern "mod7919" (wire.ts SelfTestSchema)
  return x;
}

async function runSelfTest(session: ort.InferenceSession, t: SelfTest): Promise<void> {
  const out = await session.run({ [t.input.name]: new ort.Tensor('float32', selfTestInput(t), t.input.shape) });
  const y = out[t.expected.name];
  if (!y) throw new AgentError('self_test_failed', `self-test output "${t.expected.name}" is missing`);
  const data = y.data as ArrayLike<number>;
  const idx = t.expected.indices ?? t.expected.values.map((_, i) => i);
  for (let k = 0; k < t.expected.values.length; k++) {
    const got = Number(data[idx[k] ?? k]);
    const want = t.expected.values[k]!;
    if (!(Math.abs(got - want) <= t.tolerance))
      throw new AgentError('self_test_failed', `self-test output[${idx[k] ?? k}] = ${got}, expected ${want} ± ${t.tolerance}`);
  }
}

/** p95 over a few runs on a zero input built from the contract (fixed dims; symbolic dims as 1). */
async function measureP95(session: ort.InferenceSession, manifest: ModelManifest, runs: number): Promise<number | undefined> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const spec of manifest.contract.inputs) {
    if (spec.dtype !== 'float32') return undefined; // only float inputs are synthesised here
    const dims = spec.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    feeds[spec.name] = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.min(times.length - 1, Math.ceil(0.95 * times.length) - 1)];
}
