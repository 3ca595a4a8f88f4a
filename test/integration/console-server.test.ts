/**
 * The web console's server side on a real SQLite file and the real API server (issue 19 §2/§4):
 * the event stream needs a valid, unrevoked bearer token (from the header, never the URL) and
 * delivers changes written by another writer; the console's files are an allowlist served with the
 * strict CSP; the fleet overview aggregated in SQLite matches the statuses; the evidence series
 * merges canary and stable windows per interval with bounds around each value.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, observe } from '../../src/common/metrics.js';
import type { AgentStatus, MetricsWindow } from '../../src/common/wire.js';
import { ApiContext } from '../../src/fleet/api/context.js';
import { startApiServer, type ApiServer } from '../../src/fleet/api/server.js';
import { DEFAULT_SPEC } from '../../src/fleet/controller/judge.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { consoleHttp, type ConsoleHttp } from '../../src/fleet/web/console-http.js';
import { errorRateUpperBound, quantileBounds } from '../../src/fleet/web/evidence-series.js';
import { parseEventStream } from '../../src/console/live.js';
// @ts-expect-error -- plain .mjs build script without type declarations
import { buildConsole } from '../../scripts/build-console.mjs';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
let dir: string;
let store: ControllerStore;
let ctx: ApiContext;
let web: ConsoleHttp;
let api: ApiServer;
let viewer: string;
let revoked: string;

function status(i: number, online: boolean, modelId: string, cohort: 'stable' | 'candidate'): AgentStatus {
  return { agentId: `ag-${i}`, online, ts: new Date(1_000 + i).toISOString(), agentVersion: i % 2 ? '1.0.0' : '0.9.0', channel: 'prod', labels: { site: i % 2 ? 'berlin' : 'paris' }, roles: { detector: { state: 'active', modelId, name: 'det', version: cohort === 'candidate' ? '1.1.0' : '1.0.0', provider: 'cpu', cohort } } };
}

function win(agentId: string, seq: number, modelId: string, count: number, errors: number, latencyMs: number, rolloutId?: string): MetricsWindow {
  const h = createHistogram();
  observe(h, latencyMs, count);
  return { agentId, epoch: 'e1', seq, windowStart: new Date(0).toISOString(), windowEnd: new Date(1).toISOString(), channel: 'prod', roles: { detector: { modelId, version: '1', provider: 'cpu', cohort: rolloutId ? 'candidate' : 'stable', ...(rolloutId ? { rolloutId } : {}), count, errors, latency: { boundsMs: [...h.boundsMs], counts: [...h.counts], p50: latencyMs, p95: latencyMs, p99: latencyMs }, confidenceHistogram: [0, 0, 0, 0, 0, 0, 0, 0, 0, count] } } } as MetricsWindow;
}

before(async () => {
  await (buildConsole as () => Promise<unknown>)();
  dir = mkdtempSync(join(tmpdir(), 'rpa-console-srv-'));
  store = new ControllerStore(join(dir, 'fleet.db'));
  for (let i = 0; i < 6; i++) store.putStatus(status(i, i !== 5, i < 2 ? B : A, i < 2 ? 'candidate' : 'stable'), 10_000);
  ctx = new ApiContext({ store, clock: () => 100_000 });
  web = consoleHttp(ctx, { pollMs: 50 });
  api = await startApiServer(ctx, { host: '127.0.0.1', port: 0, insecureHttp: true, extra: web.extra });
  viewer = ctx.tokens.create('viewer-1', 'viewer', 'test', 1).token;
  const r = ctx.tokens.create('gone', 'operator', 'test', 1);
  ctx.tokens.revoke(r.row.id, 'test', 2);
  revoked = r.token;
});

after(async () => {
  web.close();
  await api.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the event stream refuses a missing, wrong or revoked token, and a token in the URL', async () => {
  const codes = async (headers: Record<string, string>, q = '') => {
    const ac = new AbortController();
    const res = await fetch(`${api.url}/api/v1/events${q}`, { headers, signal: ac.signal });
    if (res.status === 200) {
      ac.abort(); // an open stream never ends: the refusal is missing
      return { status: 200, code: 'stream opened' };
    }
    return { status: res.status, code: ((await res.json()) as { code: string }).code };
  };
  assert.deepEqual(await codes({}), { status: 401, code: 'unauthenticated' });
  assert.deepEqual(await codes({ Authorization: 'Bearer rpaf_000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }), { status: 401, code: 'unauthenticated' });
  assert.deepEqual(await codes({ Authorization: `Bearer ${revoked}` }), { status: 401, code: 'token_revoked' });
  assert.deepEqual(await codes({}, `?token=${encodeURIComponent(viewer)}`), { status: 401, code: 'unauthenticated' });
});

test('the event stream delivers a change another writer made to the database (rollout, metrics window)', async () => {
  const ac = new AbortController();
  const res = await fetch(`${api.url}/api/v1/events`, { headers: { Authorization: `Bearer ${viewer}` }, signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  const seen: { event: string; data: string }[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buf = parseEventStream(buf + value, (e) => seen.push(e));
    }
  })();
  await new Promise((r) => setTimeout(r, 150));
  store.insertRollout('ro-x', { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate: B, stable: A }, 20_000);
  store.putWindow(win('ag-3', 1, A, 100, 0, 20), 30_000);
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && !(seen.some((e) => e.event === 'rollout') && seen.some((e) => e.event === 'metrics'))) await new Promise((r) => setTimeout(r, 50));
  ac.abort();
  await pump;
  const rollout = seen.find((e) => e.event === 'rollout');
  assert.ok(rollout, `a rollout event (saw ${seen.map((e) => e.event).join(', ')})`);
  assert.equal((JSON.parse(rollout.data) as { id: string }).id, 'ro-x');
  assert.deepEqual((JSON.parse(seen.find((e) => e.event === 'metrics')!.data) as { agentIds: string[] }).agentIds, ['ag-3']);
});

test('the console files: an allowlist, each with the strict CSP; anything else is not served', async () => {
  for (const p of ['/', '/console/app.js', '/console/styles.css']) {
    const res = await fetch(`${api.url}${p}`);
    assert.equal(res.status, 200, p);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
  }
  for (const p of ['/console/../package.json', '/console/app.js.bak', '/console/main.ts', '/package.json']) assert.notEqual((await fetch(`${api.url}${p}`)).status, 200, p);
  const html = await (await fetch(`${api.url}/`)).text();
  assert.doesNotMatch(html, /<script>|<style|\sstyle=|\son[a-z]+=/i, 'no inline script, style or handler in the page');
});

test('the fleet overview (aggregated in SQLite) matches the statuses; search finds by id and by label', async () => {
  const get = async (p: string) => (await fetch(`${api.url}${p}`, { headers: { Authorization: `Bearer ${viewer}` } })).json() as Promise<Record<string, unknown>>;
  const o = (await get('/api/v1/fleet/overview')) as { agents: unknown; versions: { cohort: string; agents: number }[]; agentVersions: { version: string; agents: number }[]; labels: { key: string; value: string; agents: number }[]; providers: { agents: number }[] };
  assert.deepEqual(o.agents, { total: 6, online: 5, offline: 1 });
  assert.deepEqual(o.versions.map((v) => [v.cohort, v.agents]).sort(), [['candidate', 2], ['stable', 3]]);
  assert.deepEqual(o.agentVersions.sort((a, b) => a.version.localeCompare(b.version)), [{ version: '0.9.0', agents: 3 }, { version: '1.0.0', agents: 3 }]);
  assert.deepEqual(o.labels, [{ key: 'site', value: 'berlin', agents: 3 }, { key: 'site', value: 'paris', agents: 3 }]);
  assert.equal(o.providers[0]!.agents, 5);
  const byLabel = (await get('/api/v1/fleet/agents?q=site%3Dberlin')) as { agents: { agentId: string }[] };
  assert.deepEqual(byLabel.agents.map((a) => a.agentId), ['ag-1', 'ag-3', 'ag-5']);
  const offline = (await get('/api/v1/fleet/agents?q=ag-&online=false')) as { agents: { agentId: string }[] };
  assert.deepEqual(offline.agents.map((a) => a.agentId), ['ag-5']);
  const bad = await fetch(`${api.url}/api/v1/fleet/agents?nope=1`, { headers: { Authorization: `Bearer ${viewer}` } });
  assert.equal(bad.status, 400);
});

test('the evidence series: canary and stable per interval, each value inside its bounds; bounds shrink with more requests', async () => {
  store.putWindow(win('ag-0', 1, B, 200, 20, 40, 'ro-x'), 31_000);
  store.putWindow(win('ag-1', 1, B, 200, 10, 40, 'ro-x'), 32_000);
  store.putWindow(win('ag-4', 1, A, 300, 1, 20), 33_000);
  const s = (await (await fetch(`${api.url}/api/v1/rollouts/ro-x/series`, { headers: { Authorization: `Bearer ${viewer}` } })).json()) as { buckets: { t: number; canary: { count: number; errors: number; errorRate: number; errorLow: number; errorHigh: number; p95: number; p95Low: number; p95High: number } | null; stable: { count: number } | null }[] };
  const canary = s.buckets.filter((b) => b.canary).map((b) => b.canary!);
  assert.equal(canary.reduce((n, c) => n + c.count, 0), 400);
  assert.equal(canary.reduce((n, c) => n + c.errors, 0), 30);
  assert.equal(s.buckets.filter((b) => b.stable).reduce((n, b) => n + b.stable!.count, 0), 400, 'stable: ag-3 (100) and ag-4 (300)');
  for (const c of canary) {
    assert.ok(c.errorLow <= c.errorRate && c.errorRate <= c.errorHigh, JSON.stringify(c));
    assert.ok(c.p95Low <= c.p95 && c.p95 <= c.p95High, JSON.stringify(c));
  }
  // the bounds are the gate's test: 10 % of 20 requests is far less certain than 10 % of 2000
  assert.ok(errorRateUpperBound(20, 2) - 0.1 > 5 * (errorRateUpperBound(2000, 200) - 0.1));
  const h = createHistogram();
  for (let i = 1; i <= 1000; i++) observe(h, i / 10);
  const qb = quantileBounds(h, 0.95);
  assert.ok(qb.low < 95 && qb.high > 95 && qb.high - qb.low < 10, JSON.stringify(qb));
  const missing = await fetch(`${api.url}/api/v1/rollouts/ro-none/series`, { headers: { Authorization: `Bearer ${viewer}` } });
  assert.equal(missing.status, 404);
});
