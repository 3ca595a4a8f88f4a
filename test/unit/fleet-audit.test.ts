/** The audit log (issue 16 §4): the pure hash chain, the actor rule, and the SQLite table on a real file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveActor } from '../../src/fleet/audit/actor.js';
import { AuditLog } from '../../src/fleet/audit/audit-log.js';
import { canonicalJson, chainEntry, GENESIS, verifyChain, type AuditEntry } from '../../src/fleet/audit/chain.js';
import { openFleetDb } from '../../src/fleet/fleet-db.js';

const T0 = Date.parse('2026-12-06T10:00:00Z');

function chainOf(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++) out.push(chainEntry(out.at(-1), { actor: `a${i % 2}`, action: 'rollout.pause', inputs: { i } }, new Date(T0 + i * 1000).toISOString()));
  return out;
}

test('canonical JSON: sorted keys at every level, undefined dropped, one byte string per value', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' }, u: undefined }), '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
  assert.throws(() => canonicalJson({ n: Number.NaN }));
});

test('chain: each entry holds the hash of the previous one; an intact chain verifies with its head', () => {
  const c = chainOf(4);
  assert.equal(c[0]!.prev, GENESIS);
  for (let i = 1; i < c.length; i++) assert.equal(c[i]!.prev, c[i - 1]!.hash);
  assert.deepEqual(verifyChain(c), { ok: true, entries: 4, head: c[3]!.hash });
  assert.deepEqual(verifyChain([]), { ok: true, entries: 0, head: GENESIS });
});

test('chain: a changed entry, a re-hashed change, a removed entry and a reordering each name the entry that breaks', () => {
  const c = chainOf(5);
  const edited = c.map((e) => (e.seq === 3 ? { ...e, actor: 'mallory' } : e));
  const v1 = verifyChain(edited);
  assert.equal(v1.ok, false);
  assert.equal(!v1.ok && v1.brokenAt, 3);
  assert.match(!v1.ok ? v1.problem : '', /entry 3 was changed/);
  // re-hashing the edited entry moves the break to the next entry, which no longer chains to it
  const { hash: _h, ...body } = edited[2]!;
  const rehashed = edited.map((e) => (e.seq === 3 ? chainEntry(c[1], { actor: body.actor, action: body.action, inputs: body.inputs }, body.ts) : e));
  const v2 = verifyChain(rehashed);
  assert.equal(!v2.ok && v2.brokenAt, 4);
  assert.match(!v2.ok ? v2.problem : '', /entry 3 was changed/);
  const removed = c.filter((e) => e.seq !== 2);
  const v3 = verifyChain(removed);
  assert.equal(!v3.ok && v3.brokenAt, 3);
  assert.match(!v3.ok ? v3.problem : '', /entry 2 removed/);
  const inputsChanged = c.map((e) => (e.seq === 5 ? { ...e, inputs: { i: 99 } } : e));
  assert.equal(verifyChain(inputsChanged).ok, false, 'the last entry is covered by its own hash');
});

test('actor: --actor, then RPA_FLEET_ACTOR, then user@host; never empty', () => {
  const os = { user: () => 'jdoe', host: () => 'ws-12' };
  assert.equal(resolveActor('alice@corp', { RPA_FLEET_ACTOR: 'bob' }, os), 'alice@corp');
  assert.equal(resolveActor(undefined, { RPA_FLEET_ACTOR: 'bob' }, os), 'bob');
  assert.equal(resolveActor(undefined, { RPA_FLEET_ACTOR: '' }, os), 'jdoe@ws-12');
  assert.equal(resolveActor(undefined, {}, os), 'jdoe@ws-12');
  assert.throws(() => resolveActor('  ', {}, os), { code: 'bad_argument' });
  assert.throws(() => resolveActor('a\nb', {}, os), { code: 'bad_argument' });
});

test('audit log on a real SQLite file: appends chain, filters, triggers refuse UPDATE and DELETE, tampering is found', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-'));
  const path = join(dir, 'fleet.db');
  try {
    const db = openFleetDb(path);
    const log = new AuditLog(db);
    log.append({ actor: 'alice', action: 'model.publish', inputs: { model: 'det@1.0.0' } }, T0);
    log.append({ actor: 'bob', action: 'rollout.start', rolloutId: 'ro-1', reason: 'quarterly', inputs: { channel: 'prod' } }, T0 + 60_000);
    log.append({ actor: 'alice', action: 'rollout.approve', rolloutId: 'ro-1', inputs: { wave: 0 } }, T0 + 120_000);
    assert.throws(() => log.append({ actor: ' ', action: 'x', inputs: {} }, T0), { code: 'bad_argument' });
    assert.equal(log.entries().length, 3);
    assert.deepEqual(log.entries({ actor: 'alice' }).map((e) => e.seq), [1, 3]);
    assert.deepEqual(log.entries({ rolloutId: 'ro-1' }).map((e) => e.action), ['rollout.start', 'rollout.approve']);
    assert.deepEqual(log.entries({ since: T0 + 60_000 }).map((e) => e.seq), [2, 3]);
    assert.equal(log.entries()[1]!.reason, 'quarterly');
    assert.equal(log.verify().ok, true);
    // [append-only] SQLite itself refuses to rewrite or remove history
    assert.throws(() => db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM audit_log WHERE seq = 2').run(), /append-only/);
    assert.equal(log.entries()[1]!.actor, 'bob');
    db.close();
    // whoever drops the triggers and edits the file is caught by the chain
    const raw = openFleetDb(path);
    raw.exec('DROP TRIGGER audit_log_no_update');
    raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run();
    const v = new AuditLog(raw).verify();
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.brokenAt, 2);
    // reopening recreates the trigger: the table is append-only again
    assert.throws(() => raw.prepare("UPDATE audit_log SET actor = 'bob' WHERE seq = 2").run(), /append-only/);
    raw.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
