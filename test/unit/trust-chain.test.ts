/**
 * Trust rotation rules (issue 20 §1; TUF §5.3): each refusal has its own reason code and leaves the
 * trust in force unchanged; the agent's EnvelopeVerifier follows the accepted trust (rotation and
 * revocation of a releases key). Pure: real Ed25519 keys, no broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAYLOAD_TYPE_RELEASE } from '../../src/common/dsse.js';
import { nodeEd25519Verifier } from '../../src/common/node/ed25519.js';
import { advanceTrust, initialTrustState, type TrustState } from '../../src/common/trust-chain.js';
import { EnvelopeVerifier } from '../../src/agent/trust/trust-store.js';
import { signJson, type SigningKey } from '../../src/fleet/signer.js';
import { buildNextStatement, signNextStatement } from '../../src/fleet/trust-statements.js';
import { newKeys, signedStatement, statementOf, trustFileOf, type RoleSet } from '../helpers/trust-keys.js';

const v1Keys = (): RoleSet => ({ root: newKeys(1), models: newKeys(1), releases: newKeys(1) });
const walk = (state: TrustState, byVersion: Record<number, Uint8Array>, now = Date.now()) =>
  advanceTrust(state, new Map(Object.entries(byVersion).map(([k, v]) => [Number(k), v])), now, nodeEd25519Verifier);

const release = (seq: number, keys: SigningKey[]) => {
  const issued = new Date();
  const body = { schemaVersion: 1, channel: 'stable', seq, issued: issued.toISOString(), expires: new Date(issued.getTime() + 3_600_000).toISOString(), roles: { detector: { stable: 'a'.repeat(64) } } };
  return new TextEncoder().encode(JSON.stringify(signJson(PAYLOAD_TYPE_RELEASE, body, keys)));
};
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
};

test('rotation: statement 2 signed by the v1 root replaces the releases key; the old key is refused from then on', () => {
  const k = v1Keys();
  const s1 = initialTrustState(trustFileOf(k));
  const next = { ...k, releases: newKeys(1) };
  const r = walk(s1, { 2: signedStatement(statementOf(2, next), k.root) });
  assert.equal(r.refused, undefined);
  assert.equal(r.state.version, 2);
  const verifier = new EnvelopeVerifier(s1);
  assert.equal(verifier.verifyRelease(release(1, k.releases)).value.seq, 1, 'under v1 the old key signs');
  verifier.setTrust(r.state);
  assert.equal(code(() => verifier.verifyRelease(release(2, k.releases))), 'untrusted_key');
  assert.equal(verifier.verifyRelease(release(2, next.releases)).value.seq, 2);
});

test('revocation: a revoked releases key is refused with key_revoked, and can never be listed again', () => {
  const k = v1Keys();
  const s1 = initialTrustState(trustFileOf(k));
  const bad = k.releases[0]!;
  const next = { ...k, releases: newKeys(1) };
  const r = walk(s1, { 2: signedStatement(statementOf(2, next, { revoked: [bad.keyid] }), k.root) });
  assert.equal(r.state.version, 2);
  assert.deepEqual(r.state.revoked, [bad.keyid]);
  const verifier = new EnvelopeVerifier(r.state);
  assert.equal(code(() => verifier.verifyRelease(release(5, [bad]))), 'key_revoked');
  // the fleet tool builds the same revocation from the trust in force
  const built = buildNextStatement(s1, { revoke: [bad.keyid], roles: { releases: { keys: [{ publicKey: Buffer.from(next.releases[0]!.publicKey).toString('base64'), keyid: next.releases[0]!.keyid }] } }, issued: new Date(), expires: new Date(Date.now() + 3_600_000) });
  assert.deepEqual(built.revoked, [bad.keyid]);
  assert.equal(walk(s1, { 2: new TextEncoder().encode(JSON.stringify(signNextStatement(s1, built, k.root))) }).state.version, 2);
  // statement 3 listing the revoked key again in a role is malformed
  const relist = walk(r.state, { 3: signedStatement(statementOf(3, k, { revoked: [bad.keyid] }), k.root) });
  assert.equal(relist.refused?.code, 'trust_bad_statement');
  assert.equal(relist.state.version, 2);
});

test('rollback: an older statement republished as the next version is refused (trust_rollback); history at or below the trust in force is not walked', () => {
  const k = v1Keys();
  const s1 = initialTrustState(trustFileOf(k));
  const v2raw = signedStatement(statementOf(2, k), k.root);
  const s2 = walk(s1, { 2: v2raw }).state;
  const r = walk(s2, { 2: v2raw, 3: v2raw });
  assert.equal(r.refused?.code, 'trust_rollback');
  assert.equal(r.state, s2, 'the trust in force is unchanged');
});

test('a new root signed only by itself is refused (trust_root_untrusted)', () => {
  const k = v1Keys();
  const s1 = initialTrustState(trustFileOf(k));
  const attacker = { ...k, root: newKeys(1), releases: newKeys(1) };
  const r = walk(s1, { 2: signedStatement(statementOf(2, attacker), attacker.root) });
  assert.equal(r.refused?.code, 'trust_root_untrusted');
  assert.equal(r.state.version, 1);
});

test('threshold not met: one of two required v1 root keys, or a new root that did not sign (trust_threshold_not_met)', () => {
  const k = { ...v1Keys(), root: newKeys(2) };
  const s1 = initialTrustState(trustFileOf(k, 2));
  const one = walk(s1, { 2: signedStatement(statementOf(2, k, { rootThreshold: 2 }), [k.root[0]!]) });
  assert.equal(one.refused?.code, 'trust_threshold_not_met');
  assert.equal(one.state.version, 1);
  // [TUF 5.3.4] the old root signed, but the statement's own new root keys did not
  const moved = { ...k, root: newKeys(1) };
  const unsignedByNew = walk(s1, { 2: signedStatement(statementOf(2, moved), k.root) });
  assert.equal(unsignedByNew.refused?.code, 'trust_threshold_not_met');
  assert.equal(walk(s1, { 2: signedStatement(statementOf(2, moved), [...k.root, ...moved.root]) }).state.version, 2, 'old threshold and new root together: accepted');
});

test('an expired statement is refused (trust_expired); a version gap is malformed (trust_bad_statement)', () => {
  const k = v1Keys();
  const s1 = initialTrustState(trustFileOf(k));
  const expired = walk(s1, { 2: signedStatement(statementOf(2, k, { issued: new Date(Date.now() - 7_200_000) }), k.root) });
  assert.equal(expired.refused?.code, 'trust_expired');
  assert.equal(expired.state.version, 1);
  const gap = walk(s1, { 2: signedStatement(statementOf(3, k), k.root) });
  assert.equal(gap.refused?.code, 'trust_bad_statement');
  // a trust file without root keys cannot rotate
  const noRoot = initialTrustState({ version: 1, roles: { models: trustFileOf(k).roles.models, releases: trustFileOf(k).roles.releases } });
  assert.equal(walk(noRoot, { 2: signedStatement(statementOf(2, k), k.root) }).refused?.code, 'trust_no_root');
});

test('offline across two rotations (root rotated in between): the walk crosses an expired intermediate to the fresh statement', () => {
  const k1 = v1Keys();
  const s1 = initialTrustState(trustFileOf(k1));
  const k2 = { ...k1, root: newKeys(1) };
  const k3 = { ...k2, releases: newKeys(1) };
  // statement 2 (old by now, expired) moved the root; statement 3 is signed by the v2 root only
  const v2 = signedStatement(statementOf(2, k2, { issued: new Date(Date.now() - 7_200_000) }), [...k1.root, ...k2.root]);
  const v3 = signedStatement(statementOf(3, k3), k2.root);
  const r = walk(s1, { 3: v3, 2: v2 });
  assert.equal(r.refused, undefined);
  assert.equal(r.state.version, 3);
  assert.deepEqual(r.accepted.map((a) => a.version), [2, 3]);
  // v3 alone, without v2, cannot be checked against the v1 root
  assert.equal(walk(s1, { 3: v3 }).state.version, 1);
  assert.equal(walk(s1, { 2: signedStatement(statementOf(2, k3), k2.root) }).refused?.code, 'trust_root_untrusted', 'v2 root keys mean nothing to a v1 agent');
});
