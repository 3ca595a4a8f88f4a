/**
 * End to end through the real binaries: `rpa-agent run` (default: the full service over the InferenceHost)
 * with the real baseline models published by the fleet library on aedes; a bot detects through the
 * endpoint socket with the secret the agent created in the credential store; a metrics window arrives
 * upstream; `rpa-agent rollback --role classifier` rolls a new stable classifier back to the previous
 * kept version in the running agent; SIGTERM ends it with exit 0 and the lock file gone. On Linux the
 * launcher runs the agent in a child with glibc's malloc tuning (bin/rpa-agent.js): the agent process's
 * real environment is checked, and a killed launcher's agent ends itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, readEndpointSecret, type BotClient } from '../../src/agent/endpoint/index.js';
import { LOCK_FILE, readAgentLock } from '../../src/agent/local-admin.js';
import { AgentEventSchema, MetricsWindowSchema, ROLES, type AgentEvent } from '../../src/common/wire.js';
import { startAedes } from '../helpers/brokers.js';
import { makeFleet, publishRelease, releaseOf, repoRoot, T, workspace } from '../integration/agent-harness.js';
import { baselineBytes, buildBaseline, collectUpstream, openServiceWorld, publishBaselines, publishBuilt, screenPng, serviceConfig, skipWithoutBaselines, variantBytes, type ServiceWorld } from '../integration/service-helpers.js';

const execFileP = promisify(execFile);
const AGENT = 'e2e-run-agent';
const BIN = join(repoRoot, 'bin', 'rpa-agent.js');

async function until(cond: () => boolean, timeoutMs: number, what: string, stderr: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; agent stderr:\n${stderr().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
      const { stable, roles } = await publishBaselines(admin, fleet);
      await publishRelease(admin, releaseOf({ seq: 1, roles }), fleet.releaseKeys);

      const socketPath = join(ws.dir, 'bot.sock');
      const configPath = join(ws.dir, 'agent.json');
      const dataDir = join(ws.dir, 'data');
      writeFileSync(configPath, JSON.stringify(serviceConfig(ws, world.broker, { endpoint: { path: socketPath } })));

      child = spawn(process.execPath, [BIN, 'run', '--config', configPath, '--json', '--secret-service', ws.service], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      const events: AgentEvent[] = [];
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        let i;
        while ((i = out.indexOf('\n')) >= 0) {
          const line = out.slice(0, i);
          out = out.slice(i + 1);
          if (line.trim()) events.push(AgentEventSchema.parse(JSON.parse(line)));
        }
      });
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
      const stderr = () => err;

      await until(() => ROLES.every((r) => events.some((e) => e.type === 'activated' && e.role === r && e.modelId === stable[r].modelId)), 240_000, 'all three roles activated', stderr);
      await until(() => existsSync(socketPath) && existsSync(join(dataDir, LOCK_FILE)), 30_000, 'endpoint socket and lock file', stderr);
      if (process.platform === 'linux') {
        // the launcher re-ran the agent with glibc's malloc tuning: check the agent process's own environment
        const agentPid = readAgentLock(dataDir)?.pid;
        assert.ok(agentPid && agentPid !== child.pid, `the agent runs in the launcher's child (lock pid ${agentPid}, launcher ${child.pid})`);
        const environ = readFileSync(`/proc/${agentPid}/environ`, 'utf8').split('\0');
        assert.ok(environ.includes('MALLOC_MMAP_THRESHOLD_=131072'), 'the agent process has the malloc tuning');
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
      assert.equal(await exited, 0, `exit code; stderr:\n${err.slice(-2000)}`);
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
  'rpa-agent run launcher (Linux): SIGINT to the launcher → forwarded once, clean exit 0; SIGKILL of the launcher → the agent process notices and shuts down cleanly (lock file removed)',
  { timeout: 90_000, skip: process.platform !== 'linux' ? 'the re-exec launcher is Linux-only (glibc)' : false },
  async () => {
    const fleet = makeFleet();
    const broker = await startAedes();
    const ws = await workspace(fleet, 'e2e-launcher');
    let child: ChildProcess | undefined;
    let agentPid: number | undefined;
    try {
      const configPath = join(ws.dir, 'agent.json');
      const dataDir = join(ws.dir, 'data');
      writeFileSync(configPath, JSON.stringify(ws.configFor(broker, { endpoint: { path: join(ws.dir, 'bot.sock') }, vision: { capture: false }, inference: { providers: ['cpu'] } })));
      let err = '';
      const start = () => {
        const c = spawn(process.execPath, [BIN, 'run', '--config', configPath, '--json', '--secret-service', ws.service], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
        c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        return c;
      };
      // Ctrl+C (SIGINT) to the launcher: the agent gets it once and ends cleanly with 0
      child = start();
      await until(() => readAgentLock(dataDir) !== undefined, 60_000, 'the agent lock file', () => err);
      const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
      child.kill('SIGINT');
      assert.equal(await exited, 0, `launcher exit code after SIGINT; stderr:\n${err.slice(-2000)}`);
      assert.equal(existsSync(join(dataDir, LOCK_FILE)), false, 'lock file removed after SIGINT');
      // SIGKILL of the launcher: the orphaned agent shuts itself down
      child = start();
      await until(() => readAgentLock(dataDir) !== undefined, 60_000, 'the agent lock file', () => err);
      agentPid = readAgentLock(dataDir)!.pid;
      assert.notEqual(agentPid, child.pid);
      child.kill('SIGKILL');
      await until(() => !existsSync(join(dataDir, LOCK_FILE)), 20_000, 'the orphaned agent to shut down', () => err);
      await until(() => {
        try {
          process.kill(agentPid!, 0);
          return false;
        } catch {
          return true;
        }
      }, 10_000, 'the agent process to exit', () => err);
      agentPid = undefined;
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (agentPid) {
        try {
          process.kill(agentPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await broker.close();
      await ws.cleanup();
    }
  },
);
