/** src/common: DSSE (PAE, verification order, thresholds), pure sha256, base64/hex, bucketing, semver. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { fromBase64, toBase64, toHex, fromHex, utf8, fromUtf8 } from '../../src/common/bytes.js';
import { sha256 } from '../../src/common/sha256.js';
import { keyIdOf, pae, verifyEnvelope, PAYLOAD_TYPE_RELEASE, PAYLOAD_TYPE_MODEL } from '../../src/common/dsse.js';
import { rolloutBucket, inCandidateCohort } from '../../src/common/bucket.js';
import { compareSemver, isSemver } from '../../src/common/semver.js';
import { generateSigningKey, signEnvelope, nodeEd25519Verifier } from '../../src/fleet/signer.js';
import { AgentError } from '../../src/common/errors.js';

test('sha256 (pure) equals node:crypto for lengths around block boundaries', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 4096]) {
    const b = new Uint8Array(randomBytes(n));
    assert.equal(toHex(sha256(b)), createHash('sha256').update(b).digest('hex'), `length ${n}`);
  }
});

test('base64 and hex round-trip and match Buffer; malformed input is refused', () => {
  for (const n of [0, 1, 2, 3, 4, 5, 100]) {
    const b = new Uint8Array(randomBytes(n));
    assert.equal(toBase64(b), Buffer.from(b).toString('base64'));
    assert.deepEqual(fromBase64(toBase64(b)), b);
    assert.deepEqual(fromHex(toHex(b)), b);
  }
  assert.throws(() => fromBase64('abc'));
  assert.throws(() => fromBase64('ab$='));
  assert.throws(() => fromHex('zz'));
  assert.throws(() => fromUtf8(new Uint8Array([0xff, 0xfe])));
  assert.equal(fromUtf8(utf8('é✓')), 'é✓');
});

test('PAE matches the DSSE spec example', () => {
  // secure-systems-lab/dsse protocol.md: PAE("http://example.com/HelloWorld", "hello world")
  const got = fromUtf8(pae('http://example.com/HelloWorld', utf8('hello world')));
  assert.equal(got, 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
});

test('verifyEnvelope: valid, threshold, duplicate signer counted once, forged, untrusted, wrong type', () => {
  const k1 = generateSigningKey(), k2 = generateSigningKey(), stranger = generateSigningKey();
  const trusted = [{ publicKey: k1.publicKey }, { publicKey: k2.publicKey }];
  const body = utf8('{"seq":1}');
  const one = signEnvelope(PAYLOAD_TYPE_RELEASE, body, [k1]);
  assert.deepEqual(verifyEnvelope(one, PAYLOAD_TYPE_RELEASE, trusted, 1, nodeEd25519Verifier).payload, body);
  assert.deepEqual(verifyEnvelope(one, PAYLOAD_TYPE_RELEASE, trusted, 1, nodeEd25519Verifier).signedBy, [k1.keyid]);

  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as AgentError).code;
    }
    return 'no error';
  };
  // threshold 2: one key signing twice still counts once
  const twice = { ...one, signatures: [...one.signatures, ...one.signatures] };
  assert.equal(code(() => verifyEnvelope(twice, PAYLOAD_TYPE_RELEASE, trusted, 2, nodeEd25519Verifier)), 'threshold_not_met');
  const both = signEnvelope(PAYLOAD_TYPE_RELEASE, body, [k1, k2]);
  assert.equal(verifyEnvelope(both, PAYLOAD_TYPE_RELEASE, trusted, 2, nodeEd25519Verifier).signedBy.length, 2);
  // keyid in the envelope is a hint only: lying about it changes nothing
  const lying = { ...both, signatures: both.signatures.map((s) => ({ ...s, keyid: 'x' })) };
  assert.equal(verifyEnvelope(lying, PAYLOAD_TYPE_RELEASE, trusted, 2, nodeEd25519Verifier).signedBy.length, 2);
  // tampered payload → bad signature
  const tampered = { ...one, payload: toBase64(utf8('{"seq":9}')) };
  assert.equal(code(() => verifyEnvelope(tampered, PAYLOAD_TYPE_RELEASE, trusted, 1, nodeEd25519Verifier)), 'bad_signature');
  // a key not in the trust file
  const foreign = signEnvelope(PAYLOAD_TYPE_RELEASE, body, [stranger]);
  assert.equal(code(() => verifyEnvelope(foreign, PAYLOAD_TYPE_RELEASE, trusted, 1, nodeEd25519Verifier)), 'untrusted_key');
  // payloadType is checked after signatures; the type is bound into PAE so it cannot be swapped
  assert.equal(code(() => verifyEnvelope(one, PAYLOAD_TYPE_MODEL, trusted, 1, nodeEd25519Verifier)), 'wrong_payload_type');
  const swapped = { ...one, payloadType: PAYLOAD_TYPE_MODEL };
  assert.equal(code(() => verifyEnvelope(swapped, PAYLOAD_TYPE_MODEL, trusted, 1, nodeEd25519Verifier)), 'bad_signature');
  // not an envelope at all
  assert.equal(code(() => verifyEnvelope({ hello: 1 }, PAYLOAD_TYPE_RELEASE, trusted, 1, nodeEd25519Verifier)), 'bad_envelope');
  assert.equal(keyIdOf(k1.publicKey), k1.keyid);
});

test('rollout bucket: deterministic, uniform-ish, and raising percent only adds agents', () => {
  const agents = Array.from({ length: 2000 }, (_, i) => `agent-${i}`);
  const at = (p: number) => new Set(agents.filter((a) => inCandidateCohort(a, 'r1', p)));
  const p5 = at(5), p25 = at(25), p100 = at(100);
  for (const a of p5) assert.ok(p25.has(a));
  assert.equal(p100.size, 2000);
  assert.ok(p5.size > 50 && p5.size < 160, `5% of 2000 ≈ 100, got ${p5.size}`);
  assert.equal(rolloutBucket('a', 'r'), rolloutBucket('a', 'r'));
  // matches the DESIGN.md formula computed with node:crypto
  const d = createHash('sha256').update('agent-7:r1').digest();
  assert.equal(rolloutBucket('agent-7', 'r1'), (d.readUInt32BE(0) / 2 ** 32) * 100);
});

test('semver precedence', () => {
  assert.ok(isSemver('1.2.0') && isSemver('1.0.0-rc.1') && !isSemver('1.2') && !isSemver('v1.2.0'));
  const sorted = ['1.0.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '0.9.9', '1.10.0', '1.2.0'].sort(compareSemver);
  assert.deepEqual(sorted, ['0.9.9', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '1.0.0', '1.2.0', '1.10.0']);
});
