/**
 * Model publish throughput: a random file (default 64 MiB) in 256 KiB chunks, published with
 * publishModel (retained QoS 1, bounded in-flight, manifest last) to a loopback broker, for several
 * in-flight limits, on a real Mosquitto and on in-process aedes. Baseline in the same run:
 * `mosquitto_pub -q 1 -r -f FILE` sending the same bytes as ONE message to the same Mosquitto.
 *
 * Run:  node --import tsx scripts/bench/publish.ts [--mib 64] [--chunk-kib 256] [--runs 1]
 * Prints one line per configuration and a JSON summary on the last line.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildManifest, signManifest } from '../../src/fleet/manifest.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { publishModel } from '../../src/fleet/publisher.js';
import { generateSigningKey } from '../../src/fleet/signer.js';
import { startAedes, startMosquitto, type TestBroker } from '../../test/helpers/brokers.js';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);

const { values } = parseArgs({ options: { mib: { type: 'string', default: '64' }, 'chunk-kib': { type: 'string', default: '256' }, runs: { type: 'string', default: '1' } } });
const size = Number(values.mib) * 1024 * 1024;
const chunkSize = Number(values['chunk-kib']) * 1024;
const runs = Number(values.runs);

const bytes = randomBytes(size);
const key = generateSigningKey();
// The contract is fixed here: the bench file is random bytes, not an ONNX model.
const readContract = async () => ({ inputs: [{ name: 'x', dtype: 'float32' as const, shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32' as const, shape: [1, 4] }] });
const tBuild = performance.now();
const built = await buildManifest({ bytes, role: 'detector', name: 'bench', version: '1.0.0', chunkSize, readContract });
const buildMs = performance.now() - tBuild;
const envelope = signManifest(built.manifest, [key]);
const mb = size / 1e6;

console.log(`# publish bench: ${(size / 1048576).toFixed(0)} MiB in ${built.chunks.length} chunks of ${chunkSize / 1024} KiB; ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}; node ${process.version}`);
console.log(`# command: node --import tsx scripts/bench/publish.ts --mib ${values.mib} --chunk-kib ${values['chunk-kib']} --runs ${runs}`);
console.log(`buildManifest (sha256 of file + chunks): ${buildMs.toFixed(0)} ms (${(mb / (buildMs / 1000)).toFixed(0)} MB/s)`);

const results: { broker: string; config: string; mbPerSec: number; ms: number }[] = [];

async function measure(brokerName: string, start: () => Promise<TestBroker>, maxInFlight: number): Promise<void> {
  for (let i = 0; i < runs; i++) {
    const broker = await start(); // a fresh broker per run: no retained data left from the last one
    const client = await connectBroker({ url: broker.url, ...broker.adminOptions });
    try {
      const r = await publishModel(client, { manifestEnvelope: envelope, chunks: built.chunks, maxInFlight });
      const rate = mb / (r.elapsedMs / 1000);
      results.push({ broker: brokerName, config: `publishModel maxInFlight=${maxInFlight}`, mbPerSec: rate, ms: r.elapsedMs });
      console.log(`${brokerName.padEnd(9)} publishModel maxInFlight=${String(maxInFlight).padEnd(3)} ${r.elapsedMs.toFixed(0).padStart(6)} ms  ${rate.toFixed(1).padStart(6)} MB/s`);
    } finally {
      await client.endAsync();
      await broker.close();
    }
  }
}

for (const n of [1, 4, 16, 64]) await measure('mosquitto', () => startMosquitto(), n);
await measure('aedes', () => startAedes(), 16);

// Baseline: mosquitto_pub sending the whole file as one QoS 1 retained message.
const dir = mkdtempSync(join(tmpdir(), 'bench-pub-'));
try {
  const file = join(dir, 'blob.bin');
  writeFileSync(file, bytes);
  for (let i = 0; i < runs; i++) {
    const broker = await startMosquitto();
    try {
      const t0 = performance.now();
      execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.port), '-q', '1', '-r', '-t', 'bench/blob', '-f', file], { stdio: 'pipe' });
      const ms = performance.now() - t0;
      results.push({ broker: 'mosquitto', config: 'mosquitto_pub one message', mbPerSec: mb / (ms / 1000), ms });
      console.log(`mosquitto mosquitto_pub -f (1 msg)     ${ms.toFixed(0).padStart(6)} ms  ${(mb / (ms / 1000)).toFixed(1).padStart(6)} MB/s  (includes process start)`);
    } finally {
      await broker.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
// Medians per configuration (the machine is shared and noisy: compare within one run).
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const configs = [...new Set(results.map((r) => `${r.broker}|${r.config}`))];
console.log('# medians');
for (const c of configs) {
  const rs = results.filter((r) => `${r.broker}|${r.config}` === c);
  const [b, cfg] = c.split('|');
  console.log(`${b!.padEnd(9)} ${cfg!.padEnd(30)} median ${median(rs.map((r) => r.mbPerSec)).toFixed(1).padStart(6)} MB/s over ${rs.length} run(s)`);
}
console.log(JSON.stringify({ date: new Date().toISOString(), sizeBytes: size, chunkSize, buildMs: Math.round(buildMs), results: results.map((r) => ({ ...r, mbPerSec: Number(r.mbPerSec.toFixed(1)), ms: Math.round(r.ms) })) }));
