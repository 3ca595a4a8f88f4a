/**
 * End to end through the real `rpa-fleet` binary: `controller` runs as a process against a broker
 * with simulated agents; `agents list|show`, `rollout start --follow`, `status` and
 * `feedback export` are spawned against its SQLite file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { generateKeyFiles, loadSigningKey } from '../../src/fleet/keys.js';
import { generateSigningKey } from '../../src/fleet/signer.js';
import { publishSimModel, publishSimRelease, startFleetSim, trustOf, type SimKeys } from '../../src/fleet/sim/index.js';
import { startAedes } from '../helpers/brokers.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'rpa-fleet.js');

function run(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      res({ code, out, err });
    });
  });
}

test('rpa-fleet controller + rollout start --follow + status + agents + feedback export (real binary)', async () => {
  const broker = await startAedes();
  const dir = mkdtempSync(join(tmpdir(), 'rpa-ctl-cli-e2e-'));
  const db = join(dir, 'fleet.db');
  const files = await generateKeyFiles({ role: 'releases', outDir: join(dir, 'keys') });
  const releases = await loadSigningKey(files.privateKeyPath, 'releases');
  const models = generateSigningKey();
  const keys: SimKeys = { models, releases, trust: trustOf(models, releases) };
  const admin = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  let controller: ChildProcess | undefined;
  let fleet: Awaited<ReturnType<typeof startFleetSim>> | undefined;
  try {
    const stable = await publishSimModel(admin, { keys, role: 'detector', name: 'd', version: '1.0.0', size: 2000 });
    const cand = await publishSimModel(admin, { keys, role: 'detector', name: 'd', version: '1.1.0', size: 2000 });
    await publishSimRelease(admin, { keys, channel: 'prod', roles: { detector: { stable } } });
    fleet = await startFleetSim({ url: broker.url, count: 10, channel: 'prod', trust: keys.trust, windowMs: 300, requestsPerWindow: 30, mqtt: { protocolVersion: broker.protocolVersion } });

    controller = spawn(process.execPath, [bin, 'controller', '--init', '--broker', broker.url, '--key', files.privateKeyPath, '--db', db, '--tick', '200ms', '--metrics-port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let ctlOut = '';
    controller.stdout!.on('data', (d) => (ctlOut += d));
    controller.stderr!.on('data', (d) => (ctlOut += d));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = existsSync(db) ? await run(['agents', 'list', '--online', '--json', '--db', db]) : { code: 1, out: '' };
      if (r.code === 0 && (JSON.parse(r.out) as { agents: unknown[] }).agents.length === 10) break;
      if (Date.now() > deadline) throw new Error(`controller never saw 10 agents: ${ctlOut}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(ctlOut, /controller .* running: db .*metrics http:\/\/127\.0\.0\.1:\d+\/metrics/);
    const healthUrl = /health (http:\/\/127\.0\.0\.1:\d+\/health)/.exec(ctlOut)?.[1];
    assert.ok(healthUrl, ctlOut);
    const health = await fetch(healthUrl);
    assert.equal(health.status, 200);
    assert.deepEqual(((await health.json()) as { ready: boolean; checks: { broker: { ok: boolean } } }).checks.broker.ok, true);

    const ro = await run(['rollout', 'start', '--db', db, '--channel', 'prod', '--role', 'detector', '--candidate', 'd@1.1.0', '--broker', broker.url, '--waves', '50,100', '--wave-min-duration', '1s', '--min-agents', '2', '--min-requests', '20', '--max-error-rate', '0.05', '--max-p95-ms', '100', '--follow']);
    assert.equal(ro.code, 0, ro.out + ro.err);
    assert.match(ro.out, /wave 50 % published/);
    assert.match(ro.out, /wave 100 % published/);
    assert.match(ro.out, /COMPLETED/);

    const st = await run(['status', '--json', '--db', db]);
    assert.equal(st.code, 0, st.err);
    const snap = JSON.parse(st.out) as { agents: { online: number }; cohorts: { model: string; p95: number }[] };
    assert.equal(snap.agents.online, 10);
    assert.ok(snap.cohorts.some((c) => c.model === cand && c.p95 > 0));
    const human = await run(['status', '--db', db]);
    assert.match(human.out, /agents: 10 online of 10/);
    assert.match(human.out, /channel prod: 10 online of 10/);
    assert.match(human.out, /controller: ctl-\w+ on /, 'the running controller is attached');
    assert.match(human.out, /P95 MS/);

    const show = await run(['agents', 'show', 'sim-0', '--db', db]);
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /recent windows:/);
    assert.equal((await run(['agents', 'show', 'nobody', '--db', db])).code, 1);

    // Feedback from an agent ends up in the exported dataset.
    const png = Buffer.from('89504e470d0a1a0a', 'hex').toString('base64');
    await admin.publishAsync('rpa/v1/agents/sim-3/feedback', JSON.stringify({ agentId: 'sim-3', id: 'fb-1', ts: new Date().toISOString(), kind: 'wrong_type', role: 'detector', box: [1, 2, 30, 40], expectedType: 'button', detectedType: 'checkbox', imagePng: png }), { qos: 1 });
    const outDir = join(dir, 'dataset');
    const fdl = Date.now() + 10_000;
    let lines: string[] = [];
    while (Date.now() < fdl) {
      const ex = await run(['feedback', 'export', '--out', outDir, '--db', db]);
      assert.equal(ex.code, 0, ex.err);
      lines = readFileSync(join(outDir, 'feedback.jsonl'), 'utf8').split('\n').filter(Boolean);
      if (lines.length) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(lines.length, 1);
    const item = JSON.parse(lines[0]!) as { image: string; expectedType: string };
    assert.equal(item.expectedType, 'button');
    assert.deepEqual(readFileSync(join(outDir, item.image)), Buffer.from(png, 'base64'));

    const usage = await run(['rollout', 'start', '--channel', 'prod']);
    assert.equal(usage.code, 2);
  } finally {
    if (controller && controller.exitCode === null) {
      const gone = new Promise((r) => controller!.once('exit', r));
      controller.kill('SIGTERM');
      await gone;
    }
    await fleet?.close();
    admin.end(true);
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
