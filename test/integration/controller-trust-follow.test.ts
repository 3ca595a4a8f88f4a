/**
 * A running controller follows trust statements (issue 20 §1): after `trust revoke` of an approver key
 * with a new approver key in the same statement (built, signed with the root key, checked and published
 * retained exactly as `rpa-fleet trust revoke` does), the controller — its own approval gate and its API
 * — refuses an approval signed by the revoked key, stops counting the one that key gave before, and
 * accepts one signed by the new key. A statement not signed by the root is refused and changes nothing.
 * The accepted statement is kept in the fleet database, so a restart (or the local CLI) never goes back
 * to version 1 even when the retained statement is gone. Real aedes broker, real SQLite, real Ed25519.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toBase64 } from '../../src/common/bytes.js';
import { keyIdOf } from '../../src/common/dsse.js';
import { toAgentError } from '../../src/common/errors.js';
import { initialTrustState, type TrustState } from '../../src/common/trust-chain.js';
import type { TrustFile } from '../../src/common/trust-file.js';
import type { TrustStep } from '../../src/common/trust-follow.js';
import { ApiContext } from '../../src/fleet/api/context.js';
import { approve } from '../../src/fleet/api/handlers-write.js';
import { specFromBody, startRolloutRecord } from '../../src/fleet/api/rollout-ops.js';
import { ApprovalStore, approvalContext } from '../../src/fleet/approvals/approval-store.js';
import { approvalGate } from '../../src/fleet/approvals/gate.js';
import { buildApproval, signApproval } from '../../src/fleet/approvals/statement.js';
import { FleetController } from '../../src/fleet/controller/controller.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { generateSigningKey, signJson, type SigningKey } from '../../src/fleet/signer.js';
import { makeSimKeys, publishSimModel, publishSimRelease } from '../../src/fleet/sim/index.js';
import { FollowedTrust, trustInForceFromDb } from '../../src/fleet/trust-follow.js';
import { buildNextStatement, publishTrustStatement, signNextStatement } from '../../src/fleet/trust-statements.js';
import { PAYLOAD_TYPE_TRUST } from '../../src/common/trust-file.js';
import { startAedes } from '../helpers/brokers.js';
import { waitFor } from './controller-world.js';

const role = (keys: SigningKey[]) => ({ threshold: 1, keys: keys.map((k) => ({ publicKey: toBase64(k.publicKey) })) });
const id = (k: SigningKey) => keyIdOf(k.publicKey);
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'accepted';
  } catch (e) {
    return toAgentError(e).code;
  }
};

/** the shared poller (controller-world.ts), with this file's argument order and time-out */
const until = (what: string, cond: () => boolean, ms = 10_000): Promise<boolean> => waitFor(cond, ms, () => `waiting for ${what}`);

