/**
 * E2E: `rpa-fleet trust init --root`, `trust rotate`, `trust revoke`, `trust show` (issue 20 §1), spawning
 * the real binary against aedes; the published statements are walked with the agents' own rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startAedes } from '../helpers/brokers.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { readTrustChain } from '../../src/fleet/trust-statements.js';
import { parseTrustFile } from '../../src/fleet/trust.js';
import { openFleetDb } from '../../src/fleet/fleet-db.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'rpa-fleet.js');
const fleetDb = join(mkdtempSync(join(tmpdir(), 'fleet-cli-trust-db-')), 'fleet.db');
openFleetDb(fleetDb).close(); // the fleet database exists, as after `rpa-fleet init`
function rpaFleet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000, env: { ...process.env, RPA_FLEET_DB: fleetDb } }, (e, stdout, stderr) => res({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }));
  });
}

test('rpa-fleet trust rotate / revoke / show: statements agents accept; refusals are coded and publish nothing', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-trust-'));
  const broker = await startAedes();
  try {
    const keyid: Record<string, string> = {};
    for (const [role, name] of [['root', 'root'], ['models', 'models'], ['releases', 'releases'], ['releases', 'releases-2'], ['releases', 'releases-3']]) {
      const r = await rpaFleet(['keys', 'generate', '--role', role!, '--name', name!, '--out', dir, '--json']);
      assert.equal(r.code, 0, r.stderr);
      keyid[name!] = JSON.parse(r.stdout).keyid;
    }
    const trust = join(dir, 'trust.json');
    const init = await rpaFleet(['trust', 'init', '--root', join(dir, 'root.pub.json'), '--models', join(dir, 'models.pub.json'), '--releases', join(dir, 'releases.pub.json'), '--out', trust]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /root: {5}1 of 1/);
    const b = ['--broker', broker.url];
    // a releases key cannot sign a trust statement
    const wrong = await rpaFleet(['trust', 'rotate', '--trust', trust, '--key', join(dir, 'releases.key'), '--releases', join(dir, 'releases-2.pub.json'), ...b]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /error\[bad_argument\].*releases key/);
    const rot = await rpaFleet(['trust', 'rotate', '--trust', trust, '--key', join(dir, 'root.key'), '--releases', join(dir, 'releases-2.pub.json'), ...b, '--json']);
    assert.equal(rot.code, 0, rot.stderr);
    assert.equal(JSON.parse(rot.stdout).version, 2);
    // revoking the only releases key without a replacement would leave the role empty
    const empty = await rpaFleet(['trust', 'revoke', keyid['releases-2']!, '--trust', trust, '--key', join(dir, 'root.key'), ...b]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /error\[bad_argument\].*releases role would have no key/);
    const rev = await rpaFleet(['trust', 'revoke', keyid['releases-2']!, '--trust', trust, '--key', join(dir, 'root.key'), '--releases', join(dir, 'releases-3.pub.json'), ...b, '--json']);
    assert.equal(rev.code, 0, rev.stderr);
    assert.deepEqual(JSON.parse(rev.stdout).revoked, [keyid['releases-2']]);
    const show = await rpaFleet(['trust', 'show', '--trust', trust, ...b, '--json']);
    assert.equal(show.code, 0, show.stderr);
    const s = JSON.parse(show.stdout);
    assert.equal(s.version, 3);
    assert.deepEqual(s.published, [2, 3]);
    assert.deepEqual(s.roles.releases.keyids, [keyid['releases-3']]);
    // the agents' walk arrives at the same place
    const client = await connectBroker({ url: broker.url, clientId: 'trust-check' });
    try {
      const chain = await readTrustChain(client, parseTrustFile(JSON.parse(readFileSync(trust, 'utf8'))));
      assert.equal(chain.state.version, 3);
      assert.deepEqual(chain.state.revoked, [keyid['releases-2']]);
    } finally {
      await client.endAsync();
    }
    // the fleet tools verify with the trust in force (the walked chain), not the v1 file's keys
    const pub = await rpaFleet(['model', 'publish', join(root, 'test', 'fixtures', 'models', 'tiny-a.onnx'), '--role', 'detector', '--name', 'tiny', '--version', '1.0.0', '--key', join(dir, 'models.key'), ...b, '--json']);
    assert.equal(pub.code, 0, pub.stderr);
    for (const seq of [1, 2]) {
      const rel = await rpaFleet(['release', 'publish', '--channel', 'stable', '--detector', 'tiny@1.0.0', '--key', join(dir, 'releases-3.key'), '--trust', trust, ...b, '--json']);
      assert.equal(rel.code, 0, rel.stdout + rel.stderr);
      assert.equal(JSON.parse(rel.stdout).seq, seq, 'the retained release signed by the v3 key verifies, so seq follows it');
    }
    const shown = JSON.parse((await rpaFleet(['release', 'show', '--channel', 'stable', '--trust', trust, ...b, '--json'])).stdout);
    assert.equal(shown.signature, 'valid');
    const old = await rpaFleet(['release', 'publish', '--channel', 'stable', '--detector', 'tiny@1.0.0', '--key', join(dir, 'releases.key'), '--trust', trust, ...b, '--json']);
    assert.equal(old.code, 0, 'the tool signs what it is given; agents refuse it (untrusted_key) and release show says so');
    assert.equal(JSON.parse((await rpaFleet(['release', 'show', '--channel', 'stable', '--trust', trust, ...b, '--json'])).stdout).signature, 'invalid');
    const bad = await rpaFleet(['trust', 'rotate', '--trust', trust, '--key', join(dir, 'root.key'), ...b]);
    assert.equal(bad.code, 2, 'nothing to rotate is a usage error');
    assert.match(bad.stderr, /error\[bad_argument\]/);
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
