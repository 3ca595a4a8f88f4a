/**
 * Fleet signing (DESIGN.md "Signed envelopes"): what the fleet signs, src/common/dsse.ts verifies;
 * a changed byte, a wrong payload type or too few distinct keys fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PAYLOAD_TYPE_MODEL, PAYLOAD_TYPE_RELEASE, verifyEnvelope, keyIdOf } from '../../src/common/dsse.js';
import { fromBase64, toBase64, utf8 } from '../../src/common/bytes.js';
import { AgentError } from '../../src/common/errors.js';
import { TrustFileSchema } from '../../src/common/trust-file.js';
import { generateSigningKey, signEnvelope, signJson, nodeEd25519Verifier } from '../../src/fleet/signer.js';
import { generateKeyFiles, loadSigningKey, parsePublicKeyFile, readPublicKeyFile } from '../../src/fleet/keys.js';
import { buildTrustFile, roleTrust } from '../../src/fleet/trust.js';
import { buildRelease, signRelease } from '../../src/fleet/publisher.js';

const code = (c: string) => (e: unknown) => e instanceof AgentError && e.code === c;

test('sign → verifyEnvelope round trip returns the exact payload and the keyid', () => {
  const k = generateSigningKey();
  const payload = utf8('{"hello":"world"}');
  const env = signEnvelope(PAYLOAD_TYPE_MODEL, payload, [k]);
  const v = verifyEnvelope(env, PAYLOAD_TYPE_MODEL, [{ publicKey: k.publicKey }], 1, nodeEd25519Verifier);
  assert.deepEqual(v.payload, payload);
  assert.deepEqual(v.signedBy, [k.keyid]);
  assert.equal(env.signatures[0]!.keyid, keyIdOf(k.publicKey));
});

test('a tampered payload, signature or payload type fails verification', () => {
  const k = generateSigningKey();
  const env = signJson(PAYLOAD_TYPE_RELEASE, { seq: 1 }, [k]);
  const keys = [{ publicKey: k.publicKey }];
  const tamperedPayload = { ...env, payload: toBase64(utf8('{"seq":2}')) };
  assert.throws(() => verifyEnvelope(tamperedPayload, PAYLOAD_TYPE_RELEASE, keys, 1, nodeEd25519Verifier), code('bad_signature'));
  const sig = fromBase64(env.signatures[0]!.sig);
  sig[10] = sig[10]! ^ 1;
  const tamperedSig = { ...env, signatures: [{ keyid: k.keyid, sig: toBase64(sig) }] };
  assert.throws(() => verifyEnvelope(tamperedSig, PAYLOAD_TYPE_RELEASE, keys, 1, nodeEd25519Verifier), code('bad_signature'));
  // the type is inside PAE: relabelling the envelope breaks the signature
  assert.throws(() => verifyEnvelope({ ...env, payloadType: PAYLOAD_TYPE_MODEL }, PAYLOAD_TYPE_MODEL, keys, 1, nodeEd25519Verifier), code('bad_signature'));
  // a valid release envelope offered as a model
  assert.throws(() => verifyEnvelope(env, PAYLOAD_TYPE_MODEL, keys, 1, nodeEd25519Verifier), code('wrong_payload_type'));
  // signed by a key the verifier does not trust
  const other = generateSigningKey();
  assert.throws(() => verifyEnvelope(env, PAYLOAD_TYPE_RELEASE, [{ publicKey: other.publicKey }], 1, nodeEd25519Verifier), code('untrusted_key'));
});

test('threshold 2 of 2 keys: both signatures pass, one alone or the same key twice does not', () => {
  const a = generateSigningKey();
  const b = generateSigningKey();
  const keys = [{ publicKey: a.publicKey }, { publicKey: b.publicKey }];
  const both = signJson(PAYLOAD_TYPE_RELEASE, { seq: 3 }, [a, b]);
  assert.deepEqual(new Set(verifyEnvelope(both, PAYLOAD_TYPE_RELEASE, keys, 2, nodeEd25519Verifier).signedBy), new Set([a.keyid, b.keyid]));
  const one = signJson(PAYLOAD_TYPE_RELEASE, { seq: 3 }, [a]);
  assert.throws(() => verifyEnvelope(one, PAYLOAD_TYPE_RELEASE, keys, 2, nodeEd25519Verifier), code('threshold_not_met'));
  const twice = signJson(PAYLOAD_TYPE_RELEASE, { seq: 3 }, [a, a]);
  assert.throws(() => verifyEnvelope(twice, PAYLOAD_TYPE_RELEASE, keys, 2, nodeEd25519Verifier), code('threshold_not_met'));
});

test('signRelease output verifies and parses back to the same release', () => {
  const k = generateSigningKey();
  const issued = new Date('2030-01-01T00:00:00Z');
  const release = buildRelease({ channel: 'stable', seq: 7, roles: { detector: { stable: 'a'.repeat(64) } }, issued, expires: new Date(issued.getTime() + 86_400_000) });
  const env = signRelease(release, [k]);
  const v = verifyEnvelope(env, PAYLOAD_TYPE_RELEASE, [{ publicKey: k.publicKey }], 1, nodeEd25519Verifier);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(v.payload)), release);
});

test('key files: 0600 private key, public key file with role and keyid, never overwritten', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-keys-'));
  try {
    const g = await generateKeyFiles({ role: 'releases', outDir: dir, name: 'rel1' });
    assert.equal(statSync(g.privateKeyPath).mode & 0o777, 0o600);
    assert.match(readFileSync(g.privateKeyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    const pub = await readPublicKeyFile(g.publicKeyPath);
    assert.equal(pub.role, 'releases');
    assert.equal(pub.keyid, g.keyid);
    assert.equal(fromBase64(pub.publicKey).length, 32);
    const loaded = await loadSigningKey(g.privateKeyPath, 'releases');
    assert.equal(loaded.keyid, g.keyid);
    assert.equal(loaded.role, 'releases');
    await assert.rejects(loadSigningKey(g.privateKeyPath, 'models'), code('bad_argument'));
    const before = readFileSync(g.privateKeyPath, 'utf8');
    await assert.rejects(generateKeyFiles({ role: 'releases', outDir: dir, name: 'rel1' }), code('bad_argument'));
    assert.equal(readFileSync(g.privateKeyPath, 'utf8'), before);
    await assert.rejects(loadSigningKey(join(dir, 'missing.key')), code('not_found'));
    // a pub file whose keyid was edited is refused
    const bad = JSON.parse(readFileSync(g.publicKeyPath, 'utf8'));
    bad.keyid = 'f'.repeat(64);
    assert.throws(() => parsePublicKeyFile(JSON.stringify(bad)), code('bad_argument'));
    writeFileSync(join(dir, 'x.pub.json'), '{');
    await assert.rejects(readPublicKeyFile(join(dir, 'x.pub.json')), code('bad_argument'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trust file: valid per TrustFileSchema, role mismatch and impossible threshold refused', () => {
  const pub = (role: 'models' | 'releases') => {
    const k = generateSigningKey();
    return { role, keyid: k.keyid, publicKey: toBase64(k.publicKey) };
  };
  const m1 = pub('models');
  const m2 = pub('models');
  const r1 = pub('releases');
  const trust = buildTrustFile({ models: [m1, m2], modelsThreshold: 2, releases: [r1] });
  assert.ok(TrustFileSchema.safeParse(trust).success);
  assert.equal(trust.roles.models.threshold, 2);
  assert.equal(roleTrust(trust, 'models').keys.length, 2);
  assert.throws(() => buildTrustFile({ models: [r1], releases: [r1] }), code('bad_argument'));
  assert.throws(() => buildTrustFile({ models: [m1], releases: [r1], releasesThreshold: 2 }), code('bad_argument'));
  assert.throws(() => buildTrustFile({ models: [m1, m1], releases: [r1] }), code('bad_argument'));
});
