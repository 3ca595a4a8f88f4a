/**
 * Issue 20 §1 with a real agent (real onnxruntime, real keytar store, real broker): trust statements on
 * the retained `trust/{version}` topics rotate and revoke keys; every refused statement has its own
 * reason code and leaves the trust in force and the active model untouched; an agent offline across
 * two rotations (the root itself rotated in between) catches up from the retained statements.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { AgentEvent } from '../../src/common/wire.js';
import type { SigningKey } from '../../src/fleet/signer.js';
import type { TestBroker } from '../helpers/brokers.js';
import { newKeys, signedStatement, statementOf, trustFileOf, type RoleSet } from '../helpers/trust-keys.js';
import { adminClient, buildModel, detectorOutput, fixture, publishBuilt, publishRelease, pub, releaseOf, startTestAgent, T, TINY_A_Y, workspace, type AgentWorkspace, type TestAgent } from './agent-harness.js';

interface Ctx {
  broker: TestBroker;
  ws: AgentWorkspace;
  admin: MqttClient;
  ta: TestAgent;
  modelId: string;
  k1: RoleSet;
}

async function setup(startBroker: () => Promise<TestBroker>): Promise<Ctx> {
  const broker = await startBroker();
  const k1: RoleSet = { root: newKeys(1), models: newKeys(1), releases: newKeys(1) };
  const ws = await workspace({ modelKeys: k1.models, releaseKeys: k1.releases, trust: trustFileOf(k1) });
  const admin = await adminClient(broker);
  const a = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a', version: '1.0.0' });
  await publishBuilt(admin, a, k1.models);
  const ta = await startTestAgent(ws, broker);
  await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: a.modelId } } }), k1.releases);
  await ta.agent.waitFor((s) => s.roles.detector?.modelId === a.modelId && s.roles.detector.state === 'committed', { timeoutMs: 15_000 });
  return { broker, ws, admin, ta, modelId: a.modelId, k1 };
}

const lastSeq = (ta: TestAgent) => ta.agent.snapshot().recentEvents.at(-1)?.seq ?? 0;

/** Publishes `raw` on trust/{topicVersion} and waits for the agent's next trust or release event of `type`. */
async function expectEvent(c: Ctx, type: AgentEvent['type'], act: () => Promise<unknown>): Promise<AgentEvent> {
  const mark = lastSeq(c.ta);
  await act();
  return c.ta.agent.waitForEvent((e) => e.seq > mark && e.type === type, { timeoutMs: 15_000 });
}

async function assertStillServing(c: Ctx): Promise<void> {
  assert.equal(c.ta.agent.snapshot().roles.detector?.modelId, c.modelId, 'the active model is untouched');
  assert.equal(c.ta.activator.activeModelId('detector'), c.modelId);
  assert.deepEqual(await detectorOutput(c.ta.activator), TINY_A_Y, 'tiny-a still serves');
}

async function refused(c: Ctx, topicVersion: number, raw: Uint8Array, reason: string): Promise<void> {
  const ev = await expectEvent(c, 'trust_rejected', () => pub(c.admin, T.trust(topicVersion), raw));
  assert.equal(ev.reason, reason, JSON.stringify(ev));
  await assertStillServing(c);
}

const release = (c: Ctx, seq: number, keys: SigningKey[]) => () => publishRelease(c.admin, releaseOf({ seq, roles: { detector: { stable: c.modelId } } }), keys);

export function registerTrustCases(kind: string, startBroker: () => Promise<TestBroker>, opts: { refusals: boolean }): void {
  test(`${kind}: trust rotation and revocation over the wire with a real agent${opts.refusals ? '; every refused statement has its own code' : ''}; offline across two rotations catches up`, { timeout: 120_000 }, async () => {
    let c: Ctx | undefined;
    try {
      c = await setup(startBroker);
      const { k1 } = c;
      const k2: RoleSet = { ...k1, releases: newKeys(1) };
      if (opts.refusals) {
        const attacker: RoleSet = { root: newKeys(1), models: newKeys(1), releases: newKeys(1) };
        await refused(c, 2, signedStatement(statementOf(2, attacker), attacker.root), 'trust_root_untrusted');
        const movedRoot: RoleSet = { ...k2, root: newKeys(1) };
        await refused(c, 2, signedStatement(statementOf(2, movedRoot), k1.root), 'trust_threshold_not_met');
        await refused(c, 2, signedStatement(statementOf(2, k2, { issued: new Date(Date.now() - 7_200_000) }), k1.root), 'trust_expired');
      }
      // rotation: v2 replaces the releases key
      const v2 = signedStatement(statementOf(2, k2), k1.root);
      const up = await expectEvent(c, 'trust_updated', () => pub(c!.admin, T.trust(2), v2));
      assert.equal(up.details?.['version'], 2);
      const old = await expectEvent(c, 'release_rejected', release(c, 2, k1.releases));
      assert.equal(old.reason, 'untrusted_key', 'the rotated-out releases key no longer signs');
      await assertStillServing(c);
      assert.equal((await expectEvent(c, 'release_accepted', release(c, 2, k2.releases))).releaseSeq, 2);
      if (opts.refusals) await refused(c, 3, v2, 'trust_rollback');
      // revocation: v3 revokes the v2 releases key (replaced by k3's)
      const k3: RoleSet = { ...k2, releases: newKeys(1) };
      const revokedId = k2.releases[0]!.keyid;
      const up3 = await expectEvent(c, 'trust_updated', () => pub(c!.admin, T.trust(3), signedStatement(statementOf(3, k3, { revoked: [revokedId] }), k1.root)));
      assert.deepEqual(up3.details?.['revoked'], [revokedId]);
      const rev = await expectEvent(c, 'release_rejected', release(c, 3, k2.releases));
      assert.equal(rev.reason, 'key_revoked');
      await assertStillServing(c);
      assert.deepEqual(readdirSync(join(c.ta.config.dataDir, 'trust')).sort(), ['2.json', '3.json'], 'accepted statements are kept');

      // offline across two rotations: v4 moves the root, v5 (signed by the v4 root only) rotates releases
      await c.ta.close();
      const k4: RoleSet = { ...k3, root: newKeys(1) };
      const k5: RoleSet = { ...k4, releases: newKeys(1) };
      await pub(c.admin, T.trust(4), signedStatement(statementOf(4, k4), [...k1.root, ...k4.root]));
      await pub(c.admin, T.trust(5), signedStatement(statementOf(5, k5), k4.root));
      c.ta = await startTestAgent(c.ws, c.broker);
      await c.ta.agent.waitForEvent((e) => e.type === 'trust_updated' && e.details?.['version'] === 5, { timeoutMs: 15_000 });
      const first = c.ta.agent.snapshot().recentEvents.find((e) => e.type === 'trust_updated');
      assert.equal(first?.details?.['from'], 3, 'restarted from the stored version 3, never from the installed file');
      await c.ta.agent.waitFor((s) => s.roles.detector?.modelId === c!.modelId && s.roles.detector.state === 'committed', { timeoutMs: 15_000 });
      assert.equal((await expectEvent(c, 'release_accepted', release(c, 4, k5.releases))).releaseSeq, 4, 'the v5 releases key signs');
      await assertStillServing(c);
    } finally {
      if (c) {
        await c.ta.close().catch(() => {});
        await c.admin.endAsync().catch(() => {});
        await c.broker.close().catch(() => {});
        await c.ws.cleanup();
      }
    }
  });
}
