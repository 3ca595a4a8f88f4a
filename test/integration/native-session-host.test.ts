/**
 * The native session host (native/session-host, issue 17 §2) on the real onnxruntime library that onnxruntime-node
 * ships: every OrtApi slot it uses is proven by use here (the slot numbers are ours, counted from onnxruntime's public
 * API description, not taken from a header): the version string through OrtGetApiBase, an env, sessions from bytes
 * with our options, input/output names, element types and shapes (fixed and symbolic), runs of the product's three
 * baseline models whose outputs must equal onnxruntime-node's on the same library, release. Then the same through
 * the agent's InferenceHost (the load pipeline in TypeScript, the sessions in C).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeCreated, decodeError, decodeReady, decodeResult, encodeCreate, encodeRelease, encodeRun, FRAME_PROTOCOL, FrameType } from '../../src/agent/inference/native-frames.js';
import { mod7919 } from '../../src/agent/inference/tensors.js';
import { InferenceHost } from '../../src/agent/inference/index.js';
import { sessionProcessEnv } from '../../src/agent/inference/session-process.js';
import type { ModelManifest, Role } from '../../src/common/wire.js';
import { nativeHostPaths, RawHost } from './session-hosts.js';

const linuxOnly = process.platform !== 'linux' ? 'the native session host is built and tested on Linux here (Windows: a cross-build, native-session-host-build.test.ts)' : false;
const ASSETS = join(import.meta.dirname, '..', '..', 'assets', 'models');
const ROLES: Role[] = ['detector', 'classifier', 'similarity'];

function meta(role: Role): ModelManifest['contract'] {
  return (JSON.parse(readFileSync(join(ASSETS, role, 'metadata.json'), 'utf8')) as { contract: ModelManifest['contract'] }).contract;
}

function inputFor(role: Role): { name: string; data: Float32Array; dims: number[] } {
  const spec = meta(role).inputs[0]!;
  const dims = spec.shape.map((d) => (typeof d === 'number' ? d : 2)); // symbolic batch: 2, to see it come back
  return { name: spec.name, data: mod7919(dims.reduce((a, b) => a * b, 1)), dims };
}

test('native host: OrtGetApiBase → version 1.30.0; sessions of the three baseline models describe themselves as onnxruntime-node does and run to identical outputs', { skip: linuxOnly, timeout: 120_000 }, async () => {
  const paths = nativeHostPaths();
  const host = new RawHost(paths.binary, [paths.library]);
  try {
    const ready = await host.next();
    assert.equal(ready.type, FrameType.ready);
    const r = decodeReady(ready.payload);
    assert.equal(r.ortVersion, '1.30.0', 'GetVersionString through the table returned by OrtGetApiBase');
    assert.equal(r.protocol, FRAME_PROTOCOL);
    let sid = 0;
    for (const role of ROLES) {
      const bytes = readFileSync(join(ASSETS, role, 'model.onnx'));
      const ref = await ort.InferenceSession.create(bytes);
      host.send(encodeCreate(++sid, { provider: 'cpu', allowSpinning: false, logSeverityLevel: 3, interOpNumThreads: 1, intraOpNumThreads: 1 }, bytes));
      const created = await host.next();
      assert.equal(created.type, FrameType.created, created.type === FrameType.error ? decodeError(created.payload).message : '');
      const { inputs, outputs } = decodeCreated(created.payload);
      const refMeta = (list: readonly unknown[]) => (list as { name: string; isTensor: boolean; type: string; shape: (number | string)[] }[]).map((m) => ({ name: m.name, isTensor: m.isTensor, type: m.type, shape: m.shape }));
      assert.deepEqual(inputs, refMeta(ref.inputMetadata), `${role}: inputs as onnxruntime-node sees them`);
      assert.deepEqual(outputs, refMeta(ref.outputMetadata), `${role}: outputs as onnxruntime-node sees them`);

      const x = inputFor(role);
      host.send(encodeRun(1000 + sid, sid, { [x.name]: { type: 'float32', data: x.data, dims: x.dims } }));
      const res = await host.next();
      assert.equal(res.type, FrameType.result, res.type === FrameType.error ? decodeError(res.payload).message : '');
      assert.equal(res.id, 1000 + sid);
      const got = decodeResult(res.payload);
      const want = await ref.run({ [x.name]: new ort.Tensor('float32', x.data, x.dims) });
      assert.deepEqual(Object.keys(got), Object.keys(want), `${role}: every output`);
      for (const [name, t] of Object.entries(want)) {
        assert.deepEqual(got[name]!.dims, [...t.dims], `${role}.${name} dims`);
        assert.equal(got[name]!.type, t.type);
        assert.deepEqual(Array.from(got[name]!.data as Float32Array), Array.from(t.data as Float32Array), `${role}.${name}: the same numbers as onnxruntime-node`);
      }
      await ref.release();
    }
    for (let s = 1; s <= sid; s++) {
      host.send(encodeRelease(s));
      const rel = await host.next();
      assert.deepEqual([rel.type, rel.id], [FrameType.released, s]);
    }
    // a released session is gone: a run on it is refused with a code, the host lives on
    host.send(encodeRun(77, 1, { x: { type: 'float32', data: new Float32Array(1), dims: [1] } }));
    const refused = await host.next();
    assert.equal(refused.type, FrameType.error);
    assert.equal(decodeError(refused.payload).code, 3, 'no such session');
    host.child.stdin!.end();
    assert.deepEqual(await host.exited(), { code: 0, signal: null }, 'input closed: a clean exit');
  } finally {
    host.child.kill('SIGKILL');
  }
});

test('native host through the InferenceHost: the detector is verified, contract-checked, self-tested and warmed by the TypeScript pipeline, served by the C host (no Node in it), outputs equal onnxruntime-node', { skip: linuxOnly, timeout: 120_000 }, async () => {
  const bytes = new Uint8Array(readFileSync(join(ASSETS, 'detector', 'model.onnx')));
  const metadata = JSON.parse(readFileSync(join(ASSETS, 'detector', 'metadata.json'), 'utf8')) as Record<string, unknown>;
  const sha = createHash('sha256').update(bytes).digest('hex');
  const manifest = { schemaVersion: 1, ...metadata, sha256: sha, size: bytes.byteLength, chunkSize: 1 << 20, chunkSha256: [sha], created: '2026-01-01T00:00:00Z' } as unknown as ModelManifest;
  const events: string[] = [];
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 3, defaultLatencyBudgetMs: 60_000, isolation: 'process', prespawn: false, nativeHost: nativeHostPaths(), onEvent: (e) => events.push(e.type) });
  try {
    const res = await host.activate({ role: 'detector', modelId: sha, manifest, bytes });
    assert.equal(res.provider, 'cpu');
    assert.ok(events.includes('activated'));
    const [pid] = host.status().threads.detector ?? [];
    assert.ok(pid && pid !== process.pid);
    assert.equal(readlinkSync(`/proc/${pid}/exe`), nativeHostPaths().binary, 'the serving process is the native host');
    assert.doesNotMatch(readFileSync(`/proc/${pid}/maps`, 'utf8'), /\/node\b|libnode/, 'no Node in the session process');
    const x = inputFor('detector');
    const out = await host.run('detector', { [x.name]: { type: 'float32', data: x.data, dims: x.dims } });
    const ref = await ort.InferenceSession.create(bytes);
    const want = await ref.run({ [x.name]: new ort.Tensor('float32', x.data, x.dims) });
    assert.deepEqual(Array.from(out.output0!.data as Float32Array), Array.from(want.output0!.data as Float32Array));
    await ref.release();
    // a model whose bytes are not its modelId is refused at the pipeline's verify step, before the host sees it
    const bad = await host.activate({ role: 'detector', modelId: 'f'.repeat(64), manifest: { ...manifest, sha256: 'f'.repeat(64) }, bytes }).then(
      () => undefined,
      (e: unknown) => e as { code?: string; details?: { step?: string } },
    );
    assert.equal(bad?.code, 'sha256_mismatch');
    assert.equal(bad?.details?.step, 'verify');
    assert.deepEqual(host.status().threads.detector, [pid], 'the active model keeps serving');
  } finally {
    await host.close();
  }
});

test('native host: sessions run on their own threads — a run that never ends in one session holds up neither another session’s runs nor a new session’s create', { skip: linuxOnly, timeout: 60_000 }, async () => {
  const paths = nativeHostPaths();
  const host = new RawHost(paths.binary, [paths.library]);
  try {
    assert.equal((await host.next()).type, FrameType.ready);
    const fixtures = join(import.meta.dirname, '..', 'fixtures', 'models');
    const opts = { provider: 'cpu', allowSpinning: false, logSeverityLevel: 4, intraOpNumThreads: 1 };
    const x = (v: number) => ({ x: { type: 'float32', data: Float32Array.from([v, v, v, v]), dims: [1, 4] } });
    host.send(encodeCreate(1, opts, readFileSync(join(fixtures, 'endless-on-input.onnx'))));
    host.send(encodeCreate(2, opts, readFileSync(join(fixtures, 'tiny-a.onnx'))));
    assert.deepEqual([(await host.next()).type, (await host.next()).type], [FrameType.created, FrameType.created]);
    host.send(encodeRun(10, 1, x(1))); // never ends
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    host.send(encodeRun(11, 2, x(1)));
    const other = await host.next();
    assert.deepEqual([other.type, other.id], [FrameType.result, 11], 'the other session answers');
    assert.deepEqual(Array.from(decodeResult(other.payload).y!.data as Float32Array), [3, 3, 3, 3]);
    host.send(encodeCreate(3, opts, readFileSync(join(fixtures, 'tiny-b.onnx'))));
    const created = await host.next();
    assert.deepEqual([created.type, created.id], [FrameType.created, 3], 'a new session is created meanwhile');
    assert.ok(performance.now() - t0 < 5000, `both within seconds beside the stuck run (${(performance.now() - t0).toFixed(0)} ms)`);
  } finally {
    host.child.kill('SIGKILL');
  }
});

test('native host: RSS flat over 100 create → run → release cycles of the classifier (issue 3 §5’s rule: after 100 within 15 % of after 5), with the session processes’ malloc tuning', { skip: linuxOnly, timeout: 120_000 }, async () => {
  const paths = nativeHostPaths();
  const host = new RawHost(paths.binary, [paths.library], sessionProcessEnv({}));
  try {
    assert.equal((await host.next()).type, FrameType.ready);
    const bytes = readFileSync(join(ASSETS, 'classifier', 'model.onnx'));
    const x = mod7919(8 * 3 * 64 * 64);
    const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${host.child.pid}/status`, 'utf8'))![1]) / 1024;
    let after5 = 0;
    for (let i = 1; i <= 100; i++) {
      host.send(encodeCreate(2 * i, { provider: 'cpu', allowSpinning: false, logSeverityLevel: 3, interOpNumThreads: 1 }, bytes));
      assert.equal((await host.next()).type, FrameType.created);
      host.send(encodeRun(2 * i + 1, 2 * i, { images: { type: 'float32', data: x, dims: [8, 3, 64, 64] } }));
      assert.equal((await host.next()).type, FrameType.result);
      host.send(encodeRelease(2 * i));
      assert.equal((await host.next()).type, FrameType.released);
      if (i === 5) after5 = rssMb();
    }
    const after100 = rssMb();
    assert.ok(after100 <= after5 * 1.15, `RSS after 100 cycles ${after100.toFixed(1)} MB vs after 5 ${after5.toFixed(1)} MB`);
  } finally {
    host.child.kill('SIGKILL');
  }
});