test('aedes: a running controller follows trust revoke — the revoked approver key is refused from then on, the new one accepted; never back a version', { timeout: 60_000 }, async () => {
  const broker = await startAedes();
  const dir = mkdtempSync(join(tmpdir(), 'rpa-ctl-trust-'));
  const keys = makeSimKeys();
  const root = generateSigningKey();
  const [alice, bob] = [generateSigningKey(), generateSigningKey()];
  const installed: TrustFile = { version: 1, roles: { root: role([root]), models: role([keys.models]), releases: role([keys.releases]), approvers: role([alice]) } };
  const admin = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const client = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const store = new ControllerStore(join(dir, 'fleet.db'));
  const steps: TrustStep[] = [];
  const trust = new FollowedTrust({ installed, client, db: store.db, onStep: (s) => steps.push(s) });
  const ctl = new FleetController({ client, store, releaseKeys: [keys.releases], trustInForce: trust, tickMs: 100 });
  const ctx = new ApiContext({ store, approvers: () => trust.approvers() });
  try {
    const stable = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.0.0', size: 2000 });
    const candidate = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.1.0', size: 2000 });
    await publishSimRelease(admin, { keys, channel: 'prod', roles: { detector: { stable } } });
    await trust.start();
    await ctl.start();
    await until('the controller saw the release', () => store.release('prod') !== undefined);
    const body = { channel: 'prod', role: 'detector' as const, candidate, waves: [50, 100], minAgents: 1, approvals: 1 };
    const row = startRolloutRecord(store, { ...specFromBody(body, candidate), stable }, { approvals: 1, twoPerson: false, actor: 'otto' }, Date.now());
    await until('the first wave', () => store.rollout(row.id)!.state === 'running');
    const r = () => store.rollout(row.id)!;
    const signed = (k: SigningKey, who: string) => signApproval(buildApproval(approvalContext(r(), new ApprovalStore(store.db).policy(row.id)), who, Date.now()), k);
    const caller = (name: string) => ({ name, tokenId: `t-${name}`, role: 'approver' as const });
    const gate = () => approvalGate(new ApprovalStore(store.db), r(), ctl.approvers(), Date.now());

    // version 1: alice's approval counts
    approve(ctx, caller('alice'), row.id, { envelope: signed(alice, 'alice'), reason: 'looks good' });
    assert.equal(gate().met, true, 'alice is an approver under trust version 1');

    // a statement signed by a key that is not the root: refused, nothing changes
    const bogus = buildNextStatement(initialTrustState(installed), { roles: { approvers: { keys: [{ publicKey: toBase64(bob.publicKey), keyid: id(bob) }] } }, issued: new Date(), expires: new Date(Date.now() + 3_600_000) });
    await admin.publishAsync('rpa/v1/trust/2', JSON.stringify(signJson(PAYLOAD_TYPE_TRUST, bogus, [bob])), { qos: 1, retain: true });
    await until('the forged statement refused', () => steps.some((s) => s.refused?.code === 'trust_root_untrusted'));
    assert.equal(trust.version, 1);
    assert.equal(codeOf(() => approve(ctx, caller('bob'), row.id, { envelope: signed(bob, 'bob'), reason: 'not yet' })), 'approval_untrusted_key');

    // `trust revoke ALICE --approvers BOB`, signed with the root key, as the CLI publishes it
    const current: TrustState = initialTrustState(installed);
    const next = buildNextStatement(current, { roles: { approvers: { keys: [{ publicKey: toBase64(bob.publicKey), keyid: id(bob) }] } }, revoke: [id(alice)], issued: new Date(), expires: new Date(Date.now() + 3_600_000) });
    await publishTrustStatement(admin, signNextStatement(current, next, [root]), 2);
    await until('the controller follows trust version 2', () => trust.version === 2);
    assert.deepEqual(steps.at(-1)!.newlyRevoked, [id(alice)]);

    assert.equal(gate().met, false, "the revoked key's earlier approval stops counting");
    assert.equal(codeOf(() => approve(ctx, caller('alice'), row.id, { envelope: signed(alice, 'alice'), reason: 'again' })), 'approval_untrusted_key', 'the revoked approver key is refused by the API');
    const ok = approve(ctx, caller('bob'), row.id, { envelope: signed(bob, 'bob'), reason: 'new approver' });
    assert.equal(ok.keyid, id(bob));
    assert.equal(gate().met, true, 'the new approver key counts');

    // never back a version: the retained statement cleared, a restart restores version 2 from the fleet db
    await admin.publishAsync('rpa/v1/trust/2', '', { qos: 1, retain: true });
    assert.equal(trustInForceFromDb(store.db, installed).version, 2);
    const restarted = new FollowedTrust({ installed, client: admin, db: store.db });
    assert.equal(restarted.version, 2);
    assert.deepEqual(restarted.approvers()!.keys.map((k) => keyIdOf(k.publicKey)), [id(bob)]);
  } finally {
    await ctl.close();
    await trust.close();
    await client.endAsync();
    await admin.endAsync();
    store.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
