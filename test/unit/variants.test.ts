/**
 * Issue 21 §1: the variant rules as pure functions (common/variants.ts) — the one choice rule the agent and
 * the simulator share, the manifest checks, the derived variant manifest — and the CPU flag reading
 * (agent/cpu-flags.ts; the Windows case is a platform-string fake: no Windows here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkVariants, chooseVariant, variantFits, variantManifest } from '../../src/common/variants.js';
import { ModelManifestSchema, type ModelManifest, type Variant } from '../../src/common/wire.js';
import { cpuFlagsFor, parseCpuinfoFlags } from '../../src/agent/cpu-flags.js';
import { parseAgentConfig } from '../../src/agent/config.js';

const h = (c: string) => c.repeat(64);
const selfTest = { input: { name: 'x', shape: [1, 4], data: [1, 2, 3, 4] }, expected: { name: 'y', values: [2, 5, 8, 11] }, tolerance: 1e-4 };
const contract = { inputs: [{ name: 'x', dtype: 'float32' as const, shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32' as const, shape: [1, 4] }] };
const variant = (name: string, sha: string, prefers: Variant['prefers'] = {}, precision: Variant['precision'] = 'int8'): Variant => ({
  name,
  precision,
  format: 'qdq',
  sha256: h(sha),
  size: 100,
  chunkSize: 64,
  chunkSha256: [h('c'), h('d')],
  contract,
  selfTest,
  prefers,
});
const base = (variants?: Variant[]): ModelManifest =>
  ModelManifestSchema.parse({ role: 'detector', name: 'tiny', version: '1.0.0', sha256: h('a'), size: 10, chunkSize: 64, chunkSha256: [h('b')], contract, labels: ['x'], origins: ['https://cdn.example/m'], created: new Date(0).toISOString(), ...(variants ? { variants } : {}) });

const int8 = variant('int8', 'e', { providers: ['cpu'], cpuFlags: ['avx512_vnni', 'avx_vnni'] });
const fp16 = variant('fp16', 'f', { providers: ['cuda', 'dml'] }, 'fp16');

test('auto: the first variant that fits the provider and any of its CPU flags; else fp32', () => {
  const m = base([fp16, int8]);
  assert.equal(chooseVariant(m, { setting: 'auto', provider: 'cpu', cpuFlags: ['sse2', 'avx_vnni'] }).variant?.name, 'int8');
  assert.equal(chooseVariant(m, { setting: 'auto', provider: 'cpu', cpuFlags: ['sse2', 'avx2'] }).variant, undefined, 'no VNNI: fp32');
  assert.equal(chooseVariant(m, { setting: 'auto', provider: 'dml', cpuFlags: [] }).variant?.name, 'fp16', 'a provider-only variant fits without flags (Windows)');
  assert.equal(chooseVariant(m, { setting: 'auto', provider: 'cuda', cpuFlags: ['avx512_vnni'] }).variant?.name, 'fp16', 'manifest order decides');
  assert.equal(chooseVariant(base(), { setting: 'auto', provider: 'cpu', cpuFlags: ['avx512_vnni'] }).variant, undefined, 'an old manifest: fp32');
  assert.equal(variantFits(variant('any', '9'), { provider: 'webgpu', cpuFlags: [] }), true, 'a variant that prefers nothing fits anywhere');
});

test('config fp32 or a name wins over the rule; failed variants are never chosen again', () => {
  const m = base([fp16, int8]);
  assert.equal(chooseVariant(m, { setting: 'fp32', provider: 'cpu', cpuFlags: ['avx512_vnni'] }).variant, undefined);
  assert.equal(chooseVariant(m, { setting: 'int8', provider: 'dml', cpuFlags: [] }).variant?.name, 'int8', 'named: whatever it prefers');
  assert.match(chooseVariant(m, { setting: 'int4', provider: 'cpu', cpuFlags: [] }).reason, /not in the manifest/);
  const failed = new Set([int8.sha256]);
  assert.equal(chooseVariant(m, { setting: 'auto', provider: 'cpu', cpuFlags: ['avx512_vnni'], failed }).variant, undefined);
  assert.equal(chooseVariant(m, { setting: 'int8', provider: 'cpu', cpuFlags: [], failed }).variant, undefined);
});

test('checkVariants: duplicate names or files, the base file again, a bad layout or an oversized file are refused with codes', () => {
  const code = (f: () => void) => {
    try {
      f();
      return 'none';
    } catch (e) {
      return (e as { code: string }).code;
    }
  };
  assert.equal(code(() => checkVariants(base([int8, fp16]), 1000)), 'none');
  assert.equal(code(() => checkVariants(base([int8, { ...fp16, name: 'int8' }]), 1000)), 'bad_payload');
  assert.equal(code(() => checkVariants(base([int8, { ...fp16, sha256: int8.sha256 }]), 1000)), 'bad_payload');
  assert.equal(code(() => checkVariants(base([{ ...int8, sha256: h('a') }]), 1000)), 'bad_payload');
  assert.equal(code(() => checkVariants(base([{ ...int8, chunkSha256: [h('c')] }]), 1000)), 'chunk_count_mismatch');
  assert.equal(code(() => checkVariants(base([int8]), 99)), 'model_too_large');
});

test('the variant manifest: the base\'s labels and settings with the variant\'s own file, contract and self-test; no origins, no variants', () => {
  const vm = variantManifest(base([int8]), int8);
  assert.equal(vm.sha256, int8.sha256);
  assert.deepEqual(vm.chunkSha256, int8.chunkSha256);
  assert.equal(vm.size, int8.size);
  assert.deepEqual(vm.selfTest, int8.selfTest);
  assert.deepEqual(vm.labels, ['x']);
  assert.equal(vm.origins, undefined);
  assert.equal(vm.variants, undefined);
});

test('the wire schema: variants are optional; unknown manifest keys are stripped (how an agent older than variants reads a manifest with them)', () => {
  const withFuture = { ...base(), futureField: { anything: 1 } };
  const parsed = ModelManifestSchema.parse(withFuture);
  assert.equal('futureField' in parsed, false);
  const { variants: _v, ...older } = ModelManifestSchema.shape;
  void _v;
  const OldSchema = ModelManifestSchema.pick(Object.fromEntries(Object.keys(older).map((k) => [k, true])) as never);
  const seenByOld = OldSchema.parse(base([int8])) as Record<string, unknown>;
  assert.equal(seenByOld['variants'], undefined, 'an old agent sees the base manifest only');
  assert.equal(seenByOld['sha256'], h('a'));
  assert.throws(() => ModelManifestSchema.parse({ ...base(), variants: [{ ...int8, name: 'fp32' }] }), /fp32/);
  assert.throws(() => ModelManifestSchema.parse({ ...base(), variants: [{ ...int8, selfTest: undefined }] }), 'a variant without a self-test is refused');
});

test('cpu flags: /proc/cpuinfo parsed; config wins; fake win32 and darwin report none (Node cannot ask the CPU there)', () => {
  const text = 'processor\t: 0\nflags\t\t: fpu SSE2 avx2 avx512_vnni\nbugs\t\t: none\nflags\t: other\n';
  assert.deepEqual(parseCpuinfoFlags(text), ['fpu', 'sse2', 'avx2', 'avx512_vnni']);
  assert.deepEqual(cpuFlagsFor('linux', undefined, () => text), ['fpu', 'sse2', 'avx2', 'avx512_vnni']);
  assert.deepEqual(cpuFlagsFor('linux', ['AVX_VNNI'], () => text), ['avx_vnni']);
  assert.deepEqual(cpuFlagsFor('win32', undefined, () => text), [], 'fake win32: no flags');
  assert.deepEqual(cpuFlagsFor('win32', ['avx2'], () => text), ['avx2']);
  assert.deepEqual(cpuFlagsFor('linux', undefined, () => {
    throw new Error('ENOENT');
  }), []);
});

test('config: variant is auto, fp32 or a name (default auto); anything else is bad_config', () => {
  const cfg = (extra: Record<string, unknown>) => parseAgentConfig({ broker: { url: 'mqtt://127.0.0.1:1' }, agentId: 'a', channel: 'stable', trustFile: 't.json', dataDir: 'd', ...extra });
  assert.equal(cfg({}).variant, 'auto');
  assert.equal(cfg({ variant: 'int8' }).variant, 'int8');
  assert.throws(() => cfg({ variant: 'in/8' }), /variant/);
  assert.throws(() => cfg({ cpuFlags: 'avx2' }), /cpuFlags/);
});
