/**
 * Hardware variants at publish time (issue 21 §1): a variant directory `<model dir>/variants/<name>/` holds
 * `model.onnx` and `variant.json` (the contract the INT8 recipe writes: name, precision, format, base {version,
 * sha256}, selfTest, prefers, measured). Each variant is graph-scanned, its contract read with onnxruntime and held
 * to the base's, its self-test RUN on its own file, and it is chunked like the base; the result goes into the
 * base's manifest (`variants`) and its chunks to `models/{variant sha256}/chunks/{n}` before the manifest.
 * Bad input is `variant_invalid` (or the scan's graph_*, contract_mismatch, self_test_failed) before anything is signed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentError, toAgentError } from '../common/errors.js';
import { scannedOnnx } from '../common/graph-scan.js';
import { chunkMismatch } from '../common/release-rules.js';
import { utf8 } from '../common/bytes.js';
import { ContractSchema, MAX_MANIFEST_BYTES, ModelManifestSchema, SegmentSchema, SelfTestSchema, Sha256Hex, VariantSchema, type ModelContract, type ModelManifest, type SelfTest, type Variant } from '../common/wire.js';
import { buildManifest, mergeContract, readContractWithOnnxRuntime, splitChunks, type BuildManifestInput, type BuiltModel, type ContractReader } from './manifest.js';

/** `variant.json` (assets/models/<role>/variants/<name>/variant.json); unknown keys (measured, notes) are ignored. */
export const VariantFileSchema = z.object({
  name: SegmentSchema,
  precision: z.enum(['fp32', 'fp16', 'int8']),
  format: z.string().min(1).max(32),
  base: z.object({ version: z.string().max(64).optional(), sha256: Sha256Hex }),
  contract: ContractSchema.optional(),
  selfTest: SelfTestSchema,
  prefers: z.object({ providers: z.array(z.string().min(1).max(32)).max(8).optional(), cpuFlags: z.array(z.string().min(1).max(32)).max(16).optional() }).default({}),
});
export type VariantFile = z.infer<typeof VariantFileSchema>;

export interface VariantSource {
  /** the name the flag or folder gives (`--variant int8=DIR`, `variants/int8/`) */
  name: string;
  bytes: Uint8Array;
  file: unknown;
  /** where it came from, for messages */
  source: string;
}

export interface BuiltVariant {
  variant: Variant;
  chunks: Uint8Array[];
}

const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const invalid = (source: string, message: string) => new AgentError('variant_invalid', `${source}: ${message}`);

