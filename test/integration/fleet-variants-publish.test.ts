/**
 * Issue 21 §1, publishing variants: `rpa-fleet model publish`'s path (cli/fleet/model-build.ts buildSigned with
 * the CLI's variant discovery) finds `<model dir>/variants/<name>/{model.onnx,variant.json}` by itself, checks
 * each variant like the base (graph scan, contract read by onnxruntime, its self-test RUN on its own file) and
 * publishes its chunks at its own model topics before the one signed manifest. Bad variant input gets a coded
 * error before anything is signed or sent. Real onnxruntime, real aedes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { buildSigned } from '../../src/cli/fleet/model-build.js';
import { parseModelPublish } from '../../src/cli/fleet/model.js';
import { publishModel } from '../../src/fleet/publisher.js';
import { generateKeyFiles } from '../../src/fleet/keys.js';
import { readRetained } from '../../src/fleet/mqtt.js';
import { startAedes } from '../helpers/brokers.js';
import { fixture, T, TINY_B_Y } from './agent-harness.js';
import { selfTestOf, sha256, variantJson, withDocString } from './variant-fixtures.js';

const base = fixture('tiny-a.onnx');

async function modelDir(variants: Record<string, { bytes?: Uint8Array; json?: unknown }>): Promise<{ dir: string; file: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-variants-'));
  writeFileSync(join(dir, 'model.onnx'), base);
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ role: 'detector', name: 'tiny', version: '1.0.0' }));
  for (const [name, v] of Object.entries(variants)) {
    mkdirSync(join(dir, 'variants', name), { recursive: true });
    if (v.bytes) writeFileSync(join(dir, 'variants', name, 'model.onnx'), v.bytes);
    if (v.json !== undefined) writeFileSync(join(dir, 'variants', name, 'variant.json'), typeof v.json === 'string' ? v.json : JSON.stringify(v.json));
  }
  const { privateKeyPath } = await generateKeyFiles({ role: 'models', outDir: join(dir, 'keys') });
  return { dir, file: join(dir, 'model.onnx'), key: privateKeyPath };
}

const good = () => ({ bytes: withDocString(fixture('tiny-b.onnx'), 'int8'), json: variantJson({ baseSha256: sha256(base), selfTest: selfTestOf(TINY_B_Y), cpuFlags: ['avx512_vnni'] }) });

async function build(d: { file: string; key: string; dir: string }, extraArgs: string[] = []) {
  const parsed = parseModelPublish([d.file, '--metadata', join(d.dir, 'metadata.json'), '--key', d.key, '--chunk-size', '64', '--broker', 'mqtt://127.0.0.1:1', ...extraArgs]);
  assert.equal(parsed.kind, 'ok', JSON.stringify(parsed));
  if (parsed.kind !== 'ok') throw new Error('unreachable');
  return buildSigned(parsed.value);
}

test('publish: variants/<name>/ is found by itself, checked, listed in the signed manifest and its chunks published at its own topics', { timeout: 60_000 }, async () => {
  const d = await modelDir({ int8: good() });
  const broker = await startAedes();
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  try {
    const { built, envelope } = await build(d);
    const v = built.manifest.variants?.[0];
    assert.ok(v, 'the variant is listed');
    assert.deepEqual([v.name, v.precision, v.format, v.sha256], ['int8', 'int8', 'qdq', sha256(good().bytes)]);
    assert.deepEqual(v.prefers, { providers: ['cpu'], cpuFlags: ['avx512_vnni'] });
    assert.deepEqual(v.contract, built.manifest.contract);
    const r = await publishModel(client, { manifestEnvelope: envelope, chunks: built.chunks, variantChunks: built.variantChunks ?? new Map() });
    const got = await readRetained(client, T.chunksWildcard(v.sha256), { expect: v.chunkSha256.length, idleMs: 500, timeoutMs: 5000 });
    assert.equal(got.size, v.chunkSha256.length, 'every variant chunk is retained at models/<variant sha256>/chunks/<n>');
    assert.equal(r.modelId, sha256(base));
    // --no-variants publishes the base alone
    const { built: plain } = await build(d, ['--no-variants']);
    assert.equal(plain.manifest.variants, undefined);
    // a variant's chunks missing at publish: refused before anything is sent
    await assert.rejects(publishModel(client, { manifestEnvelope: envelope, chunks: built.chunks }), (e: { code: string }) => e.code === 'chunk_count_mismatch');
  } finally {
    await client.endAsync().catch(() => {});
    await broker.close();
    rmSync(d.dir, { recursive: true, force: true });
  }
});

test('publish: bad variant input gets a coded error before signing', { timeout: 60_000 }, async () => {
  const cases: [string, Record<string, { bytes?: Uint8Array; json?: unknown }>, string][] = [
    ['made from another base', { int8: { ...good(), json: variantJson({ baseSha256: 'f'.repeat(64), selfTest: selfTestOf(TINY_B_Y) }) } }, 'variant_invalid'],
    ['variant.json not JSON', { int8: { ...good(), json: '{not json' } }, 'variant_invalid'],
    ['variant.json without a self-test', { int8: { ...good(), json: { ...variantJson({ baseSha256: sha256(base), selfTest: selfTestOf(TINY_B_Y) }), selfTest: undefined } } }, 'variant_invalid'],
    ['name differs from its folder', { int4: good() }, 'variant_invalid'],
    ['self-test does not hold on the file', { int8: { ...good(), json: variantJson({ baseSha256: sha256(base), selfTest: selfTestOf([3, 5, 7, 9]) }) } }, 'self_test_failed'],
    ['another contract', { int8: { bytes: fixture('wrong-contract.onnx'), json: variantJson({ baseSha256: sha256(base), selfTest: selfTestOf(TINY_B_Y) }) } }, 'contract_mismatch'],
    ['a graph the scan refuses', { int8: { bytes: fixture('scan-custom-domain.onnx'), json: variantJson({ baseSha256: sha256(base), selfTest: selfTestOf(TINY_B_Y) }) } }, 'graph_custom_domain'],
    ['the base file itself', { int8: { bytes: base, json: variantJson({ baseSha256: sha256(base), selfTest: selfTestOf([3, 5, 7, 9]) }) } }, 'variant_invalid'],
  ];
  for (const [what, variants, code] of cases) {
    const d = await modelDir(variants);
    try {
      await assert.rejects(build(d), (e: { code: string; message: string }) => {
        assert.equal(e.code, code, `${what}: ${e.message}`);
        return true;
      });
    } finally {
      rmSync(d.dir, { recursive: true, force: true });
    }
  }
  // a folder without variant.json is not a variant (nothing to publish); --variant naming it is variant_invalid
  const d = await modelDir({ int8: { bytes: good().bytes } });
  try {
    const { built } = await build(d);
    assert.equal(built.manifest.variants, undefined);
    await assert.rejects(build(d, ['--variant', `int8=${join(d.dir, 'variants', 'int8')}`]), (e: { code: string }) => e.code === 'variant_invalid');
  } finally {
    rmSync(d.dir, { recursive: true, force: true });
  }
  assert.equal(parseModelPublish(['m.onnx', '--role', 'detector', '--name', 'n', '--version', '1.0.0', '--key', 'k', '--broker', 'mqtt://h', '--variant', 'no-equals-sign']).kind, 'error');
});
