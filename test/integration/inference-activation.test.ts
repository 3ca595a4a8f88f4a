/**
 * Issue 3 §2: the loading pipeline on real onnxruntime sessions. A bad self-test, a wrong contract, a
 * too-slow model and corrupt bytes each leave the old model serving and emit activation_failed with
 * the step and reason. Also: provider fallback (no GPU here: cuda unavailable, real fallback).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceHost, type HostEvent } from '../../src/agent/inference/host.js';
import { AgentError } from '../../src/common/errors.js';
import { A_OUT, B_OUT, fixture, modelBytes, sha256Hex, tinyManifest, xFeeds } from './inference-fixtures.js';

let host: InferenceHost;
const events: HostEvent[] = [];
const a = fixture('tiny-a.onnx', A_OUT);

async function assertAServes() {
  const out = await host.run('detector', xFeeds());
  assert.deepEqual(Array.from(out.y!.data as Float32Array), A_OUT);
  assert.equal(host.status().roles.detector?.modelId, a.modelId);
}

async function rejected(p: Promise<unknown>): Promise<AgentError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AgentError, `AgentError expected, got ${String(e)}`);
    return e;
  }
  assert.fail('activation should have failed');
}

before(async () => {
  host = new InferenceHost({ providers: ['cpu'], warmupRuns: 5, onEvent: (e) => events.push(e) });
  await host.activate({ role: 'detector', ...a });
});
after(async () => {
  await host.close();
});

test('bad self-test: tiny-b with tiny-a expected output is rejected at self_test; A keeps serving', async () => {
  events.length = 0;
  const bad = fixture('tiny-b.onnx', A_OUT);
  const e = await rejected(host.activate({ role: 'detector', ...bad }));
  assert.equal(e.code, 'self_test_failed');
  assert.equal(e.details?.step, 'self_test');
  assert.equal(e.details?.maxDiff, 2);
  const ev = events.find((x) => x.type === 'activation_failed');
  assert.equal(ev?.reason, 'self_test_failed');
  assert.equal(ev?.details?.step, 'self_test');
  assert.equal(ev?.modelId, bad.modelId);
  await assertAServes();
});

test('wrong contract: a model with z[1,8] -> w is rejected at contract; A keeps serving', async () => {
  events.length = 0;
  const wrong = fixture('wrong-contract.onnx', A_OUT);
  const e = await rejected(host.activate({ role: 'detector', ...wrong }));
  assert.equal(e.code, 'contract_mismatch');
  assert.equal(e.details?.step, 'contract');
  assert.match(e.message, /input "x" missing/);
  assert.equal(events.find((x) => x.type === 'activation_failed')?.details?.step, 'contract');
  await assertAServes();
});

test('too slow: slow.onnx (~30 ms/run) against a 2 ms budget is rejected at latency; A keeps serving', async () => {
  events.length = 0;
  const slow = fixture('slow.onnx', undefined, { budgetMs: 2 });
  const e = await rejected(host.activate({ role: 'detector', ...slow }));
  assert.equal(e.code, 'latency_budget_exceeded');
  assert.equal(e.details?.step, 'latency');
  assert.ok((e.details?.p95Ms as number) > 2);
  await assertAServes();
});

test('corrupt bytes (sha256 no longer matches the modelId): rejected at verify; A keeps serving', async () => {
  events.length = 0;
  const b = fixture('tiny-b.onnx', B_OUT);
  const corrupt = new Uint8Array(b.bytes);
  corrupt[40] = corrupt[40]! ^ 0xff;
  const e = await rejected(host.activate({ role: 'detector', modelId: b.modelId, manifest: b.manifest, bytes: corrupt }));
  assert.equal(e.code, 'sha256_mismatch');
  assert.equal(e.details?.step, 'verify');
  await assertAServes();
});

test('corrupt bytes that onnxruntime cannot parse (hash re-computed): rejected at create; A keeps serving', async () => {
  events.length = 0;
  const garbage = new Uint8Array(modelBytes('tiny-b.onnx').byteLength).map((_, i) => (i * 31) & 0xff);
  const manifest = tinyManifest(garbage, { expected: B_OUT });
  const e = await rejected(host.activate({ role: 'detector', modelId: sha256Hex(garbage), manifest, bytes: garbage }));
  assert.equal(e.code, 'load_failed');
  assert.equal(e.details?.step, 'create');
  await assertAServes();
});

test('a good model after all those failures still swaps in', async () => {
  const b = fixture('tiny-b.onnx', B_OUT);
  const r = await host.activate({ role: 'detector', ...b });
  assert.equal(r.provider, 'cpu');
  const out = await host.run('detector', xFeeds());
  assert.deepEqual(Array.from(out.y!.data as Float32Array), B_OUT);
  await host.activate({ role: 'detector', ...a });
});

test('provider fallback (no GPU here: cuda unavailable, real fallback): cuda fails, cpu loads, reported', async () => {
  const evs: HostEvent[] = [];
  const h = new InferenceHost({ platform: 'linux', providers: ['cuda', 'cpu'], warmupRuns: 2, prespawn: false, onEvent: (e) => evs.push(e) });
  try {
    assert.deepEqual(h.providerOrder, ['cuda', 'cpu']);
    const r = await h.activate({ role: 'classifier', ...fixture('tiny-b.onnx', B_OUT, { role: 'classifier' }) });
    assert.equal(r.provider, 'cpu');
    assert.equal(h.status().roles.classifier?.provider, 'cpu');
    const fb = evs.find((e) => e.type === 'provider_fallback');
    assert.ok(fb, 'provider_fallback event');
    assert.equal(fb.details?.provider, 'cpu');
    const failed = fb.details?.failed as { provider: string; reason: string }[];
    assert.equal(failed[0]?.provider, 'cuda');
    assert.ok(failed[0]!.reason.length > 0);
    assert.equal(evs.find((e) => e.type === 'activated')?.details?.provider, 'cpu');
  } finally {
    await h.close();
  }
});

test('only an unavailable provider configured (no GPU here: cuda unavailable): provider_unavailable, nothing serves', async () => {
  const h = new InferenceHost({ platform: 'linux', providers: ['cuda'], warmupRuns: 1, prespawn: false });
  try {
    const e = await rejected(h.activate({ role: 'detector', ...a }));
    assert.equal(e.code, 'provider_unavailable');
    await assert.rejects(h.run('detector', xFeeds()), (err: AgentError) => err.code === 'no_model');
  } finally {
    await h.close();
  }
});
