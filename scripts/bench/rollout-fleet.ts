/**
 * Rollout benchmark (issue 6 "Measured"): N simulated agents (default 1,000, in P child processes)
 * on a local Mosquitto, the real controller in this process.
 *   1. time from `rollout start` to 100 % activated with healthy metrics, for a model of M MiB
 *      (every agent fetches every chunk from the broker and checks it against the signed manifest);
 *   2. time from an injected fault (candidate error rate) to every canary agent back on stable.
 * Targets: 10 MiB to 1,000 agents ≤ 60 s; rollback everywhere within one metrics window + 10 s.
 *
 *   node --import tsx scripts/bench/rollout-fleet.ts [--agents 1000] [--model-mib 10] [--processes 2]
 *        [--window 2s] [--wave-min 2s] [--waves 1,5,25,50,100] [--chunk-kib 1024] [--skip-rollout] [--skip-rollback]
 *        [--origin]
 * --origin: the candidate's signed manifest lists an HTTPS origin (a static server in this process, test CA
 * pinned by the simulators) and the agents fetch the bytes from it (DESIGN.md "Scale path"); the broker
 * still carries the retained chunks (fallback) and all control traffic.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { toBase64 } from '../../src/common/bytes.js';
import { FleetController, startRollout } from '../../src/fleet/controller/controller.js';
import { DEFAULT_SPEC } from '../../src/fleet/controller/judge.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { makeSimKeys, publishSimModel, publishSimRelease } from '../../src/fleet/sim/index.js';
import { parseDuration } from '../../src/cli/command.js';
import { startMosquitto } from '../../test/helpers/brokers.js';
import { startOrigin, type TestOrigin } from '../../test/helpers/origin-server.js';
import { createHash, randomBytes } from 'node:crypto';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    'model-mib': { type: 'string', default: '10' },
    processes: { type: 'string', default: '2' },
    window: { type: 'string', default: '2s' },
    'wave-min': { type: 'string', default: '2s' },
    waves: { type: 'string', default: '1,5,25,50,100' },
    'chunk-kib': { type: 'string', default: '1024' },
    'timeout': { type: 'string', default: '300s' },
    'skip-rollout': { type: 'boolean' },
    'skip-rollback': { type: 'boolean' },
    origin: { type: 'boolean' },
  },
});
const N = Number(values.agents);
const P = Math.max(1, Number(values.processes));
const MODEL_BYTES = Math.round(Number(values['model-mib']) * 1024 * 1024);
const windowMs = parseDuration(values.window!)!;
const waveMinMs = parseDuration(values['wave-min']!)!;
const timeoutMs = parseDuration(values.timeout!)!;
const CHANNEL = 'bench';
const root = resolve(import.meta.dirname, '..', '..');
const cmd = `node --import tsx scripts/bench/rollout-fleet.ts ${process.argv.slice(2).join(' ')}`.trim();

const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(f: () => T | undefined | false, ms: number, what: string, every = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(every);
  }
}

const broker = await startMosquitto();
const dir = mkdtempSync(join(tmpdir(), 'rpa-bench-rollout-'));
const children: ChildProcess[] = [];
const summaries = new Map<number, { connected: number; byModel: Record<string, number>; bytesFetched: number; bytesFromOrigin?: number; originFallbacks?: number; windows: number; rssBytes: number }>();
let origin: TestOrigin | undefined;
const results: Record<string, unknown> = { date: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`, command: cmd, agents: N, processes: P, modelBytes: MODEL_BYTES, windowMs, waveMinMs };
try {
  const keys = makeSimKeys();
  const admin = await connectBroker({ url: broker.url, protocolVersion: 5 });
  const stable = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.0.0', size: 64 * 1024 });
  log(`publishing the ${(MODEL_BYTES / 2 ** 20).toFixed(1)} MiB candidate (chunks of ${values['chunk-kib']} KiB)`);
  const t0pub = performance.now();
  const candBytes = new Uint8Array(randomBytes(MODEL_BYTES));
  let origins: string[] | undefined;
  if (values.origin) {
    origin = await startOrigin();
    const id = createHash('sha256').update(candBytes).digest('hex');
    origin.put(id, candBytes);
    origins = [origin.modelUrl(id)];
    log(`HTTPS origin ${origins[0]}`);
  }
  const candidate = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '2.0.0', bytes: candBytes, chunkSize: Number(values['chunk-kib']) * 1024, ...(origins ? { origins } : {}) });
  results.publishMs = Math.round(performance.now() - t0pub);
  const candidate2 = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '2.1.0', size: 64 * 1024 });
  await publishSimRelease(admin, { keys, channel: CHANNEL, roles: { detector: { stable } } });
  const trustPath = join(dir, 'trust.json');
  const pub = (k: { publicKey: Uint8Array }) => ({ threshold: 1, keys: [{ publicKey: toBase64(k.publicKey) }] });
  writeFileSync(trustPath, JSON.stringify({ version: 1, roles: { models: pub(keys.models), releases: pub(keys.releases) } }));

  const store = new ControllerStore(join(dir, 'fleet.db'));
  const ctlClient = await connectBroker({ url: broker.url, protocolVersion: 5, mqttOptions: { reconnectPeriod: 1000 } });
  const ctl = new FleetController({ client: ctlClient, store, releaseKeys: [keys.releases], tickMs: 250 });
  await ctl.start();

  log(`starting ${N} simulated agents in ${P} processes`);
  const t0conn = performance.now();
  const per = Math.ceil(N / P);
  for (let i = 0; i < P; i++) {
    const count = Math.min(per, N - i * per);
    if (count <= 0) break;
    const c = fork(join(root, 'scripts/sim.ts'), [
      '--broker', broker.url, '--trust', trustPath, '--agents', String(count), '--first-index', String(i * per), '--channel', CHANNEL,
      '--window', `${windowMs}ms`, '--requests', '50', '--preinstalled', stable, '--connect-batch', '50',
      ...(origin ? ['--origin-ca', origin.caFile] : []),
    ], { execArgv: ['--import', 'tsx'], cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    c.on('message', (m: { type: string; pid: number } & Record<string, unknown>) => {
      if (m.type === 'summary') summaries.set(m.pid, m as never);
    });
    children.push(c);
  }
  const sum = () => {
    const t = { connected: 0, bytesFetched: 0, bytesFromOrigin: 0, originFallbacks: 0, windows: 0, rss: 0, byModel: {} as Record<string, number> };
    for (const s of summaries.values()) {
      t.connected += s.connected;
      t.bytesFetched += s.bytesFetched;
      t.bytesFromOrigin += s.bytesFromOrigin ?? 0;
      t.originFallbacks += s.originFallbacks ?? 0;
      t.windows += s.windows;
      t.rss += s.rssBytes;
      for (const [k, v] of Object.entries(s.byModel)) t.byModel[k] = (t.byModel[k] ?? 0) + v;
    }
    return t;
  };
  const onModel = (id: string) => sum().byModel[`detector:${id.slice(0, 12)}`] ?? 0;
  await waitFor(() => sum().connected >= N && onModel(stable) >= N, 180_000, `agents connected on stable (${JSON.stringify(sum())})`, 250);
  results.connectMs = Math.round(performance.now() - t0conn);
  await waitFor(() => (ctl.flushIngest(), store.agents().filter((a) => a.online).length >= N), 60_000, 'controller sees every agent');
  log(`${N} agents connected and on stable in ${results.connectMs} ms`);

  if (!values['skip-rollout']) {
    const waves = values.waves!.split(',').map(Number);
    const bytesBefore = sum().bytesFetched;
    const tStart = Date.now();
    const id = startRollout(store, { ...DEFAULT_SPEC, channel: CHANNEL, role: 'detector', candidate, waves, waveMinDurationMs: waveMinMs, minAgents: 20, minRequests: 200, maxErrorRate: 0.01, maxP95Ms: 100, breachLookbackMs: 2 * windowMs }, tStart);
    log(`rollout ${id} started: waves ${waves.join(',')}, wave-min-duration ${waveMinMs} ms`);
    let lastPhase = -2;
    const deadline = Date.now() + timeoutMs;
    const partial = () => {
      const el = Date.now() - tStart;
      const bytes = sum().bytesFetched - bytesBefore;
      const rate = bytes / (el / 1000);
      return { timedOut: true, elapsedMs: el, agentsOnCandidate: onModel(candidate), bytesFetched: bytes, throughputMiBps: +(rate / 2 ** 20).toFixed(1), extrapolatedMsForAllBytes: Math.round(((N * MODEL_BYTES) / rate) * 1000) };
    };
    const r = await waitFor(() => {
      if (Date.now() > deadline) return store.rollout(id)!;
      const r = store.rollout(id)!;
      if (r.phase !== lastPhase) {
        lastPhase = r.phase;
        log(`  phase ${r.phase} (${waves[r.phase] ?? '-'} %) state ${r.state}; agents on candidate ${onModel(candidate)}; fetched ${(sum().bytesFetched / 2 ** 30).toFixed(2)} GiB`);
      }
      return ['completed', 'rolled_back', 'failed', 'aborted'].includes(r.state) ? r : undefined;
    }, timeoutMs + 5000, 'rollout end', 200);
    const tCompleted = Date.now();
    if (r.state !== 'completed' && Date.now() <= deadline) throw new Error(`rollout ended ${r.state}: ${JSON.stringify(r.result)}`);
    const all = await waitFor(() => onModel(candidate) >= N || Date.now() > deadline, Math.max(1000, deadline - Date.now() + 1000), 'all agents report the candidate active', 100).then(() => onModel(candidate) >= N);
    if (!all) {
      // Report what was reached instead of failing: the figure is the point of a benchmark.
      results.rollout = { rolloutId: id, state: store.rollout(id)!.state, ...partial() };
      log(`ROLLOUT did not reach 100 % within ${timeoutMs} ms: ${JSON.stringify(results.rollout)}`);
      console.log('\nRESULT ' + JSON.stringify(results, null, 2));
      values['skip-rollback'] = true;
    }
    const tAll = Date.now();
    if (all) {
    const phases = store.logOf(id).filter((l) => l.kind === 'phase_started').map((l) => ({ percent: l.data.percent, atMs: l.ts - tStart }));
    results.rollout = {
      rolloutId: id,
      startToCompletedMs: tCompleted - tStart,
      startToAllActivatedMs: tAll - tStart,
      phases,
      bytesFetched: sum().bytesFetched - bytesBefore,
      bytesFromOrigin: sum().bytesFromOrigin,
      originFallbacks: sum().originFallbacks,
      throughputMiBps: +((sum().bytesFetched - bytesBefore) / 2 ** 20 / ((tAll - tStart) / 1000)).toFixed(1),
      windowsStored: ctl.stats.windows,
      duplicateWindows: ctl.stats.duplicates,
    };
    log(`ROLLOUT: 100 % activated ${tAll - tStart} ms after start (controller completed at ${tCompleted - tStart} ms); ${((sum().bytesFetched - bytesBefore) / 2 ** 30).toFixed(2)} GiB fetched`);
    }
  }

  if (!values['skip-rollback']) {
    // Rollback: a small candidate at 25 %, healthy until the fault is injected.
    const base = store.release(CHANNEL)!.roles.detector!.stable;
    const id2 = startRollout(store, { ...DEFAULT_SPEC, channel: CHANNEL, role: 'detector', candidate: candidate2, waves: [25, 100], waveMinDurationMs: 3_600_000, minAgents: 20, minRequests: 200, maxErrorRate: 0.01, maxP95Ms: 100, breachLookbackMs: 2 * windowMs }, Date.now());
    const expected = await waitFor(() => {
      const lat = store.rollout(id2)!.result?.latest as { summary: { expectedCanary: number; activated: number } } | undefined;
      return lat && lat.summary.expectedCanary > 0 && lat.summary.activated >= lat.summary.expectedCanary ? lat.summary.expectedCanary : undefined;
    }, 60_000, 'canary cohort on candidate2', 100);
    await sleep(2 * windowMs); // healthy windows first
    log(`rollback scenario: ${expected} canary agents on the candidate; injecting a 20 % error rate`);
    const tFault = Date.now();
    for (const c of children) c.send({ type: 'setProfile', modelId: candidate2, profile: { errorRate: 0.2 } });
    const r2 = await waitFor(() => {
      const r = store.rollout(id2)!;
      return r.state === 'rolled_back' && r.result?.confirmedAt !== undefined ? r : undefined;
    }, 120_000, 'rollback confirmed', 50);
    await waitFor(() => onModel(candidate2) === 0 && onModel(base) >= N, 30_000, 'simulators report every agent on stable', 50);
    const tSim = Date.now();
    results.rollback = {
      rolloutId: id2,
      canaryAgents: expected,
      faultToRollbackReleaseMs: Number(r2.result!.rolledBackAt) - tFault,
      faultToAllCanaryOnStableMs: Number(r2.result!.confirmedAt) - tFault,
      faultToSimulatorsAllStableMs: tSim - tFault,
      targetMs: windowMs + 10_000,
      breach: (r2.result!.verdict as { reasons: string[] }).reasons,
    };
    log(`ROLLBACK: release ${Number(r2.result!.rolledBackAt) - tFault} ms after the fault; every canary agent on stable after ${Number(r2.result!.confirmedAt) - tFault} ms (target ${windowMs + 10_000} ms)`);
  }
  results.simRssMiB = Math.round(sum().rss / 2 ** 20);
  console.log('\nRESULT ' + JSON.stringify(results, null, 2));
  await ctl.close();
  ctlClient.end(true);
  admin.end(true);
  store.close();
} finally {
  for (const c of children) if (c.connected) c.send({ type: 'close' });
  await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => { const t = setTimeout(() => { c.kill('SIGKILL'); r(undefined); }, 15_000); c.once('exit', () => { clearTimeout(t); r(undefined); }); }))));
  await broker.close();
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
}
