/**
 * Issue 17 §2, swap latency: in a session process a new model is created, tested and warmed in a load thread
 * (src/agent/inference/session-threads.ts), which then serves it while the process's main thread keeps serving
 * the others. Here LoadThreads runs the real session worker (its esbuild bundle, as a session process does) on
 * real onnxruntime: runs and the release are routed to the thread holding the generation, the thread ends once
 * it holds nothing, and a thread that fails is fatal (the session process exits, and the host reloads every role).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LoadThreads } from '../../src/agent/inference/session-threads.js';
import { resolveWorkerEntry, sessionWorkerUrl } from '../../src/agent/inference/spawn.js';
import type { FromWorker } from '../../src/agent/inference/worker-messages.js';
import { A_OUT, fixture, waitUntil, xFeeds } from './inference-fixtures.js';

const loadOptions = { providers: ['cpu'], latencyBudgetMs: 10_000, warmupRuns: 2, allowSpinning: false, logSeverityLevel: 3 as const, verifySha256: true };

test('load threads: a load runs in its own thread, which then serves the generation and ends once it is released', { timeout: 60_000 }, async () => {
  const entry = await resolveWorkerEntry(sessionWorkerUrl());
  assert.ok(entry && LoadThreads.usable(entry), 'the session worker bundle is plain JavaScript');
  const got: FromWorker[] = [];
  const fatal: string[] = [];
  const threads = new LoadThreads(entry, (m) => got.push(m), (why) => fatal.push(why));
  const a = fixture('tiny-a.onnx', A_OUT);
  const bytes = a.bytes.slice().buffer;
  threads.load({ t: 'load', gid: 7, modelId: a.modelId, manifest: a.manifest, bytes, byteLength: bytes.byteLength, options: loadOptions, fromShared: true });
  assert.equal(bytes.byteLength, 0, 'the bytes were handed to the thread, not copied');
  assert.equal(threads.size, 1);
  await waitUntil(() => got.some((m) => m.t === 'loaded' || m.t === 'load_failed'), 30_000);
  const loaded = got.find((m) => m.t === 'loaded');
  assert.ok(loaded && loaded.t === 'loaded' && loaded.retained === undefined, `loaded in the thread, no copy kept for the host (${JSON.stringify(got[0])})`);
  assert.equal(threads.holds(7), true);

  assert.equal(threads.forward({ t: 'run', gid: 7, id: 1, feeds: xFeeds() }), true, 'runs of generation 7 go to its thread');
  assert.equal(threads.forward({ t: 'run', gid: 8, id: 2, feeds: xFeeds() }), false, 'other generations stay on the main thread');
  await waitUntil(() => got.some((m) => m.t === 'result'), 10_000);
  const result = got.find((m) => m.t === 'result');
  assert.ok(result && result.t === 'result');
  assert.deepEqual(Array.from(result.outputs.y!.data as Float32Array), A_OUT);

  assert.equal(threads.forward({ t: 'release', gid: 7 }), true);
  await waitUntil(() => got.some((m) => m.t === 'released'), 10_000);
  await waitUntil(() => threads.size === 0, 10_000);
  assert.equal(threads.holds(7), false);
  assert.deepEqual(fatal, [], 'a thread that was asked to end is no failure');
});

test('load threads: a thread that fails is fatal for the session process (the host then reloads every role)', { timeout: 30_000 }, async () => {
  const fatal: string[] = [];
  const threads = new LoadThreads(pathToFileURL(join(import.meta.dirname, '..', 'fixtures', 'scripts', 'broken-worker-entry.mjs')), () => undefined, (why) => fatal.push(why));
  const a = fixture('tiny-a.onnx', A_OUT);
  const bytes = a.bytes.slice().buffer;
  threads.load({ t: 'load', gid: 1, modelId: a.modelId, manifest: a.manifest, bytes, byteLength: bytes.byteLength, options: loadOptions, fromShared: true });
  await waitUntil(() => fatal.length > 0, 20_000);
  assert.match(fatal[0]!, /load thread failed: broken worker entry/);
  await threads.close();
});
