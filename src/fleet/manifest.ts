/**
 * Builds a signed-to-be ModelManifest from an ONNX file (DESIGN.md "ModelManifest", "Trust rules").
 * The contract (input/output names, dtypes, shapes with symbolic dims) is read from the model itself
 * with onnxruntime, so a manifest cannot promise what the file does not do; a metadata file written
 * by the ML engineer (assets/models/<role>/metadata.json) adds labels, pre/postprocess, self-test and
 * baseline, and may refine the contract's shapes.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { utf8 } from '../common/bytes.js';
import { PAYLOAD_TYPE_MODEL, type DsseEnvelope } from '../common/dsse.js';
import { AgentError } from '../common/errors.js';
import { viewMismatches, wireCrop } from '../common/crop-views.js';
import {
  BaselineSchema,
  ContractSchema,
  MAX_CHUNK_SIZE,
  MAX_MANIFEST_BYTES,
  ModelManifestSchema,
  PostprocessSchema,
  PreprocessSchema,
  RoleSchema,
  SelfTestSchema,
  SemverSchema,
  SegmentSchema,
  TensorDtypeSchema,
  type ModelContract,
  type ModelManifest,
  type Role,
  type TensorSpec,
} from '../common/wire.js';
import { signJson, type SigningKey } from './signer.js';

export const DEFAULT_CHUNK_SIZE = 256 * 1024;

/**
 * The metadata file format (assets/models/<role>/metadata.json). Every field is optional; unknown
 * keys (e.g. `training`) are ignored (zod strips them).
 */
export const ModelMetadataSchema = z.object({
  role: RoleSchema.optional(),
  name: SegmentSchema.optional(),
  version: SemverSchema.optional(),
  contract: ContractSchema.optional(),
  labels: z.array(z.string().min(1).max(128)).max(4096).optional(),
  preprocess: PreprocessSchema.optional(),
  postprocess: PostprocessSchema.optional(),
  selfTest: SelfTestSchema.optional(),
  baseline: BaselineSchema.optional(),
  latencyBudgetMs: z.number().finite().positive().max(60000).optional(),
  origins: z.array(z.string().url().startsWith('https://')).max(8).optional(),
});
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;

export function parseModelMetadata(json: unknown, source = 'metadata'): ModelMetadata {
  const r = ModelMetadataSchema.safeParse(normaliseCrop(json));
  if (!r.success) throw new AgentError('bad_argument', `${source}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/**
 * The training recipes (scripts/train) write the crop rule as {expandRatio, minPadPx, size: [w, h]} (views too);
 * the wire schema names it {expand, minPad, size}. The mapping src/agent/vision/spec.ts uses (crop-views.ts
 * wireCrop), so one metadata.json drives both the manifest and the agent's pipeline.
 */
function normaliseCrop(json: unknown): unknown {
  if (!json || typeof json !== 'object') return json;
  const md = json as Record<string, unknown>;
  const pre = md['preprocess'] as Record<string, unknown> | undefined;
  const c = pre?.['crop'] as Record<string, unknown> | undefined;
  if (!pre || !c || typeof c !== 'object') return json;
  return { ...md, preprocess: { ...pre, crop: wireCrop(c) } };
}

/** Reads the contract a model really has. Injected so tests and non-ONNX callers can supply their own. */
export type ContractReader = (bytes: Uint8Array) => Promise<ModelContract>;

interface OrtValueMetadata {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

/**
 * onnxruntime-node 1.30 exposes `inputMetadata`/`outputMetadata` with name, type and shape
 * (symbolic dims as strings). A dynamic dimension without a name comes back as a negative number
 * or empty string; it is written as "?" (a symbolic dim that matches any size).
 */
export const readContractWithOnnxRuntime: ContractReader = async (bytes) => {
  const ort = await import('onnxruntime-node');
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(bytes);
  } catch (e) {
    throw new AgentError('load_failed', `onnxruntime cannot load the model: ${(e as Error).message}`);
  }
  try {
    const spec = (m: OrtValueMetadata, kind: string): TensorSpec => {
      if (!m.isTensor) throw new AgentError('contract_mismatch', `${kind} ${m.name} is not a tensor; not supported`);
      const dtype = TensorDtypeSchema.safeParse(m.type);
      if (!dtype.success) throw new AgentError('contract_mismatch', `${kind} ${m.name} has dtype ${m.type}, which the wire contract does not support`);
      const shape = (m.shape ?? []).map((d) => (typeof d === 'number' ? (d >= 0 ? d : '?') : d === '' ? '?' : d));
      return { name: m.name, dtype: dtype.data, shape };
    };
    const meta = session as unknown as { inputMetadata: readonly OrtValueMetadata[]; outputMetadata: readonly OrtValueMetadata[] };
    return {
      inputs: meta.inputMetadata.map((m) => spec(m, 'input')),
      outputs: meta.outputMetadata.map((m) => spec(m, 'output')),
    };
  } finally {
    await session.release();
  }
};

/**
 * A metadata contract may rename symbolic dims or pin them, but must name the same tensors with the
 * same dtypes, and agree with every dimension the model fixes.
 */
export function mergeContract(actual: ModelContract, declared: ModelContract | undefined): ModelContract {
  if (!declared) return actual;
  const check = (kind: 'inputs' | 'outputs') => {
    const a = actual[kind];
    const d = declared[kind];
    const names = (l: TensorSpec[]) => l.map((t) => t.name).join(',');
    if (names(a) !== names(d)) throw new AgentError('contract_mismatch', `metadata ${kind} [${names(d)}] differ from the model's [${names(a)}]`);
    d.forEach((t, i) => {
      const m = a[i]!;
      if (t.dtype !== m.dtype) throw new AgentError('contract_mismatch', `${t.name}: metadata says ${t.dtype}, the model has ${m.dtype}`);
      if (m.shape.length > 0 && t.shape.length !== m.shape.length) {
        throw new AgentError('contract_mismatch', `${t.name}: metadata shape has rank ${t.shape.length}, the model ${m.shape.length}`);
      }
      t.shape.forEach((dim, j) => {
        const md = m.shape[j];
        if (typeof md === 'number' && typeof dim === 'number' && md !== dim) {
          throw new AgentError('contract_mismatch', `${t.name}: dimension ${j} is ${md} in the model, ${dim} in the metadata`);
        }
      });
    });
  };
  check('inputs');
  check('outputs');
  return declared;
}

