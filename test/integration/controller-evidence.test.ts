/**
 * Issue 16 §1 and §6 with a real controller, a real broker (aedes) and simulated agents: a rollout is
 * judged on its own channel's (and selector's) agents only, an empty channel holds, a selector targets
 * agents by their config labels, and waves advance only inside maintenance windows (injected clock).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inCandidateCohort } from '../../src/common/bucket.js';
import { startRollout } from '../../src/fleet/controller/controller.js';
import { controllerRegistry } from '../../src/fleet/controller/prometheus.js';
import type { Verdict } from '../../src/fleet/controller/judge.js';
import { rolloutIdWithCohort, spec, startWorld, waitFor } from './controller-world.js';

type Latest = { latest?: Verdict };

test('staging/prod: 40 healthy prod agents on the same model are not the staging canary — a 5 % failing staging candidate rolls back', async () => {
  // prod already runs the candidate model as its stable; on the 5 staging machines it fails 5 % of requests
  const w = await startWorld({
    releases: { prod: 'candidate', staging: 'stable' },
    fleets: [
      { channel: 'prod', count: 40, idPrefix: 'prod-' },
      { channel: 'staging', count: 5, idPrefix: 'stg-', profiles: { candidate: { errorRate: 0.05 } } },
    ],
  });
  try {
    const staging = w.fleets.get('stg-')!.agents.map((a) => a.agentId);
    const id = rolloutIdWithCohort(staging, 60, 2);
    startRollout(w.store, spec(w, { channel: 'staging', waves: [60, 100], waveMinDurationMs: 15_000, minAgents: 5 }), Date.now(), id);
    const r = await waitFor(() => { const r = w.store.rollout(id)!; return r.state !== 'running' && r.state !== 'pending' ? r : undefined; }, 40_000, () => `state ${w.store.rollout(id)?.state}: ${JSON.stringify((w.store.rollout(id)?.result as Latest | undefined)?.latest?.reasons)}`);
    assert.equal(r.state, 'rolled_back', JSON.stringify(r.result));
    const v = (r.result as { verdict: Extract<Verdict, { kind: 'fail' }> }).verdict;
    assert.equal(v.breach, 'error_rate');
    const canary = staging.filter((a) => inCandidateCohort(a, id, 60));
    assert.ok(v.summary.canary.agents <= canary.length, `only staging canary agents are evidence (${v.summary.canary.agents} agents, cohort ${canary.length})`);
    assert.equal(v.summary.channelAgents, 5);
    assert.ok(v.summary.canary.errorRate > 0.02, `the canary's own error rate (${v.summary.canary.errorRate}), not diluted by prod`);
    assert.equal(w.store.release('staging')!.roles.detector!.stable, w.stable);
    assert.equal(w.store.release('prod')!.roles.detector!.stable, w.candidate, 'prod untouched');
  } finally {
    await w.close();
  }
});

test('an empty channel holds with insufficient_evidence and never publishes past its first wave', async () => {
  const w = await startWorld({ releases: { prod: 'stable', empty: 'stable' }, fleets: [{ channel: 'prod', count: 6, idPrefix: 'p-' }] });
  try {
    const id = startRollout(w.store, spec(w, { channel: 'empty', waves: [50, 100], waveMinDurationMs: 200 }), Date.now());
    await waitFor(() => w.store.rollout(id)!.state === 'running', 5000, () => 'first wave published');
    const seq = w.store.release('empty')!.seq;
    await new Promise((r) => setTimeout(r, 2500)); // > 10 × the wave's minimum duration
    const r = w.store.rollout(id)!;
    assert.equal(r.state, 'running');
    assert.equal(r.phase, 0);
    assert.equal(w.store.release('empty')!.seq, seq, 'no further release');
    const latest = (r.result as Latest).latest!;
    assert.equal(latest.kind === 'wait' && latest.code, 'insufficient_evidence');
    assert.match(latest.reasons.join(), /no online agent on channel empty: waiting for agents/);
    const progress = w.store.logOf(id).filter((l) => l.kind === 'progress');
    assert.ok(progress.some((l) => l.data.code === 'insufficient_evidence'), 'the hold is in the rollout log');
    const text = await controllerRegistry(w.ctl).metrics();
    assert.match(text, new RegExp(`rpa_fleet_rollout_holding\\{rollout="${id}",channel="empty",role="detector",code="insufficient_evidence"\\} 1`));
  } finally {
    await w.close();
  }
});

test('selector: only agents whose labels match take the candidate, and only they are the cohort', async () => {
  const w = await startWorld({
    releases: { staging: 'stable' },
    fleets: [{ channel: 'staging', count: 8, idPrefix: 'lab-', labels: (i) => ({ site: i % 2 === 0 ? 'berlin' : 'paris', dept: i < 4 ? 'finance' : 'it' }) }],
  });
  try {
    const agents = w.fleets.get('lab-')!.agents;
    const id = startRollout(w.store, spec(w, { channel: 'staging', waves: [100], selector: 'site=berlin,dept in (finance,hr)' }), Date.now());
    const r = await waitFor(() => { const r = w.store.rollout(id)!; return r.state === 'completed' ? r : undefined; }, 20_000, () => `state ${w.store.rollout(id)?.state} ${JSON.stringify((w.store.rollout(id)?.result as Latest | undefined)?.latest?.reasons)}`);
    const targeted = agents.filter((_, i) => i % 2 === 0 && i < 4).map((a) => a.agentId); // lab-0, lab-2
    await waitFor(() => agents.every((a) => (a.activeModel('detector') === w.candidate) === targeted.includes(a.agentId)), 5000, () => 'only berlin finance runs the candidate');
    const v = (r.result as { verdict: Verdict }).verdict;
    assert.equal(v.summary.channelAgents, 2, 'the cohort is the selector within the channel');
    assert.equal(v.summary.canary.agents, 2);
    assert.equal(w.store.release('staging')!.roles.detector!.candidate!.selector, 'site=berlin,dept in (finance,hr)', 'the candidate stays targeted');
    assert.equal(w.store.release('staging')!.roles.detector!.stable, w.stable, 'the others keep the stable model');
  } finally {
    await w.close();
  }
});

test('maintenance window: the first wave and each advance wait for the window (fake clock offset, real broker)', async () => {
  // controller time = real time + shift; the window is Monday 10:00-10:30 UTC of the coming week
  const now = Date.now();
  const monday = new Date(now + 7 * 86_400_000);
  monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
  monday.setUTCHours(10, 0, 0, 0);
  let shift = monday.getTime() - now - 3_600_000; // Monday 09:00: outside
  const w = await startWorld({ releases: { prod: 'stable' }, fleets: [{ channel: 'prod', count: 8, idPrefix: 'mw-' }], clock: () => Date.now() + shift });
  try {
    const ids = w.fleets.get('mw-')!.agents.map((a) => a.agentId);
    const id = rolloutIdWithCohort(ids, 50, 2);
    startRollout(w.store, spec(w, { channel: 'prod', waves: [50, 100], windows: ['Mon 10:00-10:30 UTC'] }), Date.now(), id);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(w.store.rollout(id)!.state, 'pending', 'outside the window nothing is published');
    assert.equal(w.store.release('prod')!.roles.detector!.candidate, undefined);
    assert.match(String(w.store.logOf(id).find((l) => l.kind === 'progress')?.data.reasons), /first wave waits for a maintenance window \(Mon 10:00-10:30 UTC\), next opens/);
    shift += 3_600_000; // Monday 10:00
    await waitFor(() => w.store.rollout(id)!.state === 'running', 5000, () => 'first wave inside the window');
    shift += 3_600_000; // Monday 11:00: the wave will pass, but may not advance
    const held = await waitFor(() => { const l = (w.store.rollout(id)!.result as Latest | undefined)?.latest; return l?.kind === 'wait' && l.code === 'outside_window' ? l : undefined; }, 15_000, () => JSON.stringify(w.store.rollout(id)?.result));
    assert.match(held.reasons[0]!, /waiting for a maintenance window \(Mon 10:00-10:30 UTC\), next opens .*T10:00:00\.000Z/);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(w.store.rollout(id)!.phase, 0);
    shift += 7 * 86_400_000 - 3_600_000; // next Monday 10:00
    await waitFor(() => w.store.rollout(id)!.state === 'completed', 20_000, () => `state ${w.store.rollout(id)?.state} phase ${w.store.rollout(id)?.phase}`);
  } finally {
    await w.close();
  }
});
