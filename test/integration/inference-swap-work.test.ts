/**
 * Issue 17 §2: the work a swap costs with process isolation, on real onnxruntime in real session processes.
 * - The model is warmed once: the warming process proves it (create, contract, self-test, PROOF_WARMUP_RUNS runs),
 *   the serving process self-tests it, warms it and judges its latency budget (warmupRuns). Before, both warmed it
 *   warmupRuns times.
 * - A big model's bytes go to a Node session process on its bulk pipe, written from views of the host's one copy
 *   (no V8 serialisation, no copy per part); over a channel without one they go in parts, views where the channel
 *   serialises a view's own bytes, copies where it would carry the whole buffer (Electron's structured clone).
 *   Every way, the session that serves runs exactly the bytes given.
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

/**
 * Node's fork spawner, recording the load parts the host sends on the channel and the bytes it writes on the bulk
 * pipe; `noBulk` hides the pipe (the child then gets parts), `viewsCross` overrides how views cross.
 */
function recordingSpawner(parts: SentPart[], bulkWrites: Uint8Array[], o: { noBulk?: boolean; viewsCross?: boolean } = {}): SessionProcessSpawner {
  return (req) => {
    const ch = nodeForkSpawner(req);
    const bulk = ch.bulk;
    return {
      ...(bulk && !o.noBulk
        ? {
            bulk: {
              write(bytes: Uint8Array, done: (e?: Error) => void) {
                bulkWrites.push(bytes);
                bulk.write(bytes, done);
              },
            },
          }
        : {}),
      get pid() {
        return ch.pid;
      },
      get connected() {
        return ch.connected;
      },
      viewsCrossAsTheirBytes: o.viewsCross ?? ch.viewsCrossAsTheirBytes,
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

const cases = [
  { what: "Node's channel: the bytes go on the bulk pipe, written from views of the host's one copy", way: 'bulk' },
  { what: 'a channel without a pipe that serialises views as their bytes: parts are views', way: 'views', noBulk: true },
  { what: 'a channel without a pipe that would carry whole buffers: parts are copies', way: 'copies', noBulk: true, viewsCross: false },
] as const;

for (const c of cases) {
  test(`process isolation, a model above ${LOAD_PART_BYTES} bytes — ${c.what}; the serving session runs those bytes`, { skip: linuxOnly, timeout: 60_000 }, async () => {
    const parts: SentPart[] = [];
    const bulkWrites: Uint8Array[] = [];
    const spawner = recordingSpawner(parts, bulkWrites, { ...('noBulk' in c ? { noBulk: c.noBulk } : {}), ...('viewsCross' in c ? { viewsCross: c.viewsCross } : {}) });
    const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 1, defaultLatencyBudgetMs: 10_000, isolation: 'process', prespawn: false, sessionSpawner: spawner });
    try {
      const f = fixture('slow.onnx', undefined, { budgetMs: 10_000 });
      assert.ok(f.bytes.byteLength > LOAD_PART_BYTES, 'the fixture is sent in parts');
      const want = await directOutput(f.bytes);
      await host.activate({ role: 'detector', ...f, bytes: f.bytes.slice(), transferBytes: true });
      const perLoad = Math.ceil(f.bytes.byteLength / LOAD_PART_BYTES);
      const sent = c.way === 'bulk' ? bulkWrites : parts.map((p) => p.data);
      assert.equal(c.way === 'bulk' ? parts.length : bulkWrites.length, 0, 'one way only');
      assert.equal(sent.length, 2 * perLoad, 'every part went to the warming process, then to the serving process');
      assert.equal(sent.reduce((a, b) => a + b.byteLength, 0), 2 * f.bytes.byteLength);
      for (const p of parts) assert.equal(p.total, f.bytes.byteLength);
      for (const d of sent) {
        if (c.way === 'copies') assert.equal(d.buffer.byteLength, d.byteLength, 'a copy of just the part');
        else assert.equal(d.buffer.byteLength, f.bytes.byteLength, 'a view of the whole model, not a copy of the part');
      }
      if (c.way !== 'copies') assert.equal(sent[0]!.buffer, sent.at(-1)!.buffer, 'both processes got views of one buffer');
      assert.deepEqual(Array.from((await host.run('detector', xFeeds())).y!.data as Float32Array), want);
    } finally {
      await host.close();
    }
  });
}
