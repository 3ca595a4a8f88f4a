/**
 * Shared pieces for the agent-service tests: the real baseline models (assets/models/<role>/model.onnx +
 * metadata.json) built into signed manifests with the fleet library, and a variant of a model whose bytes
 * differ (so its content address differs) while its graph is the same.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { ROLES, type Role } from '../../src/common/wire.js';
import { buildManifest, parseModelMetadata, publishModel, signManifest, type BuiltModel, type SigningKey } from '../../src/fleet/index.js';
import { repoRoot } from './agent-harness.js';

/** RPA_TEST_MODELS_DIR overrides assets/models (e.g. while the baseline models are being retrained). */
export const MODELS_DIR = process.env.RPA_TEST_MODELS_DIR ?? join(repoRoot, 'assets', 'models');
export const missingModels = ROLES.filter((r) => !existsSync(join(MODELS_DIR, r, 'model.onnx')) || !existsSync(join(MODELS_DIR, r, 'metadata.json')));
export const SCREEN = join(repoRoot, 'test', 'fixtures', 'screens', 'synthetic_200000_v0');

export interface ScreenTruth {
  width: number;
  height: number;
  elements: { box: [number, number, number, number]; type: string; checked?: boolean }[];
}
export const screenPng = () => readFileSync(SCREEN + '.png');
export const screenTruth = (): ScreenTruth => JSON.parse(readFileSync(SCREEN + '.json', 'utf8')) as ScreenTruth;

/**
 * An ONNX file with a `doc_string` (ModelProto field 6) appended: protobuf keeps the last value of a
 * repeated scalar field, so onnxruntime loads the same graph, but the sha256 (the modelId) is new.
 */
export function variantBytes(bytes: Uint8Array, tag: string): Uint8Array {
  const doc = Buffer.from(tag, 'utf8');
  if (doc.length > 127) throw new Error('tag too long');
  return Buffer.concat([Buffer.from(bytes), Buffer.from([0x32, doc.length]), doc]);
}

/** Builds the role's manifest from metadata.json; the shared CI box is slow, so the budget is the config's. */
export async function buildBaseline(role: Role, opts: { bytes?: Uint8Array; version?: string } = {}): Promise<BuiltModel> {
  const dir = join(MODELS_DIR, role);
  const md = parseModelMetadata(JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')), `${role}/metadata.json`);
  delete md.latencyBudgetMs; // a loaded 2-core test machine is not the reference workstation
  if (opts.version) md.version = opts.version;
  const bytes = opts.bytes ?? new Uint8Array(readFileSync(join(dir, 'model.onnx')));
  return buildManifest({ bytes, metadata: md, chunkSize: 256 * 1024 });
}

export async function publishBuilt(client: MqttClient, built: BuiltModel, keys: readonly SigningKey[]): Promise<void> {
  await publishModel(client, { manifestEnvelope: signManifest(built.manifest, keys), chunks: built.chunks });
}

export function baselineBytes(role: Role): Uint8Array {
  return new Uint8Array(readFileSync(join(MODELS_DIR, role, 'model.onnx')));
}

/** IoU of two [x1,y1,x2,y2] boxes. */
export function iou(a: readonly number[], b: readonly number[]): number {
  const ix = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const iy = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = ix * iy;
  const ua = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return ua > 0 ? inter / ua : 0;
}
