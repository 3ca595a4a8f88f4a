/**
 * Industry profiles on real agents (issue 21 §2): two agents of different profiles on one channel read
 * different settings out of the same signed release (thresholds, guard gates, the model that serves a role);
 * an agent whose profile the release does not name falls back to the default and says so in its status; a
 * release whose profile threshold is out of range is refused with a coded error and changes nothing.
 * Real agents, real onnxruntime, in-process aedes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminClient, buildModel, detectorOutput, fixture, makeFleet, publishBuilt, publishRelease, releaseOf, startTestAgent, TINY_A_Y, TINY_B_Y, workspace, type TestAgent } from './agent-harness.js';
import { startAedes } from '../helpers/brokers.js';
import type { Release } from '../../src/common/wire.js';

test('profiles: two agents on one channel apply their own profile from the same release; an unknown profile falls back to default, said in status', { timeout: 120_000 }, async () => {
  const broker = await startAedes();
  const fleet = makeFleet();
  const admin = await adminClient(broker);
  const wsH = await workspace(fleet, 'agent-hc');
  const wsR = await workspace(fleet, 'agent-retail');
  const agents: TestAgent[] = [];
  try {
    agents.push(await startTestAgent(wsH, broker, { profile: 'healthcare' }));
    agents.push(await startTestAgent(wsR, broker, { profile: 'retail' }));
    const [hc, retail] = agents as [TestAgent, TestAgent];
    const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a', version: '1.0.0' });
    const b = await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '2.0.0' });
    await publishBuilt(admin, a, fleet.modelKeys);
    await publishBuilt(admin, b, fleet.modelKeys);
    const release: Release = {
      ...releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }),
      profiles: {
        healthcare: { detector: { minScore: 0.9 }, classifier: { minScore: 0.85 }, models: { detector: b.modelId } },
        default: { detector: { minScore: 0.4 } },
      },
    };
    await publishRelease(admin, release, fleet.releaseKeys);
    const sH = await hc.agent.waitFor((s) => s.roles.detector?.state === 'committed', { timeoutMs: 20_000 });
    const sR = await retail.agent.waitFor((s) => s.roles.detector?.state === 'committed', { timeoutMs: 20_000 });
    // the profile is a label, and the status names the settings applied
    assert.equal(sH.labels?.profile, 'healthcare');
    assert.equal(sR.labels?.profile, 'retail');
    assert.deepEqual(sH.profile, { name: 'healthcare', applied: 'healthcare', settings: release.profiles!.healthcare });
    assert.equal(sR.profile?.name, 'retail');
    assert.equal(sR.profile?.applied, 'default');
    assert.match(sR.profile?.reason ?? '', /no profile "retail"/);
    assert.deepEqual(sR.profile?.settings, { detector: { minScore: 0.4 } });
    // which model serves the role: the healthcare profile names tiny-b, the others follow the release's stable
    assert.equal(sH.roles.detector?.modelId, b.modelId);
    assert.equal(sR.roles.detector?.modelId, a.modelId);
    assert.deepEqual(await detectorOutput(hc.activator), TINY_B_Y);
    assert.deepEqual(await detectorOutput(retail.activator), TINY_A_Y);

    // seq 2 with an out-of-range threshold: signed, but refused by both agents with a coded error
    const bad = { ...releaseOf({ seq: 2, roles: { detector: { stable: a.modelId } } }), profiles: { healthcare: { detector: { minScore: 1.5 } } } } as unknown as Release;
    await publishRelease(admin, bad, fleet.releaseKeys);
    for (const ta of agents) {
      const e = await ta.agent.waitForEvent((x) => x.type === 'release_rejected', { timeoutMs: 10_000 });
      assert.equal(e.reason, 'bad_payload');
      assert.match(e.message ?? '', /profiles\.healthcare\.detector\.minScore/);
      assert.equal(ta.agent.snapshot().releaseSeq, 1, 'the accepted release stays seq 1');
    }
    assert.equal(hc.agent.snapshot().profile?.settings.detector?.minScore, 0.9);
  } finally {
    for (const ta of agents) await ta.close();
    await admin.endAsync();
    await broker.close();
    await wsH.cleanup();
    await wsR.cleanup();
  }
});
