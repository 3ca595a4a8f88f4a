/** E2E: `rpa-fleet release publish` and `rpa-fleet release show`, spawning the real binary against aedes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ReleaseSchema } from '../../src/common/wire.js';
import { topics } from '../../src/common/topics.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { buildRelease, signRelease } from '../../src/fleet/publisher.js';
import { generateSigningKey } from '../../src/fleet/signer.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';
import { openFleetDb } from '../../src/fleet/fleet-db.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'rpa-fleet.js');
const fixture = (n: string) => join(root, 'test', 'fixtures', 'models', n);
const fleetDb = join(mkdtempSync(join(tmpdir(), 'fleet-cli-rel-db-')), 'fleet.db');
openFleetDb(fleetDb).close(); // the fleet database exists, as after `rpa-fleet init`
function rpaFleet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000, env: { ...process.env, RPA_FLEET_DB: fleetDb } }, (e, stdout, stderr) => res({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }));
  });
}

async function setup(dir: string, broker: TestBroker) {
  for (const role of ['models', 'releases']) assert.equal((await rpaFleet(['keys', 'generate', '--role', role, '--out', dir])).code, 0);
  const trust = join(dir, 'trust.json');
  assert.equal((await rpaFleet(['trust', 'init', '--models', join(dir, 'models.pub.json'), '--releases', join(dir, 'releases.pub.json'), '--out', trust])).code, 0);
  const publish = async (file: string, role: string, version: string, name = 'tiny') => {
    const r = await rpaFleet(['model', 'publish', fixture(file), '--role', role, '--name', name, '--version', version, '--key', join(dir, 'models.key'), '--broker', broker.url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).modelId as string;
  };
  return { trust, releasesKey: join(dir, 'releases.key'), modelsKey: join(dir, 'models.key'), publish };
}

test('rpa-fleet release publish: resolves name@version, seq increments, candidate rollout, roles carried over, coded errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-rel-'));
  const broker = await startAedes();
  try {
    const s = await setup(dir, broker);
    const a = await s.publish('tiny-a.onnx', 'detector', '1.0.0');
    const b = await s.publish('tiny-b.onnx', 'detector', '1.1.0');
    const cls = await s.publish('slow.onnx', 'classifier', '1.0.0', 'tiny-cls'); // tiny@1.0.0 is bound to tiny-a.onnx
    const common = ['--channel', 'stable', '--key', s.releasesKey, '--broker', broker.url, '--trust', s.trust, '--json'];
    const r1 = await rpaFleet(['release', 'publish', '--detector', 'tiny@1.0.0', '--classifier', cls, '--expires', '1d', ...common]);
    assert.equal(r1.code, 0, r1.stderr);
    const o1 = JSON.parse(r1.stdout);
    assert.equal(o1.seq, 1);
    assert.equal(o1.previousSeq, null);
    assert.deepEqual(o1.release.roles, { detector: { stable: a }, classifier: { stable: cls } });
    assert.ok(ReleaseSchema.safeParse(o1.release).success);
    assert.equal(Date.parse(o1.release.expires) - Date.parse(o1.release.issued), 86_400_000);
    const r2 = await rpaFleet([
      'release', 'publish', '--detector', a, '--candidate-detector', 'tiny@1.1.0', '--percent', '5', '--rollout-id', 'det-1.1.0', '--shadow',
      '--max-error-rate', '0.02', '--max-p95-ms', '80', ...common,
    ]);
    assert.equal(r2.code, 0, r2.stderr);
    const o2 = JSON.parse(r2.stdout);
    assert.equal(o2.seq, 2);
    assert.deepEqual(o2.keptRoles, ['classifier']);
    assert.equal(o2.release.roles.classifier.stable, cls);
    assert.deepEqual(o2.release.roles.detector.candidate, {
      modelId: b, rolloutId: 'det-1.1.0', percent: 5, shadow: true, gates: { maxErrorRate: 0.02, maxLatencyP95Ms: 80, guardWindowSec: 60, minSamples: 20 },
    });
    // --replace drops the classifier; a role mismatch and an unknown model are coded errors
    const r3 = await rpaFleet(['release', 'publish', '--detector', 'tiny@1.1.0', '--replace', ...common]);
    assert.equal(JSON.parse(r3.stdout).release.roles.classifier, undefined);
    const wrongRole = await rpaFleet(['release', 'publish', '--classifier', 'tiny@1.1.0', ...common]);
    assert.equal(wrongRole.code, 1);
    assert.equal(JSON.parse(wrongRole.stdout).error.code, 'model_role_mismatch', 'the registry binds tiny@1.1.0 to a detector');
    const wrongRoleById = await rpaFleet(['release', 'publish', '--classifier', b, ...common]);
    assert.equal(JSON.parse(wrongRoleById.stdout).error.code, 'model_role_mismatch');
    const replay = await rpaFleet(['release', 'publish', '--detector', a, '--seq', '2', ...common]);
    assert.equal(JSON.parse(replay.stdout).error.code, 'release_replayed');
    const wrongKey = await rpaFleet(['release', 'publish', '--channel', 'stable', '--detector', a, '--key', s.modelsKey, '--broker', broker.url]);
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /models key; this operation needs a releases key/);
    const usage = await rpaFleet(['release', 'publish', '--channel', 'stable', '--detector', a, '--percent', '5', '--key', s.releasesKey, '--broker', broker.url]);
    assert.equal(usage.code, 2);
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rpa-fleet release show: valid release with --trust, forged one exits 1 with its code, missing channel not_found', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-show-'));
  const broker = await startAedes();
  try {
    const s = await setup(dir, broker);
    const a = await s.publish('tiny-a.onnx', 'detector', '1.0.0');
    assert.equal((await rpaFleet(['release', 'publish', '--channel', 'pilot', '--detector', a, '--note', 'first', '--key', s.releasesKey, '--broker', broker.url])).code, 0);
    const shown = await rpaFleet(['release', 'show', '--channel', 'pilot', '--broker', broker.url, '--trust', s.trust, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const o = JSON.parse(shown.stdout);
    assert.equal(o.signature, 'valid');
    assert.equal(o.expired, false);
    assert.equal(o.release.seq, 1);
    assert.equal(o.release.note, 'first');
    const text = await rpaFleet(['release', 'show', '--channel', 'pilot', '--broker', broker.url, '--trust', s.trust]);
    assert.match(text.stdout, /signature: valid/);
    assert.match(text.stdout, new RegExp(`detector\\s+stable ${a}`));
    const unverified = JSON.parse((await rpaFleet(['release', 'show', '--channel', 'pilot', '--broker', broker.url, '--json'])).stdout);
    assert.equal(unverified.signature, 'unverified');
    // a release signed by a key outside the trust file
    const c = await connectBroker({ url: broker.url });
    try {
      const forged = signRelease(buildRelease({ channel: 'pilot', seq: 99, roles: { detector: { stable: a } }, issued: new Date(), expires: new Date(Date.now() + 3_600_000) }), [generateSigningKey()]);
      await c.publishAsync(topics().release('pilot'), JSON.stringify(forged), { qos: 1, retain: true });
    } finally {
      await c.endAsync();
    }
    const bad = await rpaFleet(['release', 'show', '--channel', 'pilot', '--broker', broker.url, '--trust', s.trust]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /signature: invalid/);
    assert.match(bad.stderr, /error\[untrusted_key\]/);
    const none = await rpaFleet(['release', 'show', '--channel', 'nothing-here', '--broker', broker.url, '--json']);
    assert.equal(none.code, 1);
    assert.equal(JSON.parse(none.stdout).error.code, 'not_found');
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
