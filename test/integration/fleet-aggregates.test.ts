/**
 * The status view's cohorts (`GET /api/v1/fleet`, /metrics) and a rollout's evidence series, summed by
 * SQLite from the windows' latency bucket columns (issue 19 §4), equal what the straightforward code
 * computed — every window's histogram parsed and merged in JS (the code before, kept here verbatim as
 * the reference) — numbers and order, on a real SQLite file with varied data: agents without metrics,
 * metrics without a known agent, several channels, cohorts, models, providers and roles, histograms on
 * other bounds and with short counts, windows without a channel, canary windows of another rollout, a
 * targeted rollout, duplicates, agents changing channel or going offline, windows an older controller
 * wrote without the columns, a file written before the columns existed, and a reopened file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createHistogram, DEFAULT_LATENCY_BOUNDS_MS, mergeInto, type Histogram } from '../../src/common/metrics.js';
import type { AgentStatus, MetricsWindow, Role } from '../../src/common/wire.js';
import { fleetSnapshot } from '../../src/fleet/api/snapshot.js';
import { agentCohortTotals, cohortFigures } from '../../src/fleet/controller/cohort-totals.js';
import { CohortWindow } from '../../src/fleet/controller/cohort-window.js';
import { ParsedAgents } from '../../src/fleet/api/agents-cache.js';
import { ApiContext } from '../../src/fleet/api/context.js';
import { fleet } from '../../src/fleet/api/handlers-read.js';
import { recountSlotsSql, SLOTS_TABLE } from '../../src/fleet/controller/evidence-slots.js';
import { selectedBy } from '../../src/fleet/controller/evidence.js';
import { cohortStats, DEFAULT_SPEC, type RoleWindowRow } from '../../src/fleet/controller/judge.js';
import { ControllerStore, type AgentRow, type RolloutRow } from '../../src/fleet/controller/store.js';
import { EvidenceSeriesBuilder, pointOf, type SeriesBucket } from '../../src/fleet/web/evidence-series.js';
import { parseSelector } from '../../src/common/selector.js';

const STABLE = 's'.repeat(64);
const CAND = 'c'.repeat(64);
const OTHER = 'o'.repeat(64);
const NOW = 1_800_000_000_000;
const MIN = 60_000;

// ---- the reference: the code before issue 19 §4's sums, verbatim ------------------------------------

/** Per (role, cohort, model, provider) the rows of windows received since `since`, every histogram parsed (was ControllerStore.cohortRows). */
function cohortRows(store: ControllerStore, since: number): { role: string; cohort: string; modelId: string; provider: string; rows: RoleWindowRow[] }[] {
  const all = store.db
    .prepare('SELECT role, cohort, model_id, provider, agent_id, count, errors, latency_json, shadow_json FROM role_windows WHERE received >= ? ORDER BY rowid')
    .all(since) as { role: string; cohort: string | null; model_id: string | null; provider: string | null; agent_id: string; count: number; errors: number; latency_json: string; shadow_json: string | null }[];
  const groups = new Map<string, { role: string; cohort: string; modelId: string; provider: string; rows: RoleWindowRow[] }>();
  for (const r of all) {
    const key = `${r.role}|${r.cohort ?? 'stable'}|${r.model_id ?? ''}|${r.provider ?? ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { role: r.role, cohort: r.cohort ?? 'stable', modelId: r.model_id ?? '', provider: r.provider ?? '', rows: [] }));
    const l = JSON.parse(r.latency_json) as Histogram;
    const row: RoleWindowRow = { agentId: r.agent_id, count: r.count, errors: r.errors, latency: { boundsMs: l.boundsMs, counts: l.counts } };
    if (r.shadow_json) row.shadow = JSON.parse(r.shadow_json) as NonNullable<RoleWindowRow['shadow']>;
    g.rows.push(row);
  }
  return [...groups.values()];
}

function referenceCohorts(store: ControllerStore, now: number, sinceMs: number, agents: AgentRow[]) {
  const NO_CHANNEL = '(none)';
  const channelOf = new Map(agents.map((a) => [a.agentId, a.status.channel ?? NO_CHANNEL]));
  const cohorts: { channel: string; role: string; cohort: string; model: string; provider: string; agents: number; requests: number; errorRate: number; p95: number }[] = [];
  for (const g of cohortRows(store, now - sinceMs)) {
    const byChannel = new Map<string, typeof g.rows>();
    for (const row of g.rows) {
      const ch = channelOf.get(row.agentId) ?? NO_CHANNEL;
      const list = byChannel.get(ch);
      if (list) list.push(row);
      else byChannel.set(ch, [row]);
    }
    for (const [channel, rows] of byChannel) {
      const s = cohortStats(rows);
      cohorts.push({ channel, role: g.role, cohort: g.cohort, model: g.modelId, provider: g.provider, agents: s.agents, requests: s.count, errorRate: s.errorRate, p95: s.p95 });
    }
  }
  return cohorts.sort((a, b) => a.channel.localeCompare(b.channel));
}

/** The evidence intervals from `from` to `to` as the builder's first (uncached) call merged them. */
function referenceBuckets(store: ControllerStore, r: RolloutRow, first: number, to: number, bucketMs: number): SeriesBucket[] {
  const spec = r.spec;
  const reqs = spec.selector === undefined ? undefined : parseSelector(spec.selector);
  const scopes = new Map<string, { channel: string | undefined; selected: boolean }>();
  for (const a of store.db.prepare('SELECT agent_id, channel, labels_json FROM agents').all() as { agent_id: string; channel: string | null; labels_json: string | null }[]) {
    const labels = reqs && a.labels_json ? (JSON.parse(a.labels_json) as Record<string, string>) : undefined;
    scopes.set(a.agent_id, { channel: a.channel ?? undefined, selected: reqs ? selectedBy({ agentId: a.agent_id, labels }, reqs) : true });
  }
  const rows = store.db
    .prepare('SELECT agent_id, channel, rollout_id, model_id, count, errors, latency_json, received FROM role_windows WHERE role = ? AND model_id IN (?, ?) AND received >= ? AND received < ?')
    .all(spec.role, spec.candidate, spec.stable, first, to) as { agent_id: string; channel: string | null; rollout_id: string | null; model_id: string; count: number; errors: number; latency_json: string; received: number }[];
  const acc = new Map<number, { canary?: { count: number; errors: number; latency: Histogram }; stable?: { count: number; errors: number; latency: Histogram } }>();
  for (const row of rows) {
    const sc = scopes.get(row.agent_id);
    if ((row.channel ?? sc?.channel) !== spec.channel || !(sc?.selected ?? true)) continue;
    const canary = row.model_id === spec.candidate;
    if (canary && row.rollout_id && row.rollout_id !== r.id) continue;
    const t = Math.floor(row.received / bucketMs) * bucketMs;
    let slot = acc.get(t);
    if (!slot) acc.set(t, (slot = {}));
    const a = (slot[canary ? 'canary' : 'stable'] ??= { count: 0, errors: 0, latency: createHistogram() });
    a.count += row.count;
    a.errors += row.errors;
    const l = JSON.parse(row.latency_json) as Histogram;
    mergeInto(a.latency, { boundsMs: l.boundsMs, counts: l.counts });
  }
  const out: SeriesBucket[] = [];
  for (let t = first; t < to; t += bucketMs) {
    const slot = acc.get(t);
    out.push({
      t,
      canary: slot?.canary && slot.canary.count > 0 ? pointOf(slot.canary.count, slot.canary.errors, slot.canary.latency) : null,
      stable: slot?.stable && slot.stable.count > 0 ? pointOf(slot.stable.count, slot.stable.errors, slot.stable.latency) : null,
    });
  }
  return out;
}

// ---- varied data -------------------------------------------------------------------------------------

function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

function histogramOf(rand: () => number): Histogram {
  const pick = Math.floor(rand() * 5);
  const fill = (n: number) => Array.from({ length: n }, () => (rand() < 0.4 ? 0 : Math.floor(rand() * 50)));
  if (pick === 0) return { boundsMs: [10], counts: fill(2) };
  if (pick === 1) return { boundsMs: [5, 50, 500, 20_000], counts: fill(5) };
  if (pick === 2) return { boundsMs: [...DEFAULT_LATENCY_BOUNDS_MS], counts: fill(10) }; // short counts: re-bucketed by index
  return { boundsMs: [...DEFAULT_LATENCY_BOUNDS_MS], counts: fill(DEFAULT_LATENCY_BOUNDS_MS.length + 1) };
}

const oneOf = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

function statusOf(agentId: string, online: boolean, channel: string | undefined, site: string): AgentStatus {
  return {
    agentId, online, ts: new Date(NOW).toISOString(), agentVersion: '1.0.0', ...(channel ? { channel } : {}), labels: { site },
    roles: { detector: { state: 'active', modelId: STABLE, name: 'ui-detector', version: '1.0.0', provider: 'cpu', cohort: 'stable' } },
  } as AgentStatus;
}

/** Writes statuses and windows; returns the windows (to replay as duplicates). */
function seed(store: ControllerStore, rand: () => number, agentsN: number, seqBase = 0): MetricsWindow[] {
  const written: MetricsWindow[] = [];
  for (let i = 0; i < agentsN; i++) {
    const agentId = `ag-${String(i).padStart(3, '0')}`;
    const channel = oneOf(rand, ['prod', 'prod', 'staging', 'lab', undefined]);
    // every 7th agent has metrics but no status; every 9th a status but no metrics
    if (i % 7 !== 3) store.putStatus(statusOf(agentId, rand() > 0.1, channel, oneOf(rand, ['berlin', 'paris'])), NOW - 20 * MIN);
    if (i % 9 === 4) continue;
    const n = Math.floor(rand() * 8);
    for (let w = 0; w < n; w++) {
      const roles: MetricsWindow['roles'] = {};
      for (const role of ['detector', 'classifier'] as Role[]) {
        if (role === 'classifier' && rand() < 0.6) continue;
        const modelId = oneOf(rand, [STABLE, STABLE, CAND, CAND, OTHER, undefined]);
        const rolloutId = oneOf(rand, [undefined, 'ro-1', 'ro-1', 'ro-other', '']);
        const cohort = oneOf(rand, [undefined, 'stable', 'candidate', 'shadow']);
        const provider = oneOf(rand, [undefined, 'cpu', 'dml']);
        const count = Math.floor(rand() * 200);
        roles[role] = {
          ...(modelId ? { modelId } : {}), ...(rolloutId !== undefined ? { rolloutId } : {}), ...(cohort ? { cohort } : {}), ...(provider ? { provider } : {}),
          count, errors: Math.floor(rand() * Math.min(count + 1, 6)), latency: { ...histogramOf(rand), p50: 1, p95: 2, p99: 3 },
        } as NonNullable<MetricsWindow['roles']['detector']>;
      }
      const win: MetricsWindow = {
        agentId, epoch: oneOf(rand, ['', 'e2']), seq: seqBase + w, windowStart: new Date(NOW).toISOString(), windowEnd: new Date(NOW).toISOString(),
        ...(rand() < 0.8 ? { channel: rand() < 0.9 ? (channel ?? 'prod') : 'staging' } : {}), roles,
      };
      // some land in the unfinished second of the evidence evaluated at NOW - 2 min - 431 ms
      store.putWindow(win, rand() < 0.15 ? NOW - 2 * MIN - 432 - Math.floor(rand() * 400) : NOW - Math.floor(rand() * 15 * MIN));
      written.push(win);
    }
  }
  return written;
}

function rollouts(store: ControllerStore): RolloutRow[] {
  store.insertRollout('ro-1', { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate: CAND, stable: STABLE }, NOW - 12 * MIN);
  store.insertRollout('ro-sel', { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate: CAND, stable: STABLE, selector: 'site=berlin' }, NOW - 9 * MIN - 1234);
  store.insertRollout('ro-staging', { ...DEFAULT_SPEC, channel: 'staging', role: 'classifier', candidate: CAND, stable: OTHER }, NOW - 14 * MIN);
  return store.rollouts();
}

/** Compares every fast path with its reference; `label` names the moment; `win` a long-lived CohortWindow. */
function assertSame(store: ControllerStore, label: string, win?: CohortWindow): void {
  const agents = store.agents();
  // look-backs that move the window back and forth, over the clock's minutes as a server sees them
  for (const [now, sinceMs] of [[NOW, 2 * MIN], [NOW, 5 * MIN], [NOW, 30 * MIN], [NOW - 7 * MIN, 3 * MIN], [NOW - 4 * MIN - 517, 5 * MIN], [NOW, 5 * MIN]] as const) {
    const ref = referenceCohorts(store, now, sinceMs, agents);
    assert.ok(ref.length > 0, `${label}: the data gives cohorts`);
    assert.deepEqual(fleetSnapshot(store, now, sinceMs, agents).cohorts, ref, `${label}: status view cohorts over ${sinceMs / MIN} min (one query)`);
    if (win) assert.deepEqual(fleetSnapshot(store, now, sinceMs, agents, (since) => win.totals(since)).cohorts, ref, `${label}: status view cohorts over ${sinceMs / MIN} min at ${now - NOW} (kept window)`);
  }
  for (const sinceMs of [2 * MIN, 5 * MIN, 30 * MIN]) {
    // /metrics: one figure per group, not split
    const groups = cohortRows(store, NOW - sinceMs).map((g) => {
      const s = cohortStats(g.rows);
      return [g.role, g.cohort, g.modelId, g.provider, s.agents, s.count, s.errors, s.errorRate, s.p95, s.latency.counts];
    });
    const figures = cohortFigures(agentCohortTotals(store.db, NOW - sinceMs)).map((f) => [f.role, f.cohort, f.modelId, f.provider, f.agents, f.count, f.errors, f.errorRate, f.p95, f.latency.counts]);
    assert.deepEqual(figures, groups, `${label}: /metrics figures over ${sinceMs / MIN} min`);
  }
  // evidence at a whole second and inside one (the last, unfinished second is read from the windows)
  for (const [r, now] of store.rollouts().flatMap((r) => [[r, NOW], [r, NOW - 2 * MIN - 431]] as const)) {
    const s = new EvidenceSeriesBuilder(store).series(r, now);
    assert.equal(s.bucketMs % 1000, 0, 'intervals are whole seconds');
    const ref = referenceBuckets(store, r, s.from, Math.max(r.createdAt + 1, now), s.bucketMs);
    if (now === NOW) assert.ok(s.buckets.some((b) => b.canary !== null || b.stable !== null), `${label}: ${r.id} has evidence`);
    if (r.id === 'ro-1' && now === NOW) assert.ok(s.buckets.some((b) => b.canary !== null) && s.buckets.some((b) => b.stable !== null), `${label}: ro-1 has canary and stable evidence`);
    assert.deepEqual(s.buckets, ref, `${label}: evidence series of ${r.id}`);
  }
}

function withStore(fn: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-fleet-agg-'));
  try {
    fn(join(dir, 'fleet.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('cohorts and evidence summed by SQLite equal the per-window merge: varied data, duplicates, status changes, reopen', () => {
  withStore((file) => {
    const rand = rng(7);
    let store = new ControllerStore(file);
    rollouts(store);
    const win = new CohortWindow(store.db);
    const parsed = new ParsedAgents(store);
    const ctx = new ApiContext({ store, clock: () => NOW });
    const sameAgents = (label: string) => {
      assert.deepEqual(parsed.agents(), store.agents(), `${label}: agents parsed once per status = agents parsed now`);
      const noLastSeen = (rows: AgentRow[]) => rows.map(({ lastSeen: _, ...r }) => r);
      assert.deepEqual(noLastSeen(parsed.statuses()), noLastSeen(store.agents()), `${label}: statuses re-read on the revision = statuses now`);
      // the API's handler, with its kept statuses' view and kept cohort sums, against one computed now
      for (const sinceMs of [5 * MIN, 5 * MIN, 12 * MIN]) {
        const got = fleet(ctx, { sinceMs });
        assert.deepEqual({ agents: got.agents, versions: got.versions, cohorts: got.cohorts }, fleetSnapshot(store, NOW, sinceMs), `${label}: GET /api/v1/fleet`);
        assert.deepEqual(got.cohorts, referenceCohorts(store, NOW, sinceMs, store.agents()), `${label}: GET /api/v1/fleet cohorts`);
      }
    };
    const written = seed(store, rand, 60);
    assert.ok(written.length > 100, `${written.length} windows`);
    assertSame(store, 'seeded', win);
    sameAgents('seeded');

    // redelivered windows are not counted twice
    const before = fleetSnapshot(store, NOW, 30 * MIN).cohorts;
    for (const w of written.slice(0, 40)) assert.equal(store.putWindow(w, NOW - MIN), false);
    assert.deepEqual(fleetSnapshot(store, NOW, 30 * MIN).cohorts, before, 'duplicates change nothing');
    assertSame(store, 'after duplicates', win);
    sameAgents('after duplicates');

    // agents change channel, go offline with a will that names no channel, lose their labels' match
    for (let i = 0; i < 60; i += 4) {
      const id = `ag-${String(i).padStart(3, '0')}`;
      store.putStatus(statusOf(id, i % 8 !== 0, i % 8 === 0 ? undefined : oneOf(rand, ['prod', 'staging']), oneOf(rand, ['berlin', 'paris'])), NOW - 5 * MIN);
    }
    assertSame(store, 'after status changes', win);
    sameAgents('after status changes');

    // more windows of new seqs, then a restart: the columns are in the file
    seed(store, rand, 60, 100);
    assertSame(store, 'after more windows', win);
    sameAgents('after more windows');
    assert.equal(win.rebuilds, 1, 'the kept window was built once and then moved, never rebuilt by its guard');
    // rows deleted behind its back (no code of ours does): the guard sees the count and rebuilds
    store.db.exec('DELETE FROM role_windows WHERE rowid % 5 = 0');
    assertSame(store, 'after a delete', win);
    assert.ok(win.rebuilds > 1, 'rebuilt after the delete');
    store.db.exec("DELETE FROM agents WHERE agent_id LIKE 'ag-01%'");
    store.putStatus(statusOf('ag-new', true, 'prod', 'berlin'), NOW);
    sameAgents('agents removed and added');
    const beforeRestart = { cohorts: fleetSnapshot(store, NOW, 5 * MIN).cohorts, series: store.rollouts().map((r) => new EvidenceSeriesBuilder(store).series(r, NOW)) };
    store.close();
    store = new ControllerStore(file);
    assert.deepEqual(fleetSnapshot(store, NOW, 5 * MIN).cohorts, beforeRestart.cohorts, 'the same after a restart');
    assert.deepEqual(store.rollouts().map((r) => new EvidenceSeriesBuilder(store).series(r, NOW)), beforeRestart.series);
    assertSame(store, 'reopened');
    store.close();
  });
});

test('windows an older controller wrote without the bucket columns are merged from their JSON', () => {
  withStore((file) => {
    const rand = rng(11);
    const store = new ControllerStore(file);
    rollouts(store);
    const win = new CohortWindow(store.db);
    seed(store, rand, 40);
    assertSame(store, 'before the older writer', win);
    // what a controller of the previous release sharing this file inserts: no lb* columns
    const older = new Database(file);
    const ins = older.prepare(
      'INSERT OR IGNORE INTO role_windows (agent_id, epoch, seq, role, channel, model_id, rollout_id, cohort, provider, count, errors, latency_json, shadow_model, shadow_json, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)',
    );
    for (let i = 0; i < 80; i++) {
      const h = histogramOf(rand);
      ins.run(`ag-${String(i % 45).padStart(3, '0')}`, 'old', i, oneOf(rand, ['detector', 'classifier']), oneOf(rand, ['prod', 'staging', null]), oneOf(rand, [STABLE, CAND, OTHER]), oneOf(rand, [null, 'ro-1', 'ro-other']),
        oneOf(rand, [null, 'stable', 'candidate']), oneOf(rand, [null, 'cpu']), 50 + i, i % 5, JSON.stringify(h), NOW - Math.floor(rand() * 15 * MIN));
    }
    older.close();
    assert.ok((store.db.prepare('SELECT count(*) AS n FROM role_windows WHERE lb0 IS NULL').get() as { n: number }).n >= 80);
    assertSame(store, 'with windows of an older writer', win);
    assert.equal(win.rebuilds, 1);
    store.close();
    // reopened: their columns are filled (and the per-second sums take them in through the update trigger)
    const reopened = new ControllerStore(file);
    assert.equal((reopened.db.prepare('SELECT count(*) AS n FROM role_windows WHERE lb0 IS NULL').get() as { n: number }).n, 0);
    assertSame(reopened, 'older writer\'s windows filled on reopen');
    reopened.close();
  });
});

test('a fleet.db written before the bucket columns is filled when opened; other default bounds refill it', () => {
  withStore((file) => {
    const rand = rng(23);
    let store = new ControllerStore(file);
    rollouts(store);
    seed(store, rand, 40);
    const want = { cohorts: fleetSnapshot(store, NOW, 30 * MIN).cohorts, series: store.rollouts().map((r) => new EvidenceSeriesBuilder(store).series(r, NOW)) };
    store.close();
    // the file as the previous release left it: no lb* columns, no layout, no receive-time indexes
    const old = new Database(file);
    const cols = (old.prepare('PRAGMA table_info(role_windows)').all() as { name: string }[]).map((c) => c.name).filter((c) => !/^lb\d+$/.test(c));
    old.exec(`DROP INDEX role_windows_received; DROP INDEX role_windows_unbucketed; DROP TABLE latency_bucket_layout;
      CREATE TABLE rw_old AS SELECT ${cols.join(', ')} FROM role_windows; DROP TABLE role_windows;`);
    old.exec(`CREATE TABLE role_windows (
      agent_id TEXT NOT NULL, epoch TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL, role TEXT NOT NULL, channel TEXT, model_id TEXT, rollout_id TEXT, cohort TEXT, provider TEXT,
      count INTEGER NOT NULL, errors INTEGER NOT NULL, latency_json TEXT NOT NULL, shadow_model TEXT, shadow_json TEXT, received INTEGER NOT NULL,
      PRIMARY KEY (agent_id, epoch, seq, role));
      INSERT INTO role_windows SELECT ${cols.join(', ')} FROM rw_old ORDER BY rowid; DROP TABLE rw_old;`);
    old.close();
    store = new ControllerStore(file);
    assert.equal((store.db.prepare('SELECT count(*) AS n FROM role_windows WHERE lb0 IS NULL').get() as { n: number }).n, 0, 'every row filled');
    assert.deepEqual(fleetSnapshot(store, NOW, 30 * MIN).cohorts, want.cohorts);
    assert.deepEqual(store.rollouts().map((r) => new EvidenceSeriesBuilder(store).series(r, NOW)), want.series);
    assertSame(store, 'migrated');
    // columns written for other bounds (a release that changed DEFAULT_LATENCY_BOUNDS_MS) are refilled
    store.db.exec("UPDATE role_windows SET lb3 = lb3 + 1000; UPDATE latency_bucket_layout SET bounds_json = '[1,2,3]'");
    store.close();
    store = new ControllerStore(file);
    assertSame(store, 'refilled after a layout change');
    assert.deepEqual(
      store.db.prepare(`SELECT * FROM ${SLOTS_TABLE} WHERE count != 0 OR errors != 0 ORDER BY role, model_id, channel, slot, rollout_id`).all(),
      store.db.prepare(`SELECT * FROM (${recountSlotsSql}) WHERE count != 0 OR errors != 0 ORDER BY role, model_id, channel, slot, rollout_id`).all(),
      'the per-second sums kept by the triggers equal a recount',
    );
    store.close();
  });
});
