/**
 * What a real `rpa-agent run` has loaded while nobody calls it (issue 17 §2, docs/BENCHMARKS.md "Footprint, round
 * 3"): with the three baseline models active and the start-up vision warm-up done, sharp's libvips is not mapped in
 * the agent process (src/agent/vision/sharp-lazy.ts: the warm-up uses a blank resize), nor in a session process;
 * the first image a bot sends loads it. Read from /proc/PID/maps of the real processes (Linux only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, readEndpointSecret, type BotClient } from '../../src/agent/endpoint/index.js';
import { ROLES } from '../../src/common/wire.js';
import { processTree } from '../helpers/process-tree.js';
import { repoRoot } from '../integration/agent-harness.js';
import { openServiceWorld, publishStableRelease, screenPng, serviceConfig, skipWithoutBaselines, type ServiceWorld } from '../integration/service-helpers.js';
import { startAgentRun, untilAgent as until } from '../helpers/agent-run.js';

const AGENT = 'e2e-lazy-load';
const BIN = join(repoRoot, 'bin', 'rpa-agent.js');

/** the shared objects mapped into a process whose path matches `re` */
function mapped(pid: number, re: RegExp): string[] {
  const paths = readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .map((l) => l.split(/\s+/).slice(5).join(' '))
    .filter((p) => re.test(p));
  return [...new Set(paths)];
}

const LIBVIPS = /libvips|sharp-[a-z0-9-]+\.node/;

test(
  'rpa-agent run, models active and warmed up, no bot yet: libvips is not loaded; the first PNG a bot sends loads it',
  { timeout: 180_000, skip: process.platform !== 'linux' ? 'reads /proc (Linux only)' : skipWithoutBaselines },
  async () => {
    let world: ServiceWorld | undefined;
    let child: ChildProcess | undefined;
    let client: BotClient | undefined;
    try {
      world = await openServiceWorld(AGENT);
      const { fleet, ws, admin } = world;
      const { stable, roles } = await publishStableRelease(admin, fleet);
      const socketPath = join(ws.dir, 'bot.sock');
      const configPath = join(ws.dir, 'agent.json');
      writeFileSync(configPath, JSON.stringify(serviceConfig(ws, world.broker, { endpoint: { path: socketPath } })));

      const run = startAgentRun(BIN, ['--config', configPath, '--json', '--secret-service', ws.service], { cwd: repoRoot });
      child = run.child;
      const { events, stderr } = run;
      await until(() => ROLES.every((r) => events.some((e) => e.type === 'activated' && e.role === r && e.modelId === stable[r].modelId)), 120_000, 'all three roles activated', stderr);
      await until(() => existsSync(socketPath), 30_000, 'the endpoint socket', stderr);
      // the vision warm-up starts at the detector's and the classifier's activation and takes well under a second
      await new Promise((r) => setTimeout(r, 3000));

      const agentPid = child.pid!;
      assert.deepEqual(mapped(agentPid, LIBVIPS), [], 'the idle agent process has not loaded sharp/libvips');
      const sessions = processTree(agentPid).filter((p) => p.env.RPA_SESSION_PROCESS === '1');
      assert.ok(sessions.length > 0, 'the models run in session processes');
      for (const p of sessions) assert.deepEqual(mapped(p.pid, LIBVIPS), [], `session process ${p.pid} has not loaded libvips`);

      client = await connect({ path: socketPath, secret: await readEndpointSecret(ws.secretStore), clientName: 'e2e-lazy-bot' });
      const det = await client.call('detect', { source: { kind: 'png', png: screenPng().toString('base64') } });
      assert.ok(det.elements.length > 0, 'the first detect works, sharp loaded on the way');
      assert.ok(mapped(agentPid, /libvips/).length > 0, 'after the first image the agent process has libvips mapped (the check above can see it)');
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
