/**
 * Issue 21 §1: the shipped models' variant folders (assets/models/<role>/variants/<name>/, written by the INT8
 * recipe) publish as they are: each variant.json names this model.onnx as its base, its contract is the base's
 * and its self-test holds on its own file with onnxruntime — what `rpa-fleet model publish` checks before
 * signing. Skipped, saying so, for a role whose folder is not in this checkout yet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findVariantDirs, readVariantDir, buildManifestWithVariants } from '../../src/fleet/variants.js';
import { parseModelMetadata } from '../../src/fleet/manifest.js';
import { repoRoot } from './agent-harness.js';

for (const role of ['detector', 'classifier'] as const) {
  const file = join(repoRoot, 'assets', 'models', role, 'model.onnx');
  const dirs = findVariantDirs(file);
  test(`assets: ${role} variants build into its signed-to-be manifest`, { timeout: 120_000, skip: dirs.length === 0 ? `no assets/models/${role}/variants/ in this checkout` : false }, async () => {
    const metadata = parseModelMetadata(JSON.parse(readFileSync(join(repoRoot, 'assets', 'models', role, 'metadata.json'), 'utf8')));
    const sources = await Promise.all(dirs.map((d) => readVariantDir(d.name, d.dir)));
    const built = await buildManifestWithVariants({ bytes: new Uint8Array(readFileSync(file)), metadata }, sources);
    assert.deepEqual(built.manifest.variants?.map((v) => v.name), dirs.map((d) => d.name));
    for (const v of built.manifest.variants ?? []) assert.equal(built.variantChunks.get(v.sha256)?.length, v.chunkSha256.length);
  });
}
