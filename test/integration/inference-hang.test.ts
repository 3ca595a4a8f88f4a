/**
 * Issue 17 §1, "a model whose run never ends", in the inference host with real onnxruntime: a validly
 * built ONNX whose Loop runs max(x) * 2^40 times (test/fixtures/models/endless-on-input.onnx, made by
 * scripts/fixtures/make_endless_models.py) activates (its warm-up input is zeros) and then gets a run that
 * never ends. Wanted: the run fails with `timeout` at runTimeoutMs, the worker stuck in it is ended and
 * reported (`worker_lost`), the process and its children are back to idle within timeout + 1 s, runs on
 * the role answer the retryable `model_restarting` until a model is loaded again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceHost, type HostEvent } from '../../src/agent/inference/index.js';
import { AgentError } from '../../src/common/errors.js';
import { A_OUT, fixture, xFeeds } from './inference-fixtures.js';
import { coresBusy } from '../helpers/cpu-time.js';
import { sessionHostKinds } from './session-hosts.js';

const RUN_TIMEOUT_MS = 1500;
const endless = fixture('endless-on-input.onnx');
const a = fixture('tiny-a.onnx', A_OUT);

for (const kind of sessionHostKinds()) test(`${kind.name} session host: a run that never ends: timeout at runTimeoutMs, its worker ended (worker_lost), CPU idle within timeout + 1 s, model_restarting until reloaded`, { skip: process.platform !== 'linux' ? 'CPU time is read from /proc (Linux only)' : false, timeout: 60_000 }, async () => {
  const events: HostEvent[] = [];
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 1, defaultLatencyBudgetMs: 10_000, runTimeoutMs: RUN_TIMEOUT_MS, isolation: 'process', prespawn: false, onEvent: (e) => events.push(e), ...kind.opts });
  try {
    await host.activate({ role: 'detector', ...endless });
    const quick = await host.run('detector', xFeeds([0, 0, 0, 0]));
    assert.deepEqual(Array.from(quick.y!.data as Float32Array), [0, 0, 0, 0], 'zeros end at once: the model serves');

    const t0 = performance.now();
    const hung = host.run('detector', xFeeds([1, 1, 1, 1]));
    hung.catch(() => undefined); // asserted below; a failed assertion before must not leave it unhandled
    // while it hangs, one core is busy: the measurement below can see a stuck run
    const during = await coresBusy(800);
    assert.ok(during > 0.15, `a core is busy (as much as this shared machine gives it) while the run hangs (${during.toFixed(2)} cores)`);
    await assert.rejects(hung, (e: unknown) => e instanceof AgentError && e.code === 'timeout');
    const took = performance.now() - t0;
    assert.ok(took < RUN_TIMEOUT_MS + 500, `the run failed at its timeout (${took.toFixed(0)} ms)`);
    const lost = events.find((e) => e.type === 'worker_lost');
    assert.equal(lost?.role, 'detector');
    assert.equal(lost?.reason, 'timeout');

    // back to idle within timeout + 1 s of the run's start
    await new Promise((r) => setTimeout(r, Math.max(0, RUN_TIMEOUT_MS + 1000 - 500 - (performance.now() - t0))));
    const after = await coresBusy(500);
    assert.ok(after < 0.1, `idle again after the timeout (${after.toFixed(2)} cores)`);
    assert.equal(host.status().workers, 0, 'the stuck worker is gone');

    await assert.rejects(host.run('detector', xFeeds()), (e: unknown) => e instanceof AgentError && e.code === 'model_restarting');
    // a fresh worker serves again once a model is loaded
    await host.activate({ role: 'detector', ...a });
    const out = await host.run('detector', xFeeds());
    assert.deepEqual(Array.from(out.y!.data as Float32Array), A_OUT);
  } finally {
    await host.close();
  }
});
