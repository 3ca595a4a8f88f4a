/**
 * Simulated agents follow trust statements like real ones (issue 20 §1, the shared rule of
 * common/trust-follow.ts): after `trust revoke` of the releases key (with its replacement in the same
 * statement, signed by the root and published retained as the CLI does), every simulated agent moves to
 * trust version 2, refuses a release signed by the revoked key with key_revoked and keeps its model,
 * and takes one signed by the new key. A statement not signed by the root is refused (trust_rejected).
 * Real aedes broker, real Ed25519, real MQTT clients.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toBase64 } from '../../src/common/bytes.js';
import { keyIdOf } from '../../src/common/dsse.js';
import { initialTrustState } from '../../src/common/trust-chain.js';
import { PAYLOAD_TYPE_TRUST, type TrustFile } from '../../src/common/trust-file.js';
import type { AgentEvent } from '../../src/common/wire.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { publishRelease } from '../../src/fleet/publisher.js';
import { generateSigningKey, signJson, type SigningKey } from '../../src/fleet/signer.js';
import { makeSimKeys, publishSimModel, publishSimRelease, startFleetSim } from '../../src/fleet/sim/index.js';
import { buildNextStatement, publishTrustStatement, signNextStatement } from '../../src/fleet/trust-statements.js';
import { startAedes } from '../helpers/brokers.js';
import { waitFor } from './controller-world.js';

const role = (keys: SigningKey[]) => ({ threshold: 1, keys: keys.map((k) => ({ publicKey: toBase64(k.publicKey) })) });

/** the shared poller (controller-world.ts), with this file's argument order and time-out */
const until = (what: string, cond: () => boolean, ms = 15_000): Promise<boolean> => waitFor(cond, ms, () => `waiting for ${what}`);

test('aedes: a simulated fleet follows trust revoke — the revoked releases key is refused (key_revoked), the new one accepted, a forged statement refused', { timeout: 60_000 }, async () => {
  const broker = await startAedes();
  const keys = makeSimKeys();
  const root = generateSigningKey();
  const releases2 = generateSigningKey();
  const installed: TrustFile = { version: 1, roles: { root: role([root]), models: role([keys.models]), releases: role([keys.releases]) } };
  const admin = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const events: AgentEvent[] = [];
  const sim = await startFleetSim({ url: broker.url, count: 3, channel: 'prod', trust: { ...keys.trust, installed }, windowMs: 60_000, mqtt: { protocolVersion: broker.protocolVersion }, onEvent: (e) => events.push(e) });
  const of = (type: string, reason?: string) => events.filter((e) => e.type === type && (reason === undefined || e.reason === reason));
  try {
    const m1 = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.0.0', size: 2000 });
    const m2 = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '2.0.0', size: 2000 });
    await publishSimRelease(admin, { keys, channel: 'prod', roles: { detector: { stable: m1 } } });
    await until('every agent runs m1', () => sim.countActive('detector', m1) === 3);

    // a statement signed by the (not yet trusted) new releases key instead of the root: refused by all
    const forged = buildNextStatement(initialTrustState(installed), { roles: { releases: { keys: [{ publicKey: toBase64(releases2.publicKey), keyid: keyIdOf(releases2.publicKey) }] } }, issued: new Date(), expires: new Date(Date.now() + 3_600_000) });
    await admin.publishAsync('rpa/v1/trust/2', JSON.stringify(signJson(PAYLOAD_TYPE_TRUST, forged, [releases2])), { qos: 1, retain: true });
    await until('the forged statement refused', () => of('trust_rejected', 'trust_root_untrusted').length === 3);
    assert.deepEqual(sim.agents.map((a) => a.trust.version), [1, 1, 1]);

    // `trust revoke <releases keyid> --releases releases-2.pub.json`, signed by the root
    const current = initialTrustState(installed);
    const next = buildNextStatement(current, { roles: { releases: { keys: [{ publicKey: toBase64(releases2.publicKey), keyid: keyIdOf(releases2.publicKey) }] } }, revoke: [keyIdOf(keys.releases.publicKey)], issued: new Date(), expires: new Date(Date.now() + 3_600_000) });
    await publishTrustStatement(admin, signNextStatement(current, next, [root]), 2);
    await until('every agent follows trust version 2', () => sim.agents.every((a) => a.trust.version === 2));
    assert.equal(of('trust_updated').length, 3);

    // the revoked key's release is refused with key_revoked; every agent keeps m1
    await publishSimRelease(admin, { keys, channel: 'prod', roles: { detector: { stable: m2 } } });
    await until('the revoked key refused', () => of('release_rejected', 'key_revoked').length === 3);
    assert.equal(sim.countActive('detector', m1), 3);

    // the new key's release is taken
    // (seq given: the retained release is the revoked key's, which the publisher will not build on)
    await publishRelease(admin, { channel: 'prod', roles: { detector: { stable: m2 } }, expiresInMs: 3_600_000, keys: [releases2], seq: 3 });
    await until('every agent runs m2', () => sim.countActive('detector', m2) === 3);
  } finally {
    await sim.close();
    await admin.endAsync();
    await broker.close();
  }
});
