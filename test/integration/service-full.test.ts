/**
 * The whole agent service (src/agent/service.ts) end to end, in process, with real parts: in-process aedes,
 * the fleet library signing and publishing the REAL baseline models (assets/models), the agent verifying
 * and activating them in the InferenceHost (worker threads, onnxruntime), the bot endpoint over a Unix
 * socket with the real client and the credential-store secret, telemetry windows through the SQLite outbox,
 * feedback upstream, and the candidate guard rolling a slow candidate back to stable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect, type BotClient } from '../../src/agent/endpoint/index.js';
import { parseAgentConfig } from '../../src/agent/config.js';
import { startAgentService, type AgentService } from '../../src/agent/service.js';
import { readAgentLock, requestRollback } from '../../src/agent/local-admin.js';
import { getOrCreateEndpointSecret } from '../../src/agent/endpoint/secret.js';
import { FeedbackSchema, MetricsWindowSchema, ROLES, type AgentEvent, type MetricsWindow } from '../../src/common/wire.js';
import { publishRelease, releaseOf, T } from './agent-harness.js';
import { baselineBytes, buildBaseline, collectUpstream, iou, openServiceWorld, publishBuilt, publishStableRelease, screenPng, screenTruth, serviceConfig, skipWithoutBaselines, variantBytes, type ServiceWorld } from './service-helpers.js';


const AGENT = 'svc-agent-1';

test(
  'agent service: real baseline models → all roles active in the host; detect via the bot endpoint; metrics + feedback upstream; slow candidate rolled back by the guard; manual rollback via the control dir',
  { timeout: 420_000, skip: skipWithoutBaselines },
  async () => {
    let world: ServiceWorld | undefined;
    let svc: AgentService | undefined;
    let client: BotClient | undefined;
    try {
      world = await openServiceWorld(AGENT);
      const { fleet, ws, admin } = world;
      const metrics: MetricsWindow[] = await collectUpstream(admin, T.agentMetrics(AGENT), (j) => MetricsWindowSchema.parse(j));
      const feedback: unknown[] = await collectUpstream(admin, T.agentFeedback(AGENT), (j) => FeedbackSchema.parse(j));
      const upstreamEvents: AgentEvent[] = await collectUpstream(admin, T.agentEvents(AGENT), (j) => j as AgentEvent);

      // Fleet side: the baseline models signed and published, release 1 names them stable.
      const { stable, roles } = await publishStableRelease(admin, fleet);

      const socketPath = join(ws.dir, 'endpoint.sock');
      const config = parseAgentConfig(serviceConfig(ws, world.broker, { timeouts: { manifestMs: 20_000 }, endpoint: { path: socketPath } }));
      svc = await startAgentService({ config, secretStore: ws.secretStore, capturer: null, host: { warmupRuns: 2 }, guardCheckMs: 200, controlPollMs: 100 });
      const { agent } = svc;

      // 1. all three roles active, served by the InferenceHost
      const ready = await agent.waitFor((s) => ROLES.every((r) => s.roles[r]?.state === 'committed' && s.roles[r]?.modelId === stable[r].modelId), { timeoutMs: 240_000 });
      const hostRoles = svc.host.status().roles;
      for (const role of ROLES) {
        assert.equal(hostRoles[role]?.modelId, stable[role].modelId, `${role} is the host's live model`);
        assert.equal(ready.roles[role]?.provider, 'cpu');
      }
      assert.equal(svc.snapshot().endpoint.listening, true);
      assert.equal(readAgentLock(config.dataDir)?.pid, process.pid, 'the lock file names the running agent');

      // 2. detect through the bot endpoint (real client, secret from the credential store)
      const secret = await getOrCreateEndpointSecret(ws.secretStore);
      client = await connect({ path: socketPath, secret, clientName: 'service-test' });
      const models = await client.call('models.list');
      assert.deepEqual(models.models.map((m) => m.role).sort(), [...ROLES].sort());
      assert.ok(models.models.find((m) => m.role === 'classifier')?.labels?.includes('checkbox_checked'));
      const png = screenPng();
      const truth = screenTruth();
      const det = await client.call('detect', { source: { kind: 'png', png: png.toString('base64') } });
      assert.deepEqual(det.frame, { x: 0, y: 0, width: truth.width, height: truth.height }, 'frame in screen pixels');
      assert.ok(det.elements.length > 0, 'elements found');
      for (const e of det.elements) {
        assert.ok(e.box[0] >= 0 && e.box[1] >= 0 && e.box[2] <= truth.width + 0.5 && e.box[3] <= truth.height + 0.5, `box ${e.box} inside the screen`);
      }
      let matched = 0;
      let typeRight = 0;
      for (const gt of truth.elements) {
        const best = det.elements.map((e) => ({ e, iou: iou(e.box, gt.box) })).sort((a, b) => b.iou - a.iou)[0];
        if (best && best.iou >= 0.5) {
          matched++;
          if (best.e.type === gt.type) typeRight++;
        }
      }
      const recall = matched / truth.elements.length;
      const typeAcc = matched ? typeRight / matched : 0;
      console.log(`detect via endpoint: ${det.elements.length} elements, recall@0.5 ${recall.toFixed(2)} (${matched}/${truth.elements.length}), type accuracy on matches ${typeAcc.toFixed(2)}, timings ${JSON.stringify(det.timings)}`);
      assert.ok(recall >= 0.4, `recall@IoU0.5 ${recall} ≥ 0.4`);
      assert.ok(typeAcc >= 0.5, `type accuracy ${typeAcc} ≥ 0.5`);
      // the same picture again: served from the frame cache
      await client.call('detect', { source: { kind: 'png', png: png.toString('base64') } });
      assert.ok(svc.vision.stats().frameCache.hits >= 0);

      // 3. feedback upstream (FeedbackSchema on agents/{id}/feedback)
      const fb = await client.call('feedback.submit', { kind: 'wrong_type', box: det.elements[0]!.box, expectedType: 'button', detectedType: det.elements[0]!.type, note: 'service test' });
      assert.equal(fb.stored, true);

      // 4. a metrics window with counts arrives upstream
      const deadline = Date.now() + 20_000;
      // windows are 1 s here: a detect's detector run and its classifier runs may fall in two windows
      // (and the confidences, added when the whole detect returns, may fall in a later window than the run's count)
      const counted = (role: 'detector' | 'classifier') => metrics.some((w) => (w.roles[role]?.count ?? 0) > 0);
      const detectorConfidences = () => metrics.some((w) => (w.roles.detector?.confidenceHistogram ?? []).reduce((a, b) => a + b, 0) > 0);
      while (Date.now() < deadline && !(counted('detector') && counted('classifier') && detectorConfidences() && feedback.length > 0)) await new Promise((r) => setTimeout(r, 100));
      const withDetector = metrics.find((w) => (w.roles.detector?.count ?? 0) > 0);
      assert.ok(withDetector, `a metrics window with detector runs arrived (got ${metrics.length} windows)`);
      assert.equal(withDetector.roles.detector?.modelId, stable.detector.modelId);
      assert.ok(counted('classifier'), 'classifier runs counted');
      assert.ok(detectorConfidences(), 'detection confidences recorded');
      assert.ok(withDetector.process && withDetector.process.rssBytes > 0, 'process stats');
      assert.ok(metrics.some((w) => (w.frameCache?.hits ?? 0) + (w.frameCache?.misses ?? 0) > 0), 'frame-cache counts reported');
      assert.equal(feedback.length, 1);
      assert.equal((feedback[0] as { agentId: string }).agentId, AGENT);

      // 5. a candidate with a latency gate no model can meet: the guard rolls it back to stable
      const cand = await buildBaseline('detector', { bytes: variantBytes(baselineBytes('detector'), 'candidate-1'), version: '1.0.1' });
      assert.notEqual(cand.modelId, stable.detector.modelId);
      await publishBuilt(admin, cand, fleet.modelKeys);
      const tight = { maxErrorRate: 0.5, maxLatencyP95Ms: 0.001, guardWindowSec: 60, minSamples: 3 };
      const detector = { stable: stable.detector.modelId, candidate: { modelId: cand.modelId, rolloutId: 'ro-tight', percent: 100, shadow: false, gates: tight } };
      await publishRelease(admin, releaseOf({ seq: 2, roles: { ...roles, detector } }), fleet.releaseKeys);
      await agent.waitForEvent((e) => e.type === 'activated' && e.modelId === cand.modelId, { timeoutMs: 120_000 });
      assert.equal(svc.guard.phase('detector'), 'watching');
      // runs of the candidate (a new minScore each time, so the frame cache cannot answer)
      for (let i = 0; i < 5 && !agent.snapshot().recentEvents.some((e) => e.type === 'rolled_back'); i++) {
        await client.call('detect', { source: { kind: 'png', png: png.toString('base64') }, minScore: 0.3 + i / 100 }).catch(() => undefined);
      }
      const rb = await agent.waitForEvent((e) => e.type === 'rolled_back' && e.modelId === cand.modelId, { timeoutMs: 30_000 });
      assert.equal(rb.reason, 'guard_breach');
      assert.ok((rb.details?.samples as number) >= 3, 'rolled_back carries the sample count');
      assert.ok((rb.details?.latencyP95Ms as number) > 0.001, 'and the measured p95');
      assert.deepEqual(rb.details?.breached, ['max_latency_p95']);
      const back = await agent.waitFor((s) => s.roles.detector?.modelId === stable.detector.modelId && s.roles.detector.state === 'rolled_back', { timeoutMs: 60_000 });
      assert.equal(back.roles.detector?.cohort, 'stable');
      assert.equal(svc.host.status().roles.detector?.modelId, stable.detector.modelId, 'the host serves stable again');
      const after = await client.call('detect', { source: { kind: 'png', png: png.toString('base64') }, minScore: 0.4 });
      assert.ok(after.elements.length > 0, 'detection keeps working after the rollback');
      // the event went upstream too
      const t0 = Date.now();
      while (Date.now() - t0 < 10_000 && !upstreamEvents.some((e) => e.type === 'rolled_back')) await new Promise((r) => setTimeout(r, 50));
      assert.ok(upstreamEvents.some((e) => e.type === 'rolled_back' && e.reason === 'guard_breach'));

      // 6. manual rollback through the control dir (what `rpa-agent rollback` does with a running agent):
      //    a new stable classifier, then back to the previous kept version, instantly from the store.
      const cls2 = await buildBaseline('classifier', { bytes: variantBytes(baselineBytes('classifier'), 'classifier-2'), version: '1.0.2' });
      await publishBuilt(admin, cls2, fleet.modelKeys);
      await publishRelease(admin, releaseOf({ seq: 3, roles: { ...roles, classifier: { stable: cls2.modelId } } }), fleet.releaseKeys);
      await agent.waitFor((s) => s.roles.classifier?.modelId === cls2.modelId && s.roles.classifier.state === 'committed', { timeoutMs: 120_000 });
      const manual = await requestRollback(config.dataDir, 'classifier', { timeoutMs: 60_000 });
      assert.equal(manual.ok, true, JSON.stringify(manual));
      assert.equal(manual.from, cls2.modelId);
      assert.equal(manual.to, stable.classifier.modelId);
      assert.equal(svc.host.status().roles.classifier?.modelId, stable.classifier.modelId);
      const manualEv = agent.snapshot().recentEvents.find((e) => e.type === 'rolled_back' && e.role === 'classifier');
      assert.equal(manualEv?.reason, 'manual_rollback');
    } finally {
      client?.close();
      await svc?.close();
      await world?.close();
    }
  },
);
