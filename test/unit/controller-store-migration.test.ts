/**
 * A fleet.db written before issue 16 (windows keyed by (agent, seq)) opens with its windows kept under
 * the epoch "" (what an agent without epoch sends), and new windows of other epochs are stored beside them;
 * and the stored labels as `agents show` prints them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import type { MetricsWindow } from '../../src/common/wire.js';

const M = 'c'.repeat(64);
const win = (seq: number, epoch?: string): MetricsWindow => ({
  agentId: 'a1', seq, ...(epoch ? { epoch } : {}), windowStart: new Date(0).toISOString(), windowEnd: new Date(1000).toISOString(), channel: 'prod',
  roles: { detector: { modelId: M, count: 10, errors: 1, latency: { boundsMs: [10], counts: [10, 0], p50: 1, p95: 2, p99: 3 }, confidenceHistogram: [0, 0, 0, 0, 0, 0, 0, 0, 0, 10] } },
});

test('store: a pre-epoch fleet.db is migrated in place; (agent, epoch, seq) keys the windows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-store-mig-'));
  const file = join(dir, 'fleet.db');
  try {
    const old = new Database(file);
    old.exec(`CREATE TABLE agents (agent_id TEXT PRIMARY KEY, online INTEGER NOT NULL, channel TEXT, status_json TEXT NOT NULL, last_seen INTEGER NOT NULL);
      CREATE TABLE windows (agent_id TEXT NOT NULL, seq INTEGER NOT NULL, received INTEGER NOT NULL, channel TEXT, json TEXT NOT NULL, PRIMARY KEY (agent_id, seq));
      CREATE TABLE role_windows (agent_id TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL, model_id TEXT, rollout_id TEXT, cohort TEXT, provider TEXT,
        count INTEGER NOT NULL, errors INTEGER NOT NULL, latency_json TEXT NOT NULL, shadow_model TEXT, shadow_json TEXT, received INTEGER NOT NULL, PRIMARY KEY (agent_id, seq, role));
      CREATE TABLE events (agent_id TEXT NOT NULL, seq INTEGER NOT NULL, ts TEXT NOT NULL, type TEXT NOT NULL, role TEXT, model_id TEXT, received INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (agent_id, seq));`);
    old.prepare('INSERT INTO events VALUES (?, 0, ?, ?, NULL, NULL, 5, ?)').run('a1', new Date(0).toISOString(), 'activated', JSON.stringify({ agentId: 'a1', seq: 0, ts: new Date(0).toISOString(), type: 'activated' }));
    old.prepare('INSERT INTO agents VALUES (?, 1, ?, ?, 5)').run('a1', 'prod', JSON.stringify({ agentId: 'a1', online: true, ts: new Date(0).toISOString(), agentVersion: '0.1.0', channel: 'prod', roles: {} }));
    old.prepare('INSERT INTO windows VALUES (?, ?, ?, ?, ?)').run('a1', 0, 5, 'prod', JSON.stringify(win(0)));
    old.prepare('INSERT INTO role_windows VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, NULL, NULL, ?)').run('a1', 0, 'detector', M, 'stable', 'cpu', 10, 1, JSON.stringify({ boundsMs: [10], counts: [10, 0], p95: 2 }), 5);
    old.close();

    const store = new ControllerStore(file);
    assert.deepEqual(store.windowKeys('a1'), [{ epoch: '', seq: 0 }]);
    assert.deepEqual(store.roleRows('detector', M, 0).map((r) => [r.agentId, r.channel, r.count]), [['a1', 'prod', 10]], 'role rows kept, with their channel');
    assert.equal(store.putWindow(win(0), 6), false, 'the same legacy window again is a duplicate');
    assert.equal(store.putWindow(win(0, 'e2'), 6), true, 'seq 0 of a new epoch is new');
    assert.equal(store.putWindow(win(0, 'e2'), 7), false);
    assert.equal(store.agents()[0]!.channel, 'prod');
    assert.deepEqual(store.eventKeys('a1'), [{ epoch: '', seq: 0 }], 'events kept under epoch ""');
    const ev = { agentId: 'a1', ts: new Date(0).toISOString(), seq: 0, type: 'activated' as const };
    assert.equal(store.putEvent(ev, 6), false);
    assert.equal(store.putEvent({ ...ev, epoch: 'e2' }, 6), true);
    // an offline will without channel or labels keeps what the agent last reported
    store.putStatus({ agentId: 'a1', online: true, ts: new Date(0).toISOString(), agentVersion: '0.2.0', channel: 'prod', labels: { site: 'berlin' }, roles: {} }, 8);
    store.putStatus({ agentId: 'a1', online: false, ts: new Date(0).toISOString(), agentVersion: '0.2.0', roles: {} }, 9);
    assert.deepEqual([store.agents()[0]!.online, store.agents()[0]!.channel, store.agents()[0]!.labels], [false, 'prod', { site: 'berlin' }]);
    store.close();
    new ControllerStore(file).close(); // opening again is a no-op
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('agents show prints the labels an agent reported (what selectors match)', async () => {
  const { commands } = await import('../../src/cli/fleet/agents.js');
  const dir = mkdtempSync(join(tmpdir(), 'rpa-agents-show-'));
  const file = join(dir, 'fleet.db');
  try {
    const store = new ControllerStore(file);
    store.putStatus({ agentId: 'ws-1', online: true, ts: new Date(0).toISOString(), agentVersion: '0.2.0', channel: 'prod', labels: { site: 'berlin', dept: 'hr' }, roles: {} }, 1);
    store.close();
    const show = commands.find((c) => c.name === 'agents show')!;
    const parsed = show.parse(['ws-1', '--db', file]);
    assert.equal(parsed.kind, 'ok');
    const out: string[] = [];
    const code = await show.run((parsed as { value: unknown }).value, { out: (l: string) => out.push(l), err: () => {}, isTTY: false, env: {} });
    assert.equal(code, 0);
    assert.ok(out.includes('  labels site=berlin,dept=hr'), out.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
