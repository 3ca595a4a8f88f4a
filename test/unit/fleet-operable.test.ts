/**
 * Issue 16 §5 "Operable", pure parts and real SQLite: the wave clock's paused time, controller
 * attachment from heartbeats, /health's verdicts, readable rollout history, status grouped by channel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pausedMs, waveElapsedMs } from '../../src/fleet/controller/wave-clock.js';
import { attachmentOf, ControllerHeartbeats, describeDetached, type Heartbeat } from '../../src/fleet/controller/heartbeat.js';
import { controllerHealth, healthStatusCode, type HealthSource } from '../../src/fleet/controller/health.js';
import { ControllerStore, type LogRow } from '../../src/fleet/controller/store.js';
import { DEFAULT_SPEC } from '../../src/fleet/controller/judge.js';
import { controlRollout, startRollout } from '../../src/fleet/controller/controller.js';
import { describeLog, describeRollout, historyOf, rolloutContext } from '../../src/cli/fleet/rollout.js';
import { fleetSnapshot, modelLabels, renderSnapshot } from '../../src/cli/fleet/status.js';
import type { AgentStatus, MetricsWindow } from '../../src/common/wire.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

function withStore(fn: (s: ControllerStore) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-fleet-operable-'));
  const s = new ControllerStore(join(dir, 'fleet.db'));
  try {
    fn(s);
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('wave clock: paused spans inside the phase are not counted; an open pause runs to now', () => {
  assert.equal(pausedMs([], 1000, 5000), 0);
  assert.equal(pausedMs([{ ts: 2000, kind: 'pause' }, { ts: 3000, kind: 'resume' }], 1000, 5000), 1000);
  assert.equal(pausedMs([{ ts: 2000, kind: 'pause' }], 1000, 5000), 3000, 'still paused');
  assert.equal(pausedMs([{ ts: 2000, kind: 'pause' }, { ts: 2500, kind: 'pause' }, { ts: 3000, kind: 'resume' }, { ts: 3500, kind: 'resume' }], 1000, 5000), 1000, 'repeated marks count once');
  assert.equal(pausedMs([{ ts: 500, kind: 'pause' }, { ts: 1500, kind: 'resume' }], 1000, 5000), 500, 'clamped to the phase start');
});

test('wave clock: from the rollout log the CLI writes (real SQLite)', () => {
  withStore((s) => {
    s.putRelease({ schemaVersion: 1, channel: 'prod', seq: 1, issued: new Date(0).toISOString(), expires: new Date(1e13).toISOString(), roles: { detector: { stable: B } } }, 0);
    const id = startRollout(s, { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate: A }, 0);
    s.transition(id, ['pending'], { state: 'running', phase: 0, phaseStartedAt: 10_000 }, 10_000);
    controlRollout(s, id, 'pause', 20_000);
    assert.equal(waveElapsedMs(s.db, id, 10_000, 120_000), 10_000, 'paused since 20 s: the clock stands at 10 s');
    controlRollout(s, id, 'resume', 120_000);
    assert.equal(waveElapsedMs(s.db, id, 10_000, 125_000), 15_000);
  });
});

test('controller attachment: attached while heartbeats are fresh; says since when it is gone', () => {
  const h: Heartbeat = { instanceId: 'ctl-1', host: 'ops1', pid: 42, startedAt: 0, beatAt: Date.parse('2026-12-06T11:00:00Z'), tickMs: 1000 };
  assert.equal(attachmentOf(undefined, 0).kind, 'never');
  assert.equal(attachmentOf(h, h.beatAt + 9_000).kind, 'attached');
  assert.equal(attachmentOf(h, h.beatAt + 11_000).kind, 'detached');
  assert.equal(attachmentOf({ ...h, tickMs: 5000 }, h.beatAt + 20_000).kind, 'attached', 'five ticks of a slow controller');
  assert.match(describeDetached(attachmentOf(h, h.beatAt + 60_000), '/srv/fleet.db')!, /^no controller attached since 2026-12-06 11:00:00Z \(last: ctl-1 on ops1, pid 42\).*rpa-fleet controller --db \/srv\/fleet\.db/);
  assert.match(describeDetached({ kind: 'never' })!, /no controller has ever run/);
  assert.equal(describeDetached(attachmentOf(h, h.beatAt)), undefined);
});

test('rollout status: a pending rollout with no controller says so; with one beating, it does not', () => {
  withStore((s) => {
    s.putRelease({ schemaVersion: 1, channel: 'prod', seq: 1, issued: new Date(0).toISOString(), expires: new Date(1e13).toISOString(), roles: { detector: { stable: B } } }, 0);
    const now = Date.now();
    const id = startRollout(s, { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate: A }, now);
    const r = s.rollout(id)!;
    assert.match(describeRollout(r, rolloutContext(s, 'f.db', now)), /PENDING[\s\S]*no controller has ever run on this database/);
    new ControllerHeartbeats(s.db).beat({ instanceId: 'ctl-x', host: 'h', pid: 1, startedAt: now - 60_000, beatAt: now - 120_000, tickMs: 1000 });
    assert.match(describeRollout(r, rolloutContext(s, 'f.db', now)), /no controller attached since/);
    new ControllerHeartbeats(s.db).beat({ instanceId: 'ctl-x', host: 'h', pid: 1, startedAt: now - 60_000, beatAt: now - 500, tickMs: 1000 });
    assert.doesNotMatch(describeRollout(r, rolloutContext(s, 'f.db', now)), /no controller/);
    assert.match(describeRollout(r), /created \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/, 'history has dates');
  });
});

test('/health: live while ticking, ready only with the broker connected and the store writable', () => {
  const base: HealthSource = { instanceId: 'ctl-1', startedAt: 0, tickMs: 1000, lastTickAt: 50_000, brokerConnected: true, closed: false, beat: () => undefined };
  const ok = controllerHealth(base, 51_000);
  assert.deepEqual([ok.status, ok.live, ok.ready, healthStatusCode(ok, 'all')], ['ok', true, true, 200]);
  const noBroker = controllerHealth({ ...base, brokerConnected: false }, 51_000);
  assert.deepEqual([noBroker.live, noBroker.ready, healthStatusCode(noBroker, 'all'), healthStatusCode(noBroker, 'live')], [true, false, 503, 200]);
  const readOnly = controllerHealth({ ...base, beat: () => { throw new Error('attempt to write a readonly database'); } }, 51_000);
  assert.equal(readOnly.ready, false);
  assert.match(readOnly.checks.store.detail, /not writable: attempt to write a readonly database/);
  const stuck = controllerHealth(base, 80_000);
  assert.deepEqual([stuck.live, healthStatusCode(stuck, 'live')], [false, 503]);
});

test('rollout history: readable lines with dates for every kind, never raw JSON', () => {
  const row = (kind: string, data: Record<string, unknown>, id = 1): LogRow => ({ id, rolloutId: 'ro-1', ts: Date.parse('2026-12-06T11:00:00Z'), kind, data });
  const spec = { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate: A, stable: B };
  const verdict = { kind: 'pass', reasons: ['canary ok'], summary: {} };
  const lines = [
    row('created', { spec }),
    row('phase_started', { phase: 0, shadow: false, percent: 5, releaseSeq: 3 }),
    row('progress', { verdict: 'wait', reasons: ['wave has run 10 s of 60 s'] }),
    row('awaiting_approval', { phase: 0, verdict }),
    row('approve', {}),
    row('pause', {}),
    row('resume', {}),
    row('phase_passed', { phase: 0, verdict }),
    row('completed', { releaseSeq: 5, verdict }),
    row('error', { error: { code: 'broker_unreachable', message: 'offline' } }),
    row('some_future_kind', { n: 3, nested: { a: 1 } }),
  ].map(describeLog);
  for (const l of lines) {
    assert.match(l, /^2026-12-06 11:00:00Z /, l);
    assert.doesNotMatch(l, /[{}"]/, `no JSON: ${l}`);
  }
  assert.match(lines[0]!, /created: prod\/detector bbbbbbbbbbbb… → aaaaaaaaaaaa…, waves 1,5,25,50,100/);
  assert.match(lines[5]!, /paused \(wave clock stopped\)/);
  const log = Array.from({ length: 10 }, (_, i) => row(i % 2 ? 'progress' : 'phase_started', {}, i));
  assert.deepEqual(historyOf(log, 2).map((l) => l.id), [0, 2, 4, 6, 7, 8, 9]);
});

test('status: agents, versions and cohorts grouped by channel (real SQLite)', () => {
  withStore((s) => {
    const now = Date.now();
    const status = (agentId: string, channel: string | undefined, online: boolean, modelId: string): AgentStatus => ({
      agentId, online, ts: new Date(now).toISOString(), agentVersion: '0.1.0', ...(channel ? { channel } : {}),
      roles: { detector: { state: 'committed', modelId, name: 'ui-detector', version: modelId === A ? '1.1.0' : '1.0.0', provider: 'cpu', cohort: 'stable' } },
    });
    s.putStatus(status('p1', 'prod', true, B), now);
    s.putStatus(status('p2', 'prod', false, B), now);
    s.putStatus(status('s1', 'staging', true, A), now);
    const win = (agentId: string, modelId: string, errors: number): MetricsWindow => ({
      agentId, seq: 1, windowStart: new Date(now - 1000).toISOString(), windowEnd: new Date(now).toISOString(),
      roles: { detector: { modelId, count: 100, errors, cohort: 'stable', provider: 'cpu', latency: { boundsMs: [10, 100], counts: [100, 0, 0], p50: 5, p95: 9, p99: 9 }, confidenceHistogram: Array(10).fill(0) } },
    });
    s.putWindow(win('p1', B, 0), now);
    s.putWindow(win('s1', A, 5), now);
    const snap = fleetSnapshot(s, now, 60_000);
    assert.deepEqual(snap.agents.channels, [{ channel: 'prod', total: 2, online: 1 }, { channel: 'staging', total: 1, online: 1 }]);
    assert.deepEqual(snap.cohorts.map((c) => [c.channel, c.errorRate]), [['prod', 0], ['staging', 0.05]]);
    const text = renderSnapshot(snap, [], undefined, modelLabels(s));
    assert.match(text, /ui-detector@1\.1\.0/, 'models by name@version, not hex');
    assert.doesNotMatch(text, /aaaaaaaaaaaa|bbbbbbbbbbbb/);
    const prodAt = text.indexOf('channel prod: 1 online of 2');
    const stagingAt = text.indexOf('channel staging: 1 online of 1');
    assert.ok(prodAt >= 0 && stagingAt > prodAt, text);
    assert.match(text.slice(stagingAt), /5\.00 %/, 'staging errors shown under staging');
    assert.doesNotMatch(text.slice(prodAt, stagingAt), /5\.00 %/);
  });
});
