/**
 * Where the model-distribution time goes (issue 6 benchmark, "compare ratios in one run"): K clients
 * fetch every retained chunk of one M MiB model from a local Mosquitto, first as `mosquitto_sub`
 * processes (C client, no verification: the broker + loopback floor), then as K simulated agents in
 * one Node process (MQTT.js + Ed25519 manifest check + sha256 of every chunk).
 *
 *   node --import tsx scripts/bench/rollout-fetch-baseline.ts [--clients 50] [--model-mib 10] [--chunk-kib 1024]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { makeSimKeys, publishSimModel, publishSimRelease, startFleetSim } from '../../src/fleet/sim/index.js';
import { startMosquitto } from '../../test/helpers/brokers.js';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);

const { values } = parseArgs({ options: { clients: { type: 'string', default: '50' }, 'model-mib': { type: 'string', default: '10' }, 'chunk-kib': { type: 'string', default: '1024' } } });
const K = Number(values.clients);
const bytes = Math.round(Number(values['model-mib']) * 2 ** 20);
const chunk = Number(values['chunk-kib']) * 1024;
const broker = await startMosquitto();
try {
  const keys = makeSimKeys();
  const admin = await connectBroker({ url: broker.url, protocolVersion: 5 });
  const model = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.0.0', size: bytes, chunkSize: chunk });
  const nChunks = Math.ceil(bytes / chunk);
  const total = (K * bytes) / 2 ** 20;

  let t0 = performance.now();
  await Promise.all(
    Array.from({ length: K }, (_, i) =>
      new Promise<void>((res, rej) => {
        const p = spawn('mosquitto_sub', ['-p', String(broker.port), '-h', '127.0.0.1', '-q', '1', '-i', `sub-${i}`, '-C', String(nChunks), '-t', `rpa/v1/models/${model}/chunks/+`], { stdio: ['ignore', 'ignore', 'inherit'] });
        p.once('exit', (c) => (c === 0 ? res() : rej(new Error(`mosquitto_sub exit ${c}`))));
      }),
    ),
  );
  const subMs = performance.now() - t0;

  await publishSimRelease(admin, { keys, channel: 'fetch', roles: { detector: { stable: model } } });
  t0 = performance.now();
  const sim = await startFleetSim({ url: broker.url, count: K, channel: 'fetch', trust: keys.trust, windowMs: 60_000, connectBatch: K });
  const tConnected = performance.now() - t0;
  while (sim.countActive('detector', model) < K) await new Promise((r) => setTimeout(r, 20));
  const simMs = performance.now() - t0;
  await sim.close();
  admin.end(true);
  const r = {
    date: new Date().toISOString(),
    command: `node --import tsx scripts/bench/rollout-fetch-baseline.ts ${process.argv.slice(2).join(' ')}`.trim(),
    clients: K,
    modelMiB: bytes / 2 ** 20,
    chunkKiB: chunk / 1024,
    mosquittoSub: { ms: Math.round(subMs), MiBps: +(total / (subMs / 1000)).toFixed(1) },
    simAgents: { ms: Math.round(simMs), connectMs: Math.round(tConnected), MiBps: +(total / (simMs / 1000)).toFixed(1) },
    ratio: +(simMs / subMs).toFixed(2),
  };
  console.log('RESULT ' + JSON.stringify(r, null, 2));
} finally {
  await broker.close();
}
