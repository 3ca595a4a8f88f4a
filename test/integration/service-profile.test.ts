/**
 * Industry profiles through the whole agent service (issue 21 §2): the healthcare profile's thresholds are
 * what the vision pipeline uses for a bot's detect that names none, a bot's explicit minScore still wins,
 * the classifier floor drops low-confidence elements, and metrics windows carry the profile. Real baseline
 * models, onnxruntime, aedes, the bot endpoint over a Unix socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect, type BotClient } from '../../src/agent/endpoint/index.js';
import { parseAgentConfig } from '../../src/agent/config.js';
import { startAgentService, type AgentService } from '../../src/agent/service.js';
import { getOrCreateEndpointSecret } from '../../src/agent/endpoint/secret.js';
import { MetricsWindowSchema, type MetricsWindow, type Release } from '../../src/common/wire.js';
import { publishRelease, releaseOf, T } from './agent-harness.js';
import { collectUpstream, openServiceWorld, publishBaselines, screenPng, serviceConfig, skipWithoutBaselines, type ServiceWorld } from './service-helpers.js';

const AGENT = 'svc-profile-1';

test('agent service: the profile thresholds drive detect (the bot explicit minScore wins); metrics carry the profile', { timeout: 300_000, skip: skipWithoutBaselines }, async () => {
  let world: ServiceWorld | undefined;
  let svc: AgentService | undefined;
  let client: BotClient | undefined;
  try {
    world = await openServiceWorld(AGENT);
    const { fleet, ws, admin } = world;
    const metrics: MetricsWindow[] = await collectUpstream(admin, T.agentMetrics(AGENT), (j) => MetricsWindowSchema.parse(j));
    const { stable } = await publishBaselines(admin, fleet);
    const release: Release = {
      ...releaseOf({ seq: 1, roles: { detector: { stable: stable.detector.modelId }, classifier: { stable: stable.classifier.modelId } } }),
      profiles: { healthcare: { detector: { minScore: 0.9 }, classifier: { minScore: 0.85 } } },
    };
    await publishRelease(admin, release, fleet.releaseKeys);
    const socketPath = join(ws.dir, 'endpoint.sock');
    const config = parseAgentConfig(serviceConfig(ws, world.broker, { profile: 'healthcare', timeouts: { manifestMs: 20_000 }, endpoint: { path: socketPath } }));
    svc = await startAgentService({ config, secretStore: ws.secretStore, capturer: null, host: { warmupRuns: 1 } });
    await svc.agent.waitFor((s) => s.roles.detector?.state === 'committed' && s.roles.classifier?.state === 'committed', { timeoutMs: 240_000 });
    client = await connect({ path: socketPath, secret: await getOrCreateEndpointSecret(ws.secretStore), clientName: 'profile-test' });
    const png = screenPng().toString('base64');
    const st = await client.call('status');
    assert.deepEqual(st.agent.profile, { name: 'healthcare', applied: 'healthcare', settings: release.profiles!.healthcare });
    // no minScore from the bot: the profile's 0.9 (detector) and 0.85 (classifier) apply
    const strict = await client.call('detect', { source: { kind: 'png', png } });
    // the bot's own minScore wins over the profile's detector threshold
    const loose = await client.call('detect', { source: { kind: 'png', png }, minScore: 0.05 });
    console.log(`profile healthcare: ${strict.elements.length} elements at the profile threshold, ${loose.elements.length} at the bot's minScore 0.05`);
    assert.ok(strict.elements.every((e) => e.score >= 0.9), 'every element at or above the profile detector threshold');
    assert.ok(loose.elements.some((e) => e.score < 0.9), 'the bot explicit minScore lets lower scores through');
    assert.ok(loose.elements.length > strict.elements.length);
    // a threshold inside the scores seen: seq 2 sets it for the profile; a detect that names none returns
    // exactly the elements at or above it (the same picture, the same models)
    const scores = loose.elements.map((e) => e.score).sort((a, b) => a - b);
    const mid = Math.round(scores[Math.floor(scores.length / 2)]! * 1000) / 1000;
    const r2: Release = { ...releaseOf({ seq: 2, roles: release.roles }), profiles: { healthcare: { detector: { minScore: mid }, classifier: { minScore: 0.85 } } } };
    await publishRelease(admin, r2, fleet.releaseKeys);
    await svc.agent.waitFor((s) => s.releaseSeq === 2 && s.profile?.settings.detector?.minScore === mid, { timeoutMs: 20_000 });
    const atMid = await client.call('detect', { source: { kind: 'png', png } });
    const expected = loose.elements.filter((e) => e.score >= mid).length;
    console.log(`profile healthcare at detector.minScore ${mid}: ${atMid.elements.length} elements (expected ${expected})`);
    assert.ok(expected > 0 && expected < loose.elements.length);
    assert.equal(atMid.elements.length, expected, 'the profile threshold is the one the pipeline used');
    assert.ok(atMid.elements.every((e) => e.score >= mid));
    for (const r of [strict, loose]) assert.ok(r.elements.every((e) => e.typeScore === undefined || e.typeScore >= 0.85), 'the classifier floor holds');
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !metrics.some((w) => (w.roles.detector?.count ?? 0) > 0)) await new Promise((r) => setTimeout(r, 100));
    const w = metrics.find((x) => (x.roles.detector?.count ?? 0) > 0);
    assert.equal(w?.profile, 'healthcare', 'the metrics window names the applied profile');
  } finally {
    client?.close();
    await svc?.close();
    await world?.close();
  }
});
