/**
 * The channel quality gate is one rule on every path (issue 20 §4): the controller's HTTP API
 * (POST /api/v1/rollouts and /releases) and the remote CLI (`rpa-fleet --controller URL rollout start`,
 * a real spawned binary) refuse a candidate whose signed evidence fails the channel's gate, with the
 * figures (measured, required, the evaluation set) in the coded error; a candidate with passing evidence
 * is accepted; a gate raised after a release refuses the next rollout. Real aedes broker, real SQLite,
 * real signatures, a real HTTP server (plain HTTP on loopback, as the API allows for tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildProvenance } from '../../src/common/provenance.js';
import { ApiContext } from '../../src/fleet/api/context.js';
import { startApiServer } from '../../src/fleet/api/server.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { publishProvenance, signProvenance } from '../../src/fleet/provenance.js';
import { parseMinQuality, setChannelGates } from '../../src/fleet/quality-gate.js';
import { makeSimKeys, publishSimModel, publishSimRelease } from '../../src/fleet/sim/index.js';
import { startAedes } from '../helpers/brokers.js';
import { seedRelease } from '../helpers/api-world.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'rpa-fleet.js');

const statement = (sha256: string, version: string, ap50: number) =>
  buildProvenance({ model: { name: 'det', version, sha256 }, recipe: 'scripts/train/detector.sh', commit: 'abcdef1', dataset: { manifest: 'manifest.json', sha256: 'c'.repeat(64) }, evaluation: { set: { name: 'held-out-v3' }, metrics: { 'detector.ap50': ap50 } }, builderId: 'test' });

function remoteCli(args: string[], token: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, RPA_FLEET_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('exit', (code) => (clearTimeout(t), res({ code, out, err })));
  });
}

test('API and remote CLI: rollout start and release publish refuse a candidate failing the channel gate, with the figures; a raised gate refuses the next rollout', { timeout: 120_000 }, async () => {
  const broker = await startAedes();
  const dir = mkdtempSync(join(tmpdir(), 'rpa-gate-paths-'));
  const keys = makeSimKeys();
  const client = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const store = new ControllerStore(join(dir, 'fleet.db'));
  const ctx = new ApiContext({ store, broker: { client, releaseKeys: [keys.releases], prefix: 'rpa/v1', modelsTrust: keys.trust.models, releasesTrust: keys.trust.releases } });
  const server = await startApiServer(ctx, { host: '127.0.0.1', port: 0, insecureHttp: true });
  const otto = ctx.tokens.create('otto', 'operator', 'test-setup', Date.now()).token;
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${server.url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${otto}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as any };
  };
  try {
    const stable = await publishSimModel(client, { keys, role: 'detector', name: 'det', version: '1.0.0', size: 3000 });
    const weak = await publishSimModel(client, { keys, role: 'detector', name: 'det', version: '1.1.0', size: 3000 });
    const strong = await publishSimModel(client, { keys, role: 'detector', name: 'det', version: '1.2.0', size: 3000 });
    const bare = await publishSimModel(client, { keys, role: 'detector', name: 'det', version: '1.3.0', size: 3000 });
    await publishProvenance(client, weak, signProvenance(statement(weak, '1.1.0', 0.7), [keys.models]));
    await publishProvenance(client, strong, signProvenance(statement(strong, '1.2.0', 0.91), [keys.models]));
    await publishSimRelease(client, { keys, channel: 'prod', roles: { detector: { stable } } });
    seedRelease(store, 'prod', stable);
    setChannelGates(store.db, 'prod', [parseMinQuality('detector.ap50=0.85')], Date.now());

    // API: the figures are in the problem (detail and details)
    const refused = await post('/rollouts', { channel: 'prod', role: 'detector', candidate: weak, reason: 'try weak' });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'quality_gate_failed');
    assert.match(refused.body.detail, /detector\.ap50 0\.7 < 0\.85 \(measured on held-out-v3\)/);
    assert.deepEqual({ measured: refused.body.details.measured, required: refused.body.details.required, set: refused.body.details.set }, { measured: { 'detector.ap50': 0.7 }, required: { 'detector.ap50': 0.85 }, set: 'held-out-v3' });
    assert.equal((await post('/rollouts', { channel: 'prod', role: 'detector', candidate: bare, reason: 'no evidence' })).body.code, 'provenance_missing');
    assert.equal(store.rollouts().length, 0, 'a refused rollout is never recorded');
    const rel = await post('/releases', { channel: 'prod', stable: { detector: weak }, reason: 'release weak' });
    assert.equal(rel.body.code, 'quality_gate_failed', JSON.stringify(rel.body));

    // the remote CLI (a real binary) sees the same coded refusal with the figures
    const remote = await remoteCli(['--controller', server.url, 'rollout', 'start', '--channel', 'prod', '--role', 'detector', '--candidate', weak, '--reason', 'remote weak'], otto);
    assert.equal(remote.code, 1, remote.out + remote.err);
    assert.match(remote.err, /error\[quality_gate_failed\]: .*detector\.ap50 0\.7 < 0\.85 \(measured on held-out-v3\)/);

    // passing evidence is accepted
    const ok = await post('/rollouts', { channel: 'prod', role: 'detector', candidate: strong, reason: 'strong', waves: [50, 100] });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal((await post(`/rollouts/${ok.body.rollout.id}/abort`, { reason: 'done with it' })).status, 200);

    // the gate raised after that: the same candidate is refused now, with the new figure required
    setChannelGates(store.db, 'prod', [parseMinQuality('detector.ap50=0.95')], Date.now());
    const raised = await post('/rollouts', { channel: 'prod', role: 'detector', candidate: strong, reason: 'strong again' });
    assert.equal(raised.body.code, 'quality_gate_failed', JSON.stringify(raised.body));
    assert.match(raised.body.detail, /detector\.ap50 0\.91 < 0\.95/);
    // another channel has no gate
    assert.equal((await post('/rollouts', { channel: 'dev', role: 'detector', candidate: weak, stable, reason: 'dev is ungated' })).status, 201);
  } finally {
    await server.close();
    await client.endAsync();
    store.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
