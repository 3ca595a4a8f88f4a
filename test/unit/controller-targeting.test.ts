/**
 * Pure parts of the controller's targeting (issue 16 §1, §6): whose windows are a rollout's evidence,
 * and maintenance windows with an injected time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inRolloutScope, ownRows, type AgentScope } from '../../src/fleet/controller/evidence.js';
import type { RoleWindowRow } from '../../src/fleet/controller/judge.js';
import { insideMaintenanceWindow, nextMaintenanceOpening, parseMaintenanceWindow } from '../../src/fleet/controller/maintenance.js';
import { createHistogram } from '../../src/common/metrics.js';

const row = (agentId: string, over: Partial<RoleWindowRow> = {}): RoleWindowRow => ({ agentId, count: 10, errors: 0, latency: createHistogram(), ...over });

test('evidence: only windows from the rollout channel and selector count, never the same model elsewhere', () => {
  const agents = new Map<string, AgentScope>([
    ['s1', { agentId: 's1', channel: 'staging', labels: { site: 'berlin' } }],
    ['s2', { agentId: 's2', channel: 'staging', labels: { site: 'paris' } }],
    ['p1', { agentId: 'p1', channel: 'prod', labels: { site: 'berlin' } }],
    ['old', { agentId: 'old', channel: 'staging' }], // reports no labels: ignores selectors, takes the candidate by bucket
  ]);
  const rows = [row('s1', { channel: 'staging' }), row('s2', { channel: 'staging' }), row('p1', { channel: 'prod' }), row('old'), row('p1')];
  assert.deepEqual(ownRows(rows, { channel: 'staging' }, agents).map((r) => r.agentId), ['s1', 's2', 'old']);
  assert.deepEqual(ownRows(rows, { channel: 'staging', selector: 'site=berlin' }, agents).map((r) => r.agentId), ['s1', 'old']);
  assert.deepEqual(ownRows(rows, { channel: 'prod' }, agents).map((r) => r.agentId), ['p1', 'p1']);
  // canary rows naming another rollout are not this one's
  const named = [row('s1', { channel: 'staging', rolloutId: 'ro-a' }), row('s1', { channel: 'staging', rolloutId: 'ro-b' })];
  assert.deepEqual(ownRows(named, { channel: 'staging' }, agents, 'ro-a').map((r) => r.rolloutId), ['ro-a']);
  // an agent with no channel is in no channel's scope
  assert.equal(inRolloutScope({ agentId: 'x' }, { channel: 'staging' }), false);
  assert.equal(inRolloutScope(agents.get('s2')!, { channel: 'staging', selector: 'site=berlin' }), false);
});

test('maintenance windows: days, past midnight, offsets; parse errors are coded', () => {
  const w = parseMaintenanceWindow('Mon-Fri 22:00-05:00 UTC');
  const at = (iso: string) => Date.parse(iso);
  // 2026-12-07 is a Monday
  assert.equal(insideMaintenanceWindow([w], at('2026-12-07T21:59:00Z')), false);
  assert.equal(insideMaintenanceWindow([w], at('2026-12-07T22:00:00Z')), true);
  assert.equal(insideMaintenanceWindow([w], at('2026-12-08T04:59:00Z')), true, 'Monday night runs into Tuesday');
  assert.equal(insideMaintenanceWindow([w], at('2026-12-08T05:00:00Z')), false);
  assert.equal(insideMaintenanceWindow([w], at('2026-12-07T03:00:00Z')), false, 'Sunday night is not in Mon-Fri');
  assert.equal(insideMaintenanceWindow([w], at('2026-12-12T03:00:00Z')), true, 'Friday night runs into Saturday');
  assert.equal(insideMaintenanceWindow([w], at('2026-12-12T23:00:00Z')), false, 'Saturday');
  assert.equal(nextMaintenanceOpening([w], at('2026-12-12T12:00:00Z')), at('2026-12-14T22:00:00Z'), 'from Saturday noon: Monday 22:00');
  const berlin = parseMaintenanceWindow('Sat,Sun 01:00-03:00 +01:00');
  assert.equal(insideMaintenanceWindow([berlin], at('2026-12-12T00:30:00Z')), true, '01:30 at +01:00 on Saturday');
  assert.equal(insideMaintenanceWindow([berlin], at('2026-12-12T02:30:00Z')), false);
  assert.equal(insideMaintenanceWindow([], at('2026-12-12T02:30:00Z')), true, 'no windows: always');
  assert.equal(insideMaintenanceWindow([parseMaintenanceWindow('daily 00:00-24:00')], at('2026-12-12T02:30:00Z')), true);
  for (const bad of ['Mon-Fri', 'Xyz 10:00-11:00', 'Mon 25:00-26:00', 'Mon 10:00-10:00', 'Mon 10:00-11:00 CET', 'Mon 10-11']) {
    assert.throws(() => parseMaintenanceWindow(bad), (e: Error & { code?: string }) => e.code === 'bad_argument', bad);
  }
});
