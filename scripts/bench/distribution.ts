/**
 * Issue 2 benchmark: model distribution over a loopback Mosquitto.
 *   (a) a 64 MiB model: the agent's fetch + per-chunk verify + whole-file verify + encrypted store,
 *       against a raw MQTT transfer of the same retained chunks (same broker, same chunk size, same run);
 *   (b) time from `release publish` to the `activated` event for a 10 MiB model.
 * Run: bash scripts/with-keyring.sh node --import tsx scripts/bench/distribution.ts [--runs 3] [--mib 64] [--chunk-kib 256]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { startMosquitto } from '../../test/helpers/brokers.js';
import { adminClient, buildModel, makeFleet, publishBuilt, publishRelease, releaseOf, startTestAgent, workspace } from '../../test/integration/agent-harness.js';
import type { AgentEvent } from '../../src/common/wire.js';
import { topics } from '../../src/common/topics.js';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, mib: { type: 'string', default: '64' }, 'chunk-kib': { type: 'string', default: '256' } } });
const runs = Number(values.runs), mib = Number(values.mib), chunkSize = Number(values['chunk-kib']) * 1024;
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const T = topics();

function makeModel(dir: string, sizeMib: number, seed: number): Uint8Array {
  const out = join(dir, `m-${sizeMib}-${seed}.onnx`);
  execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'make_big_model.py'), out, String(sizeMib), String(seed)]);
  return new Uint8Array(readFileSync(out));
}

async function rawTransfer(url: string, modelId: string, chunks: number): Promise<number> {
  const c = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, clean: true });
  let got = 0, bytes = 0;
  const t0 = performance.now();
  const done = new Promise<void>((res) =>
    c.on('message', (_t, m) => {
      got++;
      bytes += m.length;
      if (got === chunks) res();
    }),
  );
  await c.subscribeAsync(T.chunksWildcard(modelId), { qos: 1 });
  await done;
  const ms = performance.now() - t0;
  await c.endAsync();
  return ms;
}

function waitFor(agent: { subscribe(l: (c: { kind: string; event?: AgentEvent }) => void): () => void }, pred: (e: AgentEvent) => boolean): Promise<AgentEvent> {
  return new Promise((res) => {
    const off = agent.subscribe((c) => {
      if (c.kind === 'event' && c.event && pred(c.event)) {
        off();
        res(c.event);
      }
    });
  });
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'rpa-bench-dist-'));
  const broker = await startMosquitto();
  const fleet = makeFleet();
  const admin = await adminClient(broker);
  try {
    const big = makeModel(tmp, mib, 1);
    const built = await buildModel(big, { chunkSize });
    await publishBuilt(admin, built, fleet.modelKeys);
    const nChunks = built.manifest.chunkSha256.length;
    const raw: number[] = [], agentMs: number[] = [], fetchMs: number[] = [], startMs: number[] = [];
    let seq = 0;
    for (let i = 0; i < runs; i++) {
      raw.push(await rawTransfer(broker.url, built.modelId, nChunks));
      const ws = await workspace(fleet, `bench-${i}`);
      const a = await startTestAgent(ws, broker, { broker: { protocolVersion: 5 } as never, limits: { maxModelBytes: 1 << 30 } as never, fetch: { window: Number(process.env.BENCH_WINDOW ?? 32) } });
      await a.agent.ready;
      const verified = waitFor(a.agent as never, (e) => e.type === 'model_verified' || e.type === 'model_rejected');
      const fetched = waitFor(a.agent as never, (e) => e.type === 'download_progress' && e.details?.progress === 1).then(() => performance.now());
      const started = waitFor(a.agent as never, (e) => e.type === 'download_started').then(() => performance.now());
      const t0 = performance.now();
      await publishRelease(admin, releaseOf({ seq: ++seq, roles: { detector: { stable: built.modelId } } }), fleet.releaseKeys);
      const e = await verified;
      agentMs.push(performance.now() - t0);
      fetchMs.push((await fetched) - t0);
      startMs.push((await started) - t0);
      if (e.type !== 'model_verified') throw new Error(`agent rejected the model: ${e.reason} ${e.message}`);
      await a.close();
      await ws.cleanup();
    }
    const mbps = (ms: number) => ((mib * 1024 * 1024) / 1e6 / (ms / 1000)).toFixed(1);
    const r = median(raw), g = median(agentMs);
    console.log(`\n(a) ${mib} MiB model, ${chunkSize / 1024} KiB chunks (${nChunks} retained chunks), loopback Mosquitto, ${runs} runs, medians:`);
    console.log(`    raw MQTT transfer (subscribe to the chunk topics, receive all): ${r.toFixed(0)} ms (${mbps(r)} MB/s)  runs: ${raw.map((x) => x.toFixed(0)).join(', ')}`);
    console.log(`    agent fetch + verify + encrypted store (release → model_verified): ${g.toFixed(0)} ms (${mbps(g)} MB/s)  runs: ${agentMs.map((x) => x.toFixed(0)).join(', ')}`);
    console.log(`      of which release → download_started (release verify, manifest fetch, registry): ${median(startMs).toFixed(0)} ms; → chunks fetched + verified + sealed + durable (last progress event): ${median(fetchMs).toFixed(0)} ms; → whole-file check + store: ${(g - median(fetchMs)).toFixed(0)} ms`);
    console.log(`    ratio agent/raw: ${(g / r).toFixed(2)}×  (target ≤ 1.5×)`);

    // (b) release publish → activated, 10 MiB
    const ten = makeModel(tmp, 10, 2);
    const built10 = await buildModel(ten, { chunkSize });
    await publishBuilt(admin, built10, fleet.modelKeys);
    const act: number[] = [];
    for (let i = 0; i < runs; i++) {
      const ws = await workspace(fleet, `bench-act-${i}`);
      const a = await startTestAgent(ws, broker, { broker: { protocolVersion: 5 } as never });
      await a.agent.ready;
      const activated = waitFor(a.agent as never, (e) => e.type === 'activated' || e.type === 'model_rejected' || e.type === 'activation_failed');
      const t0 = performance.now();
      await publishRelease(admin, releaseOf({ seq: ++seq, roles: { detector: { stable: built10.modelId } } }), fleet.releaseKeys);
      const e = await activated;
      act.push(performance.now() - t0);
      if (e.type !== 'activated') throw new Error(`activation failed: ${e.reason} ${e.message}`);
      await a.close();
      await ws.cleanup();
    }
    console.log(`\n(b) 10 MiB model: release publish → activated: median ${median(act).toFixed(0)} ms  runs: ${act.map((x) => x.toFixed(0)).join(', ')}`);
    console.log(`\nmachine: ${cpus().length}× ${cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString()}`);
  } finally {
    await admin.endAsync();
    await broker.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
