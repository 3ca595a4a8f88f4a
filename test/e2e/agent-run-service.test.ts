/**
 * End to end through the real binaries: `rpa-agent run` (default: the full service over the InferenceHost)
 * with the real baseline models published by the fleet library on aedes; a bot detects through the
 * endpoint socket with the secret the agent created in the credential store; a metrics window arrives
 * upstream; `rpa-agent rollback --role classifier` rolls a new stable classifier back to the previous
 * kept version in the running agent; SIGTERM ends it with exit 0 and the lock file gone. The agent is the
 * process that was started (no launcher, issue 17 §2); on Linux the session processes it spawns carry glibc's
 * malloc tuning (src/agent/inference/malloc.ts): their real environment is checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, readEndpointSecret, type BotClient } from '../../src/agent/endpoint/index.js';
import { LOCK_FILE, readAgentLock } from '../../src/agent/local-admin.js';
import { MetricsWindowSchema, ROLES } from '../../src/common/wire.js';
import { startAedes } from '../helpers/brokers.js';
import { processTree } from '../helpers/process-tree.js';
import { makeFleet, publishRelease, releaseOf, repoRoot, T, workspace } from '../integration/agent-harness.js';
import { baselineBytes, buildBaseline, collectUpstream, openServiceWorld, publishBuilt, publishStableRelease, screenPng, serviceConfig, skipWithoutBaselines, variantBytes, type ServiceWorld } from '../integration/service-helpers.js';
import { startAgentRun, untilAgent as until } from '../helpers/agent-run.js';

const execFileP = promisify(execFile);
const AGENT = 'e2e-run-agent';
const BIN = join(repoRoot, 'bin', 'rpa-agent.js');

test(
  'rpa-agent run (real binary): all roles active, detect over the endpoint, metrics upstream; rpa-agent rollback in the running agent; clean SIGTERM',
  {
    timeout: 180_000,
    skip: skipWithoutBaselines,
  },
  async () => {
    let world: ServiceWorld | undefined;
    let child: ChildProcess | undefined;
    let client: BotClient | undefined;
    try {
      world = await openServiceWorld(AGENT);
      const { fleet, ws, admin } = world;
      const metrics = await collectUpstream(admin, T.agentMetrics(AGENT), (j) => MetricsWindowSchema.parse(j));
      const { stable, roles } = await publishStableRelease(admin, fleet);

      const socketPath = join(ws.dir, 'bot.sock');
      const configPath = join(ws.dir, 'agent.json');
      const dataDir = join(ws.dir, 'data');
      writeFileSync(configPath, JSON.stringify(serviceConfig(ws, world.broker, { endpoint: { path: socketPath } })));

      const run = startAgentRun(BIN, ['--config', configPath, '--json', '--secret-service', ws.service], { cwd: repoRoot });
      child = run.child;
      const { events, stderr, exited } = run;

      await until(() => ROLES.every((r) => events.some((e) => e.type === 'activated' && e.role === r && e.modelId === stable[r].modelId)), 240_000, 'all three roles activated', stderr);
      await until(() => existsSync(socketPath) && existsSync(join(dataDir, LOCK_FILE)), 30_000, 'endpoint socket and lock file', stderr);
      assert.equal(readAgentLock(dataDir)?.pid, child.pid, 'the agent runs in the process that was started (no launcher)');
      if (process.platform === 'linux') {
        // onnxruntime allocates in the session processes: they get glibc's malloc tuning when spawned
        const sessions = processTree(child.pid!).filter((p) => p.env.RPA_SESSION_PROCESS === '1');
        assert.ok(sessions.length > 0, 'the models run in session processes');
        for (const p of sessions) assert.equal(p.env.MALLOC_MMAP_THRESHOLD_, '32768', `session process ${p.pid} has the malloc tuning`);
      }

      // a bot: the secret the agent created on first run, from the same credential-store service
      client = await connect({ path: socketPath, secret: await readEndpointSecret(ws.secretStore), clientName: 'e2e-bot' });
      const st = await client.status();
      assert.equal(st.agent.agentId, AGENT);
      const det = await client.call('detect', { source: { kind: 'png', png: screenPng().toString('base64') } });
      assert.ok(det.elements.length > 0, 'elements detected through the endpoint');
      await until(() => metrics.some((w) => (w.roles.detector?.count ?? 0) > 0), 20_000, 'a metrics window with detector runs', stderr);

      // rollback in the running agent: a new stable classifier, then back to the previous kept one
      const cls2 = await buildBaseline('classifier', { bytes: variantBytes(baselineBytes('classifier'), 'e2e-classifier-2'), version: '1.0.2' });
      await publishBuilt(admin, cls2, fleet.modelKeys);
      await publishRelease(admin, releaseOf({ seq: 2, roles: { ...roles, classifier: { stable: cls2.modelId } } }), fleet.releaseKeys);
      await until(() => events.some((e) => e.type === 'activated' && e.modelId === cls2.modelId), 120_000, 'classifier 2 activated', stderr);
      const rb = await execFileP(process.execPath, [BIN, 'rollback', '--role', 'classifier', '--config', configPath, '--json'], { cwd: repoRoot, timeout: 60_000 });
      const res = JSON.parse(rb.stdout.trim()) as { role: string; from: string; to: string; via: string };
      assert.deepEqual(res, { role: 'classifier', from: cls2.modelId, to: stable.classifier.modelId, via: 'running-agent' });
      await until(() => events.some((e) => e.type === 'rolled_back' && e.role === 'classifier' && e.reason === 'manual_rollback'), 10_000, 'rolled_back event', stderr);
      const models = await client.call('models.list', undefined, { timeoutMs: 15_000 });
      assert.equal(models.models.find((m) => m.role === 'classifier')?.modelId, stable.classifier.modelId, 'the endpoint reports the rolled-back classifier');

      // a usage error is exit 2
      await assert.rejects(execFileP(process.execPath, [BIN, 'rollback', '--role', 'nope', '--config', configPath], { cwd: repoRoot, timeout: 60_000 }), (e: { code?: number }) => e.code === 2);

      client.close();
      client = undefined;
      child.kill('SIGTERM');
      assert.equal(await exited, 0, `exit code; stderr:\n${stderr().slice(-2000)}`);
      child = undefined;
      assert.equal(existsSync(join(dataDir, LOCK_FILE)), false, 'lock file removed on exit');
    } finally {
      client?.close();
      if (child && child.exitCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child!.once('exit', r));
      }
      await world?.close();
    }
  },
);

test(
  'rpa-agent run is one process: SIGINT (a terminal\'s Ctrl+C) → clean exit 0, lock file removed',
  { timeout: 90_000 },
  async () => {
    const fleet = makeFleet();
    const broker = await startAedes();
    const ws = await workspace(fleet, 'e2e-one-process');
    let child: ChildProcess | undefined;
    try {
      const configPath = join(ws.dir, 'agent.json');
      const dataDir = join(ws.dir, 'data');
      writeFileSync(configPath, JSON.stringify(ws.configFor(broker, { endpoint: { path: join(ws.dir, 'bot.sock') }, vision: { capture: false }, inference: { providers: ['cpu'] } })));
      let err = '';
      child = spawn(process.execPath, [BIN, 'run', '--config', configPath, '--json', '--secret-service', ws.service], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await until(() => readAgentLock(dataDir) !== undefined, 60_000, 'the agent lock file', () => err);
      assert.equal(readAgentLock(dataDir)!.pid, child.pid, 'the lock names the process that was started');
      const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
      child.kill('SIGINT');
      assert.equal(await exited, 0, `exit code after SIGINT; stderr:\n${err.slice(-2000)}`);
      assert.equal(existsSync(join(dataDir, LOCK_FILE)), false, 'lock file removed after SIGINT');
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await broker.close();
      await ws.cleanup();
    }
  },
);
