/**
 * Reading a model file (+ metadata, + variants) and building its signed manifest: what `rpa-fleet model publish`
 * and `model sign` share. [issue 20 §3] the base is graph-scanned before onnxruntime sees it; [issue 21 §1] each
 * variant is checked like the base (fleet/variants.ts) before anything is signed.
 */
import { readFile } from 'node:fs/promises';
import { AgentError } from '../../common/errors.js';
import { scannedOnnx } from '../../common/graph-scan.js';
import type { Role } from '../../common/wire.js';
import { loadSigningKey } from '../../fleet/keys.js';
import { buildManifest, parseModelMetadata, signManifest } from '../../fleet/manifest.js';
import { buildManifestWithVariants } from '../../fleet/variants.js';
import { variantSources, type VariantArgs } from './model-variants.js';

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentError('not_found', `${what} ${path}: no such file`);
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new AgentError('bad_argument', `${what} ${path} is a directory`);
    throw e;
  }
}

/** Reads the model and metadata, builds the manifest and signs it with the models key(s). */
export async function buildSigned(a: { file: string; metadata?: string; keys: string[]; role?: Role; name?: string; version?: string; chunkSize: number; origins?: string[]; variants?: VariantArgs }) {
  const [bytes, metaText] = await Promise.all([readInput(a.file, 'model file'), a.metadata ? readInput(a.metadata, 'metadata file') : Promise.resolve(undefined)]);
  let metadata;
  if (metaText) {
    let json: unknown;
    try {
      json = JSON.parse(metaText.toString('utf8'));
    } catch {
      throw new AgentError('bad_argument', `metadata file ${a.metadata} is not JSON`);
    }
    metadata = parseModelMetadata(json, a.metadata);
  }
  const keys = await Promise.all(a.keys.map((k) => loadSigningKey(k, 'models')));
  // [issue 20 §3] scanned (graph_* refusals) before onnxruntime loads it or anything is signed
  const input = { bytes: scannedOnnx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)), role: a.role, name: a.name, version: a.version, chunkSize: a.chunkSize, metadata, ...(a.origins ? { origins: a.origins } : {}) };
  // [issue 21 §1] variants (publish only: `model sign` writes no chunks) are checked like the base before signing
  const built = a.variants ? await buildManifestWithVariants(input, await variantSources(a.file, a.variants)) : { ...(await buildManifest(input)), variantChunks: undefined };
  return { built, envelope: signManifest(built.manifest, keys), keys };
}

