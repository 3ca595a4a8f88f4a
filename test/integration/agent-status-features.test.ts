/**
 * An agent says what it serves (capability gate, docs/MODELS.md "Crop rule"): the status a real agent
 * publishes on agents/{id}/status, and its offline will, list `crop-views`, and survive the wire schema
 * the controller parses them with. Real aedes, real agent (SQLite, onnxruntime activator).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_BUILD_FEATURES, AGENT_FEATURES } from '../../src/common/agent-features.js';
import { AgentStatusSchema, type AgentStatus } from '../../src/common/wire.js';
import { offlineWill } from '../../src/agent/telemetry/telemetry.js';
import { startAedes } from '../helpers/brokers.js';
import { adminClient, makeFleet, startTestAgent, T, workspace } from './agent-harness.js';
import { collectUpstream } from './service-helpers.js';

test('agent status: the published status and the offline will carry features [crop-views]', { timeout: 60_000 }, async () => {
  const broker = await startAedes();
  const fleet = makeFleet();
  const ws = await workspace(fleet, 'agent-features');
  const admin = await adminClient(broker);
  let ta: Awaited<ReturnType<typeof startTestAgent>> | undefined;
  try {
    const statuses: AgentStatus[] = await collectUpstream(admin, T.agentStatus('agent-features'), (j) => AgentStatusSchema.parse(j));
    ta = await startTestAgent(ws, broker);
    assert.ok(ta.agent.snapshot().features?.includes('crop-views'), 'the status builder lists crop-views');
    const deadline = Date.now() + 10_000;
    while (!statuses.some((s) => s.online) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const online = statuses.find((s) => s.online);
    assert.ok(online, 'the agent published an online status');
    assert.deepEqual(online.features, ['crop-views'], 'what the controller stores after parsing it');
    assert.deepEqual([...AGENT_BUILD_FEATURES], Object.keys(AGENT_FEATURES), 'this build serves every feature it names');
    // the will replaces the stored status when the agent drops: it must not make the agent look old
    const will = AgentStatusSchema.parse(JSON.parse(offlineWill('agent-features', '3.0.0').payload.toString()));
    assert.deepEqual(will.features, ['crop-views']);
  } finally {
    await ta?.close();
    await admin.endAsync();
    await broker.close();
    await ws.cleanup();
  }
});
