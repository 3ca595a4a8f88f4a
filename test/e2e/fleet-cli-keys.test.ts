/** E2E: `rpa-fleet keys generate` and `rpa-fleet trust init`, spawning the real binary. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TrustFileSchema } from '../../src/common/trust-file.js';
import { openFleetDb } from '../../src/fleet/fleet-db.js';

const bin = resolve(import.meta.dirname, '..', '..', 'bin', 'rpa-fleet.js');
// keys generate and trust init are audited in the fleet database: a throwaway one, never ./fleet.db
const fleetDb = join(mkdtempSync(join(tmpdir(), 'fleet-cli-keys-db-')), 'fleet.db');
openFleetDb(fleetDb).close(); // the fleet database exists, as after `rpa-fleet init`
function rpaFleet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000, env: { ...process.env, RPA_FLEET_DB: fleetDb } }, (e, stdout, stderr) => res({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }));
  });
}

test('rpa-fleet keys generate: writes a 0600 PEM and a .pub.json, prints the keyid, refuses to overwrite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-keys-'));
  try {
    const a = await rpaFleet(['keys', 'generate', '--role', 'models', '--out', join(dir, 'k')]);
    assert.equal(a.code, 0, a.stderr);
    const keyid = a.stdout.trim();
    assert.match(keyid, /^[0-9a-f]{64}$/);
    assert.equal(statSync(join(dir, 'k', 'models.key')).mode & 0o777, 0o600);
    const pub = JSON.parse(readFileSync(join(dir, 'k', 'models.pub.json'), 'utf8'));
    assert.equal(pub.role, 'models');
    assert.equal(pub.keyid, keyid);
    const j = await rpaFleet(['keys', 'generate', '--role', 'releases', '--out', join(dir, 'k'), '--name', 'rel', '--json']);
    assert.equal(j.code, 0, j.stderr);
    const out = JSON.parse(j.stdout);
    assert.equal(out.role, 'releases');
    assert.equal(out.publicKeyPath, join(dir, 'k', 'rel.pub.json'));
    const again = await rpaFleet(['keys', 'generate', '--role', 'models', '--out', join(dir, 'k'), '--json']);
    assert.equal(again.code, 1);
    assert.equal(JSON.parse(again.stdout).error.code, 'bad_argument');
    assert.equal(JSON.parse(readFileSync(join(dir, 'k', 'models.pub.json'), 'utf8')).keyid, keyid, 'old key untouched');
    const usage = await rpaFleet(['keys', 'generate', '--role', 'admins', '--out', dir]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /error\[bad_argument\].*models, releases, approvers/);
    const help = await rpaFleet(['keys', 'generate', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rpa-fleet trust init: a schema-valid trust file; wrong-role key and missing file refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-trust-'));
  try {
    for (const [role, name] of [['models', 'm1'], ['models', 'm2'], ['releases', 'r1']]) {
      assert.equal((await rpaFleet(['keys', 'generate', '--role', role!, '--out', dir, '--name', name!])).code, 0);
    }
    const p = (n: string) => join(dir, `${n}.pub.json`);
    const out = join(dir, 'trust.json');
    const r = await rpaFleet(['trust', 'init', '--models', `${p('m1')},${p('m2')}`, '--models-threshold', '2', '--releases', p('r1'), '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const trust = TrustFileSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    assert.equal(trust.roles.models.threshold, 2);
    assert.equal(trust.roles.models.keys.length, 2);
    assert.equal(trust.roles.releases.keys[0]!.publicKey, JSON.parse(readFileSync(p('r1'), 'utf8')).publicKey);
    assert.equal(JSON.parse(r.stdout).models.keyids.length, 2);
    const exists = await rpaFleet(['trust', 'init', '--models', p('m1'), '--releases', p('r1'), '--out', out]);
    assert.equal(exists.code, 1);
    assert.match(exists.stderr, /already exists/);
    const wrongRole = await rpaFleet(['trust', 'init', '--models', p('r1'), '--releases', p('r1'), '--out', join(dir, 't2.json')]);
    assert.equal(wrongRole.code, 1);
    assert.match(wrongRole.stderr, /error\[bad_argument\].*releases key, given as a models key/);
    const missing = await rpaFleet(['trust', 'init', '--models', join(dir, 'nope.pub.json'), '--releases', p('r1'), '--out', join(dir, 't3.json'), '--json']);
    assert.equal(missing.code, 1);
    assert.equal(JSON.parse(missing.stdout).error.code, 'not_found');
    writeFileSync(join(dir, 'junk.pub.json'), '{"role":"models"}');
    const junk = await rpaFleet(['trust', 'init', '--models', join(dir, 'junk.pub.json'), '--releases', p('r1'), '--out', join(dir, 't4.json')]);
    assert.equal(junk.code, 1);
    const tooHigh = await rpaFleet(['trust', 'init', '--models', p('m1'), '--models-threshold', '2', '--releases', p('r1'), '--out', join(dir, 't5.json')]);
    assert.equal(tooHigh.code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
