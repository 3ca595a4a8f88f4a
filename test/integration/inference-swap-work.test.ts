/**
 * Issue 17 §2: the work a swap costs with process isolation, on real onnxruntime in real session processes.
 * - The model is warmed once: the warming process proves it (create, contract, self-test, PROOF_WARMUP_RUNS runs),
 *   the serving process self-tests it, warms it and judges its latency budget (warmupRuns). Before, both warmed it
 *   warmupRuns times.
 * - A big model's bytes cross Node's IPC channel in parts that are views of the host's one copy (Node's V8
 *   serialisation writes a view's own bytes), not a fresh copy of every part per process; a channel that would
 *   carry a view's whole buffer (Electron's structured clone) still gets copies. Either way the session that
 *   serves runs exactly the bytes given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { InferenceHost, nodeForkSpawner, type HostEvent, type SessionProcessSpawner } from '../../src/agent/inference/index.js';
import { LOAD_PART_BYTES } from '../../src/agent/inference/session-process.js';
import { PROOF_WARMUP_RUNS } from '../../src/agent/inference/warming.js';
import { A_OUT, fixture, xFeeds } from './inference-fixtures.js';

const linuxOnly = process.platform !== 'linux' ? 'session processes are forked Node children here (Linux CI)' : false;

interface SentPart {
  data: Uint8Array;
  total: number;
}

/** Node's fork spawner, recording the load parts the host sends (optionally claiming views cross as whole buffers). */
function recordingSpawner(parts: SentPart[], viewsCrossAsTheirBytes?: boolean): SessionProcessSpawner {
  return (req) => {
    const ch = nodeForkSpawner(req);
    return {
      get pid() {
        return ch.pid;
      },
      get connected() {
        return ch.connected;
      },
      viewsCrossAsTheirBytes: viewsCrossAsTheirBytes ?? ch.viewsCrossAsTheirBytes,
      send(msg, written) {
        const m = msg as { t?: string; data?: Uint8Array; total?: number };
        if (m.t === 'load_part' && m.data) parts.push({ data: m.data, total: m.total! });
        ch.send(msg, written);
      },
      kill: () => ch.kill(),
      onMessage: (fn) => ch.onMessage(fn),
      onSpawn: (fn) => ch.onSpawn(fn),
      onExit: (fn) => ch.onExit(fn),
      onError: (fn) => ch.onError(fn),
    };
  };
}

test('process isolation: the warming process proves a model with its self-test and one run; only the serving process warms it', { skip: linuxOnly, timeout: 60_000 }, async () => {
  const events: HostEvent[] = [];
  const warmupRuns = 7;
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns, defaultLatencyBudgetMs: 10_000, isolation: 'process', prespawn: false, onEvent: (e) => events.push(e) });
  try {
    await host.activate({ role: 'detector', ...fixture('tiny-a.onnx', A_OUT) });
    const activated = events.find((e) => e.type === 'activated');
    // self-test run + warm-up runs, in each process
    assert.deepEqual(activated?.details?.runs, { proof: 1 + PROOF_WARMUP_RUNS, serving: 1 + warmupRuns });
    assert.ok(PROOF_WARMUP_RUNS >= 1, 'the proof runs the model beyond its self-test (a manifest without one is still run once)');
    assert.deepEqual(Array.from((await host.run('detector', xFeeds())).y!.data as Float32Array), A_OUT);
  } finally {
    await host.close();
  }
});

/** what onnxruntime in this process answers for `bytes` on the test input */
async function directOutput(bytes: Uint8Array): Promise<number[]> {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  try {
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]) });
    return Array.from(out.y!.data as Float32Array);
  } finally {
    await s.release();
  }
}

for (const viewsCross of [undefined, false] as const) {
  const what = viewsCross === undefined ? "Node's channel: parts are views of the host's one copy" : 'a channel that would carry whole buffers: parts are copies';
  test(`process isolation, a model above ${LOAD_PART_BYTES} bytes: ${what}; the serving session runs those bytes`, { skip: linuxOnly, timeout: 60_000 }, async () => {
    const parts: SentPart[] = [];
    const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 1, defaultLatencyBudgetMs: 10_000, isolation: 'process', prespawn: false, sessionSpawner: recordingSpawner(parts, viewsCross) });
    try {
      const f = fixture('slow.onnx', undefined, { budgetMs: 10_000 });
      assert.ok(f.bytes.byteLength > LOAD_PART_BYTES, 'the fixture is sent in parts');
      const want = await directOutput(f.bytes);
      await host.activate({ role: 'detector', ...f, bytes: f.bytes.slice(), transferBytes: true });
      const perLoad = Math.ceil(f.bytes.byteLength / LOAD_PART_BYTES);
      assert.equal(parts.length, 2 * perLoad, 'every part went to the warming process, then to the serving process');
      for (const p of parts) {
        assert.equal(p.total, f.bytes.byteLength);
        if (viewsCross === undefined) assert.equal(p.data.buffer.byteLength, f.bytes.byteLength, 'a view of the whole model, not a copy of the part');
        else assert.equal(p.data.buffer.byteLength, p.data.byteLength, 'a copy of just the part');
      }
      if (viewsCross === undefined) assert.equal(parts[0]!.data.buffer, parts.at(-1)!.data.buffer, 'both processes got views of one buffer');
      assert.deepEqual(Array.from((await host.run('detector', xFeeds())).y!.data as Float32Array), want);
    } finally {
      await host.close();
    }
  });
}