export interface BuildManifestInput {
  bytes: Uint8Array;
  role?: Role;
  name?: string;
  version?: string;
  chunkSize?: number;
  metadata?: ModelMetadata;
  /** defaults to now; injectable for reproducible manifests */
  created?: Date;
  /** HTTPS origins serving the same bytes (DESIGN.md "Scale path"); added to any the metadata lists */
  origins?: string[];
  readContract?: ContractReader;
}

export interface BuiltModel {
  /** lowercase hex sha256 of the file (content address) */
  modelId: string;
  manifest: ModelManifest;
  /** views into `bytes`, chunk n at index n */
  chunks: Uint8Array[];
  /** size of the manifest JSON in bytes (≤ 1 MiB) */
  manifestBytes: number;
}

const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function splitChunks(bytes: Uint8Array, chunkSize: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += chunkSize) out.push(bytes.subarray(o, Math.min(o + chunkSize, bytes.length)));
  return out;
}

export async function buildManifest(input: BuildManifestInput): Promise<BuiltModel> {
  const md = input.metadata ?? {};
  const pick = <K extends 'role' | 'name' | 'version'>(k: K): NonNullable<BuildManifestInput[K]> => {
    const given = input[k];
    const fromMeta = md[k];
    if (given !== undefined && fromMeta !== undefined && given !== fromMeta) {
      throw new AgentError('bad_argument', `${k} is ${JSON.stringify(given)} but the metadata says ${JSON.stringify(fromMeta)}`);
    }
    const v = given ?? fromMeta;
    if (v === undefined) throw new AgentError('bad_argument', `${k} is required (flag or metadata)`);
    return v as NonNullable<BuildManifestInput[K]>;
  };
  const role = pick('role');
  const name = pick('name');
  const version = pick('version');
  const chunkSize = input.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    throw new AgentError('bad_argument', `chunk size must be between 1 byte and ${MAX_CHUNK_SIZE / 1024 / 1024} MiB`);
  }
  if (input.bytes.length === 0) throw new AgentError('bad_argument', 'the model file is empty');
  const actual = await (input.readContract ?? readContractWithOnnxRuntime)(input.bytes);
  const contract = mergeContract(actual, md.contract);
  // a crop with V views is fed [N, 3·V, S, S]: refuse to publish what every agent would refuse to load
  const viewProblems = viewMismatches(md.preprocess, contract.inputs[0], actual.inputs.find((t) => t.name === contract.inputs[0]?.name));
  if (viewProblems.length > 0) throw new AgentError('contract_mismatch', viewProblems.join('; '));
  // [DESIGN.md Trust rules] chunk count = ceil(size / chunkSize), one sha256 per chunk.
  const chunks = splitChunks(input.bytes, chunkSize);
  const candidate = {
    schemaVersion: 1,
    role,
    name,
    version,
    sha256: sha256Hex(input.bytes),
    size: input.bytes.length,
    chunkSize,
    chunkSha256: chunks.map(sha256Hex),
    contract,
    labels: md.labels ?? [],
    preprocess: md.preprocess,
    postprocess: md.postprocess,
    selfTest: md.selfTest,
    baseline: md.baseline,
    latencyBudgetMs: md.latencyBudgetMs,
    origins: input.origins?.length || md.origins?.length ? [...new Set([...(md.origins ?? []), ...(input.origins ?? [])])] : undefined,
    created: (input.created ?? new Date()).toISOString(),
  };
  // Absent optional fields are left out, not set to undefined: the manifest is a plain JSON document.
  for (const k of Object.keys(candidate) as (keyof typeof candidate)[]) if (candidate[k] === undefined) delete candidate[k];
  const parsed = ModelManifestSchema.safeParse(candidate);
  if (!parsed.success) {
    throw new AgentError('bad_argument', `manifest invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const manifest = parsed.data;
  const manifestBytes = utf8(JSON.stringify(manifest)).length;
  // [DESIGN.md Trust rules] agents refuse a manifest over 1 MiB (endless-data attack); never publish one.
  if (manifestBytes > MAX_MANIFEST_BYTES) {
    throw new AgentError('manifest_too_large', `manifest is ${manifestBytes} bytes (limit ${MAX_MANIFEST_BYTES}); use a larger --chunk-size or a smaller self-test`);
  }
  return { modelId: manifest.sha256, manifest, chunks, manifestBytes };
}

/** Signs a manifest as a DSSE envelope (PAYLOAD_TYPE_MODEL) with one or more models keys. */
export function signManifest(manifest: ModelManifest, keys: readonly SigningKey[]): DsseEnvelope {
  if (keys.length === 0) throw new AgentError('bad_argument', 'at least one signing key is required');
  return signJson(PAYLOAD_TYPE_MODEL, manifest, keys);
}
