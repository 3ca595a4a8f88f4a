/**
 * Crash and broker-restart resume (issue 2): a fetch interrupted by kill -9 of the real `rpa-agent run`
 * process, or by a broker restart, resumes with only the missing chunks and ends with the exact file.
 * Also the end-to-end test of the `run` and `status` verbs (real binary, real keytar, real SQLite).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import { AgentEventSchema, AgentStatusSchema, type AgentEvent } from '../../src/common/wire.js';
import { BlobStore } from '../../src/agent/store/blob-store.js';
import { Registry, REGISTRY_FILE } from '../../src/agent/store/registry.js';
import { SecretAccounts } from '../../src/agent/secrets/secret-store.js';
import type { BuiltModel } from '../../src/fleet/manifest.js';
import { startAedes, startMosquitto, type TestBroker } from '../helpers/brokers.js';
import { adminClient, buildModel, fixture, makeFleet, pub, publishRelease, releaseOf, repoRoot, signManifestRaw, startTestAgent, T, workspace } from './agent-harness.js';
import { waitUntil } from './agent-distribution-cases.js';
import { readAgentLock } from '../../src/agent/local-admin.js';

const execFileP = promisify(execFile);
const CHUNK = 4096;
const FIRST = 100; // chunks published before the interruption

function fetchHave(dataDir: string, modelId: string): number {
  const file = join(dataDir, REGISTRY_FILE);
  if (!existsSync(file)) return -1;
  const reg = Registry.open(file, { readonly: true });
  try {
    return reg.getFetch(modelId)?.have ?? -1;
  } catch {
    return -1;
  } finally {
    reg.close();
  }
}

async function publishChunks(admin: MqttClient, m: BuiltModel, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await pub(admin, T.chunk(m.modelId, i), m.chunks[i]!);
}

function spawnAgent(configPath: string, service: string): { child: ChildProcess; events: AgentEvent[]; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'rpa-agent.js'), 'run', '--config', configPath, '--json', '--secret-service', service], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: AgentEvent[] = [];
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) events.push(AgentEventSchema.parse(JSON.parse(line)));
    }
  });
  child.stderr!.on('data', (d) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, events, stderr: () => err, exited };
}

test('agent resume: kill -9 of `rpa-agent run` mid-fetch, restart → only the missing chunks are fetched, exact file; status verb reads it live', { timeout: 120_000 }, async () => {
  const broker = await startAedes();
  const fleet = makeFleet();
  const ws = await workspace(fleet, 'agent-kill');
  const admin = await adminClient(broker);
  const procs: ChildProcess[] = [];
  try {
    const bytes = fixture('slow.onnx');
    const m = await buildModel(bytes, { name: 'slow', chunkSize: CHUNK });
    const total = m.chunks.length;
    assert.ok(total > FIRST + 64, `${total} chunks`);
    const configPath = join(ws.dir, 'agent.json');
    const config = ws.configFor(broker, { agentId: 'agent-kill', latencyBudgetMs: 10_000 });
    writeFileSync(configPath, JSON.stringify(config));
    const dataDir = config.dataDir;

    // Manifest and the first FIRST chunks only: the agent stalls there, mid-fetch, waiting for the rest.
    await pub(admin, T.manifest(m.modelId), JSON.stringify(signManifestRaw(m.manifest, fleet.modelKeys)));
    await publishChunks(admin, m, 0, FIRST);
    await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: m.modelId } } }), fleet.releaseKeys);

    const first = spawnAgent(configPath, ws.service);
    procs.push(first.child);
    // the lock is written once the service is up (it names the endpoint), which may be after the first chunks
    await waitUntil(() => (fetchHave(dataDir, m.modelId) >= FIRST && readAgentLock(dataDir) !== undefined) || first.child.exitCode !== null, 60_000, 'first FIRST chunks on disk, agent lock written');
    assert.equal(first.child.exitCode, null, `agent exited early: ${first.stderr()}`);
    // kill -9 the agent process itself (the lock names it)
    const agentPid = readAgentLock(dataDir)?.pid;
    assert.ok(agentPid, 'the running agent holds the lock');
    process.kill(agentPid, 'SIGKILL');
    await first.exited;
    assert.equal(fetchHave(dataDir, m.modelId), FIRST, 'every chunk published so far was durable before the kill');
    assert.ok(existsSync(join(dataDir, 'partial', `${m.modelId}.part`)));
    assert.ok(!existsSync(join(dataDir, 'blobs', m.modelId)), 'nothing in the store yet');

    await publishChunks(admin, m, FIRST, total);
    const second = spawnAgent(configPath, ws.service);
    procs.push(second.child);
    await waitUntil(() => second.events.some((e) => e.type === 'activated') || second.child.exitCode !== null, 60_000, 'activation after restart');
    assert.equal(second.child.exitCode, null, `agent exited: ${second.stderr()}`);
    const started = second.events.find((e) => e.type === 'download_started')!;
    assert.equal(started.details?.have, FIRST, 'resumed from the chunks on disk');
    const verified = second.events.find((e) => e.type === 'model_verified')!;
    assert.equal(verified.details?.resumedFrom, FIRST);
    assert.equal(verified.details?.received, total - FIRST, 'subscribed to and received only the missing chunks');
    assert.equal(verified.details?.written, total - FIRST);
    assert.equal(verified.details?.chunksWrittenTotal, total, 'each chunk written exactly once over both runs');
    assert.ok(second.events.some((e) => e.type === 'store_recovered'), 'the interrupted fetch was reported');

    // `rpa-agent status` while the agent runs (read-only registry, WAL)
    const { stdout } = await execFileP(process.execPath, [join(repoRoot, 'bin', 'rpa-agent.js'), 'status', '--config', configPath, '--json'], { cwd: repoRoot });
    const st = JSON.parse(stdout) as { ok: boolean; releaseSeq: number; roles: { detector: { state: string; modelId: string; provider: string } }; fetches: unknown[] };
    assert.equal(st.ok, true);
    assert.equal(st.releaseSeq, 1);
    assert.equal(st.roles.detector.state, 'committed');
    assert.equal(st.roles.detector.modelId, m.modelId);
    assert.equal(st.roles.detector.provider, 'cpu');
    assert.deepEqual(st.fetches, []);
    const human = await execFileP(process.execPath, [join(repoRoot, 'bin', 'rpa-agent.js'), 'status', '--config', configPath], { cwd: repoRoot });
    assert.match(human.stdout, /detector\s+committed\s+slow@1\.0\.0/);

    // the exact file, decrypted with the key from the credential store
    const key = Buffer.from((await ws.secretStore.get(SecretAccounts.modelKey))!, 'base64');
    assert.deepEqual(Buffer.from(await new BlobStore(dataDir, key).read(m.modelId)), Buffer.from(bytes));
    assert.ok(!existsSync(join(dataDir, 'partial', `${m.modelId}.part`)), 'partial file removed');

    // SIGTERM: clean exit 0 and a retained offline status
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, second.stderr());
    const offline = await new Promise<unknown>((resolve) => {
      admin.on('message', (topic, payload) => {
        if (topic === T.agentStatus('agent-kill')) resolve(JSON.parse(payload.toString()));
      });
      void admin.subscribeAsync(T.agentStatus('agent-kill'), { qos: 1 });
    });
    assert.equal(AgentStatusSchema.parse(offline).online, false);
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await admin.endAsync().catch(() => {});
    await broker.close();
    await ws.cleanup();
  }
});

for (const [kind, start] of [
  ['aedes', () => startAedes()],
  ['mosquitto', () => startMosquitto()],
] as const) {
  test(`agent resume (${kind}): broker restart mid-fetch → reconnects (jittered back-off), fetches only what is missing, exact file`, { timeout: 90_000 }, async () => {
    const broker: TestBroker = await start();
    const fleet = makeFleet();
    const ws = await workspace(fleet, 'agent-restart');
    let admin = await adminClient(broker);
    let ta: Awaited<ReturnType<typeof startTestAgent>> | undefined;
    try {
      const bytes = fixture('slow.onnx');
      const m = await buildModel(bytes, { name: 'slow', chunkSize: CHUNK });
      const total = m.chunks.length;
      await pub(admin, T.manifest(m.modelId), JSON.stringify(signManifestRaw(m.manifest, fleet.modelKeys)));
      await publishChunks(admin, m, 0, FIRST);
      ta = await startTestAgent(ws, broker, { agentId: 'agent-restart', latencyBudgetMs: 10_000 });
      const agent = ta.agent;
      const connections: boolean[] = [];
      agent.subscribe((c) => {
        if (c.kind === 'status' && connections.at(-1) !== c.status.connected) connections.push(c.status.connected);
      });
      await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: m.modelId } } }), fleet.releaseKeys);
      await waitUntil(() => fetchHave(ta!.config.dataDir, m.modelId) >= FIRST, 30_000, 'first chunks');
      await admin.endAsync();
      await broker.restart(300);
      await agent.waitFor((s) => s.connected && connections.includes(false), { timeoutMs: 20_000 });
      admin = await adminClient(broker);
      await publishChunks(admin, m, FIRST, total);
      const activated = await agent.waitForEvent((e) => e.type === 'activated' || e.reason !== undefined, { timeoutMs: 30_000 });
      assert.equal(activated.type, 'activated', JSON.stringify(activated));
      const verified = agent.snapshot().recentEvents.find((e) => e.type === 'model_verified')!;
      assert.equal(verified.details?.chunksWrittenTotal, total, 'each chunk written exactly once');
      assert.equal(verified.details?.written, total);
      assert.ok((verified.details?.received as number) <= total + 32, `received ${String(verified.details?.received)}`);
      const progress = agent.snapshot().recentEvents.filter((e) => e.type === 'download_progress');
      assert.ok(progress.length >= 1 && progress.length <= 10, `download_progress is throttled to 10 % steps (${progress.length})`);
      const key = Buffer.from((await ws.secretStore.get(SecretAccounts.modelKey))!, 'base64');
      assert.deepEqual(Buffer.from(await new BlobStore(ta.config.dataDir, key).read(m.modelId)), Buffer.from(bytes));
      assert.equal(agent.snapshot().roles.detector?.modelId, m.modelId);
    } finally {
      await ta?.close();
      await admin.endAsync().catch(() => {});
      await broker.close();
      await ws.cleanup();
    }
  });
}

test('rpa-agent run/status: a bad config is error[bad_config] with the zod path (exit 1); a bad flag is a usage error (exit 2)', { timeout: 60_000 }, async () => {
  const fleet = makeFleet();
  const ws = await workspace(fleet);
  try {
    const bad = join(ws.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ broker: { url: 'mqtt://127.0.0.1:1' }, agentId: 'a/b', channel: 'stable', trustFile: 't', dataDir: 'd' }));
    const run = (args: string[]) =>
      execFileP(process.execPath, [join(repoRoot, 'bin', 'rpa-agent.js'), ...args], { cwd: repoRoot }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
    const r1 = await run(['run', '--config', bad]);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /error\[bad_config\]: agentId: /);
    const r2 = await run(['run', '--config', bad, '--no-such-flag']);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /error\[bad_argument\]/);
    const r3 = await run(['status', '--data-dir', join(ws.dir, 'nothing-here')]);
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /error\[not_found\]/);
  } finally {
    await ws.cleanup();
  }
});
