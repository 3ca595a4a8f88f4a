/**
 * Issue 17 §1 "Freeze" (DESIGN.md trust rules: freeze attack): when the active release expires, and when an
 * expired release is published again, the agent reports `release_expired` — an event on the events topic
 * and an alert in its retained status (which the tray shows) — and keeps serving the active model. A fresh
 * release clears the alert. Real aedes, signed releases, real onnxruntime, real SQLite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentEventSchema, AgentStatusSchema, type AgentEvent, type AgentStatus } from '../../src/common/wire.js';
import { startAedes } from '../helpers/brokers.js';
import { adminClient, buildModel, detectorOutput, fixture, makeFleet, publishBuilt, publishRelease, releaseOf, startTestAgent, T, TINY_A_Y, workspace } from './agent-harness.js';
import { collectUpstream } from './service-helpers.js';

test('freeze: the active release expiring, and an expired release published again → release_expired (event, status); serving goes on; a fresh release clears it', { timeout: 60_000 }, async () => {
  const broker = await startAedes();
  const fleet = makeFleet();
  const ws = await workspace(fleet, 'agent-freeze');
  const admin = await adminClient(broker);
  let ta: Awaited<ReturnType<typeof startTestAgent>> | undefined;
  try {
    const upstream: AgentEvent[] = await collectUpstream(admin, T.agentEvents('agent-freeze'), (j) => AgentEventSchema.parse(j));
    const statuses: AgentStatus[] = await collectUpstream(admin, T.agentStatus('agent-freeze'), (j) => AgentStatusSchema.parse(j));
    const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
    const b = await buildModel(fixture('tiny-b.onnx'), { name: 'tiny-b', version: '2.0.0' });
    await publishBuilt(admin, a, fleet.modelKeys);
    await publishBuilt(admin, b, fleet.modelKeys);
    const now = Date.now();
    await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } }, issued: new Date(now - 60_000), expires: new Date(now + 4000) }), fleet.releaseKeys);
    ta = await startTestAgent(ws, broker);
    const { agent } = ta;
    await agent.waitFor((s) => s.roles.detector?.state === 'committed' && s.roles.detector.modelId === a.modelId, { timeoutMs: 20_000 });
    assert.equal(agent.snapshot().alerts, undefined, 'no alert while the release is valid');

    // 1. the active release expires
    const first = await agent.waitForEvent((e) => e.type === 'release_expired', { timeoutMs: 15_000 });
    assert.equal(first.releaseSeq, 1);
    assert.ok(Date.now() >= now + 4000, 'reported once it expired, not before');
    assert.ok(agent.snapshot().alerts?.some((x) => x.code === 'release_expired'), 'status says so');
    assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y, 'serving goes on');

    // 2. an expired release published (again): reported, nothing activated
    await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: { stable: b.modelId } }, issued: new Date(now - 60_000), expires: new Date(now - 1000) }), fleet.releaseKeys);
    const second = await agent.waitForEvent((e) => e.type === 'release_expired' && e.releaseSeq === 2, { timeoutMs: 10_000 });
    assert.equal(second.reason, 'release_expired');
    assert.equal(agent.snapshot().roles.detector?.modelId, a.modelId);
    assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y);

    // upstream: both events on agents/{id}/events, the alert in the retained status
    const deadline = Date.now() + 5000;
    while (upstream.filter((e) => e.type === 'release_expired').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(upstream.filter((e) => e.type === 'release_expired').map((e) => e.releaseSeq), [1, 2]);
    assert.ok(statuses.some((s) => s.alerts?.some((x) => x.code === 'release_expired')), 'the published status carries the alert');

    // 3. a fresh release clears it
    await publishRelease(admin, releaseOf({ seq: 3, roles: { detector: { stable: a.modelId } } }), fleet.releaseKeys);
    await agent.waitFor((s) => s.releaseSeq === 3 && !s.alerts?.some((x) => x.code === 'release_expired'), { timeoutMs: 10_000 });
  } finally {
    await ta?.close();
    await admin.endAsync();
    await broker.close();
    await ws.cleanup();
  }
});
