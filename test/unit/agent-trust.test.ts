import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toBase64 } from '../../src/common/bytes.js';
import { PAYLOAD_TYPE_MODEL, PAYLOAD_TYPE_RELEASE, pae } from '../../src/common/dsse.js';
import { AgentError } from '../../src/common/errors.js';
import type { TrustFile } from '../../src/common/trust-file.js';
import { generateSigningKey, signJson, type SigningKey } from '../../src/fleet/signer.js';
import { nodeEd25519Verifier } from '../../src/common/node/ed25519.js';
import { EnvelopeVerifier, parseTrustFile } from '../../src/agent/trust/trust-store.js';
import { sign } from 'node:crypto';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const release = (seq = 1) => ({
  channel: 'stable',
  seq,
  issued: '2026-01-01T00:00:00.000Z',
  expires: '2027-01-01T00:00:00.000Z',
  roles: { detector: { stable: 'a'.repeat(64) } },
});
function trustOf(models: SigningKey[], releases: SigningKey[], threshold = 1): TrustFile {
  const r = (keys: SigningKey[], t: number) => ({ threshold: t, keys: keys.map((k) => ({ publicKey: toBase64(k.publicKey) })) });
  return parseTrustFile({ version: 1, roles: { models: r(models, 1), releases: r(releases, threshold) } });
}
const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof AgentError, String(e));
    return e.code;
  }
  return 'no error';
};

test('agent ed25519 verifier: accepts a node:crypto signature, refuses a flipped bit, a wrong key and malformed input', () => {
  const k = generateSigningKey();
  const msg = pae(PAYLOAD_TYPE_RELEASE, enc({ a: 1 }));
  const sig = new Uint8Array(sign(null, msg, k.privateKey));
  assert.equal(nodeEd25519Verifier.verify(k.publicKey, msg, sig), true);
  const bad = Uint8Array.from(sig);
  bad[0] = bad[0]! ^ 1;
  assert.equal(nodeEd25519Verifier.verify(k.publicKey, msg, bad), false);
  assert.equal(nodeEd25519Verifier.verify(generateSigningKey().publicKey, msg, sig), false);
  assert.equal(nodeEd25519Verifier.verify(k.publicKey.subarray(0, 31), msg, sig), false);
  assert.equal(nodeEd25519Verifier.verify(k.publicKey, msg, sig.subarray(0, 63)), false);
});

test('EnvelopeVerifier.verifyRelease: valid; threshold counts distinct keys; untrusted, forged, wrong type, bad payload', () => {
  const [r1, r2, m1] = [generateSigningKey(), generateSigningKey(), generateSigningKey()];
  const v2 = new EnvelopeVerifier(trustOf([m1!], [r1!, r2!], 2));
  const raw = (keys: SigningKey[], type = PAYLOAD_TYPE_RELEASE, value: unknown = release()) => enc(signJson(type, value, keys));
  assert.equal(v2.verifyRelease(raw([r1!, r2!])).value.seq, 1);
  assert.deepEqual(v2.verifyRelease(raw([r1!, r2!])).signedBy.length, 2);
  assert.equal(code(() => v2.verifyRelease(raw([r1!]))), 'threshold_not_met');
  assert.equal(code(() => v2.verifyRelease(raw([r1!, r1!]))), 'threshold_not_met', 'the same key twice counts once');
  assert.equal(code(() => v2.verifyRelease(raw([m1!]))), 'untrusted_key', 'a models key is not a releases key');
  const v1 = new EnvelopeVerifier(trustOf([m1!], [r1!], 1));
  assert.equal(code(() => v1.verifyRelease(raw([r1!], PAYLOAD_TYPE_MODEL))), 'wrong_payload_type');
  assert.equal(code(() => v1.verifyRelease(raw([r1!], PAYLOAD_TYPE_RELEASE, { ...release(), seq: -1 }))), 'bad_payload');
  const env = signJson(PAYLOAD_TYPE_RELEASE, release(), [r1!]);
  env.payload = toBase64(enc(release(99))); // payload swapped under a valid signature
  assert.equal(code(() => v1.verifyRelease(enc(env))), 'bad_signature');
  assert.equal(code(() => v1.verifyRelease(new TextEncoder().encode('not json'))), 'bad_envelope');
});

test('EnvelopeVerifier.verifyManifest: the size bound is checked on the raw bytes before anything else', () => {
  const m = generateSigningKey();
  const v = new EnvelopeVerifier(trustOf([m], [generateSigningKey()]));
  // not even JSON, but over the bound: manifest_too_large, not bad_envelope
  assert.equal(code(() => v.verifyManifest(new Uint8Array(2048), 1024)), 'manifest_too_large');
  assert.equal(code(() => v.verifyManifest(new Uint8Array(10), 1024)), 'bad_envelope');
});

test('parseTrustFile refuses a threshold above the key count with bad_config', () => {
  const k = generateSigningKey();
  const role = { threshold: 2, keys: [{ publicKey: toBase64(k.publicKey) }] };
  assert.equal(code(() => parseTrustFile({ version: 1, roles: { models: role, releases: role } })), 'bad_config');
});
