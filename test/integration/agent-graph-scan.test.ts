/**
 * Issue 20 §3, defence in depth: a validly signed model whose graph the scan refuses (a publisher that
 * skipped `rpa-fleet model publish`'s scan) never reaches an onnxruntime session on the agent: the
 * activation fails with the scan's reason code and tiny-a keeps serving. Real agent, aedes, onnxruntime.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildManifest } from '../../src/fleet/manifest.js';
import { startAedes } from '../helpers/brokers.js';
import { adminClient, buildModel, detectorOutput, fixture, makeFleet, publishBuilt, publishRelease, releaseOf, startTestAgent, TINY_A_Y, workspace } from './agent-harness.js';

test('aedes: models whose graphs the scan refuses are never loaded; each refusal has its code; tiny-a keeps serving', { timeout: 90_000 }, async () => {
  const broker = await startAedes();
  const fleet = makeFleet();
  const ws = await workspace(fleet);
  const admin = await adminClient(broker);
  const ta = await startTestAgent(ws, broker);
  try {
    const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a', version: '1.0.0' });
    await publishBuilt(admin, a, fleet.modelKeys);
    await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
    await ta.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId && s.roles.detector.state === 'committed', { timeoutMs: 15_000 });
    const cases: [string, string][] = [
      ['endless.onnx', 'graph_loop_unbounded'],
      ['scan-external-data.onnx', 'graph_external_data'],
      ['scan-custom-domain.onnx', 'graph_custom_domain'],
    ];
    let seq = 1;
    for (const [file, reason] of cases) {
      // signed by the real models key, built WITHOUT the publish-time scan (the contract given, not read)
      const bad = await buildManifest({ bytes: fixture(file), role: 'detector', name: file.replace('.onnx', ''), version: '1.0.0', chunkSize: 64, readContract: async () => a.manifest.contract });
      await publishBuilt(admin, bad, fleet.modelKeys);
      const mark = ta.agent.snapshot().recentEvents.at(-1)?.seq ?? 0;
      await publishRelease(admin, releaseOf({ seq: ++seq, roles: { detector: { stable: bad.modelId } } }), fleet.releaseKeys);
      const ev = await ta.agent.waitForEvent((e) => e.seq > mark && e.reason !== undefined && e.modelId === bad.modelId, { timeoutMs: 20_000 });
      assert.equal(ev.reason, reason, `${file}: ${JSON.stringify(ev)}`);
      assert.equal(ta.agent.snapshot().roles.detector?.modelId, a.modelId, 'tiny-a is still the active model');
      assert.equal(ta.activator.activeModelId('detector'), a.modelId, 'the refused model never reached the session');
      assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y);
    }
  } finally {
    await ta.close().catch(() => {});
    await admin.endAsync().catch(() => {});
    await broker.close().catch(() => {});
    await ws.cleanup();
  }
});
