/**
 * Issue 17 §2 benchmark: the agent's footprint on a bots' workstation, and what fetching and warming a model
 * costs a bot. One run, a real agent (`bin/rpa-agent.js run`, a child process, with whatever processes it
 * starts) on an embedded aedes broker, the three baseline models of assets/models signed, published and active:
 *   (a) idle: once every role is active and the agent has settled, total RSS and PSS of the agent's whole
 *       process tree (the agent and every child, read from /proc) and its CPU over --idle-sec seconds.
 *       Targets: ≤ 150 MB RSS in total, idle CPU ≤ 0.2 % of a core.
 *   (b) a bot's `detect` (sample screen PNG, through the bot endpoint; --frames variants of it in turn, so that
 *       every call misses the agent's frame cache and runs the detector and the classifier) p50/p95 while quiet, then while the
 *       agent fetches a --mib MiB similarity model and swaps to it (release publish → `activated`), then
 *       quiet again; target: p95 during within 10 % of quiet.
 * Linux only (/proc). Needs a Secret Service (run through scripts/with-keyring.sh, as `npm run bench` does)
 * and /usr/bin/python3 with numpy and onnx (the big model).
 *
 *   bash scripts/with-keyring.sh node --import tsx scripts/bench/footprint.ts [--idle-sec 30] [--settle-sec 15]
 *        [--detects 40] [--mib 64] [--no-swap] [--maps] [--phases] [--verbose] [--service-env] [--isolation process|thread]
 *        [--swap-alone] [--cpu-prof DIR] [--broker aedes|mosquitto] [--session-host auto|native|node]
 *        [--trace-gc] [--node-flag FLAG ...] [--frames 8]
 *   --frames N   the detects cycle through N copies of the sample screen, each with a different 8×8 patch in its
 *                corner (default 8: more than the frame cache's 4 entries, so every detect runs both models, as a bot
 *                on a changing screen does); --frames 1 sends the same screen every time (cache hits after the
 *                first: PNG decoding and the cache only, the figure of rounds 1–6)
 *   --maps   also the biggest mappings of each process (where the memory goes)
 *   --phases   also the CPU of every thread of the agent's processes per swap phase (release → download_started →
 *              model_verified → activated; sampled from /proc every 100 ms, which costs the bench some CPU)
 *   --isolation thread   sessions in worker threads of the agent process (one process; a hung run cannot be ended)
 *   --swap-alone   no detects during the swap: the agent tree's CPU from release to activated is the swap's own
 *                  (a figure the load of the machine does not change; with --phases, per process and thread)
 *   --cpu-prof DIR   the agent process runs with node's --cpu-prof, its profile written into DIR when it exits
 *   --broker mosquitto   a real Mosquitto in its own process instead of the embedded aedes (default), whose serving
 *                        of the chunks otherwise runs in this process on the same cores (a workstation's broker is elsewhere)
 *   --session-host native|node   the agent's config inference.host (default auto: native when built; issue 17 §2)
 *   --trace-gc   the agent runs with node's --trace-gc --trace-incremental-marking: its GCs counted per phase
 *                (scavenges, mark-compacts, their pauses, why marking started; lib/gc-trace.ts)
 *   --gc-log FILE   --trace-gc, and the agent's trace lines written into FILE, each with the bench's clock (ms)
 *   --node-flag FLAG   a node/V8 flag for the agent process (repeatable; e.g. --node-flag --max-semi-space-size=8)
 *   --service-env   start the agent with the malloc variables assets/service/rpa-agent.service sets
 *                   (MALLOC_ARENA_MAX=2, MALLOC_MMAP_THRESHOLD_=32768), as a production Linux install runs
 *   npm run bench -- --only footprint
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { cpus, tmpdir, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Aedes } from 'aedes';
import sharp from 'sharp';
import { ROLES, type AgentEvent, type Role } from '../../src/common/wire.js';
import { buildManifest, buildTrustFile, connectBroker, generateKeyFiles, loadSigningKey, parseModelMetadata, publishModel, publishRelease, readPublicKeyFile, signManifest } from '../../src/fleet/index.js';
import { connect } from '../../src/agent/endpoint/index.js';
import { createKeytarSecretStore, SecretAccounts } from '../../src/agent/secrets/secret-store.js';
import { exitWithHelpIfAsked } from './help.js';
import { pctl as percentile } from './lib/timing.js';
import { cmdline, sampleTree, topMappings, type ProcSample } from './lib/proc-tree.js';
import { SwapCpu } from './lib/swap-cpu.js';
import { gcSummary, parseGcLine, type GcEvent } from './lib/gc-trace.js';
import { startMosquitto } from '../../test/helpers/brokers.js';

exitWithHelpIfAsked(import.meta.url);

export type FootprintArgs = { kind: 'ok'; idleSec: number; settleSec: number; detects: number; mib: number; swap: boolean; verbose: boolean; maps: boolean; phases: boolean; serviceEnv: boolean; isolation: 'process' | 'thread'; swapAlone: boolean; broker: 'aedes' | 'mosquitto'; sessionHost: 'auto' | 'native' | 'node'; cpuProfDir?: string; gcLog?: string; traceGc: boolean; nodeFlags: string[]; frames: number } | { kind: 'error'; message: string };

export function parseFootprintArgs(argv: readonly string[]): FootprintArgs {
  const out = { idleSec: 30, settleSec: 15, detects: 40, mib: 64, swap: true, verbose: false, maps: false, phases: false, serviceEnv: false, swapAlone: false, isolation: 'process' as 'process' | 'thread', broker: 'aedes' as 'aedes' | 'mosquitto', sessionHost: 'auto' as 'auto' | 'native' | 'node', traceGc: false, nodeFlags: [] as string[], frames: 8 };
  const num = (v: string | undefined, name: string, min: number, max: number): number | string => {
    const n = Number(v);
    return v !== undefined && Number.isFinite(n) && n >= min && n <= max ? n : `${name} takes a number from ${min} to ${max}`;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const key = ({ '--idle-sec': 'idleSec', '--settle-sec': 'settleSec', '--detects': 'detects', '--mib': 'mib', '--frames': 'frames' } as const)[a as '--mib' | '--frames'];
    if (key) {
      const v = num(argv[++i], a, key === 'mib' ? 0.1 : 1, key === 'frames' ? 64 : 3600);
      if (typeof v === 'number' && key === 'frames' && !Number.isInteger(v)) return { kind: 'error', message: '--frames takes a whole number from 1 to 64' };
      if (typeof v === 'string') return { kind: 'error', message: v };
      out[key] = v;
    } else if (a === '--no-swap') out.swap = false;
    else if (a === '--verbose') out.verbose = true;
    else if (a === '--maps') out.maps = true;
    else if (a === '--phases') out.phases = true;
    else if (a === '--service-env') out.serviceEnv = true;
    else if (a === '--swap-alone') out.swapAlone = true;
    else if (a === '--trace-gc') out.traceGc = true;
    else if (a === '--gc-log') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) return { kind: 'error', message: '--gc-log takes a file' };
      Object.assign(out, { gcLog: v, traceGc: true });
    }
    else if (a === '--node-flag') {
      const v = argv[++i];
      if (!v || !v.startsWith('--')) return { kind: 'error', message: '--node-flag takes a node flag (--name or --name=value)' };
      out.nodeFlags.push(v);
    }
    else if (a === '--cpu-prof') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) return { kind: 'error', message: '--cpu-prof takes a directory' };
      (out as { cpuProfDir?: string }).cpuProfDir = v;
    } else if (a === '--broker') {
      const v = argv[++i];
      if (v !== 'aedes' && v !== 'mosquitto') return { kind: 'error', message: '--broker takes aedes or mosquitto' };
      out.broker = v;
    } else if (a === '--isolation') {
      const v = argv[++i];
      if (v !== 'process' && v !== 'thread') return { kind: 'error', message: '--isolation takes process or thread' };
      out.isolation = v;
    } else if (a === '--session-host') {
      const v = argv[++i];
      if (v !== 'auto' && v !== 'native' && v !== 'node') return { kind: 'error', message: '--session-host takes auto, native or node' };
      out.sessionHost = v;
    }
    else return { kind: 'error', message: `unknown argument ${a} (see --help)` };
  }
  return { kind: 'ok', ...out };
}

const args = parseFootprintArgs(process.argv.slice(2));
if (args.kind === 'error') {
  console.error(`error[bad_argument]: ${args.message}`);
  process.exit(2);
}
if (process.platform !== 'linux') {
  console.error('error[not_supported]: the footprint benchmark reads /proc (Linux only)');
  process.exit(1);
}

const root = resolve(import.meta.dirname, '..', '..');
/** the Environment= lines of assets/service/rpa-agent.service */
const SERVICE_UNIT_ENV = Object.fromEntries(
  [...readFileSync(join(root, 'assets', 'service', 'rpa-agent.service'), 'utf8').matchAll(/^Environment=([A-Z_]+)=(\S*)$/gm)].map((m) => [m[1]!, m[2]!]),
);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (b: number) => (b / 1e6).toFixed(1);

