/**
 * Contract check and self-test helpers (issue 3 §2), pure so they are unit-tested without a session.
 */
import type { ModelContract, Preprocess, SelfTest, TensorSpec } from '../../common/wire.js';
import type { TensorData } from './worker-messages.js';
import { viewMismatches } from '../../common/crop-views.js';

/** What onnxruntime reports for one input or output. */
export interface ValueMeta {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

/**
 * Compares the session's inputs/outputs with the manifest contract. Names and dtypes must match
 * exactly; a fixed dimension in the manifest must equal the model's, and a symbolic one (a string)
 * matches anything; the model may be more dynamic than declared (its symbolic dim accepts the fixed size).
 * With `preprocess` (the manifest's), a crop with views also fixes the first input's channels (crop-views.ts viewMismatches).
 * Returns the list of mismatches (empty when the contract holds).
 */
export function contractMismatches(contract: ModelContract, inputs: readonly ValueMeta[], outputs: readonly ValueMeta[], preprocess?: Preprocess): string[] {
  const problems: string[] = [];
  const side = (kind: 'input' | 'output', specs: readonly TensorSpec[], actual: readonly ValueMeta[]) => {
    const byName = new Map(actual.map((m) => [m.name, m]));
    for (const spec of specs) {
      const m = byName.get(spec.name);
      if (!m) {
        problems.push(`${kind} "${spec.name}" missing (model has ${actual.map((a) => a.name).join(', ') || 'none'})`);
        continue;
      }
      if (!m.isTensor) {
        problems.push(`${kind} "${spec.name}" is not a tensor`);
        continue;
      }
      if (m.type !== spec.dtype) problems.push(`${kind} "${spec.name}" dtype ${m.type} != ${spec.dtype}`);
      const shape = m.shape ?? [];
      if (shape.length !== spec.shape.length) {
        problems.push(`${kind} "${spec.name}" rank ${shape.length} != ${spec.shape.length}`);
        continue;
      }
      spec.shape.forEach((want, i) => {
        const got = shape[i];
        if (typeof want === 'number' && typeof got === 'number' && want !== got) {
          problems.push(`${kind} "${spec.name}" dim ${i} is ${got}, contract says ${want}`);
        }
      });
    }
    // a model input the contract does not declare cannot be fed by the agent
    if (kind === 'input') {
      const declared = new Set(specs.map((s) => s.name));
      for (const a of actual) if (!declared.has(a.name)) problems.push(`input "${a.name}" not in the contract`);
    }
  };
  side('input', contract.inputs, inputs);
  side('output', contract.outputs, outputs);
  if (preprocess) problems.push(...viewMismatches(preprocess, contract.inputs[0], inputs.find((m) => m.name === contract.inputs[0]?.name)));
  return problems;
}

/** x[i] = ((i * 7919) % 256) / 255 over the flat tensor (wire.ts SelfTestSchema, pattern "mod7919"). */
export function mod7919(length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = ((i * 7919) % 256) / 255;
  return out;
}

export function selfTestInput(selfTest: SelfTest): { name: string; data: Float32Array; dims: number[] } {
  const dims = [...selfTest.input.shape];
  const n = dims.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (selfTest.input.pattern === 'mod7919') data = mod7919(n);
  else {
    const src = selfTest.input.data ?? [];
    if (src.length !== n) throw new RangeError(`self-test input has ${src.length} values, shape needs ${n}`);
    data = Float32Array.from(src);
  }
  return { name: selfTest.input.name, data, dims };
}

/**
 * Max abs difference between the output and the expected values (at `indices` when given, else in
 * full). Infinity when the sizes do not line up or a value is not finite, so it always fails tolerance.
 */
export function selfTestMaxDiff(selfTest: SelfTest, output: TensorData): number {
  const { indices, values } = selfTest.expected;
  if (!indices && values.length !== output.length) return Number.POSITIVE_INFINITY;
  if (indices && indices.length !== values.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let k = 0; k < values.length; k++) {
    const at = indices ? indices[k]! : k;
    if (at >= output.length) return Number.POSITIVE_INFINITY;
    const got = Number(output[at]);
    const d = Math.abs(got - values[k]!);
    if (!Number.isFinite(d)) return Number.POSITIVE_INFINITY;
    if (d > max) max = d;
  }
  return max;
}

/** A warm-up input when the manifest has no self-test: zeros, symbolic dims taken as 1. */
export function zerosFor(spec: TensorSpec): { data: TensorData; dims: number[] } {
  const dims = spec.shape.map((d) => (typeof d === 'number' ? Math.max(1, d) : 1));
  const n = dims.reduce((a, b) => a * b, 1);
  switch (spec.dtype) {
    case 'float32':
      return { data: new Float32Array(n), dims };
    case 'int64':
      return { data: new BigInt64Array(n), dims };
    case 'int32':
      return { data: new Int32Array(n), dims };
    case 'int8':
      return { data: new Int8Array(n), dims };
    case 'uint8':
    case 'bool':
      return { data: new Uint8Array(n), dims };
    case 'float16':
      return { data: new Uint16Array(n), dims };
  }
}
