/**
 * Issue 3 §3: swap under load. A client hammers run() while the detector is swapped between two real
 * models 20 times: zero errors, and every result comes from exactly one of the two models.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceHost, type HostEvent } from '../../src/agent/inference/host.js';
import { A_OUT, B_OUT, fixture, xFeeds } from './inference-fixtures.js';

test('swap under load: 20 swaps while a client hammers run(): zero errors, each result from exactly one model', async () => {
  const events: HostEvent[] = [];
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 3, onEvent: (e) => events.push(e) });
  try {
    const a = fixture('tiny-a.onnx', A_OUT);
    const b = fixture('tiny-b.onnx', B_OUT);
    await host.activate({ role: 'detector', ...a });
    let stop = false;
    let fromA = 0;
    let fromB = 0;
    const errors: unknown[] = [];
    const odd: string[] = [];
    // 4 concurrent callers, each keeping one request in flight at all times
    const client = async () => {
      while (!stop) {
        try {
          const out = await host.run('detector', xFeeds());
          const y = Array.from(out.y!.data as Float32Array);
          if (y.every((v, i) => v === A_OUT[i])) fromA++;
          else if (y.every((v, i) => v === B_OUT[i])) fromB++;
          else odd.push(JSON.stringify(y));
        } catch (e) {
          errors.push(e);
        }
      }
    };
    const clients = [client(), client(), client(), client()];
    for (let i = 0; i < 20; i++) {
      const next = i % 2 === 0 ? b : a;
      await host.activate({ role: 'detector', ...next });
      assert.equal(host.status().roles.detector?.modelId, next.modelId);
    }
    // let the clients run a little on the final model too
    await new Promise((r) => setTimeout(r, 50));
    stop = true;
    await Promise.all(clients);
    assert.deepEqual(errors, [], 'no request failed');
    assert.deepEqual(odd, [], 'every result is from model A or model B');
    assert.ok(fromA > 20 && fromB > 20, `both models answered (A ${fromA}, B ${fromB})`);
    assert.equal(events.filter((e) => e.type === 'activated').length, 21);
    // the last swap was to A (i = 19 → a); old generations drain and close
    assert.equal(host.status().roles.detector?.modelId, a.modelId);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(host.status().workers <= 2, `old workers are closed (live: ${host.status().workers})`);
  } finally {
    await host.close();
  }
});
