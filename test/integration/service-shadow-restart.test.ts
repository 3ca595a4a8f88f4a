/**
 * The agent service's shadow mode and restart safety, with the real baseline models on aedes:
 *  - a shadow candidate is fetched over the trust path and loaded in the shadow host while the active
 *    slot stays stable; real detect requests are mirrored to it and agreement reaches the metrics window;
 *  - on restart, an active model whose stored bytes no longer match its sha256 is passed over for the
 *    previous good stored version (store_recovered), and the release re-apply fetches it afresh.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAgentConfig, type AgentConfig } from '../../src/agent/config.js';
import { startAgentService, type AgentService } from '../../src/agent/service.js';
import { MetricsWindowSchema, ROLES } from '../../src/common/wire.js';
import { publishRelease, releaseOf, T } from './agent-harness.js';
import { baselineBytes, buildBaseline, collectUpstream, openServiceWorld, publishBaselines, publishBuilt, screenPng, serviceConfig, skipWithoutBaselines, variantBytes, type ServiceWorld } from './service-helpers.js';


const AGENT = 'svc-shadow-1';

test('agent service: shadow candidate loaded beside stable, never answers, agreement in the metrics window; restart with a corrupted active blob falls back to the previous version (store_recovered)', { timeout: 420_000, skip: skipWithoutBaselines }, async () => {
  let world: ServiceWorld | undefined;
  let svc: AgentService | undefined;
  try {
    world = await openServiceWorld(AGENT);
    const { fleet, ws, admin } = world;
    const metrics = await collectUpstream(admin, T.agentMetrics(AGENT), (j) => MetricsWindowSchema.parse(j));
    const { stable, roles } = await publishBaselines(admin, fleet);
    // the shadow candidate: the same graph under another content address, so agreement must be 1
    const shadowDet = await buildBaseline('detector', { bytes: variantBytes(baselineBytes('detector'), 'shadow-1'), version: '1.0.1' });
    await publishBuilt(admin, shadowDet, fleet.modelKeys);
    const gates = { maxErrorRate: 0.01, maxLatencyP95Ms: 100, guardWindowSec: 60, minSamples: 20 };
    const detector = { stable: stable.detector.modelId, candidate: { modelId: shadowDet.modelId, rolloutId: 'ro-shadow', percent: 100, shadow: true, gates } };
    await publishRelease(admin, releaseOf({ seq: 1, roles: { ...roles, detector } }), fleet.releaseKeys);
    const config: AgentConfig = parseAgentConfig(
      serviceConfig(ws, world.broker, {
        timeouts: { manifestMs: 20_000 },
        endpoint: { enabled: false },
        telemetry: { windowSec: 1, shadowSampleRate: 1, shadowMaxCpuShare: 1 },
      }),
    );
    svc = await startAgentService({ config, secretStore: ws.secretStore, capturer: null, host: { warmupRuns: 2 } });
    const s1 = svc;
    await s1.agent.waitFor((s) => ROLES.every((r) => s.roles[r]?.state === 'committed'), { timeoutMs: 240_000 });
    const t0 = Date.now();
    while (Date.now() - t0 < 120_000 && s1.snapshot().shadow[0]?.state !== 'active') await new Promise((r) => setTimeout(r, 100));
    assert.equal(s1.snapshot().shadow[0]?.state, 'active', JSON.stringify(s1.snapshot().shadow));
    // the active slot stays stable; the shadow model is only in the shadow host
    assert.equal(s1.agent.snapshot().roles.detector?.modelId, stable.detector.modelId);
    assert.equal(s1.agent.snapshot().roles.detector?.cohort, 'stable');
    assert.equal(s1.host.status().roles.detector?.modelId, stable.detector.modelId);
    assert.ok(s1.agent.snapshot().recentEvents.some((e) => e.type === 'model_verified' && e.modelId === shadowDet.modelId && e.details?.shadow === true), 'fetched and verified over the trust path');

    const ac = new AbortController();
    for (let i = 0; i < 3; i++) {
      const r = await s1.services.detect({ source: { kind: 'png', png: screenPng(), width: 1440, height: 810 }, minScore: 0.25 + i / 100 }, { signal: ac.signal });
      assert.ok(r.elements.length > 0);
      await new Promise((r2) => setTimeout(r2, 300)); // one shadow run at a time (maxConcurrent 1)
    }
    const t1 = Date.now();
    while (Date.now() - t1 < 20_000 && !metrics.some((w) => (w.roles.detector?.shadow?.samples ?? 0) > 0)) await new Promise((r) => setTimeout(r, 100));
    const w = metrics.find((m) => (m.roles.detector?.shadow?.samples ?? 0) > 0);
    assert.ok(w, 'a window reports shadow samples');
    assert.equal(w.roles.detector!.shadow!.modelId, shadowDet.modelId);
    assert.equal(w.roles.detector!.modelId, stable.detector.modelId, 'the window is about the stable model');
    assert.ok(w.roles.detector!.shadow!.agreement > 0.99, `same graph → agreement 1 (got ${w.roles.detector!.shadow!.agreement})`);

    // restart safety: a second classifier becomes active, then its stored blob is damaged while stopped
    const cls2 = await buildBaseline('classifier', { bytes: variantBytes(baselineBytes('classifier'), 'restart-2'), version: '1.0.2' });
    await publishBuilt(admin, cls2, fleet.modelKeys);
    await publishRelease(admin, releaseOf({ seq: 2, roles: { ...roles, classifier: { stable: cls2.modelId } } }), fleet.releaseKeys);
    await s1.agent.waitFor((s) => s.roles.classifier?.modelId === cls2.modelId && s.roles.classifier.state === 'committed', { timeoutMs: 120_000 });
    await s1.close();
    svc = undefined;
    const blob = join(config.dataDir, 'blobs', cls2.modelId);
    const bytes = readFileSync(blob);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    writeFileSync(blob, bytes);

    svc = await startAgentService({ config, secretStore: ws.secretStore, capturer: null, host: { warmupRuns: 2 } });
    const rec = await svc.agent.waitForEvent((e) => e.type === 'store_recovered' && e.role === 'classifier', { timeoutMs: 60_000 });
    assert.equal(rec.modelId, stable.classifier.modelId, 'fell back to the previous good version');
    assert.equal(rec.details?.failedModelId, cls2.modelId);
    assert.equal(svc.host.status().roles.classifier?.modelId, stable.classifier.modelId, 'serving the previous version right after start');
    // the release still names cls2: it is fetched afresh and activated again
    await svc.agent.waitFor((s) => s.roles.classifier?.modelId === cls2.modelId && s.roles.classifier.state === 'committed', { timeoutMs: 120_000 });
  } finally {
    await svc?.close();
    await world?.close();
  }
});
