/**
 * The fleet overview's counts maintained at ingest by SQLite triggers (issue 19 §4) stay equal to a
 * recount from the statuses through a long random sequence of status changes on a real SQLite file:
 * agents coming online, going offline (a last will without channel or labels: the last known ones
 * are kept), changing channel, models, providers, cohorts, agent versions and labels, rows deleted,
 * and a second connection writing (another process sharing the file). Also checked against a model
 * of the fleet kept in plain JS, so the two SQL computations cannot agree on a wrong answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentStatus } from '../../src/common/wire.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { maintainedCounts, recountedCounts } from '../../src/fleet/web/overview-counts.js';
import { FleetOverviewQueries } from '../../src/fleet/web/overview.js';

const MODELS = ['a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)];
const CHANNELS = ['prod', 'staging', 'canary-lab'];

interface Known {
  online: boolean;
  channel: string | undefined;
  labels: Record<string, string> | undefined;
  status: AgentStatus;
}

/** The overview's headline numbers computed in JS from what the test wrote (COALESCE semantics of putStatus). */
function expected(fleet: Map<string, Known>) {
  const channels = new Map<string, { agents: number; online: number }>();
  const agentVersions = new Map<string, number>();
  const labels = new Map<string, number>();
  const versions = new Map<string, number>();
  for (const a of fleet.values()) {
    const ch = a.channel ?? '(none)';
    const c = channels.get(ch) ?? { agents: 0, online: 0 };
    c.agents++;
    if (a.online) c.online++;
    channels.set(ch, c);
    agentVersions.set(a.status.agentVersion, (agentVersions.get(a.status.agentVersion) ?? 0) + 1);
    for (const [k, v] of Object.entries(a.labels ?? {})) labels.set(`${k}=${v}`, (labels.get(`${k}=${v}`) ?? 0) + 1);
    if (!a.online) continue;
    for (const [role, rs] of Object.entries(a.status.roles)) {
      if (!rs?.modelId) continue;
      const k = `${ch}|${role}|${rs.modelId}|${rs.cohort ?? 'stable'}|${rs.version ?? ''}`;
      versions.set(k, (versions.get(k) ?? 0) + 1);
    }
  }
  return { channels, agentVersions, labels, versions };
}

test('maintained overview counts equal a recount after every one of 400 random status changes (offline, channel moves, models, labels, deletes, a second writer)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-overview-counts-'));
  const path = join(dir, 'fleet.db');
  const store = new ControllerStore(path);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const fleet = new Map<string, Known>();
  let tick = 0;
  const write = (s: ControllerStore, st: AgentStatus) => {
    s.putStatus(st, ++tick);
    const prev = fleet.get(st.agentId);
    fleet.set(st.agentId, { online: st.online, channel: st.channel ?? prev?.channel, labels: st.labels ?? prev?.labels, status: st });
  };
  const randomStatus = (agentId: string): AgentStatus => {
    const online = rand() < 0.8;
    const roles: AgentStatus['roles'] = {};
    for (const role of ['detector', 'classifier', 'similarity'] as const) {
      if (rand() < 0.3) continue;
      const cohort = rand() < 0.3 ? 'candidate' : 'stable';
      roles[role] = rand() < 0.1 ? { state: 'fetching' } : { state: 'active', modelId: pick(MODELS), name: role, version: pick(['1.0.0', '1.1.0']), provider: pick(['cpu', 'dml', 'cuda']), cohort };
    }
    // a last will (offline) usually carries neither channel nor labels: the store keeps the last ones
    const lastWill = !online && rand() < 0.7;
    return {
      agentId, online, ts: new Date(1_700_000_000_000 + tick * 1000).toISOString(), agentVersion: pick(['0.9.3', '1.0.0', '1.1.0']),
      ...(lastWill || rand() < 0.05 ? {} : { channel: pick(CHANNELS) }),
      ...(lastWill || rand() < 0.1 ? {} : { labels: rand() < 0.5 ? { site: pick(['berlin', 'paris']), dept: pick(['ops', 'hr']) } : { site: pick(['berlin', 'rome']) } }),
      roles,
    };
  };
  try {
    // agents stored BEFORE the counts exist: the install fills them from the statuses
    for (let i = 0; i < 10; i++) write(store, randomStatus(`ag-${i}`));
    const q = new FleetOverviewQueries(store.db);
    const other = new ControllerStore(path); // another connection to the same file, as another process
    try {
      const check = (step: string) => {
        assert.deepEqual(maintainedCounts(store.db), recountedCounts(store.db), `counts after ${step}`);
        const o = q.overview(1);
        assert.deepEqual(o, q.recount(1), `overview after ${step}`);
        const e = expected(fleet);
        assert.deepEqual(o.agents, { total: fleet.size, online: [...fleet.values()].filter((a) => a.online).length, offline: [...fleet.values()].filter((a) => !a.online).length }, step);
        assert.deepEqual(new Map(o.channels.filter((c) => c.agents > 0).map((c) => [c.channel, { agents: c.agents, online: c.online }])), e.channels, `channels after ${step}`);
        assert.deepEqual(new Map(o.agentVersions.map((v) => [v.version, v.agents])), e.agentVersions, `agent versions after ${step}`);
        assert.deepEqual(new Map(o.labels.map((l) => [`${l.key}=${l.value}`, l.agents])), e.labels, `labels after ${step}`);
        assert.deepEqual(new Map(o.versions.map((v) => [`${v.channel}|${v.role}|${v.modelId}|${v.cohort}|${v.version ?? ''}`, v.agents])), e.versions, `versions after ${step}`);
      };
      check('install');
      let offline = 0;
      let moved = 0;
      for (let step = 0; step < 400; step++) {
        const id = `ag-${Math.floor(rand() * 25)}`;
        const r = rand();
        if (r < 0.04 && fleet.has(id)) {
          store.db.prepare('DELETE FROM agents WHERE agent_id = ?').run(id);
          fleet.delete(id);
        } else if (r < 0.08) {
          store.putWindow({ agentId: id, epoch: 'e', seq: step, windowStart: new Date(0).toISOString(), windowEnd: new Date(1).toISOString(), roles: {} }, ++tick); // touches last_seen only
        } else {
          const before = fleet.get(id);
          const st = randomStatus(id);
          write(rand() < 0.3 ? other : store, st);
          if (before?.online && !st.online) offline++;
          if (before && st.channel && before.channel !== st.channel) moved++;
        }
        check(`step ${step}`);
      }
      assert.ok(offline >= 20 && moved >= 20, `the sequence exercised going offline (${offline}) and changing channel (${moved})`);
      // the counts hold no row for what no agent has any more
      assert.ok(maintainedCounts(store.db).every((c) => c.agents > 0));
    } finally {
      other.close();
    }
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
