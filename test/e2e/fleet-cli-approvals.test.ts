/**
 * E2E (issue 16 §4): signed approvals and audited rollout verbs through the real `rpa-fleet` binary
 * on a real SQLite file. The controller's own part (re-verifying the statements before a wave
 * advances) is tested with a running controller in test/integration/controller-approvals.test.ts;
 * here the controller's wave step is done by hand with the store's guarded transition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildApproval, signApproval } from '../../src/fleet/approvals/statement.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { loadSigningKey } from '../../src/fleet/keys.js';
import { openFleetDb } from '../../src/fleet/fleet-db.js';

const bin = resolve(import.meta.dirname, '..', '..', 'bin', 'rpa-fleet.js');
type Run = { code: number; stdout: string; stderr: string };
function rpaFleet(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000, env: { ...process.env, ...env } }, (e, stdout, stderr) => res({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }));
  });
}
const json = (r: Run) => JSON.parse(r.stdout) as Record<string, any>;
const STABLE = 'a'.repeat(64);
const CANDIDATE = 'c'.repeat(64);

test('rollout approve: N distinct approver signatures, two-person rule, every bad approval refused with its code, all audited', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-approvals-'));
  const db = join(dir, 'fleet.db');
  const env = { RPA_FLEET_DB: db };
  const run = (args: string[]) => rpaFleet(args, env);
  const key = (n: string) => join(dir, `${n}.key`);
  openFleetDb(db).close(); // the fleet database exists, as after `rpa-fleet init`
  try {
    for (const [role, name] of [['models', 'models'], ['releases', 'releases'], ['approvers', 'alice'], ['approvers', 'bob'], ['approvers', 'carol']]) {
      assert.equal((await run(['keys', 'generate', '--role', role!, '--out', dir, '--name', name!, '--actor', 'sec-team'])).code, 0);
    }
    const trust = join(dir, 'trust.json');
    const init = await run(['trust', 'init', '--models', join(dir, 'models.pub.json'), '--releases', join(dir, 'releases.pub.json'), '--approvers', `${join(dir, 'alice.pub.json')},${join(dir, 'bob.pub.json')}`, '--out', trust, '--json', '--actor', 'sec-team']);
    assert.equal(init.code, 0, init.stderr);
    assert.equal(json(init).approvers.keyids.length, 2);
    assert.equal((await run(['rollout', 'start', '--channel', 'prod', '--role', 'detector', '--candidate', CANDIDATE, '--stable', STABLE, '--approvals', 'two'])).code, 2, '--approvals is a number');
    assert.equal((await run(['rollout', 'start', '--channel', 'prod', '--role', 'detector', '--candidate', CANDIDATE, '--stable', STABLE, '--two-person'])).code, 2, '--two-person needs --approvals');
    const started = await run(['rollout', 'start', '--channel', 'prod', '--role', 'detector', '--candidate', CANDIDATE, '--stable', STABLE, '--waves', '50,100', '--approvals', '2', '--two-person', '--actor', 'dana', '--reason', 'Q4 detector', '--json']);
    assert.equal(started.code, 0, started.stderr);
    const id = json(started).rollout.id as string;
    assert.deepEqual(json(started).approvals, { required: 2, twoPerson: true, startedBy: 'dana' });
    assert.equal(json(started).rollout.spec.approveEachWave, true, '--approvals gates each wave');

    // the controller's step, by hand: wave 1 published and passed, waiting for approval
    const store = new ControllerStore(db);
    assert.ok(store.transition(id, ['pending'], { state: 'awaiting_approval', phase: 0, phaseStartedAt: Date.now() }, Date.now()));
    store.close();

    const approve = (extra: string[]) => run(['rollout', 'approve', id, ...extra]);
    const code = async (extra: string[]) => json(await approve([...extra, '--json'])).error?.code as string | undefined;
    assert.equal(await code([]), 'approval_required', 'an unsigned approve does not count for a rollout with a policy');
    assert.equal((await approve(['--key', key('alice')])).code, 2, '--trust is required to check the approval');
    assert.equal(await code(['--key', key('carol'), '--trust', trust, '--actor', 'carol']), 'approval_untrusted_key');
    assert.equal(await code(['--key', key('alice'), '--trust', trust, '--actor', 'dana']), 'approval_same_person');
    const a1 = join(dir, 'a1.json');
    const first = await approve(['--key', key('alice'), '--trust', trust, '--actor', 'alice', '--reason', 'canary looks good', '--save-envelope', a1]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /approval of wave 1 by alice \(key [0-9a-f]{16}\) recorded: 1 of 2 signature\(s\) \(alice\); waiting for 1 more/);
    assert.match(first.stdout, new RegExp(`${id}  AWAITING_APPROVAL`), 'approve prints the new state');
    assert.equal(await code(['--envelope', a1, '--trust', trust]), 'approval_replayed');
    assert.equal(await code(['--key', key('alice'), '--trust', trust, '--actor', 'alice']), 'approval_duplicate');
    // statements crafted elsewhere: tampered, for another rollout, for another wave, by an untrusted key
    const env1 = JSON.parse(readFileSync(a1, 'utf8'));
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify({ ...env1, payload: Buffer.from(Buffer.from(env1.payload, 'base64').toString().replace('"alice"', '"bob"')).toString('base64') }));
    assert.equal(await code(['--envelope', tampered, '--trust', trust]), 'approval_bad_signature');
    const bobKey = await loadSigningKey(key('bob'), 'approvers');
    const craft = (name: string, over: Record<string, unknown>) => {
      const p = join(dir, name);
      writeFileSync(p, JSON.stringify(signApproval(buildApproval({ rolloutId: id, channel: 'prod', role: 'detector', candidate: CANDIDATE, phase: 0, twoPerson: false, ...over }, 'bob', Date.now()), bobKey)));
      return p;
    };
    assert.equal(await code(['--envelope', craft('other.json', { rolloutId: 'ro-other' }), '--trust', trust]), 'approval_wrong_rollout');
    assert.equal(await code(['--envelope', craft('wave.json', { phase: 1 }), '--trust', trust]), 'approval_wrong_wave');
    writeFileSync(join(dir, 'junk.json'), '{"payloadType":"x"}');
    assert.equal(await code(['--envelope', join(dir, 'junk.json'), '--trust', trust]), 'approval_bad_payload');
    const second = await approve(['--key', key('bob'), '--trust', trust, '--actor', 'bob', '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(json(second).approvals, { wave: 1, have: 2, need: 2, approvers: ['alice', 'bob'], met: true });

    // pause, resume, abort: audited with actor and reason
    assert.equal((await run(['rollout', 'pause', id, '--actor', 'erin', '--reason', 'helpdesk calls'])).code, 0);
    assert.equal((await run(['rollout', 'resume', id, '--actor', 'erin'])).code, 0);
    assert.equal((await run(['rollout', 'abort', id, '--actor', 'frank', '--reason', 'business freeze'])).code, 0);
    const trail = json(await run(['audit', '--rollout', id, '--json'])).entries as { action: string; actor: string; reason?: string; inputs: Record<string, unknown> }[];
    const refusedEntry = 'rollout.approve_refused';
    assert.deepEqual(trail.map((e) => e.action), ['rollout.start', refusedEntry, refusedEntry, 'rollout.approve', ...Array(6).fill(refusedEntry), 'rollout.approve', 'rollout.pause', 'rollout.resume', 'rollout.abort']);
    assert.deepEqual(trail.filter((e) => e.action !== refusedEntry).map((e) => e.actor), ['dana', 'alice', 'bob', 'erin', 'erin', 'frank']);
    assert.deepEqual(trail.filter((e) => e.action === 'rollout.approve_refused').map((e) => e.inputs['code']), [
      'approval_untrusted_key', 'approval_same_person', 'approval_replayed', 'approval_duplicate', 'approval_bad_signature', 'approval_wrong_rollout', 'approval_wrong_wave', 'approval_bad_payload',
    ]);
    assert.equal(trail[0]!.reason, 'Q4 detector');
    assert.equal(trail.find((e) => e.action === 'rollout.pause')!.reason, 'helpdesk calls');
    assert.equal((await run(['audit', 'verify'])).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
