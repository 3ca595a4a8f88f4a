/**
 * Activation ranges for static INT8 quantization (issue 21 §1): runs the augmented graph (qdq.py plan, every
 * tensor to be quantized exposed as an output) with onnxruntime-node on the calibration inputs and keeps, per
 * tensor, either the overall min/max or — with a percentile — the mean over batches of the per-batch
 * percentile of the values (clips rare outliers, which otherwise widen the step for everything else).
 */
import * as ort from 'onnxruntime-node';
import type { ModelInput } from './calibration-set.js';

export type RangeMethod = { kind: 'minmax' } | { kind: 'percentile'; pct: number };

/** The `pct` percentile (0..100) of `v` from at most `maxSamples` evenly strided values (exact below that). */
export function percentile(v: ArrayLike<number>, pct: number, maxSamples = 1 << 18): number {
  const step = Math.max(1, Math.floor(v.length / maxSamples));
  const s = new Float32Array(Math.ceil(v.length / step));
  for (let i = 0, k = 0; i < v.length; i += step, k++) s[k] = v[i]!;
  s.sort();
  const at = Math.min(s.length - 1, Math.max(0, Math.round((pct / 100) * (s.length - 1))));
  return s[at]!;
}

export class RangeCollector {
  private readonly min = new Map<string, number>();
  private readonly max = new Map<string, number>();
  private readonly pctHi = new Map<string, number[]>();
  private readonly pctLo = new Map<string, number[]>();

  constructor(private readonly method: RangeMethod) {}

  add(name: string, v: ArrayLike<number>): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    this.min.set(name, Math.min(this.min.get(name) ?? Infinity, lo));
    this.max.set(name, Math.max(this.max.get(name) ?? -Infinity, hi));
    if (this.method.kind === 'percentile') {
      (this.pctHi.get(name) ?? this.pctHi.set(name, []).get(name)!).push(percentile(v, this.method.pct));
      (this.pctLo.get(name) ?? this.pctLo.set(name, []).get(name)!).push(lo >= 0 ? lo : percentile(v, 100 - this.method.pct));
    }
  }

  ranges(): Record<string, [number, number]> {
    const out: Record<string, [number, number]> = {};
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    for (const [name, lo] of this.min) {
      const hi = this.max.get(name)!;
      out[name] = this.method.kind === 'minmax' ? [lo, hi] : [Math.max(lo, mean(this.pctLo.get(name)!)), Math.min(hi, mean(this.pctHi.get(name)!))];
    }
    return out;
  }
}

/** Runs the augmented model on every input and collects the ranges of `tensors`. */
export async function collectRanges(augmentedModel: string, inputName: string, tensors: readonly string[], inputs: AsyncIterable<ModelInput>, method: RangeMethod): Promise<{ ranges: Record<string, [number, number]>; batches: number; items: number }> {
  const session = await ort.InferenceSession.create(augmentedModel, { executionProviders: ['cpu'], graphOptimizationLevel: 'basic' });
  const collector = new RangeCollector(method);
  let batches = 0;
  let items = 0;
  try {
    for await (const x of inputs) {
      const out = await session.run({ [inputName]: new ort.Tensor('float32', x.data, x.dims) }, [...tensors]);
      for (const t of tensors) collector.add(t, out[t]!.data as Float32Array);
      batches++;
      items += x.dims[0]!;
    }
  } finally {
    await session.release();
  }
  const ranges = collector.ranges();
  const missing = tensors.filter((t) => !ranges[t]);
  if (missing.length) throw new Error(`no calibration values for ${missing.length} tensors (${missing[0]})`);
  return { ranges, batches, items };
}
