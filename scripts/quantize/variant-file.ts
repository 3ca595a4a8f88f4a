/**
 * The variant file contract (issue 21 §1, BRIEF "Variant file contract"): `assets/models/<role>/variants/int8/model.onnx`
 * plus `variant.json` = { name, precision, format, base {version, sha256 of the fp32 model.onnx}, selfTest (same shape
 * as metadata.json's, expected values computed with onnxruntime-node on THIS file), prefers {providers, cpuFlags},
 * measured {…} }. The product side (manifest variants, the agent's choice) reads it; this module writes it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import * as ort from 'onnxruntime-node';
import { mod7919, selfTestMaxDiff } from '../../src/agent/inference/tensors.js';
import { Sha256Hex, type SelfTest } from '../../src/common/wire.js';
import { VariantFileSchema as ProductVariantFileSchema } from '../../src/fleet/variants.js';

/**
 * What the recipe writes: the product's own `variant.json` schema (src/fleet/variants.ts, what `rpa-fleet model
 * publish` reads) with the recipe's stricter requirements on top — a format it knows, the base version named, at
 * least one provider, the CPU flags listed, and its measurements.
 */
export const VariantFileSchema = ProductVariantFileSchema.extend({
  format: z.enum(['qdq', 'plain']),
  base: z.object({ version: z.string().min(1).max(64), sha256: Sha256Hex }),
  prefers: z.object({ providers: z.array(z.string().min(1).max(32)).min(1).max(8), cpuFlags: z.array(z.string().min(1).max(32)).max(16) }),
  measured: z.record(z.string(), z.unknown()),
});
export type VariantFile = z.infer<typeof VariantFileSchema>;

/**
 * u8 activations x s8 weights is the instruction VNNI adds (vpdpbusd); without VNNI onnxruntime's u8s8 path goes
 * through vpmaddubsw, whose int16 sums can saturate, so the variant is preferred only where VNNI exists.
 */
export const INT8_PREFERS = { providers: ['cpu'], cpuFlags: ['avx512_vnni', 'avx_vnni'] };

type SessionOpts = ort.InferenceSession.SessionOptions;
const AGENT_OPTS: SessionOpts = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' } } } };

async function outputOf(model: string, st: SelfTest['input'], outName: string, opts: SessionOpts): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model, { ...AGENT_OPTS, ...opts });
  try {
    const n = st.shape.reduce((a, b) => a * b, 1);
    const out = await s.run({ [st.name]: new ort.Tensor('float32', mod7919(n), [...st.shape]) });
    return out[outName]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

/**
 * The variant's self-test: the fp32 self-test's input and indices, the values this int8 file gives with the agent's
 * session options. Tolerance: int8 kernels differ between CPUs (and from onnxruntime's unfused reference path) by a
 * requantization step here and there, so it is 2x the largest difference seen between the fused run (1 and 2
 * threads) and the unfused QDQ reference run of the same file, at least 1e-3 and at most 1 (the schema's bound).
 */
export async function int8SelfTest(model: string, fp32: SelfTest): Promise<{ selfTest: SelfTest & Record<string, unknown>; spreadMaxAbs: number }> {
  const name = fp32.expected.name;
  const fused = await outputOf(model, fp32.input, name, {});
  const oneThread = await outputOf(model, fp32.input, name, { intraOpNumThreads: 1 });
  const reference = await outputOf(model, fp32.input, name, { graphOptimizationLevel: 'disabled' });
  const indices = fp32.expected.indices ?? [...fused.keys()];
  const values = indices.map((i) => fused[i]!);
  const probe = { ...fp32, expected: { name, indices, values }, tolerance: 1 };
  const spread = Math.max(selfTestMaxDiff(probe, oneThread), selfTestMaxDiff(probe, reference));
  const tolerance = Math.min(1, Math.max(1e-3, Number((2 * spread).toPrecision(2))));
  const selfTest = {
    input: fp32.input,
    expected: { name, indices, values },
    tolerance,
    toleranceRule: '|actual - expected| <= tolerance (absolute, as the agent checks it)',
    toleranceWhy: `2x the largest difference between the fused int8 kernels (1 and 2 threads) and onnxruntime's unfused QDQ reference on this file: ${spread.toExponential(2)}`,
  };
  const diff = selfTestMaxDiff(selfTest, fused);
  if (!(diff <= tolerance)) throw new Error(`self-test of ${model} does not pass on itself (${diff})`);
  return { selfTest, spreadMaxAbs: spread };
}

/** Max |int8 - fp32| and the fp32 output's max |value| on the self-test input (a coarse fidelity figure). */
export async function fidelityOnSelfTest(int8: string, fp32Model: string, st: SelfTest): Promise<{ maxAbsDiff: number; fp32MaxAbs: number }> {
  const a = await outputOf(int8, st.input, st.expected.name, {});
  const b = await outputOf(fp32Model, st.input, st.expected.name, {});
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return { maxAbsDiff: d, fp32MaxAbs: m };
}

/**
 * Which file of a role's model dir goes into the int8 evaluation dir (`--eval-dir`): its int8 variant when this run
 * quantized the role, or when an earlier run did and that variant's base is still the fp32 model beside it (a role not
 * re-quantized keeps its variant, so the dir is the pair the agent would run); the fp32 model otherwise.
 */
export function evalDirModel(roleDir: string, quantizedNow: boolean): { file: string; int8: boolean } {
  const fp32 = join(roleDir, 'model.onnx');
  const int8 = join(roleDir, 'variants', 'int8', 'model.onnx');
  const variantJson = join(roleDir, 'variants', 'int8', 'variant.json');
  if (!existsSync(int8)) return { file: fp32, int8: false };
  if (quantizedNow) return { file: int8, int8: true };
  if (!existsSync(variantJson)) return { file: fp32, int8: false };
  const base = (JSON.parse(readFileSync(variantJson, 'utf8')) as { base?: { sha256?: string } }).base?.sha256;
  const sha = createHash('sha256').update(readFileSync(fp32)).digest('hex');
  return base === sha ? { file: int8, int8: true } : { file: fp32, int8: false };
}
