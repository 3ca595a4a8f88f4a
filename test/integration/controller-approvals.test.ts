/**
 * The controller's approval gate (issue 16 §4) with simulated agents over a real broker (aedes) and a
 * real SQLite file: a rollout started with an approval policy holds at the gate until the CONTROLLER,
 * re-verifying the stored statements against its own approvers keys, counts N distinct signatures.
 * Setting the approved flag or writing a statement signed by an outsider into fleet.db moves nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApprovalStore, approvalContext } from '../../src/fleet/approvals/approval-store.js';
import { buildApproval, checkApproval, signApproval } from '../../src/fleet/approvals/statement.js';
import { FleetController, controlRollout, startRollout } from '../../src/fleet/controller/controller.js';
import { DEFAULT_SPEC } from '../../src/fleet/controller/judge.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { generateSigningKey } from '../../src/fleet/signer.js';
import { makeSimKeys, publishSimModel, publishSimRelease, startFleetSim } from '../../src/fleet/sim/index.js';
import { startAedes } from '../helpers/brokers.js';
import { waitFor } from './controller-world.js';

test('controller: a gated wave advances only on N distinct approvals the controller itself verifies', async () => {
  const broker = await startAedes();
  const keys = makeSimKeys();
  const admin = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const dir = mkdtempSync(join(tmpdir(), 'rpa-ctl-approvals-'));
  const [alice, bob, outsider] = [generateSigningKey(), generateSigningKey(), generateSigningKey()];
  const approvers = { keys: [alice, bob].map((k) => ({ publicKey: k.publicKey })), threshold: 1 };
  const stable = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.0.0', size: 3000, chunkSize: 1024 });
  const candidate = await publishSimModel(admin, { keys, role: 'detector', name: 'det', version: '1.1.0', size: 5000, chunkSize: 1024 });
  await publishSimRelease(admin, { keys, channel: 'prod', roles: { detector: { stable } } });
  const sim = await startFleetSim({ url: broker.url, count: 10, channel: 'prod', trust: keys.trust, windowMs: 300, requestsPerWindow: 20, mqtt: { protocolVersion: broker.protocolVersion } });
  const store = new ControllerStore(join(dir, 'fleet.db'));
  const ctlClient = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion, mqttOptions: { reconnectPeriod: 200 } });
  const ctl = new FleetController({ client: ctlClient, store, releaseKeys: [keys.releases], approvers, tickMs: 150 });
  try {
    await waitFor(() => sim.countActive('detector', stable) === 10, 10_000, () => 'agents on stable');
    await ctl.start();
    await waitFor(() => { ctl.flushIngest(); return store.agents().filter((a) => a.online).length === 10 && store.release('prod'); }, 10_000, () => 'controller sees the fleet');
    const approvals = new ApprovalStore(store.db);
    const id = store.db.transaction(() => {
      const rid = startRollout(store, { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate, waves: [50, 100], waveMinDurationMs: 1000, minAgents: 2, minRequests: 20, breachLookbackMs: 1500, approveEachWave: true }, Date.now());
      approvals.setPolicy({ rolloutId: rid, required: 2, twoPerson: true, startedBy: 'dana' });
      return rid;
    })();
    await waitFor(() => store.rollout(id)!.state === 'awaiting_approval', 20_000, () => `state ${store.rollout(id)?.state}`);
    const held = async (why: string) => {
      await new Promise((r) => setTimeout(r, 1000));
      const r = store.rollout(id)!;
      assert.deepEqual([r.state, r.phase, store.release('prod')!.roles.detector!.candidate!.percent], ['awaiting_approval', 0, 50], why);
    };
    // the unsigned approved flag (anyone who can open fleet.db) counts for nothing under a policy
    controlRollout(store, id, 'approve', Date.now());
    await held('the approved flag does not open a signed gate');
    // a statement signed by a key outside the controller's approvers, written straight into the table
    const ctx = approvalContext(store.rollout(id)!, approvals.policy(id));
    const forged = signApproval(buildApproval(ctx, 'mallory', Date.now()), outsider);
    const outsiders = { keys: [{ publicKey: outsider.publicKey }], threshold: 1 };
    approvals.add(checkApproval(forged, ctx, outsiders, Date.now()), forged, 'mallory', Date.now());
    const one = signApproval(buildApproval(ctx, 'alice', Date.now()), alice);
    approvals.add(checkApproval(one, ctx, approvers, Date.now()), one, 'alice', Date.now());
    await held('one trusted signature (plus one untrusted) is not two');
    const two = signApproval(buildApproval(ctx, 'bob', Date.now()), bob);
    approvals.add(checkApproval(two, ctx, approvers, Date.now()), two, 'bob', Date.now());
    const r = await waitFor(() => { const r = store.rollout(id)!; return r.phase === 1 ? r : undefined; }, 10_000, () => 'advanced after two approvals');
    assert.equal(r.state, 'running');
    assert.equal(store.release('prod')!.roles.detector!.candidate!.percent, 100);
    const approved = store.logOf(id).find((l) => l.kind === 'approved');
    assert.deepEqual(approved?.data['approvers'], ['alice', 'bob']);
  } finally {
    await ctl.close();
    ctlClient.end(true);
    store.close();
    await sim.close();
    admin.end(true);
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
