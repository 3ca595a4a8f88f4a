/**
 * Web console benchmark (issue 19 §4): 10,000 simulated agents' state in the controller's store
 * (retained statuses with channels, labels and models, and their metrics windows over a running
 * rollout), the real API server with the console, Debian's Chromium through playwright-core.
 *   1. console first load: navigation → DOMContentLoaded, and → the fleet overview's data painted
 *      (fresh browser context each time, token already in sessionStorage), target ≤ 1 s;
 *   2. API p95 (client-side, over HTTP, sequential) of the fleet overview (GET /api/v1/fleet/overview)
 *      and of a rollout's evidence (GET /api/v1/rollouts/{id}/series, the chart's data; the first,
 *      uncached call is reported apart), target ≤ 50 ms;
 *      also the API's GET /api/v1/fleet (snapshot with cohorts; its first call apart), GET /api/v1/agents (every agent, and a page of 1,000) and the
 *      overview's agent search, and the cost the overview's maintained counts add to status ingest;
 *   3. live update latency: a metrics window published over MQTT (real Mosquitto) → the controller's
 *      ingest → SQLite → the change feed → the event stream → the agent's page repainted with it,
 *      target ≤ 1 s.
 *
 *   node --import tsx scripts/bench/console.ts [--agents 10000] [--windows 10] [--requests 200] [--loads 5] [--updates 10]
 *   (npm run bench -- --only console)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { DEFAULT_TOPIC_PREFIX, topics } from '../../src/common/topics.js';
import type { AgentStatus, MetricsWindow } from '../../src/common/wire.js';
import { ApiContext } from '../../src/fleet/api/context.js';
import { startApiServer } from '../../src/fleet/api/server.js';
import { FleetController } from '../../src/fleet/controller/controller.js';
import { DEFAULT_SPEC } from '../../src/fleet/controller/judge.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { makeSimKeys } from '../../src/fleet/sim/index.js';
import { ProfileBook } from '../../src/fleet/sim/profiles.js';
import { simulateRoleMetrics } from '../../src/fleet/sim/sim-window.js';
import { consoleHttp } from '../../src/fleet/web/console-http.js';
import { installOverviewCounts } from '../../src/fleet/web/overview-counts.js';
import { startMosquitto } from '../../test/helpers/brokers.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../../test/e2e/status-window-harness.js';
// @ts-expect-error -- plain .mjs build script without type declarations
import { buildConsole } from '../build-console.mjs';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);

let values: Record<string, string | undefined>;
try {
  values = parseArgs({
    options: { agents: { type: 'string', default: '10000' }, windows: { type: 'string', default: '10' }, requests: { type: 'string', default: '200' }, loads: { type: 'string', default: '5' }, updates: { type: 'string', default: '10' } },
  }).values;
} catch (e) {
  console.error(`error[bad_argument]: ${(e as Error).message} (see --help)`);
  process.exit(2);
}
const num = (k: string) => {
  const n = Number(values[k]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`error[bad_argument]: --${k} must be a positive integer`);
    process.exit(2);
  }
  return n;
};
const N = num('agents');
const WINDOWS = num('windows');
const REQUESTS = num('requests');
const LOADS = num('loads');
const UPDATES = num('updates');

const hex = () => randomBytes(32).toString('hex');
const pctl = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;
const f1 = (x: number) => x.toFixed(1);

await (buildConsole as () => Promise<unknown>)();
const dir = mkdtempSync(join(tmpdir(), 'rpa-console-bench-'));
const broker = await startMosquitto();
const store = new ControllerStore(join(dir, 'fleet.db'));
const keys = makeSimKeys();
const stable = hex();
const candidate = hex();
const now = Date.now();
const rolloutId = 'ro-bench-console';

// ---- seed: 10,000 agents' statuses and windows over the last WINDOWS minutes ---------------------
const t0 = performance.now();
const profiles = new ProfileBook();
profiles.set(candidate, { latencyMs: 24, errorRate: 0.004 });
let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const sites = ['berlin', 'hamburg', 'munich', 'paris', 'madrid', 'rome', 'vienna', 'zurich'];
store.insertRollout(rolloutId, { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate, stable, waves: [5, 25, 50, 100] }, now - WINDOWS * 60_000);
store.transition(rolloutId, ['pending'], { state: 'running', phase: 2, phaseStartedAt: now - WINDOWS * 60_000 }, now - WINDOWS * 60_000);
for (let start = 0; start < N; start += 1000) {
  store.batch(() => {
    for (let i = start; i < Math.min(N, start + 1000); i++) {
      const agentId = `ws-${sites[i % sites.length]}-${String(i).padStart(5, '0')}`;
      const channel = i % 10 === 0 ? 'staging' : 'prod';
      const canary = channel === 'prod' && i % 2 === 0;
      const modelId = canary ? candidate : stable;
      const status: AgentStatus = {
        agentId, online: i % 50 !== 0, ts: new Date(now).toISOString(), agentVersion: i % 7 === 0 ? '0.9.3' : '1.0.0', channel, releaseSeq: 3,
        labels: { site: sites[i % sites.length]!, dept: ['finance', 'hr', 'ops'][i % 3]!, profile: 'banking' },
        roles: { detector: { state: 'active', modelId, name: 'ui-detector', version: canary ? '1.1.0' : '1.0.0', provider: i % 4 === 0 ? 'dml' : 'cpu', cohort: canary ? 'candidate' : 'stable', ...(canary ? { rolloutId } : {}) } },
      };
      store.putStatus(status, now);
      for (let w = 0; w < WINDOWS; w++) {
        const end = now - (WINDOWS - w - 1) * 60_000 - (i % 60) * 1000;
        const roleMetrics = simulateRoleMetrics({ modelId, cohort: canary ? 'candidate' : 'stable', ...(canary ? { rolloutId } : {}), version: canary ? '1.1.0' : '1.0.0' }, profiles, rand, 20, 0);
        const win: MetricsWindow = { agentId, epoch: 'bench', seq: w, windowStart: new Date(end - 60_000).toISOString(), windowEnd: new Date(end).toISOString(), channel, roles: { detector: roleMetrics } };
        store.putWindow(win, end);
      }
    }
  });
}
const seedMs = performance.now() - t0;

// ---- status ingest: every agent's retained status changes once (batches of 1,000), before and after
// the overview's counts are installed (their triggers run in the writer's transaction) --------------
const statusOf = (i: number, round: number): AgentStatus => {
  const channel = i % 10 === 0 ? 'staging' : 'prod';
  const canary = channel === 'prod' && (i + round) % 2 === 0;
  return {
    agentId: `ws-${sites[i % sites.length]}-${String(i).padStart(5, '0')}`, online: (i + round) % 50 !== 0, ts: new Date(now + round).toISOString(), agentVersion: i % 7 === 0 ? '0.9.3' : '1.0.0', channel, releaseSeq: 3,
    labels: { site: sites[i % sites.length]!, dept: ['finance', 'hr', 'ops'][i % 3]!, profile: 'banking' },
    roles: { detector: { state: 'active', modelId: canary ? candidate : stable, name: 'ui-detector', version: canary ? '1.1.0' : '1.0.0', provider: i % 4 === 0 ? 'dml' : 'cpu', cohort: canary ? 'candidate' : 'stable', ...(canary ? { rolloutId } : {}) } },
  };
};
const reputStatuses = (round: number) => {
  const s = performance.now();
  for (let start = 0; start < N; start += 1000) store.batch(() => { for (let i = start; i < Math.min(N, start + 1000); i++) store.putStatus(statusOf(i, round), now); });
  return performance.now() - s;
};
const ingestPlain = [reputStatuses(1), reputStatuses(2)];
const tInstall = performance.now();
installOverviewCounts(store.db);
const installMs = performance.now() - tInstall;
const ingestCounted = [reputStatuses(3), reputStatuses(4)];

// ---- controller, API server with the console -----------------------------------------------------
const ctlClient = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
const ctl = new FleetController({ client: ctlClient, store, releaseKeys: [keys.releases], tickMs: 60_000 });
await ctl.start();
const ctx = new ApiContext({ store });
const web = consoleHttp(ctx);
const api = await startApiServer(ctx, { host: '127.0.0.1', port: 0, insecureHttp: true, extra: web.extra });
const token = ctx.tokens.create('bench-viewer', 'viewer', 'bench', now).token;
const auth = { Authorization: `Bearer ${token}` };

async function timeGets(path: string, n: number): Promise<{ first: number; times: number[]; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  let first = 0;
  for (let i = 0; i <= n; i++) {
    const s = performance.now();
    const res = await fetch(`${api.url}${path}`, { headers: auth });
    const body = await res.arrayBuffer();
    const ms = performance.now() - s;
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${Buffer.from(body).toString().slice(0, 200)}`);
    bytes = body.byteLength;
    if (i === 0) first = ms;
    else times.push(ms);
  }
  return { first, times, bytes };
}

const overview = await timeGets('/api/v1/fleet/overview', REQUESTS);
const series = await timeGets(`/api/v1/rollouts/${rolloutId}/series`, REQUESTS);
const snapshot = await timeGets('/api/v1/fleet', Math.min(REQUESTS, 50));
const listing = await timeGets('/api/v1/agents', Math.min(REQUESTS, 20));
const agentsPage = await timeGets(`/api/v1/agents?limit=1000&after=ws-munich-05000`, REQUESTS);
const search = await timeGets('/api/v1/fleet/agents?q=site%3Dberlin&limit=50', REQUESTS);

// ---- Chromium: first load and live latency --------------------------------------------------------
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
const loads: { dcl: number; painted: number }[] = [];
for (let i = 0; i < LOADS; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // the signed-in state: the token in this tab's sessionStorage, and a marker for "data painted"
  await context.addInitScript((t) => {
    sessionStorage.setItem('rpa-console-token', t);
    new MutationObserver(() => {
      if (document.documentElement.dataset.painted === '#/fleet' && !(window as unknown as { __painted?: number }).__painted) (window as unknown as { __painted?: number }).__painted = performance.now();
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-painted'] });
  }, token);
  const page = await context.newPage();
  await page.goto(`${api.url}/#/fleet`);
  await page.waitForFunction(() => (window as unknown as { __painted?: number }).__painted !== undefined, undefined, { timeout: 30_000 });
  const t = await page.evaluate(() => ({ dcl: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd, painted: (window as unknown as { __painted: number }).__painted }));
  const shown = await page.textContent('#agents-total');
  if (shown !== String(N)) throw new Error(`the page shows ${shown} agents, not ${N}`);
  loads.push(t);
  await context.close();
}

const pub = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
const context = await browser.newContext();
await context.addInitScript((t) => sessionStorage.setItem('rpa-console-token', t), token);
const page = await context.newPage();
const agentId = `ws-${sites[1]}-${String(1).padStart(5, '0')}`;
await page.goto(`${api.url}/#/agents/${agentId}`);
await page.waitForSelector('#agent-windows tbody tr');
await page.waitForFunction(() => document.documentElement.dataset.live === 'live');
const live: number[] = [];
for (let u = 0; u < UPDATES; u++) {
  const seq = 1000 + u;
  const roleMetrics = simulateRoleMetrics({ modelId: stable, cohort: 'stable', version: '1.0.0' }, profiles, rand, 20, 0);
  const win: MetricsWindow = { agentId, epoch: 'bench', seq, windowStart: new Date(Date.now() - 60_000).toISOString(), windowEnd: new Date().toISOString(), channel: 'prod', roles: { detector: roleMetrics } };
  const watch = page.waitForFunction((s: number) => (document.querySelector('#agent-windows tbody tr td')?.textContent === String(s) ? Date.now() : false), seq, { timeout: 10_000, polling: 10 });
  const sent = Date.now();
  await pub.publishAsync(topics(DEFAULT_TOPIC_PREFIX).agentMetrics(agentId), JSON.stringify(win), { qos: 1 });
  const seen = (await (await watch).jsonValue()) as number;
  live.push(seen - sent);
  await new Promise((r) => setTimeout(r, 300));
}

await context.close();
await browser.close();
pub.end(true);
web.close();
await api.close();
await ctl.close();
ctlClient.end(true);
store.close();
await broker.close();
rmSync(dir, { recursive: true, force: true });

const row = (name: string, xs: number[], target: number, unit = 'ms') => {
  const p95 = pctl(xs, 0.95);
  console.log(`${name.padEnd(44)} p50 ${f1(pctl(xs, 0.5))} ${unit}, p95 ${f1(p95)} ${unit}, max ${f1(Math.max(...xs))} ${unit}  (target ≤ ${target} ${unit}: ${p95 <= target ? 'met' : 'NOT met'})`);
};
console.log(`\nconsole benchmark — ${new Date().toISOString()}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}`);
console.log(`command: node --import tsx scripts/bench/console.ts --agents ${N} --windows ${WINDOWS} --requests ${REQUESTS} --loads ${LOADS} --updates ${UPDATES}`);
console.log(`store: ${N} agents, ${N * WINDOWS} metrics windows, seeded in ${f1(seedMs / 1000)} s\n`);
row('first load: navigation → DOMContentLoaded', loads.map((l) => l.dcl), 1000);
row('first load: navigation → fleet data painted', loads.map((l) => l.painted), 1000);
row(`API GET /api/v1/fleet/overview (${(overview.bytes / 1024).toFixed(1)} KiB)`, overview.times, 50);
row(`API GET /rollouts/{id}/series (${(series.bytes / 1024).toFixed(1)} KiB)`, series.times, 50);
console.log(`${'  series, first (uncached) call'.padEnd(44)} ${f1(series.first)} ms`);
row(`(api's) GET /api/v1/fleet snapshot (${(snapshot.bytes / 1024).toFixed(1)} KiB)`, snapshot.times, 50);
console.log(`${'  snapshot, first call (builds the kept sums)'.padEnd(44)} ${f1(snapshot.first)} ms`);
row(`GET /api/v1/agents, all (${(listing.bytes / 1024 / 1024).toFixed(1)} MiB)`, listing.times, 50);
row(`GET /api/v1/agents?limit=1000&after=… (${(agentsPage.bytes / 1024).toFixed(0)} KiB)`, agentsPage.times, 50);
row(`GET /api/v1/fleet/agents?q=site=berlin&limit=50`, search.times, 50);
const perStatus = (xs: number[]) => `${f1(Math.min(...xs))} ms (${f1((Math.min(...xs) * 1000) / N)} µs a status)`;
console.log(`status ingest, ${N} changed statuses in batches of 1,000 (best of 2): without the overview's counts ${perStatus(ingestPlain)}, with ${perStatus(ingestCounted)}: ${(Math.min(...ingestCounted) / Math.min(...ingestPlain)).toFixed(2)}×; counts installed and filled in ${f1(installMs)} ms`);
row('live: MQTT window → agent page repainted', live, 1000);
process.exit(0);
