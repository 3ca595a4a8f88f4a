/**
 * Benchmark models for the inference benches, generated at bench time into a temp dir by
 * scripts/fixtures/make_test_models.py --bench (never committed: the big ones are ~50 MB).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelManifest, Role } from '../../src/common/wire.js';

export interface BenchModel {
  name: string;
  modelId: string;
  manifest: ModelManifest;
  bytes: Uint8Array;
}

export function makeBenchModels(): { dir: string; load(name: string, role?: Role, budgetMs?: number): BenchModel; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-inference-bench-'));
  execFileSync('/usr/bin/python3', [join(import.meta.dirname, '..', 'fixtures', 'make_test_models.py'), '--bench', dir], { stdio: 'ignore' });
  return {
    dir,
    load(name, role = 'detector', budgetMs = 10_000) {
      const bytes = new Uint8Array(readFileSync(join(dir, `${name}.onnx`)));
      const sha = createHash('sha256').update(bytes).digest('hex');
      const conv = name.startsWith('conv') || name.startsWith('det');
      const size = name.startsWith('det') ? 640 : 256;
      const feat = name.startsWith('det') ? 128 : 64;
      const manifest: ModelManifest = {
        schemaVersion: 1,
        role,
        name,
        version: '1.0.0',
        sha256: sha,
        size: bytes.byteLength,
        chunkSize: 16 << 20,
        chunkSha256: [sha],
        contract: conv
          ? { inputs: [{ name: 'images', dtype: 'float32', shape: [1, 3, size, size] }], outputs: [{ name: 'feat', dtype: 'float32', shape: [1, feat] }] }
          : { inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }] },
        labels: [],
        latencyBudgetMs: budgetMs,
        created: '2026-01-01T00:00:00Z',
      };
      return { name, modelId: sha, manifest, bytes };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function convInput(shared = false, size = 256): Float32Array {
  const n = 3 * size * size;
  const a = shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 7919) % 256) / 255;
  return a;
}

export function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0;
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { n: s.length, mean, p50: q(50), p95: q(95), p99: q(99), max: s[s.length - 1] ?? 0 };
}

export const f = (x: number, d = 2) => x.toFixed(d);

export function machine(): string {
  return `${new Date().toISOString()} node ${process.version} ${process.platform}/${process.arch}, ${availableParallelism()} CPUs, load ${loadavg()[0]!.toFixed(2)}`;
}
