/**
 * Issue 2 companion: where the CPU of a raw MQTT transfer goes on this box. Receives the 257 retained
 * 256 KiB chunks of a 64 MiB model (as the raw side of distribution.ts does) and prints wall time, this
 * process's CPU and Mosquitto's CPU (from /proc, 10 ms resolution) per run. With the agent's extra
 * per-64 MiB CPU (sha256 ×2, AES-GCM, writes) this bounds what ≤ 1.5× can mean on 2 cores.
 * Run: node --import tsx scripts/bench/distribution-cpu.ts   (Linux)
 */
import { readFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import mqtt from 'mqtt';
import { startMosquitto } from '../../test/helpers/brokers.js';
import { adminClient, buildModel, makeFleet, publishBuilt } from '../../test/integration/agent-harness.js';
import { topics } from '../../src/common/topics.js';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);
const T = topics();
const tick = 100; // USER_HZ
const cpuOf = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 1000 / tick; };
async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'cpu-'));
  const broker = await startMosquitto();
  const fleet = makeFleet();
  const admin = await adminClient(broker);
  execFileSync('/usr/bin/python3', ['scripts/bench/make_big_model.py', join(tmp, 'm.onnx'), '64', '1']);
  const built = await buildModel(new Uint8Array(readFileSync(join(tmp, 'm.onnx'))), { chunkSize: 262144 });
  await publishBuilt(admin, built, fleet.modelKeys);
  const mpid = Number(execFileSync('pgrep', ['-n', 'mosquitto']).toString().trim());
  for (let r = 0; r < 5; r++) {
    const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    let got = 0;
    const m0 = cpuOf(mpid); const u0 = process.cpuUsage(); const t0 = performance.now();
    const done = new Promise<void>((res) => c.on('message', () => { if (++got === built.chunks.length) res(); }));
    await c.subscribeAsync(T.chunksWildcard(built.modelId), { qos: 1 });
    await done;
    const wall = performance.now() - t0; const u = process.cpuUsage(u0); const m = cpuOf(mpid) - m0;
    console.log(`raw: wall ${wall.toFixed(0)} ms, node CPU ${((u.user + u.system) / 1000).toFixed(0)} ms, mosquitto CPU ${m.toFixed(0)} ms`);
    await c.endAsync();
  }
  await admin.endAsync(); await broker.close();
}
await main();
