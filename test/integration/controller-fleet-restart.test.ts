/**
 * Issue 16 §2 with a real controller and broker: metrics windows carry an epoch with their seq, the
 * controller deduplicates on (agent, epoch, seq), so a fleet restarted mid-rollout (its seqs start at 0
 * again) loses no window and the wave sees its agents at once; windows without an epoch (older agents)
 * are still accepted; every dropped window is counted by reason (Prometheus) and logged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRollout } from '../../src/fleet/controller/controller.js';
import { gatherEvidence, inPhaseCohort, scopeOf } from '../../src/fleet/controller/evidence.js';
import { controllerRegistry } from '../../src/fleet/controller/prometheus.js';
import { topics } from '../../src/common/topics.js';
import { rolloutIdWithCohort, spec, startWorld, waitFor } from './controller-world.js';

const FLEET = { channel: 'prod', count: 10, idPrefix: 'rs-' };

test('fleet restart mid-rollout: every window stored exactly once, the wave sees its agents at once', async () => {
  const w = await startWorld({ releases: { prod: 'stable' }, fleets: [FLEET] });
  try {
    const ids = w.fleets.get('rs-')!.agents.map((a) => a.agentId);
    const id = rolloutIdWithCohort(ids, 50, 3);
    startRollout(w.store, spec(w, { channel: 'prod', waves: [50, 100], waveMinDurationMs: 600_000, minAgents: 10 }), Date.now(), id);
    const r0 = await waitFor(() => w.store.rollout(id)!.state === 'running' && w.store.rollout(id)!, 5000, () => 'wave 1 published');
    const cohort = w.store.agents().filter((a) => inPhaseCohort(scopeOf(a), id, r0.spec, { shadow: false, percent: 50 })).map((a) => a.agentId);
    // ~30 windows per canary agent first (9 s): a controller deduplicating on (agent, seq) alone would
    // ignore the restarted agents until their seq passed 30 again, as in the issue ("0 of 2 canary agents")
    await waitFor(() => (w.ctl.flushIngest(), gatherEvidence(w.store, r0, Date.now()).canary.length >= 30 * cohort.length), 20_000, () => 'canary windows before the restart');

    // the whole simulated fleet restarts: new processes, sequence numbers from 0 again
    const before = w.fleets.get('rs-')!;
    const oldEpochs = new Set(before.agents.map((a) => a.epoch));
    await before.close();
    const restartedAt = Date.now();
    const after = await w.startFleet(FLEET, { waitStable: false });
    assert.ok(after.agents.every((a) => a.epoch && !oldEpochs.has(a.epoch)), 'a new epoch per process start');
    const seen = await waitFor(() => {
      w.ctl.flushIngest();
      const ev = gatherEvidence(w.store, { ...w.store.rollout(id)!, phaseStartedAt: restartedAt }, Date.now());
      return ev.activated === cohort.length && new Set(ev.canary.map((c) => c.agentId)).size === cohort.length ? Date.now() - restartedAt : undefined;
    }, 10_000, () => `the wave sees its ${cohort.length} agents after the restart (drops: ${JSON.stringify(w.ctl.drops.total)})`);
    assert.ok(seen < 4000, `seen after ${seen} ms`);
    console.log(`the wave saw its ${cohort.length} canary agents ${seen} ms after the fleet restarted`);
    await new Promise((r) => setTimeout(r, 600));
    await after.close();
    await waitFor(() => (w.ctl.flushIngest(), w.store.counter('windows') >= w.sent.length), 5000, () => `${w.store.counter('windows')} of ${w.sent.length} stored`);
    const storedEvents = () => ids.reduce((n, a) => n + w.store.eventKeys(a).length, 0);
    await waitFor(() => (w.ctl.flushIngest(), storedEvents() >= w.events.length), 5000, () => `${storedEvents()} of ${w.events.length} events stored`);

    // exactly once: the stored (epoch, seq) of every agent are the windows it sent, no more, no less
    const key = (e: string | undefined, s: number) => `${e ?? ''}/${s}`;
    for (const agentId of ids) {
      const sent = w.sent.filter((m) => m.agentId === agentId).map((m) => key(m.epoch, m.seq)).sort();
      const stored = w.store.windowKeys(agentId).map((k) => key(k.epoch, k.seq)).sort();
      assert.deepEqual(stored, sent, agentId);
      assert.ok(sent.some((k) => k.endsWith('/0') && !oldEpochs.has(k.split('/')[0])), `${agentId} restarted its seq`);
      // events too: the restarted agents' events (seq from 0 again) are new, not duplicates
      const sentEvents = w.events.filter((e) => e.agentId === agentId).map((e) => key(e.epoch, e.seq)).sort();
      assert.deepEqual(w.store.eventKeys(agentId).map((k) => key(k.epoch, k.seq)).sort(), sentEvents, `${agentId} events`);
    }
    assert.equal(w.store.counter('events_duplicate'), 0);
    assert.equal(w.ctl.drops.total.duplicate, 0, 'no window of a new epoch was taken for a duplicate');
  } finally {
    await w.close();
  }
});

test('windows without epoch (older agents) are accepted; drops are counted by reason, logged and exported', async () => {
  const w = await startWorld({ releases: { prod: 'stable' }, fleets: [] });
  try {
    const t = topics();
    const legacy = (seq: number, agentId = 'old-1') =>
      JSON.stringify({ agentId, seq, windowStart: new Date().toISOString(), windowEnd: new Date().toISOString(), channel: 'prod', roles: { detector: { modelId: w.stable, count: 5, errors: 0, latency: { boundsMs: [10], counts: [5, 0], p50: 1, p95: 2, p99: 3 }, confidenceHistogram: [0, 0, 0, 0, 0, 0, 0, 0, 0, 5] } } });
    await w.admin.publishAsync(t.agentMetrics('old-1'), legacy(0), { qos: 1 });
    await w.admin.publishAsync(t.agentMetrics('old-1'), legacy(1), { qos: 1 });
    await w.admin.publishAsync(t.agentMetrics('old-1'), legacy(1), { qos: 1 }); // sent twice (a lost PUBACK)
    await w.admin.publishAsync(t.agentMetrics('old-1'), '{not json', { qos: 1 });
    await w.admin.publishAsync(t.agentMetrics('old-1'), JSON.stringify({ agentId: 'old-1', seq: 'x' }), { qos: 1 });
    await w.admin.publishAsync(t.agentMetrics('old-1'), legacy(2, 'someone-else'), { qos: 1 });
    await waitFor(() => (w.ctl.flushIngest(), w.ctl.drops.total.duplicate + w.ctl.drops.total.invalid + w.ctl.drops.total.agent_mismatch === 4), 5000, () => JSON.stringify(w.ctl.drops.total));
    assert.deepEqual(w.store.windowKeys('old-1'), [{ epoch: '', seq: 0 }, { epoch: '', seq: 1 }], 'an old agent without epoch is accepted');
    assert.deepEqual(w.ctl.drops.total, { duplicate: 1, invalid: 2, agent_mismatch: 1 });
    assert.equal(w.store.counter('windows_dropped_invalid'), 2);
    const line = w.logs.find((l) => l.startsWith('dropped metrics windows'));
    assert.ok(line, w.logs.join('\n'));
    const text = await controllerRegistry(w.ctl).metrics();
    assert.match(text, /rpa_fleet_windows_dropped_total\{reason="duplicate"\} 1/);
    assert.match(text, /rpa_fleet_windows_dropped_total\{reason="invalid"\} 2/);
    assert.match(text, /rpa_fleet_windows_dropped_total\{reason="agent_mismatch"\} 1/);
  } finally {
    await w.close();
  }
});
