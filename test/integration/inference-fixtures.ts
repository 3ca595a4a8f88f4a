/**
 * Shared helpers for the inference host tests: real ONNX fixtures (scripts/fixtures/make_test_models.py)
 * and manifests describing them. Not a test file itself.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest, Role } from '../../src/common/wire.js';

export const MODELS_DIR = join(import.meta.dirname, '..', 'fixtures', 'models');

export function modelBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(MODELS_DIR, file)));
}

export function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** x = [1, 2, 3, 4]: tiny-a gives 2x+1, tiny-b gives 3x-1 */
export const SELF_TEST_X = [1, 2, 3, 4];
export const A_OUT = [3, 5, 7, 9];
export const B_OUT = [2, 5, 8, 11];

export function tinyManifest(bytes: Uint8Array, opts: { role?: Role; name?: string; expected?: number[]; budgetMs?: number; sha256?: string } = {}): ModelManifest {
  const sha = opts.sha256 ?? sha256Hex(bytes);
  return {
    schemaVersion: 1,
    role: opts.role ?? 'detector',
    name: opts.name ?? 'tiny',
    version: '1.0.0',
    sha256: sha,
    size: bytes.byteLength,
    chunkSize: 1 << 20,
    chunkSha256: [sha],
    contract: {
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }],
    },
    labels: [],
    ...(opts.expected
      ? { selfTest: { input: { name: 'x', shape: [1, 4], data: SELF_TEST_X }, expected: { name: 'y', values: opts.expected }, tolerance: 1e-4 } }
      : {}),
    ...(opts.budgetMs !== undefined ? { latencyBudgetMs: opts.budgetMs } : {}),
    created: '2026-01-01T00:00:00Z',
  };
}

export interface Fixture {
  modelId: string;
  manifest: ModelManifest;
  bytes: Uint8Array;
}

export function fixture(file: string, expected?: number[], extra: Parameters<typeof tinyManifest>[1] = {}): Fixture {
  const bytes = modelBytes(file);
  const manifest = tinyManifest(bytes, { name: file.replace(/\.onnx$/, '').replace(/[^a-z0-9-]/g, '-'), ...(expected ? { expected } : {}), ...extra });
  return { modelId: manifest.sha256, manifest, bytes };
}

export function xFeeds(values: number[] = SELF_TEST_X) {
  return { x: { type: 'float32', data: Float32Array.from(values), dims: [1, 4] } };
}

/** Polls `cond` every 10 ms; throws once `ms` have passed without it holding. */
export async function waitUntil(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
