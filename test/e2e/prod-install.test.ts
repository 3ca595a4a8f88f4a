/**
 * A production install that runs (issue 17 §3): the repo copied to a temp dir, compiled, installed with
 * `npm ci --omit=dev` (test/helpers/prod-install.ts names its two shortcuts: the compiler runs from this
 * checkout, native addons of the same version are copied instead of compiled). No demo/test broker
 * (aedes), no TypeScript runner (tsx) and no Electron in node_modules; then the installed `rpa-agent run`
 * — compiled JavaScript, one process — connects to a real Mosquitto, activates the three signed baseline
 * models the fleet library published, and answers a bot's detect on its endpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { connect, readEndpointSecret, type BotClient } from '../../src/agent/endpoint/index.js';
import { readAgentLock } from '../../src/agent/local-admin.js';
import { ROLES } from '../../src/common/wire.js';
import { startMosquitto, type TestBroker } from '../helpers/brokers.js';
import { processTree } from '../helpers/process-tree.js';
import { buildInto, cleanEnv, copyWorkingTree, installProduction, nodeModulesAbove } from '../helpers/prod-install.js';
import { adminClient, makeFleet, repoRoot, workspace, type AgentWorkspace } from '../integration/agent-harness.js';
import { publishStableRelease, screenPng, serviceConfig, skipWithoutBaselines } from '../integration/service-helpers.js';
import { startAgentRun, untilAgent as until } from '../helpers/agent-run.js';

const AGENT = 'e2e-prod-install';
/** what must not ship: the demo/test broker, the TypeScript runner and its bundler, Electron, the compiler */
const DEV_ONLY = ['aedes', 'tsx', 'esbuild', 'electron', 'typescript', 'playwright-core'];

test(
  'production install: npm ci --omit=dev into a copy ships no aedes/tsx/electron; the compiled rpa-agent run activates signed models from Mosquitto and answers a bot',
  { timeout: 300_000, skip: skipWithoutBaselines || (process.platform !== 'linux' ? 'copies Linux native addons and reads /proc' : false) },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'rpa-prod-install-'));
    let broker: TestBroker | undefined;
    let ws: AgentWorkspace | undefined;
    let admin: MqttClient | undefined;
    let child: ChildProcess | undefined;
    let client: BotClient | undefined;
    const t0 = Date.now();
    const lap = (what: string) => t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    try {
      assert.equal(nodeModulesAbove(dir), undefined, 'no node_modules above the copy (nothing may resolve from outside the install)');
      const n = copyWorkingTree(repoRoot, dir);
      lap(`copied ${n} files`);
      buildInto(repoRoot, dir);
      assert.ok(existsSync(join(dir, 'dist', 'src', 'cli', 'rpa-agent.js')), 'npm run build emitted the compiled CLI');
      lap('compiled');
      installProduction(repoRoot, dir);
      lap('npm ci --omit=dev');
      for (const p of DEV_ONLY) assert.equal(existsSync(join(dir, 'node_modules', p)), false, `${p} is not installed by npm ci --omit=dev`);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
      for (const p of DEV_ONLY) assert.equal(pkg.dependencies[p], undefined, `${p} is not a runtime dependency`);

      const bin = (name: string) => join(dir, 'bin', `${name}.js`);
      const env = cleanEnv();
      // both CLIs load every verb module at start: each starts with production dependencies only
      for (const name of ['rpa-agent', 'rpa-fleet']) {
        const out = execFileSync(process.execPath, [bin(name), '--help'], { cwd: dir, env }).toString();
        assert.match(out, new RegExp(`^${name} — `), `${name} --help from the install`);
      }

      broker = await startMosquitto();
      const fleet = makeFleet();
      const w = (ws = await workspace(fleet, AGENT));
      const dataDir = join(w.dir, 'data');
      admin = await adminClient(broker);
      const { stable, roles } = await publishStableRelease(admin, fleet);
      const socketPath = join(ws.dir, 'bot.sock');
      const configPath = join(ws.dir, 'agent.json');
      writeFileSync(configPath, JSON.stringify(serviceConfig(ws, broker, { endpoint: { path: socketPath } })));
      lap('Mosquitto up, baselines published');

      const run = startAgentRun(bin('rpa-agent'), ['--config', configPath, '--json', '--secret-service', ws.service], { cwd: dir, env });
      child = run.child;
      const { events, stderr, exited } = run;
      await until(() => ROLES.every((r) => events.some((e) => e.type === 'activated' && e.role === r && e.modelId === stable[r].modelId)) || child!.exitCode !== null, 150_000, 'all three roles activated', stderr);
      assert.equal(child.exitCode, null, `the installed agent exited: ${stderr().slice(-3000)}`);
      await until(() => existsSync(socketPath) && readAgentLock(dataDir) !== undefined, 30_000, 'endpoint socket and lock file', stderr);
      lap('all roles activated');

      // one agent process (no launcher); the models run in session processes with glibc's malloc tuning
      assert.equal(readAgentLock(dataDir)?.pid, child.pid, 'the lock names the process that was started');
      const tree = processTree(child.pid!);
      const sessions = tree.filter((p) => p.env.RPA_SESSION_PROCESS === '1');
      assert.ok(sessions.length > 0, 'models run in session processes');
      for (const p of sessions) assert.equal(p.env.MALLOC_MMAP_THRESHOLD_, '32768', `session process ${p.pid} has the malloc tuning`);
      const mb = (b: number) => (b / 2 ** 20).toFixed(1);
      t.diagnostic(`RSS: agent ${mb(tree[0]!.rssBytes)} MB + ${tree.length - 1} child process(es) ${tree.slice(1).map((p) => mb(p.rssBytes)).join(' + ')} MB = ${mb(tree.reduce((s, p) => s + p.rssBytes, 0))} MB`);

      client = await connect({ path: socketPath, secret: await readEndpointSecret(w.secretStore), clientName: 'prod-install-bot' });
      const det = await client.call('detect', { source: { kind: 'png', png: screenPng().toString('base64') } }, { timeoutMs: 60_000 });
      assert.ok(det.elements.length > 0, 'the installed agent detects elements for a bot');
      lap('bot answered');

      client.close();
      client = undefined;
      child.kill('SIGTERM');
      assert.equal(await exited, 0, `exit code after SIGTERM; stderr:\n${stderr().slice(-2000)}`);
      child = undefined;
    } finally {
      client?.close();
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child!.once('exit', r));
      }
      await admin?.endAsync();
      await broker?.close();
      await ws?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
