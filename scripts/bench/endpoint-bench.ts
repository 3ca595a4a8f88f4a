/**
 * Bot endpoint benchmark (issue 5 "Measured"):
 *  1. health round trip over one connection, one call at a time: p50 / p95 / p99 (target p50 ≤ 0.5 ms)
 *  2. health throughput over one connection with pipelining (target ≥ 10,000 calls/s)
 *  3. detect through the endpoint vs the same detection in process (target within 5 % or 3 ms)
 *
 * The agent runs in its own process (test/helpers/endpoint-agent-process.ts: the real endpoint, the real
 * credential store, onnxruntime inference over the fixture models), so client and server do not share an
 * event loop. Run:  bash scripts/with-keyring.sh node --import tsx scripts/bench/endpoint-bench.ts [--quick]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from '../../src/agent/endpoint/client.js';
import { checkPngBase64 } from '../../src/agent/endpoint/png.js';
import { BotLimitsDefaults } from '../../src/common/bot-protocol.js';
import { drawScreen, OnnxTestServices } from '../../test/helpers/endpoint-harness.js';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);

const quick = process.argv.includes('--quick');
const root = resolve(import.meta.dirname, '..', '..');

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}
const median = (a: number[]) => pct([...a].sort((x, y) => x - y), 50);

const dir = mkdtempSync(join(tmpdir(), 'ep-bench-'));
const path = join(dir, 'ep', 'endpoint.sock');
const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/endpoint-agent-process.ts')], {
  cwd: root,
  env: { ...process.env, ENDPOINT_PATH: path, ENDPOINT_LIMITS: JSON.stringify({ requestsPerSecond: 1e7, requestBurst: 1e6, heavyPerSecond: 1e4, heavyBurst: 1e4 }) },
  stdio: ['pipe', 'pipe', 'inherit'],
});
await new Promise<void>((res, rej) => {
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const o = JSON.parse(l);
    if (o.ready) res();
    if (o.error || o.fatal) rej(new Error(l));
  });
});

try {
  const c = await connect({ path, clientName: 'bench', validateResults: true });

  // 1. round trip, one at a time
  const nRtt = quick ? 2000 : 10_000;
  for (let i = 0; i < 1000; i++) await c.health();
  const rtt: number[] = [];
  for (let i = 0; i < nRtt; i++) {
    const t = performance.now();
    await c.health();
    rtt.push(performance.now() - t);
  }
  rtt.sort((a, b) => a - b);

  // 2. pipelined throughput: keep `window` calls in flight on one connection
  const total = quick ? 50_000 : 200_000;
  const window = 512;
  const runPipelined = async (validate: boolean) => {
    const cc = validate ? c : await connect({ path, clientName: 'bench-raw', validateResults: false });
    let sent = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: window }, async () => {
        while (sent < total) {
          sent++;
          await cc.health();
        }
      }),
    );
    const s = (performance.now() - t0) / 1000;
    if (!validate) cc.close();
    return total / s;
  };
  await runPipelined(true); // warm-up
  const throughput = await runPipelined(true);
  const throughputRaw = await runPipelined(false);

  // 3. detect: endpoint vs in process, same PNG, same services code, alternating
  const rects = Array.from({ length: 24 }, (_, i) => ({ x: 40 + (i % 6) * 200, y: 40 + Math.floor(i / 6) * 160, w: 120 + (i % 3) * 20, h: 28 + (i % 2) * 8, color: ['#2266cc', '#111111', '#cc3322'][i % 3]! }));
  const png = await drawScreen(1280, 720, rects);
  const b64 = png.toString('base64');
  const local = await OnnxTestServices.create();
  const nDet = quick ? 15 : 40;
  const inProc: number[] = [];
  const viaEp: number[] = [];
  const detectLocal = async () => {
    // what the server does before calling the services: base64 decode + header check
    const { png: bytes, header } = checkPngBase64(b64, BotLimitsDefaults);
    return local.detect({ source: { kind: 'png', png: bytes, width: header.width, height: header.height } }, { signal: new AbortController().signal });
  };
  for (let i = 0; i < 5; i++) {
    await detectLocal();
    await c.call('detect', { source: { kind: 'png', png: b64 } });
  }
  let elements = 0;
  const epService: number[] = [];
  for (let i = 0; i < nDet; i++) {
    let t = performance.now();
    const a = await detectLocal();
    inProc.push(performance.now() - t);
    t = performance.now();
    const b = await c.call('detect', { source: { kind: 'png', png: b64 } });
    viaEp.push(performance.now() - t);
    // time spent inside services.detect in the agent process: the rest is the endpoint's own cost
    epService.push(b.timings?.totalMs ?? NaN);
    elements = b.elements.length;
    if (a.elements.length !== b.elements.length) throw new Error('endpoint and in-process results differ');
  }
  c.close();

  // 3b. the same, with the endpoint server in THIS process (same CPU, same onnxruntime threads): isolates the
  // endpoint's cost (framing, JSON, base64, zod, queue, socket) from cross-process scheduling on a busy machine
  const { startBotEndpoint } = await import('../../src/agent/endpoint/server.js');
  const { newEndpointSecret } = await import('../../src/agent/endpoint/handshake.js');
  const secret = newEndpointSecret();
  const ep2 = await startBotEndpoint({ path: join(dir, 'ep2', 'endpoint.sock'), secret, services: local, limits: { heavyPerSecond: 1e4, heavyBurst: 1e4 } });
  const c2 = await connect({ path: ep2.path, secret });
  const inProc2: number[] = [];
  const viaEp2: number[] = [];
  const epService2: number[] = [];
  for (let i = 0; i < 3; i++) await c2.call('detect', { source: { kind: 'png', png: b64 } });
  // CPU time of this process per call (user + system, all threads): insensitive to waiting for a busy CPU
  let cpuIn = 0;
  let cpuEp = 0;
  for (let i = 0; i < nDet; i++) {
    let cu = process.cpuUsage();
    let t = performance.now();
    await detectLocal();
    inProc2.push(performance.now() - t);
    cu = process.cpuUsage(cu);
    cpuIn += (cu.user + cu.system) / 1000;
    cu = process.cpuUsage();
    t = performance.now();
    const r2 = await c2.call('detect', { source: { kind: 'png', png: b64 } });
    viaEp2.push(performance.now() - t);
    epService2.push(r2.timings?.totalMs ?? NaN);
    cu = process.cpuUsage(cu);
    cpuEp += (cu.user + cu.system) / 1000;
  }
  c2.close();
  await ep2.close();
  await local.dispose();

  const mIn = median(inProc);
  const mEp = median(viaEp);
  const over = mEp - mIn;
  const own = median(viaEp.map((v, i) => v - epService[i]!));
  const mIn2 = median(inProc2);
  const mEp2 = median(viaEp2);
  const over2 = mEp2 - mIn2;
  const own2 = median(viaEp2.map((v, i) => v - epService2[i]!));
  const fmt = (n: number) => n.toFixed(3);
  const min = (a: number[]) => Math.min(...a);
  const verdict = (o: number, base: number) => (o <= 3 || o / base <= 0.05 ? 'met' : 'NOT met');
  const lines = [
    `endpoint bench — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? '?'} ×${cpus().length}, Node ${process.version}, ${process.platform}${quick ? ' (--quick)' : ''}`,
    `command: bash scripts/with-keyring.sh node --import tsx scripts/bench/endpoint-bench.ts${quick ? ' --quick' : ''}`,
    `health round trip (${nRtt} sequential calls, one connection): p50 ${fmt(pct(rtt, 50))} ms  p95 ${fmt(pct(rtt, 95))} ms  p99 ${fmt(pct(rtt, 99))} ms   [target p50 ≤ 0.5 ms: ${pct(rtt, 50) <= 0.5 ? 'met' : 'NOT met'}]`,
    `health pipelined (${total} calls, ${window} in flight, one connection): ${Math.round(throughput)} calls/s with result validation, ${Math.round(throughputRaw)} calls/s without   [target ≥ 10,000: ${throughput >= 10_000 ? 'met' : 'NOT met'}]`,
    `detect 1280×720 PNG (${png.length} B), ${elements} elements, ${nDet} alternating runs, medians:`,
    `  agent in another process: in process ${fmt(mIn)} ms, through the endpoint ${fmt(mEp)} ms, difference ${fmt(over)} ms (${((over / mIn) * 100).toFixed(1)} %) [${verdict(over, mIn)}]; endpoint's own share (round trip − time inside services.detect) ${fmt(own)} ms`,
    `  endpoint in this process:  in process ${fmt(mIn2)} ms, through the endpoint ${fmt(mEp2)} ms, difference ${fmt(over2)} ms (${((over2 / mIn2) * 100).toFixed(1)} %) [${verdict(over2, mIn2)}]; endpoint's own share ${fmt(own2)} ms`,
    `  best of ${nDet} (least disturbed by other load): agent in another process ${fmt(min(inProc))} vs ${fmt(min(viaEp))} ms (+${fmt(min(viaEp) - min(inProc))}); endpoint in this process ${fmt(min(inProc2))} vs ${fmt(min(viaEp2))} ms (+${fmt(min(viaEp2) - min(inProc2))}) [${verdict(min(viaEp2) - min(inProc2), min(inProc2))}]`,
    `  CPU time per detect (endpoint in this process, client + server + inference): in process ${fmt(cpuIn / nDet)} ms, through the endpoint ${fmt(cpuEp / nDet)} ms, difference ${fmt((cpuEp - cpuIn) / nDet)} ms (${(((cpuEp - cpuIn) / cpuIn) * 100).toFixed(1)} %)`,
  ];
  // 4. the endpoint's own per-request work for that detect, by component (µs, single-threaded, warm)
  const { DetectParamsSchema, DetectResultSchema } = await import('../../src/common/bot-protocol.js');
  const req = { jsonrpc: '2.0', id: 1, method: 'detect', params: { source: { kind: 'png', png: b64 } } };
  const res = { elements: Array.from({ length: elements }, (_, i) => ({ index: i, box: [1, 2, 3, 4], score: 0.5, type: 'button', typeScore: 0.4, label: 'button' })), frame: { x: 0, y: 0, width: 1280, height: 720 }, timings: { totalMs: 3 } };
  const us = (f: () => unknown, n = 1000) => {
    for (let i = 0; i < 100; i++) f();
    const t = performance.now();
    for (let i = 0; i < n; i++) f();
    return ((performance.now() - t) / n) * 1000;
  };
  const reqText = Buffer.from(JSON.stringify(req));
  const parts = {
    'client stringify': us(() => JSON.stringify(req)),
    'server JSON.parse': us(() => JSON.parse(reqText.toString('utf8'))),
    'server zod params': us(() => DetectParamsSchema.safeParse(req.params)),
    'server base64 + PNG header': us(() => checkPngBase64(b64, BotLimitsDefaults)),
    'server stringify result': us(() => JSON.stringify(res)),
    'client zod result': us(() => DetectResultSchema.safeParse(res)),
  };
  const sum = Object.values(parts).reduce((a, b) => a + b, 0);
  lines.push(`  endpoint work per detect call (warm, µs): ${Object.entries(parts).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}; total ${sum.toFixed(0)} µs = ${((sum / 1000 / mIn2) * 100).toFixed(1)} % of the in-process detect`);
  // 5. the same components for a 1 MiB PNG payload (what a full-screen screenshot sent as a PNG costs)
  const { randomBytes } = await import('node:crypto');
  const big = randomBytes(1024 * 1024);
  const bigB64 = big.toString('base64');
  const bigReq = { jsonrpc: '2.0', id: 1, method: 'detect', params: { source: { kind: 'png', png: bigB64 } } };
  const bigText = Buffer.from(JSON.stringify(bigReq));
  const clientMs = us(() => JSON.stringify({ ...bigReq, params: { source: { kind: 'png', png: big.toString('base64') } } }), 20) / 1000;
  const serverMs = us(() => Buffer.from((JSON.parse(bigText.toString('utf8')) as typeof bigReq).params.source.png, 'base64'), 20) / 1000;
  lines.push(`  per MiB of PNG sent: client base64 + JSON ${clientMs.toFixed(1)} ms, server UTF-8 + JSON.parse + base64 decode ${serverMs.toFixed(1)} ms`);
  for (const l of lines) console.log(l);
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