/** Reads `DIR/model.onnx` + `DIR/variant.json`; a missing or unreadable file is variant_invalid. */
export async function readVariantDir(name: string, dir: string): Promise<VariantSource> {
  const read = async (f: string) => {
    try {
      return await readFile(join(dir, f));
    } catch (e) {
      throw invalid(dir, `cannot read ${f} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const [bytes, text] = await Promise.all([read('model.onnx'), read('variant.json')]);
  let file: unknown;
  try {
    file = JSON.parse(text.toString('utf8'));
  } catch {
    throw invalid(join(dir, 'variant.json'), 'is not JSON');
  }
  return { name, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file, source: dir };
}

/** The variant folders next to a model file: `<dir of model.onnx>/variants/<name>/` holding both files. */
export function findVariantDirs(modelFile: string): { name: string; dir: string }[] {
  const root = join(modelFile, '..', 'variants');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'model.onnx')) && existsSync(join(root, e.name, 'variant.json')))
    .map((e) => ({ name: e.name, dir: join(root, e.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Parses `--variant NAME=DIR` values. */
export function parseVariantFlags(values: readonly string[]): { name: string; dir: string }[] {
  return values.map((v) => {
    const m = /^([A-Za-z0-9._-]{1,128})=(.+)$/.exec(v);
    if (!m) throw new AgentError('bad_argument', `--variant ${JSON.stringify(v)}: use NAME=DIR (DIR holds model.onnx and variant.json)`);
    return { name: m[1]!, dir: m[2]! };
  });
}

export interface VariantBase {
  sha256: string;
  version: string;
  contract: ModelContract;
  chunkSize: number;
}

/** Runs a variant's self-test on its own bytes (onnxruntime, CPU); injectable so non-ONNX callers can supply theirs. */
export type SelfTestRunner = (bytes: Uint8Array, t: SelfTest) => Promise<void>;

export const runSelfTestWithOnnxRuntime: SelfTestRunner = async (bytes, t) => {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes).catch((e: unknown) => {
    throw new AgentError('load_failed', `onnxruntime cannot load the variant: ${(e as Error).message}`);
  });
  try {
    const n = t.input.shape.reduce((a, b) => a * b, 1);
    const x = t.input.data ? Float32Array.from(t.input.data) : Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 256) / 255); // pattern mod7919
    if (x.length !== n) throw new AgentError('self_test_failed', `self-test input has ${x.length} values for shape [${t.input.shape.join(',')}]`);
    const out = await session.run({ [t.input.name]: new ort.Tensor('float32', x, t.input.shape) });
    const y = out[t.expected.name]?.data as ArrayLike<number> | undefined;
    if (!y) throw new AgentError('self_test_failed', `self-test output "${t.expected.name}" is missing`);
    t.expected.values.forEach((want, k) => {
      const i = t.expected.indices?.[k] ?? k;
      if (!(Math.abs(Number(y[i]) - want) <= t.tolerance)) throw new AgentError('self_test_failed', `variant self-test output[${i}] = ${y[i]}, expected ${want} ± ${t.tolerance}`);
    });
  } finally {
    await session.release();
  }
};

/** Checks and builds one variant against its base (see the file comment). */
export async function buildVariant(src: VariantSource, base: VariantBase, o: { readContract?: ContractReader; runSelfTest?: SelfTestRunner } = {}): Promise<BuiltVariant> {
  const parsed = VariantFileSchema.safeParse(src.file);
  if (!parsed.success) throw invalid(src.source, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  const f = parsed.data;
  if (f.name !== src.name) throw invalid(src.source, `variant.json names "${f.name}", the folder or flag "${src.name}"`);
  if (f.base.sha256 !== base.sha256) throw invalid(src.source, `was made from base ${f.base.sha256.slice(0, 12)}, not this model file (${base.sha256.slice(0, 12)})`);
  if (f.base.version !== undefined && f.base.version !== base.version) throw invalid(src.source, `was made from version ${f.base.version}, this is ${base.version}`);
  if (src.bytes.length === 0) throw invalid(src.source, 'model.onnx is empty');
  const bytes = scannedOnnx(src.bytes); // [issue 20 §3] graph_* refusals, like the base's
  const contract = mergeContract(await (o.readContract ?? readContractWithOnnxRuntime)(bytes), f.contract ?? base.contract);
  // same contract as the base (names, dtypes, shapes): the agent's pipeline feeds a variant exactly as the base
  if (JSON.stringify(contract) !== JSON.stringify(base.contract)) throw new AgentError('contract_mismatch', `${src.source}: the variant's contract differs from the base model's`);
  try {
    await (o.runSelfTest ?? runSelfTestWithOnnxRuntime)(bytes, f.selfTest);
  } catch (e) {
    const err = toAgentError(e, 'self_test_failed');
    throw new AgentError(err.code, `${src.source}: ${err.message}`);
  }
  const chunks = splitChunks(bytes, base.chunkSize);
  const v = VariantSchema.safeParse({
    name: f.name,
    precision: f.precision,
    format: f.format,
    sha256: sha256Hex(bytes),
    size: bytes.length,
    chunkSize: base.chunkSize,
    chunkSha256: chunks.map(sha256Hex),
    contract,
    selfTest: f.selfTest,
    prefers: f.prefers,
  });
  if (!v.success) throw invalid(src.source, v.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  if (v.data.sha256 === base.sha256) throw invalid(src.source, 'is the same file as the base model');
  return { variant: v.data, chunks };
}

/**
 * The variant chunks to publish, checked against the manifest with the agents' own chunk rule and whole-file
 * sha256 (a pair they would refuse is never published). Returns [topic sha256, index, bytes] in order.
 */
export function variantChunkJobs(manifest: ModelManifest, given: ReadonlyMap<string, readonly Uint8Array[]> | undefined): { sha256: string; index: number; chunk: Uint8Array }[] {
  const out: { sha256: string; index: number; chunk: Uint8Array }[] = [];
  for (const v of manifest.variants ?? []) {
    const chunks = given?.get(v.sha256);
    if (!chunks || chunks.length !== v.chunkSha256.length) throw new AgentError('chunk_count_mismatch', `variant ${v.name}: ${chunks?.length ?? 0} chunks given, the manifest lists ${v.chunkSha256.length}`);
    const whole = createHash('sha256');
    chunks.forEach((c, i) => {
      const bad = chunkMismatch(v, i, c, sha256Hex);
      if (bad) throw bad;
      whole.update(c);
      out.push({ sha256: v.sha256, index: i, chunk: c });
    });
    if (whole.digest('hex') !== v.sha256) throw new AgentError('sha256_mismatch', `variant ${v.name}: chunks do not hash to its sha256`);
  }
  return out;
}

export interface BuiltModelWithVariants extends BuiltModel {
  /** each variant's chunks by its sha256, for publishModel's `variantChunks` */
  variantChunks: Map<string, Uint8Array[]>;
}

/** buildManifest, then each variant checked and built against it and listed in the manifest (still unsigned). */
export async function buildManifestWithVariants(input: BuildManifestInput, sources: readonly VariantSource[], o: { runSelfTest?: SelfTestRunner } = {}): Promise<BuiltModelWithVariants> {
  const built = await buildManifest(input);
  if (sources.length === 0) return { ...built, variantChunks: new Map() };
  const names = new Set<string>();
  const variants: Variant[] = [];
  const variantChunks = new Map<string, Uint8Array[]>();
  for (const src of sources) {
    if (names.has(src.name)) throw invalid(src.source, `variant ${src.name} is given twice`);
    names.add(src.name);
    const m = built.manifest;
    const v = await buildVariant(src, { sha256: m.sha256, version: m.version, contract: m.contract, chunkSize: m.chunkSize }, { ...(input.readContract ? { readContract: input.readContract } : {}), ...o });
    if (variantChunks.has(v.variant.sha256)) throw invalid(src.source, 'is the same file as another variant');
    variants.push(v.variant);
    variantChunks.set(v.variant.sha256, v.chunks);
  }
  const manifest = ModelManifestSchema.parse({ ...built.manifest, variants });
  const manifestBytes = utf8(JSON.stringify(manifest)).length;
  if (manifestBytes > MAX_MANIFEST_BYTES) throw new AgentError('manifest_too_large', `manifest with variants is ${manifestBytes} bytes (limit ${MAX_MANIFEST_BYTES}); use smaller self-tests`);
  return { ...built, manifest, manifestBytes, variantChunks };
}
