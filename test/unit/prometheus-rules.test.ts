/**
 * The shipped alert rules (assets/prometheus, issue 16 §7): `promtool check rules` and `promtool test rules`
 * must pass (promtool from Debian's prometheus package, installed by scripts/setup.sh), every rpa_fleet_*
 * metric the rules name must be one the controller exports (so the rules cannot drift from the code), and
 * the series the rules need carry the values they are about. Real controller registry, real SQLite, real
 * in-process broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FleetController, startRollout, type ControllerTimers } from '../../src/fleet/controller/controller.js';
import { DEFAULT_SPEC } from '../../src/fleet/controller/judge.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { controllerRegistry } from '../../src/fleet/controller/prometheus.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { makeSimKeys } from '../../src/fleet/sim/index.js';
import { startAedes } from '../helpers/brokers.js';
import type { AgentStatus, MetricsWindow } from '../../src/common/wire.js';

const dir = resolve(import.meta.dirname, '..', '..', 'assets', 'prometheus');
const rules = join(dir, 'rpa-fleet-alerts.yml');
const ruleTests = join(dir, 'rpa-fleet-alerts.test.yml');

function promtool(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (r.error) assert.fail(`promtool could not run (${r.error.message}): install Debian's prometheus package (scripts/setup.sh)`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('promtool check rules: the alert rules are valid', () => {
  const r = promtool(['check', 'rules', rules]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS: \d+ rules found/);
});

test('promtool test rules: every alert fires on its case and stays quiet on the others', () => {
  const r = promtool(['test', 'rules', ruleTests]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
});

const manualTimers: ControllerTimers = { setInterval: () => 0, clearInterval: () => undefined };

async function withController(fn: (ctl: FleetController, store: ControllerStore, now: number) => Promise<void>): Promise<void> {
  const broker = await startAedes();
  const tmp = mkdtempSync(join(tmpdir(), 'rpa-prom-rules-'));
  const store = new ControllerStore(join(tmp, 'fleet.db'));
  const client = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const now = Date.now();
  const ctl = new FleetController({ client, store, releaseKeys: [makeSimKeys().releases], clock: () => now, timers: manualTimers });
  try {
    await fn(ctl, store, now);
  } finally {
    await ctl.close();
    client.end(true);
    store.close();
    await broker.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

test('every rpa_fleet_* metric the rules name is exported by the controller', async () => {
  const named = new Set(readFileSync(rules, 'utf8').match(/\brpa_fleet_[a-z0-9_]+\b/g) ?? []);
  assert.ok(named.size >= 8, `the rules name the controller's metrics (${[...named].join(', ')})`);
  await withController(async (ctl, _store, now) => {
    const exported = new Set((await controllerRegistry(ctl, () => now).getMetricsAsJSON()).map((m) => m.name));
    const missing = [...named].filter((n) => !exported.has(n));
    assert.deepEqual(missing, [], `rules name metrics the controller does not export: ${missing.join(', ')}`);
  });
});

test('the alerting series carry what the rules are about: PSI per agent, presence per channel, rollouts, broker', async () => {
  await withController(async (ctl, store, now) => {
    const A = 'a'.repeat(64);
    const B = 'b'.repeat(64);
    const status = (agentId: string, channel: string, online: boolean): AgentStatus => ({ agentId, online, ts: new Date(now).toISOString(), agentVersion: '0.1.0', channel, roles: {} });
    store.putStatus(status('p1', 'prod', true), now);
    store.putStatus(status('p2', 'prod', false), now);
    store.putStatus(status('p3', 'prod', false), now);
    const win = (agentId: string, seq: number, psi: number): MetricsWindow => ({
      agentId, seq, windowStart: new Date(now - 60_000).toISOString(), windowEnd: new Date(now).toISOString(),
      roles: { classifier: { modelId: A, count: 10, errors: 0, psi, latency: { boundsMs: [10], counts: [10, 0], p50: 1, p95: 2, p99: 2 }, confidenceHistogram: Array(10).fill(1) } },
    });
    store.putWindow(win('p1', 1, 0.1), now - 2000);
    store.putWindow(win('p1', 2, 0.4), now - 1000); // the latest window counts
    store.putEvent({ agentId: 'p1', seq: 1, ts: new Date(now).toISOString(), type: 'rolled_back', role: 'detector', reason: 'guard_breach' }, now);
    store.putRelease({ schemaVersion: 1, channel: 'prod', seq: 1, issued: new Date(0).toISOString(), expires: new Date(now + 86_400_000).toISOString(), roles: { detector: { stable: B } } }, now);
    const id = startRollout(store, { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate: A, waveMinDurationMs: 300_000 }, now);
    store.transition(id, ['pending'], { state: 'rolled_back', result: { rolledBackAt: now - 5000, verdict: { kind: 'fail', breach: 'error_rate', reasons: [], summary: {} } } }, now);

    const text = await controllerRegistry(ctl, () => now).metrics();
    const has = (re: RegExp) => assert.match(text, re);
    has(/^rpa_fleet_drift_psi\{agent="p1",channel="prod",role="classifier",model="aaaaaaaaaaaa"\} 0\.4$/m);
    has(/^rpa_fleet_channel_agents\{channel="prod",online="false"\} 2$/m);
    has(/^rpa_fleet_channel_agents\{channel="prod",online="true"\} 1$/m);
    has(/^rpa_fleet_agent_rollbacks\{channel="prod",role="detector",reason="guard_breach"\} 1$/m);
    has(new RegExp(`^rpa_fleet_rollout_ended_timestamp_seconds\\{rollout="${id}",channel="prod",role="detector",outcome="rolled_back",breach="error_rate"\\} ${(now - 5000) / 1000}$`, 'm'));
    has(/^rpa_fleet_broker_connected 1$/m);
  });
});
