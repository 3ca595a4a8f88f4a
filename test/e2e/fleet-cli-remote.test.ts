/**
 * The remote CLI against a real controller process (issue 19 §1): `rpa-fleet controller --api-port 0
 * --api-cert --api-key` (HTTPS with an openssl test CA) on an aedes broker with signed models; tokens
 * made with `rpa-fleet tokens create`; `rpa-fleet login --controller URL --token-stdin` stores one in
 * the OS credential store (the test run's throwaway Secret Service), `$RPA_FLEET_TOKEN` serves
 * another origin; rollout start (candidate by name, resolved on the broker by the controller),
 * pause, a viewer refused, release publish signed by the controller, audit with actors, revocation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { generateKeyFiles, loadSigningKey } from '../../src/fleet/keys.js';
import { generateSigningKey } from '../../src/fleet/signer.js';
import { publishSimModel, publishSimRelease, trustOf, type SimKeys } from '../../src/fleet/sim/index.js';
import { makeTestPki, startAedes } from '../helpers/brokers.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'rpa-fleet.js');

function run(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const env = { ...process.env, ...(opts.env ?? {}) };
    delete env['RPA_FLEET_TOKEN'];
    if (opts.env?.['RPA_FLEET_TOKEN']) env['RPA_FLEET_TOKEN'] = opts.env['RPA_FLEET_TOKEN'];
    const p = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.stdin.end(opts.stdin ?? '');
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('exit', (code) => {
      clearTimeout(t);
      res({ code, out, err });
    });
  });
}

const json = (r: { out: string }) => JSON.parse(r.out.trim().split('\n').at(-1)!) as Record<string, any>;

test('rpa-fleet --controller https://…: login, rollout start/pause/status, a viewer refused, release publish, audit actors, revocation (real controller process)', async () => {
  const broker = await startAedes();
  const dir = mkdtempSync(join(tmpdir(), 'rpa-remote-cli-'));
  makeTestPki(dir, []);
  const ca = join(dir, 'ca.crt');
  const db = join(dir, 'fleet.db');
  const files = await generateKeyFiles({ role: 'releases', outDir: join(dir, 'keys') });
  const keys: SimKeys = { models: generateSigningKey(), releases: await loadSigningKey(files.privateKeyPath, 'releases'), trust: undefined as never };
  keys.trust = trustOf(keys.models, keys.releases);
  const admin = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  let controller: ChildProcess | undefined;
  try {
    const stable = await publishSimModel(admin, { keys, role: 'detector', name: 'd', version: '1.0.0', size: 2000 });
    const cand = await publishSimModel(admin, { keys, role: 'detector', name: 'd', version: '1.1.0', size: 2000 });
    await publishSimRelease(admin, { keys, channel: 'prod', roles: { detector: { stable } } });
    assert.equal((await run(['init', '--db', db])).code, 0);
    const otto = json(await run(['tokens', 'create', '--name', 'otto', '--role', 'operator', '--db', db, '--json']));
    const vera = json(await run(['tokens', 'create', '--name', 'vera', '--role', 'viewer', '--db', db, '--json']));
    assert.match(otto['token'], /^rpaf_[0-9a-f]{12}_/);

    controller = spawn(process.execPath, [bin, 'controller', '--broker', broker.url, '--key', files.privateKeyPath, '--db', db, '--tick', '200ms', '--api-port', '0', '--api-cert', join(dir, 'server.crt'), '--api-key', join(dir, 'server.key')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let ctlOut = '';
    controller.stdout!.on('data', (d) => (ctlOut += d));
    controller.stderr!.on('data', (d) => (ctlOut += d));
    const deadline = Date.now() + 30_000;
    while (!/API https:\/\/127\.0\.0\.1:\d+\/api\/v1/.test(ctlOut)) {
      assert.ok(Date.now() < deadline, `controller API did not start: ${ctlOut}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const port = /API https:\/\/127\.0\.0\.1:(\d+)/.exec(ctlOut)![1]!;
    const url = `https://127.0.0.1:${port}`;
    const remote = (args: string[], o: { env?: Record<string, string>; origin?: string } = {}) => run(['--controller', o.origin ?? url, '--controller-ca', ca, ...args], o);

    // a token never goes on the command line: login reads it from stdin, checks it, stores it in the keyring
    const login = await run(['login', '--controller', url, '--controller-ca', ca, '--token-stdin'], { stdin: `${otto['token']}\n` });
    assert.equal(login.code, 0, login.err);
    assert.match(login.out, /logged in to https:\/\/127\.0\.0\.1:\d+ as otto \(operator\)/);
    assert.equal(json(await remote(['whoami', '--json']))['name'], 'otto');
    const noCa = await run(['--controller', url, 'whoami']);
    assert.equal(noCa.code, 1);
    assert.match(noCa.err, /error\[endpoint_unreachable\].*certificate/i);

    // the controller has seen the channel's release (retained) before a rollout can take its stable
    for (;;) {
      const l = await remote(['release', 'list', '--json']);
      if (l.code === 0 && json(l)['releases'].some((x: { channel: string }) => x.channel === 'prod')) break;
      assert.ok(Date.now() < deadline + 30_000, 'the controller never saw the prod release');
    }
    const started = await remote(['rollout', 'start', '--channel', 'prod', '--role', 'detector', '--candidate', 'd@1.1.0', '--waves', '50,100', '--min-agents', '1', '--reason', 'remote start', '--json']);
    assert.equal(started.code, 0, started.err);
    const id = json(started)['rollout']['id'] as string;
    assert.equal(json(started)['rollout']['spec']['candidate'], cand, 'the controller resolved d@1.1.0 on the broker');
    assert.equal(json(started)['rollout']['spec']['stable'], stable);

    const usage = await remote(['rollout', 'pause', id]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /error\[bad_argument\]: --reason TEXT is required/);
    const paused = await remote(['rollout', 'pause', id, '--reason', 'change freeze', '--json']);
    assert.equal(paused.code, 0, paused.err);
    // the controller's own database says so too (local CLI on the same file)
    const local = await run(['rollout', 'status', id, '--db', db, '--json']);
    assert.equal(json(local)['rollout']['state'], 'paused');

    // the viewer's token comes from $RPA_FLEET_TOKEN (another origin for the same controller: nothing in the keyring)
    const asVera = { env: { RPA_FLEET_TOKEN: vera['token'] as string }, origin: `https://localhost:${port}` };
    const veraStatus = await remote(['rollout', 'status', id, '--json'], asVera);
    assert.equal(veraStatus.code, 0, veraStatus.err);
    assert.equal(json(veraStatus)['rollout']['state'], 'paused');
    const refused = await remote(['rollout', 'abort', id, '--reason', 'not mine to abort'], asVera);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /error\[forbidden\]: vera has role viewer; abortRollout needs role operator/);

    const rel = await remote(['release', 'publish', '--channel', 'staging', '--detector', 'd@1.0.0', '--reason', 'staging baseline', '--json']);
    assert.equal(rel.code, 0, rel.err);
    assert.equal(json(rel)['seq'], 1);

    const audit = json(await remote(['audit', '--json']))['entries'] as { actor: string; action: string; rolloutId?: string; reason?: string; inputs: Record<string, unknown> }[];
    const mine = audit.filter((e) => e.inputs['via'] === 'api').map((e) => `${e.actor} ${e.action}${e.inputs['code'] ? `:${e.inputs['code']}` : ''}`);
    assert.deepEqual(mine, ['otto rollout.start', 'otto rollout.pause', 'vera api.refused:forbidden', 'otto release.publish']);
    assert.equal(audit.find((e) => e.action === 'rollout.pause')!.reason, 'change freeze');
    assert.equal((await remote(['audit', 'verify'])).code, 0);

    const revoke = await run(['tokens', 'revoke', vera['id'] as string, '--db', db, '--reason', 'left the team']);
    assert.equal(revoke.code, 0, revoke.err);
    const after = await remote(['rollout', 'status', id], asVera);
    assert.equal(after.code, 1);
    assert.match(after.err, /error\[token_revoked\]/);
  } finally {
    controller?.kill('SIGTERM');
    if (controller && controller.exitCode === null) await new Promise((r) => controller!.once('exit', r));
    await admin.endAsync();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
