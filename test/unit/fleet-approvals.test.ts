/** Signed approvals (issue 16 §4): each refusal has its own code; the store refuses replays; the gate counts distinct keys. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PAYLOAD_TYPE_RELEASE } from '../../src/common/dsse.js';
import { ApprovalStore, approvalContext } from '../../src/fleet/approvals/approval-store.js';
import { approvalGate } from '../../src/fleet/approvals/gate.js';
import { buildApproval, checkApproval, countApprovals, signApproval, type ApprovalContext } from '../../src/fleet/approvals/statement.js';
import { DEFAULT_SPEC } from '../../src/fleet/controller/judge.js';
import type { RolloutRow } from '../../src/fleet/controller/store.js';
import { generateSigningKey, signJson } from '../../src/fleet/signer.js';
import { openFleetDb } from '../../src/fleet/fleet-db.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const alice = generateSigningKey();
const bob = generateSigningKey();
const carol = generateSigningKey();
const stranger = generateSigningKey();
const trust = { keys: [alice, bob, carol].map((k) => ({ publicKey: k.publicKey })), threshold: 1 };
const ctx: ApprovalContext = { rolloutId: 'ro-1', channel: 'prod', role: 'detector', candidate: 'c'.repeat(64), phase: 1, startedBy: 'dana', twoPerson: true };
const signed = (who: string, key = alice, over: Partial<ApprovalContext> = {}, now = NOW, ttl?: number) => signApproval(buildApproval({ ...ctx, ...over }, who, now, ttl), key);
const refusedWith = (fn: () => unknown, code: string) => assert.throws(fn, (e: { code?: string }) => e.code === code, `expected ${code}`);

test('checkApproval: a valid statement names its key; every kind of bad approval has its own code', () => {
  const ok = checkApproval(signed('erin'), ctx, trust, NOW);
  assert.equal(ok.statement.approver, 'erin');
  assert.equal(ok.statement.phase, 1);
  refusedWith(() => checkApproval(signed('erin', stranger), ctx, trust, NOW), 'approval_untrusted_key');
  refusedWith(() => checkApproval(signed('erin'), ctx, undefined, NOW), 'approval_untrusted_key');
  const env = signed('erin');
  const forged = { ...env, payload: Buffer.from(Buffer.from(env.payload, 'base64').toString().replace('"erin"', '"eric"')).toString('base64') };
  refusedWith(() => checkApproval(forged, ctx, trust, NOW), 'approval_bad_signature');
  refusedWith(() => checkApproval(signJson(PAYLOAD_TYPE_RELEASE, { x: 1 }, [alice]), ctx, trust, NOW), 'approval_bad_payload');
  refusedWith(() => checkApproval(signJson('application/vnd.rpa-edge.approval+json', { hello: 1 }, [alice]), ctx, trust, NOW), 'approval_bad_payload');
  refusedWith(() => checkApproval({ nope: true }, ctx, trust, NOW), 'approval_bad_payload');
  refusedWith(() => checkApproval(signed('erin', alice, { rolloutId: 'ro-2' }), ctx, trust, NOW), 'approval_wrong_rollout');
  refusedWith(() => checkApproval(signed('erin', alice, { candidate: 'd'.repeat(64) }), ctx, trust, NOW), 'approval_wrong_rollout');
  refusedWith(() => checkApproval(signed('erin', alice, { phase: 0 }), ctx, trust, NOW), 'approval_wrong_wave');
  refusedWith(() => checkApproval(signed('erin', alice, {}, NOW - 3_600_000, 60_000), ctx, trust, NOW), 'approval_expired');
  // [two-person rule] the one who started it cannot approve it; without the rule they can
  refusedWith(() => checkApproval(signed('dana'), ctx, trust, NOW), 'approval_same_person');
  assert.equal(checkApproval(signed('dana'), { ...ctx, twoPerson: false }, trust, NOW).statement.approver, 'dana');
});

test('countApprovals: distinct keys only, refused ones listed with their codes', () => {
  const c = countApprovals([signed('erin', alice), signed('erin again', alice), signed('frank', bob), signed('x', stranger), signed('y', carol, { phase: 0 })], ctx, trust, NOW);
  assert.equal(c.keyids.length, 2);
  assert.deepEqual(c.approvers, ['erin', 'frank']);
  assert.deepEqual(c.refused.map((r) => r.code), ['approval_untrusted_key', 'approval_wrong_wave']);
});

test('approval store and gate on a real SQLite file: replay and duplicate refused, append-only, N distinct keys needed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'approvals-'));
  const db = openFleetDb(join(dir, 'fleet.db'));
  try {
    const store = new ApprovalStore(db);
    const row: RolloutRow = { id: 'ro-1', spec: { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate: 'c'.repeat(64), stable: 'a'.repeat(64) }, state: 'awaiting_approval', phase: 1, phaseStartedAt: NOW, approved: true, createdAt: NOW, updatedAt: NOW };
    // no policy: the legacy approved flag decides
    assert.equal(approvalGate(store, row, trust, NOW).met, true);
    store.setPolicy({ rolloutId: 'ro-1', required: 2, twoPerson: true, startedBy: 'dana' });
    const g0 = approvalGate(store, row, trust, NOW);
    assert.deepEqual([g0.signed, g0.met, g0.have, g0.need], [true, false, 0, 2], 'with a policy the approved flag counts for nothing');
    const c = approvalContext(row, store.policy('ro-1'));
    const e1 = signed('erin', alice);
    store.add(checkApproval(e1, c, trust, NOW), e1, 'erin', NOW);
    refusedWith(() => store.add(checkApproval(e1, c, trust, NOW), e1, 'erin', NOW), 'approval_replayed');
    const e1b = signed('erin', alice);
    refusedWith(() => store.add(checkApproval(e1b, c, trust, NOW), e1b, 'erin', NOW), 'approval_duplicate');
    assert.equal(approvalGate(store, row, trust, NOW).have, 1);
    const e2 = signed('frank', bob);
    store.add(checkApproval(e2, c, trust, NOW), e2, 'frank', NOW);
    const g = approvalGate(store, row, trust, NOW);
    assert.deepEqual([g.met, g.have, g.approvers], [true, 2, ['erin', 'frank']]);
    // the controller re-verifies: against other approver keys the same rows count for nothing
    assert.equal(approvalGate(store, row, { keys: [{ publicKey: carol.publicKey }], threshold: 1 }, NOW).met, false);
    // the next wave needs its own approvals
    assert.equal(approvalGate(store, { ...row, phase: 2 }, trust, NOW).have, 0);
    assert.throws(() => db.prepare('DELETE FROM approvals').run(), /append-only/);
    assert.throws(() => db.prepare('UPDATE approval_policies SET required = 0').run(), /append-only/);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
