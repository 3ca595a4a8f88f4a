/**
 * E2E: `rpa-fleet model publish` and `rpa-fleet models list`, spawning the real binary against an
 * in-process aedes broker and a real Mosquitto with password auth and the fleet ACL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PAYLOAD_TYPE_MODEL, verifyEnvelope } from '../../src/common/dsse.js';
import { topics } from '../../src/common/topics.js';
import { ModelManifestSchema } from '../../src/common/wire.js';
import { connectBroker, readRetained } from '../../src/fleet/mqtt.js';
import { nodeEd25519Verifier } from '../../src/fleet/signer.js';
import { fromBase64 } from '../../src/common/bytes.js';
import { startAedes, startMosquitto } from '../helpers/brokers.js';
import { createKeytarSecretStore } from '../../src/agent/secrets/secret-store.js';
import { openFleetDb } from '../../src/fleet/fleet-db.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'rpa-fleet.js');
const tinyA = join(root, 'test', 'fixtures', 'models', 'tiny-a.onnx');
// every audited verb writes the fleet database: one throwaway file for this test file, never ./fleet.db
const fleetDb = join(mkdtempSync(join(tmpdir(), 'fleet-cli-model-db-')), 'fleet.db');
openFleetDb(fleetDb).close(); // the fleet database exists, as after `rpa-fleet init`
function rpaFleet(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000, env: { ...process.env, RPA_FLEET_DB: fleetDb, ...env } }, (e, stdout, stderr) =>
      res({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }),
    );
  });
}

async function keysAndTrust(dir: string): Promise<{ modelsKey: string; releasesKey: string; trust: string }> {
  assert.equal((await rpaFleet(['keys', 'generate', '--role', 'models', '--out', dir])).code, 0);
  assert.equal((await rpaFleet(['keys', 'generate', '--role', 'releases', '--out', dir])).code, 0);
  const trust = join(dir, 'trust.json');
  assert.equal((await rpaFleet(['trust', 'init', '--models', join(dir, 'models.pub.json'), '--releases', join(dir, 'releases.pub.json'), '--out', trust])).code, 0);
  return { modelsKey: join(dir, 'models.key'), releasesKey: join(dir, 'releases.key'), trust };
}

test('rpa-fleet model publish (aedes): retained chunks + signed manifest an agent can verify; metadata; errors coded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-model-'));
  const broker = await startAedes();
  try {
    const k = await keysAndTrust(dir);
    const md = join(dir, 'metadata.json');
    writeFileSync(md, JSON.stringify({ role: 'detector', name: 'tiny', version: '1.0.0', labels: ['button'], latencyBudgetMs: 40, training: { epochs: 1 } }));
    const r = await rpaFleet(['model', 'publish', tinyA, '--metadata', md, '--key', k.modelsKey, '--broker', broker.url, '--chunk-size', '64', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no progress output with --json');
    const out = JSON.parse(r.stdout);
    const bytes = readFileSync(tinyA);
    assert.equal(out.modelId, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(out.chunks, Math.ceil(bytes.length / 64));
    // read back as an agent would: verify the manifest, then the chunks against it
    const c = await connectBroker({ url: broker.url });
    try {
      const t = topics();
      const man = await readRetained(c, t.manifest(out.modelId), { expect: 1 });
      const env = JSON.parse(man.get(t.manifest(out.modelId))!.toString());
      const pub = JSON.parse(readFileSync(join(dir, 'models.pub.json'), 'utf8'));
      const v = verifyEnvelope(env, PAYLOAD_TYPE_MODEL, [{ publicKey: fromBase64(pub.publicKey) }], 1, nodeEd25519Verifier);
      const manifest = ModelManifestSchema.parse(JSON.parse(new TextDecoder().decode(v.payload)));
      assert.deepEqual(manifest.labels, ['button']);
      assert.equal(manifest.latencyBudgetMs, 40);
      assert.deepEqual(manifest.contract.inputs, [{ name: 'x', dtype: 'float32', shape: [1, 4] }]);
      const chunks = await readRetained(c, t.chunksWildcard(out.modelId), { expect: out.chunks, timeoutMs: 3000 });
      assert.equal(chunks.size, out.chunks);
      for (const [topic, payload] of chunks) {
        const n = t.parseChunkTopic(topic)!.index;
        assert.equal(createHash('sha256').update(payload).digest('hex'), manifest.chunkSha256[n]);
      }
    } finally {
      await c.endAsync();
    }
    // non-TTY progress lines go to stderr, the modelId to stdout; --save-envelope keeps the signed manifest
    const saved = join(dir, 'manifest.dsse.json');
    const plain = await rpaFleet(['model', 'publish', tinyA, '--role', 'detector', '--name', 'tiny', '--version', '1.0.1', '--key', k.modelsKey, '--broker', broker.url, '--chunk-size', '64', '--save-envelope', saved]);
    const savedEnv = JSON.parse(readFileSync(saved, 'utf8'));
    assert.equal(savedEnv.payloadType, PAYLOAD_TYPE_MODEL);
    assert.equal(JSON.parse(Buffer.from(savedEnv.payload, 'base64').toString()).version, '1.0.1');
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout.trim(), /^[0-9a-f]{64}$/);
    assert.match(plain.stderr, /progress \[#+\] 100%/);
    // coded errors
    const missing = await rpaFleet(['model', 'publish', join(dir, 'none.onnx'), '--metadata', md, '--key', k.modelsKey, '--broker', broker.url, '--json']);
    assert.equal(missing.code, 1);
    assert.equal(JSON.parse(missing.stdout).error.code, 'not_found');
    const wrongKey = await rpaFleet(['model', 'publish', tinyA, '--metadata', md, '--key', k.releasesKey, '--broker', broker.url]);
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /error\[bad_argument\].*releases key/);
    const notOnnx = join(dir, 'junk.onnx');
    writeFileSync(notOnnx, 'not a model');
    const junk = await rpaFleet(['model', 'publish', notOnnx, '--metadata', md, '--key', k.modelsKey, '--broker', broker.url, '--json']);
    // issue 20 §3: the graph scan reads the file before onnxruntime does (was load_failed from onnxruntime)
    assert.equal(JSON.parse(junk.stdout).error.code, 'graph_unreadable');
    const custom = await rpaFleet(['model', 'publish', join(root, 'test', 'fixtures', 'models', 'scan-custom-domain.onnx'), '--role', 'detector', '--name', 'evil', '--version', '1.0.0', '--key', k.modelsKey, '--broker', broker.url, '--json']);
    assert.equal(custom.code, 1);
    assert.equal(JSON.parse(custom.stdout).error.code, 'graph_custom_domain', 'a graph the scan refuses is never signed nor published');
    const badFlag = await rpaFleet(['model', 'publish', tinyA, '--metadata', md, '--key', k.modelsKey, '--broker', broker.url, '--chunk-size', 'huge']);
    assert.equal(badFlag.code, 2);
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rpa-fleet models list (Mosquitto, password from --password-env): shows each manifest and its signature status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-models-'));
  const broker = await startMosquitto({ acl: true });
  try {
    const k = await keysAndTrust(dir);
    const auth = ['--broker', broker.url, '--username', broker.adminOptions.username!, '--password-env', 'RPA_TEST_PW'];
    const env = { RPA_TEST_PW: broker.adminOptions.password! };
    const pub = await rpaFleet(['model', 'publish', tinyA, '--role', 'classifier', '--name', 'tiny', '--version', '2.0.0', '--key', k.modelsKey, ...auth, '--json'], env);
    assert.equal(pub.code, 0, pub.stderr);
    assert.doesNotMatch(pub.stdout + pub.stderr, new RegExp(env.RPA_TEST_PW), 'the password is never printed');
    const modelId = JSON.parse(pub.stdout).modelId;
    const list = await rpaFleet(['models', 'list', ...auth, '--trust', k.trust, '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const models = JSON.parse(list.stdout).models;
    assert.equal(models.length, 1);
    assert.deepEqual([models[0].modelId, models[0].role, models[0].name, models[0].version, models[0].signature], [modelId, 'classifier', 'tiny', '2.0.0', 'valid']);
    const table = await rpaFleet(['models', 'list', ...auth, '--trust', k.trust], env);
    assert.match(table.stdout, /classifier\s+tiny@2\.0\.0\s+active\s+[0-9a-f]{16}\s+.*valid/);
    // a trust file with other keys: the same manifest shows as invalid (untrusted_key)
    const other = join(dir, 'other');
    const k2 = await keysAndTrust(other);
    const untrusted = JSON.parse((await rpaFleet(['models', 'list', ...auth, '--trust', k2.trust, '--json'], env)).stdout).models;
    assert.equal(untrusted[0].signature, 'invalid');
    assert.equal(untrusted[0].error.code, 'untrusted_key');
    // wrong password → broker_unreachable (credentials refused), unset variable → secret_missing
    const refused = await rpaFleet(['models', 'list', ...auth, '--json'], { RPA_TEST_PW: 'wrong' });
    assert.equal(refused.code, 1);
    assert.equal(JSON.parse(refused.stdout).error.code, 'broker_unreachable');
    const unset = await rpaFleet(['models', 'list', '--broker', broker.url, '--username', 'rpa-admin', '--password-env', 'RPA_TEST_PW_UNSET', '--json']);
    assert.equal(JSON.parse(unset.stdout).error.code, 'secret_missing');
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rpa-fleet models list with --password-store: the broker password comes from the OS credential store', async (t) => {
  // keytar needs a Secret Service; `npm test` and scripts/with-keyring.sh provide a throwaway one.
  let store;
  try {
    store = await createKeytarSecretStore('rpa-fleet');
    await store.set('e2e-broker', 'probe');
  } catch (e) {
    t.skip(`no OS credential store in this session (run under npm test or scripts/with-keyring.sh): ${(e as Error).message}`);
    return;
  }
  const broker = await startMosquitto({ acl: true });
  try {
    await store.set('e2e-broker', broker.adminOptions.password!);
    const auth = ['--broker', broker.url, '--username', 'rpa-admin', '--password-store', 'e2e-broker', '--json'];
    const r = await rpaFleet(['models', 'list', ...auth]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).models, []);
    const missing = await rpaFleet(['models', 'list', '--broker', broker.url, '--username', 'rpa-admin', '--password-store', 'e2e-no-such-account', '--json']);
    assert.equal(missing.code, 1);
    assert.equal(JSON.parse(missing.stdout).error.code, 'secret_missing');
  } finally {
    await store.delete('e2e-broker');
    await broker.close();
  }
});

test('rpa-fleet model sign: offline signed manifest envelope that verifies; identity from flags', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-sign-'));
  try {
    assert.equal((await rpaFleet(['keys', 'generate', '--role', 'models', '--out', dir])).code, 0);
    const out = join(dir, 'manifest.dsse.json');
    const r = await rpaFleet(['model', 'sign', tinyA, '--role', 'similarity', '--name', 'tiny', '--version', '0.3.0', '--key', join(dir, 'models.key'), '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    const env = JSON.parse(readFileSync(out, 'utf8'));
    const pub = JSON.parse(readFileSync(join(dir, 'models.pub.json'), 'utf8'));
    const v = verifyEnvelope(env, PAYLOAD_TYPE_MODEL, [{ publicKey: fromBase64(pub.publicKey) }], 1, nodeEd25519Verifier);
    const manifest = ModelManifestSchema.parse(JSON.parse(new TextDecoder().decode(v.payload)));
    assert.equal(manifest.sha256, res.modelId);
    assert.equal(manifest.role, 'similarity');
    const usage = await rpaFleet(['model', 'sign', tinyA, '--role', 'similarity', '--name', 'tiny', '--version', '0.3.0', '--key', join(dir, 'models.key')]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--out/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
