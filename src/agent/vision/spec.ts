/**
 * Reading a role's VisionModelSpec from what ships with the model: a signed ModelManifest (wire.ts), or the
 * training recipe's metadata.json (assets/models/<role>/metadata.json, docs/MODELS.md). Numbers come from
 * there — input size, pad, mean/std, crop rule, thresholds, labels — never from constants in this folder.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AgentError } from '../../common/errors.js';
import { wireCrop } from '../../common/crop-views.js';
import { PostprocessSchema, PreprocessSchema, type ModelManifest, type Role } from '../../common/wire.js';
import type { VisionModelSpec } from './types.js';

const DEFAULT_FORMAT: Record<Role, 'yolov8' | 'softmax' | 'l2-embedding'> = { detector: 'yolov8', classifier: 'softmax', similarity: 'l2-embedding' };

export function specFromManifest(m: ModelManifest): VisionModelSpec {
  const input = m.contract.inputs[0];
  if (!input) throw new AgentError('contract_mismatch', 'manifest contract has no input');
  const preprocess = m.preprocess ?? fallbackPreprocess(input.shape);
  return {
    inputName: input.name,
    outputName: m.contract.outputs[0]?.name,
    preprocess,
    postprocess: m.postprocess ?? { format: DEFAULT_FORMAT[m.role] },
    labels: m.labels,
    modelId: m.sha256,
  };
}

/** Input size from a [N, 3, H, W] shape when the manifest has no preprocess block. */
function fallbackPreprocess(shape: readonly (number | string)[]) {
  const h = typeof shape[2] === 'number' ? shape[2] : 640;
  const w = typeof shape[3] === 'number' ? shape[3] : 640;
  return PreprocessSchema.parse({ inputWidth: w, inputHeight: h });
}

const TensorLike = z.object({ name: z.string().min(1) }).passthrough();
const MetadataSchema = z
  .object({
    role: z.string().optional(),
    sha256: z.string().optional(),
    labels: z.array(z.string()).default([]),
    preprocess: z.record(z.string(), z.unknown()),
    postprocess: z.record(z.string(), z.unknown()).optional(),
    contract: z.object({ inputs: z.array(TensorLike).min(1), outputs: z.array(TensorLike).min(1) }).optional(),
    input: TensorLike.optional(),
    output: TensorLike.optional(),
  })
  .passthrough();

/**
 * Parses metadata.json for `role`. Unknown keys are ignored; `preprocess` / `postprocess` must satisfy the
 * wire schemas (extra keys in them, such as a prose `cropRule`, are dropped by zod).
 */
export function specFromMetadata(role: Role, json: unknown): VisionModelSpec {
  const md = MetadataSchema.parse(json);
  const inputName = md.contract?.inputs[0]?.name ?? md.input?.name;
  if (!inputName) throw new AgentError('contract_mismatch', `${role} metadata names no input`);
  const pre = PreprocessSchema.parse(normaliseCrop(md.preprocess));
  const post = PostprocessSchema.parse({ format: DEFAULT_FORMAT[role], ...(md.postprocess ?? {}) });
  return { inputName, outputName: md.contract?.outputs[0]?.name ?? md.output?.name, preprocess: pre, postprocess: post, labels: md.labels, modelId: md.sha256 };
}

/** metadata.json's crop block in the wire's names (crop-views.ts wireCrop: the training side's names, views too). */
function normaliseCrop(pre: Record<string, unknown>): Record<string, unknown> {
  const c = pre.crop as Record<string, unknown> | undefined;
  if (!c || typeof c !== 'object') return pre;
  return { ...pre, crop: wireCrop(c) };
}

export async function loadSpecFile(role: Role, path: string): Promise<VisionModelSpec> {
  return specFromMetadata(role, JSON.parse(await readFile(path, 'utf8')));
}