function summarise(samples: ProcSample[][]): { rss: number; pss: number; perProc: Map<number, { name: string; rss: number; pss: number; nice: number }> } {
  // the median sample of the window (by total RSS)
  const totals = samples.map((s) => ({ s, rss: s.reduce((a, p) => a + p.rssBytes, 0), pss: s.reduce((a, p) => a + p.pssBytes, 0) })).sort((x, y) => x.rss - y.rss);
  const mid = totals[Math.floor(totals.length / 2)]!;
  return { rss: mid.rss, pss: mid.pss, perProc: new Map(mid.s.map((p) => [p.pid, { name: p.name, rss: p.rssBytes, pss: p.pssBytes, nice: p.nice }])) };
}

async function main(): Promise<number> {
  if (args.kind !== 'ok') return 2;
  const work = mkdtempSync(join(tmpdir(), 'rpa-bench-footprint-'));
  let agent: ChildProcess | undefined;
  let server: net.Server | undefined;
  // --broker mosquitto: a real Mosquitto in its own process, as a fleet's broker is never inside the agent's
  // host; the default embedded aedes serves the chunks from this process, on the same two cores
  const mosquitto = args.broker === 'mosquitto' ? await startMosquitto() : undefined;
  const broker = mosquitto ? undefined : await Aedes.createBroker();
  const cleanups: (() => unknown)[] = [];
  try {
    let url = mosquitto?.url ?? '';
    if (broker) {
      server = net.createServer({ noDelay: true }, broker.handle);
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
      url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    }
    const keysDir = join(work, 'keys');
    const modelsKey = await generateKeyFiles({ role: 'models', outDir: keysDir });
    const releasesKey = await generateKeyFiles({ role: 'releases', outDir: keysDir });
    const trustFile = join(work, 'trust.json');
    writeFileSync(trustFile, JSON.stringify(buildTrustFile({ models: [await readPublicKeyFile(modelsKey.publicKeyPath)], releases: [await readPublicKeyFile(releasesKey.publicKeyPath)] })), { mode: 0o444 });
    const admin = await connectBroker({ url, clientId: 'rpa-admin-footprint' });
    cleanups.push(() => admin.endAsync());
    const mKey = await loadSigningKey(modelsKey.privateKeyPath, 'models');
    const rKey = await loadSigningKey(releasesKey.privateKeyPath, 'releases');
    const stable: Partial<Record<Role, { stable: string }>> = {};
    for (const role of ROLES) {
      const dir = join(root, 'assets', 'models', role);
      const md = parseModelMetadata(JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')), join(dir, 'metadata.json'));
      const built = await buildManifest({ bytes: new Uint8Array(readFileSync(join(dir, 'model.onnx'))), chunkSize: 256 * 1024, metadata: md });
      await publishModel(admin, { manifestEnvelope: signManifest(built.manifest, [mKey]), chunks: built.chunks });
      stable[role] = { stable: built.modelId };
    }
    await publishRelease(admin, { channel: 'stable', roles: stable, expiresInMs: 86_400_000, keys: [rKey] });

    const config = {
      broker: { url, protocolVersion: 4 },
      agentId: 'footprint-01',
      channel: 'stable',
      trustFile,
      dataDir: join(work, 'agent-data'),
      endpoint: { path: join(work, 'agent.sock') },
      // no display here; a workstation captures its own screen (the bot sends a PNG instead)
      vision: { capture: false },
      // a shared 2-core build machine is not the reference workstation the manifests' budgets assume
      latencyBudgetMs: 5000,
      inference: { isolation: args.isolation, host: args.sessionHost },
    };
    const configFile = join(work, 'agent.json');
    writeFileSync(configFile, JSON.stringify(config));
    const events: { e: AgentEvent; at: number }[] = [];
    const secretService = 'rpa-edge-agent-bench-footprint';
    const t0 = performance.now();
    const gcs: GcEvent[] = [];
    const agentFlags = [...args.nodeFlags, ...(args.traceGc ? ['--trace-gc', '--trace-incremental-marking'] : [])];
    agent = spawn(process.execPath, [...agentFlags, ...(args.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(args.cpuProfDir)] : []), join(root, 'bin', 'rpa-agent.js'), 'run', '--config', configFile, '--json', '--secret-service', secretService], {
      stdio: ['ignore', 'pipe', args.verbose ? 'inherit' : 'ignore'],
      env: args.serviceEnv ? { ...process.env, ...SERVICE_UNIT_ENV } : process.env,
    });
    createInterface({ input: agent.stdout! }).on('line', (line) => {
      try {
        events.push({ e: JSON.parse(line) as AgentEvent, at: performance.now() });
      } catch {
        // not an event line (a GC trace line with --trace-gc)
        const g = args.traceGc ? parseGcLine(line, performance.now()) : undefined;
        if (g) gcs.push(g);
        if (args.gcLog) appendFileSync(args.gcLog, `${performance.now().toFixed(0)} ${line}\n`);
      }
    });
    const waitEvent = async (pred: (e: AgentEvent) => boolean, what: string, ms = 120_000): Promise<{ e: AgentEvent; at: number }> => {
      const end = Date.now() + ms;
      for (;;) {
        const hit = events.find((x) => pred(x.e));
        if (hit) return hit;
        if (agent!.exitCode !== null) throw new Error(`the agent exited (${agent!.exitCode}) while waiting for ${what}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(50);
      }
    };
    for (const role of ROLES) {
      const { e } = await waitEvent((e) => e.role === role && e.modelId === stable[role]!.stable && ['activated', 'activation_failed', 'model_rejected'].includes(e.type), `${role} to activate`);
      if (e.type !== 'activated') throw new Error(`${role}: ${e.type} ${e.reason} ${e.message}`);
    }
    const activeAt = performance.now();
    console.log(`agent pid ${agent.pid}: all three roles active ${((activeAt - t0) / 1000).toFixed(1)} s after start; settling ${args.settleSec} s`);
    await sleep(args.settleSec * 1000);

    // (a) idle: one sample a second; CPU = ticks of the whole tree over the window
    const windows: ProcSample[][] = [];
    const first = sampleTree(agent.pid!);
    const tA = performance.now();
    for (let i = 0; i < args.idleSec; i++) {
      await sleep(1000);
      windows.push(sampleTree(agent.pid!));
    }
    const last = windows[windows.length - 1]!;
    const wallSec = (performance.now() - tA) / 1000;
    const startCpu = new Map(first.map((p) => [p.pid, p.cpuSec]));
    let cpuSec = 0;
    for (const p of last) cpuSec += p.cpuSec - (startCpu.get(p.pid) ?? 0);
    const born = last.filter((p) => !startCpu.has(p.pid)).length;
    const died = first.filter((p) => !last.some((q) => q.pid === p.pid)).length;
    const idle = summarise(windows);
    const cpuPct = (cpuSec / wallSec) * 100;
    console.log(`\n(a) idle, three baseline models active, ${args.idleSec} samples over ${wallSec.toFixed(1)} s (median sample):`);
    for (const [pid, p] of idle.perProc) {
      const cpu = (last.find((q) => q.pid === pid)?.cpuSec ?? 0) - (startCpu.get(pid) ?? 0);
      console.log(`    pid ${String(pid).padEnd(8)} rss ${mb(p.rss).padStart(6)} MB  pss ${mb(p.pss).padStart(6)} MB  cpu ${(cpu * 1000).toFixed(0).padStart(4)} ms  nice ${String(p.nice).padStart(3)}  ${p.name}: ${cmdline(pid).slice(0, 100)}`);
      if (args.maps) for (const m of topMappings(pid)) console.log(`        ${mb(m.rssBytes).padStart(6)} MB  ${m.name}`);
    }
    console.log(`    TOTAL ${idle.perProc.size} processes: RSS ${mb(idle.rss)} MB, PSS ${mb(idle.pss)} MB (target ≤ 150 MB RSS: ${idle.rss <= 150e6 ? 'met' : 'NOT met'})`);
    console.log(`    CPU: ${(cpuSec * 1000).toFixed(0)} ms over ${wallSec.toFixed(1)} s = ${cpuPct.toFixed(3)} % of a core (target ≤ 0.2 %: ${cpuPct <= 0.2 ? 'met' : 'NOT met'})${born || died ? `; ${born} processes started, ${died} ended in the window` : ''}`);

    if (args.swap) {
      // (b) detect through the bot endpoint: quiet, during a fetch + swap, quiet again
      const secrets = await createKeytarSecretStore(secretService);
      const bot = await connect({ path: config.endpoint.path, secret: async () => (await secrets.get(SecretAccounts.endpointSecret)) ?? '', clientName: 'footprint-bench' });
      cleanups.push(() => bot.close());
      const pngs = await screenVariants(readFileSync(join(root, 'assets', 'samples', 'sample-screen.png')), args.frames);
      let nextFrame = 0;
      let cachedAnswers = 0;
      // at most ~45 calls a second: the endpoint answers rate_limited past 50 detect calls/s on a connection, which a
      // quiet agent now serves faster than that (p50 ~14 ms)
      let lastStart = -Infinity;
      // where a detect's time goes: the agent's own pipeline time (timings.total: decode to answer, in the agent) per
      // phase, and this process's event-loop delay (the embedded broker shares it with the bot client that times)
      let agentBucket: number[] | undefined;
      const agentQuiet: number[] = [];
      const agentDuring: number[] = [];
      const loopDelay = monitorEventLoopDelay({ resolution: 5 });
      const detect = async () => {
        const wait = lastStart + 22 - performance.now();
        if (wait > 0) await sleep(wait);
        lastStart = performance.now();
        const ts = performance.now();
        const png = pngs[nextFrame++ % pngs.length]!;
        const r = (await bot.call('detect', { source: { kind: 'png', png } })) as { timings?: Record<string, number> };
        // an answer from the frame cache ran no model: its timings have no detector stage
        if (r.timings && r.timings.detector === undefined) cachedAnswers++;
        if (typeof r.timings?.total === 'number') agentBucket?.push(r.timings.total);
        return performance.now() - ts;
      };
      // the first detect after the idle window: the vision buffers were given back after 30 s idle (issue 17 §2)
      const firstAfterIdle = await detect();
      for (let i = 0; i < 3; i++) await detect(); // warm
      cachedAnswers = 0;
      const quiet1: number[] = [];
      const phases = args.phases ? new SwapCpu(agent.pid!, 100) : undefined;
      phases?.start();
      const tQuiet = performance.now();
      agentBucket = agentQuiet;
      loopDelay.enable();
      for (let i = 0; i < args.detects; i++) quiet1.push(await detect());
      loopDelay.disable();
      const loopQuiet = loopDelay.percentile(99) / 1e6;
      loopDelay.reset();
      agentBucket = undefined;
      const tQuietEnd = performance.now();

      const bigFile = join(work, 'big.onnx');
      execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'make_big_model.py'), bigFile, String(args.mib), '7']);
      const big = await buildManifest({ bytes: new Uint8Array(readFileSync(bigFile)), role: 'similarity', name: 'big-similarity', version: '9.0.0', chunkSize: 256 * 1024 });
      await publishModel(admin, { manifestEnvelope: signManifest(big.manifest, [mKey]), chunks: big.chunks });
      const during: number[] = [];
      // this process's own CPU over the swap: the embedded broker serving the chunks, the bot's client, the
      // sampler — work a workstation does not do (its broker is elsewhere) on the same two cores
      const benchCpu0 = process.cpuUsage();
      const tPub = performance.now();
      await publishRelease(admin, { channel: 'stable', roles: { ...stable, similarity: { stable: big.modelId } }, expiresInMs: 86_400_000, keys: [rKey] });
      let done: { e: AgentEvent; at: number } | undefined;
      const finished = waitEvent((e) => e.modelId === big.modelId && ['activated', 'activation_failed', 'model_rejected'].includes(e.type), 'the big model to activate', 300_000).then((x) => (done = x));
      finished.catch(() => undefined);
      const before = sampleTree(agent.pid!);
      let peakRss = 0;
      let sampledAt = -Infinity;
      const duringAt: number[] = [];
      agentBucket = agentDuring;
      loopDelay.enable();
      while (!done) {
        if (args.swapAlone) await sleep(100);
        else {
          duringAt.push(performance.now() - tPub);
          during.push(await detect());
        }
        // the peak RSS at most every 250 ms: a tree sample reads /proc of every process and the agent's smaps_rollup
        // (1–5 ms of this process's CPU); after every detect it was work the quiet windows do not do, on the same cores
        if (performance.now() - sampledAt >= 250) {
          sampledAt = performance.now();
          const s = sampleTree(agent.pid!).reduce((a, p) => a + p.rssBytes, 0);
          if (s > peakRss) peakRss = s;
        }
        if (agent.exitCode !== null) break;
      }
      await finished;
      loopDelay.disable();
      const loopDuring = loopDelay.percentile(99) / 1e6;
      agentBucket = undefined;
      const benchCpu = process.cpuUsage(benchCpu0);
      phases?.stop();
      const tDone = done!.at;
      const after = sampleTree(agent.pid!);
      const cpuSwap = after.reduce((a, p) => a + p.cpuSec, 0) - before.filter((p) => after.some((q) => q.pid === p.pid)).reduce((a, p) => a + p.cpuSec, 0);
      const started = events.find((x) => x.e.type === 'download_started' && x.e.modelId === big.modelId);
      const verified = events.find((x) => x.e.type === 'model_verified' && x.e.modelId === big.modelId);
      const quiet2: number[] = [];
      agentBucket = agentQuiet;
      for (let i = 0; i < args.detects; i++) quiet2.push(await detect());
      agentBucket = undefined;
      const tQuiet2End = performance.now();
      const quiet = [...quiet1, ...quiet2];
      const row = (name: string, v: number[]) => console.log(`    ${name.padEnd(34)} n ${String(v.length).padStart(3)}  p50 ${percentile(v, 50).toFixed(1).padStart(6)} ms  p95 ${percentile(v, 95).toFixed(1).padStart(6)} ms  max ${Math.max(...v).toFixed(1).padStart(6)} ms`);
      console.log(`\n(b) detect (sample screen PNG, bot endpoint), ${args.mib} MiB similarity model fetched and swapped in (${done!.e.type}):`);
      console.log(`    release → download_started ${started ? ((started.at - tPub) / 1000).toFixed(2) : '?'} s, → model_verified ${verified ? ((verified.at - tPub) / 1000).toFixed(2) : '?'} s, → ${done!.e.type} ${((tDone - tPub) / 1000).toFixed(2)} s; agent tree CPU ${cpuSwap.toFixed(2)} s in that time; peak tree RSS ${mb(peakRss)} MB`);
      console.log(`    the bench process itself (${args.broker === 'aedes' ? 'embedded aedes broker serving the chunks, ' : ''}bot client, sampler): CPU ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(2)} s in that time`);
      console.log(`    first detect after the idle window ${firstAfterIdle.toFixed(1)} ms (a longer idle window than 30 s: after the vision buffers were given back)`);
      row('quiet (before)', quiet1);
      if (during.length > 0) row('during fetch + verify + warm + swap', during);
      row('quiet (after)', quiet2);
      if (agentDuring.length > 0) console.log(`    the agent's own time per detect (timings.total, decode → answer): quiet p50 ${percentile(agentQuiet, 50).toFixed(1)} p95 ${percentile(agentQuiet, 95).toFixed(1)} ms, during p50 ${percentile(agentDuring, 50).toFixed(1)} p95 ${percentile(agentDuring, 95).toFixed(1)} ms; this process's event-loop delay p99 quiet ${loopQuiet.toFixed(1)} ms, during ${loopDuring.toFixed(1)} ms`);
      console.log(`    ${args.frames} screen variant(s) in turn: ${cachedAnswers} of ${quiet.length + during.length} timed detects answered from the frame cache${args.frames > 1 && cachedAnswers > 0 ? ' (expected none)' : ''}`);
      const marks = [['verified', verified?.at], [done!.e.type, tDone]] as const;
      const when = (t: number) => marks.map(([name, at]) => (at === undefined ? '' : `${((t - (at - tPub)) / 1000).toFixed(2)} s from ${name}`)).join(', ');
      const slowest = during.map((ms, i) => ({ ms, at: duringAt[i]! })).sort((x, y) => y.ms - x.ms).slice(0, 5);
      if (during.length > 0 && verified) {
        const split = (pred: (at: number) => boolean) => during.filter((_, i) => pred(duringAt[i]!));
        const dl = split((at) => at < verified.at - tPub);
        const act = split((at) => at >= verified.at - tPub);
        const p = (v: number[]) => (v.length ? `n ${v.length} p50 ${percentile(v, 50).toFixed(1)} p95 ${percentile(v, 95).toFixed(1)} ms` : 'none');
        console.log(`    during, by phase: download ${p(dl)}; verify + warm + swap ${p(act)}`);
      }
      if (during.length > 0) console.log(`    slowest during: ${slowest.map((x) => `${x.ms.toFixed(0)} ms at ${(x.at / 1000).toFixed(2)} s (${when(x.at)})`).join('; ')}`);
      const ratio = percentile(during, 95) / percentile(quiet, 95);
      // the sampler keeps what a process that ended meanwhile (the warming process) spent; the tree sample does not
      const sampled = phases ? ` (${phases.total(tPub, tDone).toFixed(2)} s with processes that ended meanwhile, from --phases)` : '';
      if (args.swapAlone) console.log(`    the swap alone (no detects during it): agent tree CPU ${cpuSwap.toFixed(2)} s${sampled}`);
      else console.log(`    p95 during / p95 quiet (before + after): ${ratio.toFixed(3)}× (target ≤ 1.10×: ${ratio <= 1.1 ? 'met' : 'NOT met'})`);
      if (phases) {
        const marks = [{ name: 'quiet (detects only)', at: tQuiet }, { name: 'quiet end (bench makes the model)', at: tQuietEnd }, { name: 'release', at: tPub }, ...(started ? [{ name: 'download_started', at: started.at }] : []), ...(verified ? [{ name: 'model_verified', at: verified.at }] : []), { name: done!.e.type, at: tDone }];
        console.log('    CPU per phase and thread (the busiest 8):');
        const cpuPerDetectSec = phases.total(tQuiet, tQuietEnd) / quiet1.length;
        const countIn = (from: number, to: number) => (from < tPub ? (to <= tQuietEnd ? quiet1.length : 0) : duringAt.filter((t) => t + tPub >= from && t + tPub < to).length);
        for (const l of phases.report(marks, { cpuPerDetectSec, countIn })) console.log(`      ${l}`);
      }
      if (args.traceGc) {
        console.log(`    agent GCs (--trace-gc; main-thread pauses):`);
        const spans = [['quiet (before)', tQuiet, tQuietEnd], ['release → model_verified (download)', tPub, verified?.at ?? tDone], ['model_verified → ' + done!.e.type, verified?.at ?? tDone, tDone], ['quiet (after)', tDone, tQuiet2End]] as const;
        for (const [name, from, to] of spans) console.log(`      ${name} (${((to - from) / 1000).toFixed(2)} s): ${gcSummary(gcs, from, to)}`);
        if (args.gcLog) appendFileSync(args.gcLog, spans.map(([name, from, to]) => `MARK ${from.toFixed(0)}–${to.toFixed(0)} ${name}\n`).join(''));
      }
      if (done!.e.type !== 'activated') console.log(`    the big model was not activated: ${done!.e.reason} ${done!.e.message}`);
    }
    console.log(`\nmachine: ${cpus().length}× ${cpus()[0]?.model}, node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${new Date().toISOString()}; agent from ${existsSync(join(root, 'dist', 'src', 'cli', 'rpa-agent.js')) ? 'dist/ (compiled)' : 'sources (tsx)'}${args.isolation === 'thread' ? ', isolation thread' : `, session host ${args.sessionHost}`}${args.serviceEnv ? `, environment of the service unit (${Object.entries(SERVICE_UNIT_ENV).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}`);
    console.log('command: bash scripts/with-keyring.sh node --import tsx scripts/bench/footprint.ts ' + process.argv.slice(2).join(' '));
    return 0;
  } finally {
    if (agent && agent.exitCode === null) {
      const gone = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await Promise.race([gone, sleep(8000)]);
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
    if (server) await new Promise((r) => server!.close(r));
    if (broker) await new Promise((r) => broker.close(() => r(undefined)));
    await mosquitto?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * `n` PNGs of the sample screen, each with its own 8×8 patch in the top-left corner (variant 0 is the screen as it
 * is): a bot on a changing screen sends frames the agent's frame cache has not seen.
 */
async function screenVariants(png: Buffer, n: number): Promise<string[]> {
  if (n <= 1) return [png.toString('base64')];
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const out: string[] = [png.toString('base64')];
  for (let k = 1; k < n; k++) {
    const px = Buffer.from(data);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) for (let c = 0; c < Math.min(3, info.channels); c++) px[(y * info.width + x) * info.channels + c] = (k * 37 + c * 11) % 256;
    out.push((await sharp(px, { raw: { width: info.width, height: info.height, channels: info.channels } }).png().toBuffer()).toString('base64'));
  }
  return out;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error[internal]: ${(e as Error).message}`);
    process.exit(1);
  },
);
