/**
 * The controller's HTTP API (issue 19 §1) in process, over real HTTPS (test CA from openssl) on a
 * real fleet database: roles enforced (403 problems), token revocation, every mutating call in the
 * hash-chained audit log with the token's name as actor, RFC 9457 problem details for bad bodies,
 * signed approvals that must name the caller, yanked models refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer } from '../../src/fleet/api/server.js';
import { ApiContext } from '../../src/fleet/api/context.js';
import { buildApproval, signApproval } from '../../src/fleet/approvals/statement.js';
import { ModelRegistry } from '../../src/fleet/registry/registry.js';
import { generateSigningKey } from '../../src/fleet/signer.js';
import type { DsseEnvelope } from '../../src/common/dsse.js';
import type { ModelManifest } from '../../src/common/wire.js';
import { seedRelease, startApiWorld } from '../helpers/api-world.js';
import { makeTestPki } from '../helpers/brokers.js';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const S = 'a'.repeat(64);
const C = 'b'.repeat(64);
const PROBLEM = /^application\/problem\+json/;

function isProblem(r: { status: number; headers: Record<string, unknown>; body: any }, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(String(r.headers['content-type']), PROBLEM);
  assert.equal(r.body.status, status);
  assert.equal(r.body.code, code);
  assert.equal(r.body.type, `https://rpa-edge.invalid/problems/${code}`);
  assert.equal(typeof r.body.title, 'string');
  assert.equal(typeof r.body.detail, 'string');
}

test('HTTPS with the test CA; a client without the CA is refused; plain HTTP only on loopback and only when asked', async () => {
  const w = await startApiWorld();
  try {
    assert.match(w.server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await w.raw('GET', '/api/v1/health')).status, 200);
    await assert.rejects(w.raw('GET', '/api/v1/health', { ca: null }), /self[- ]signed|unable to verify|certificate/i);
    const ctx = new ApiContext({ store: w.store });
    await assert.rejects(startApiServer(ctx, { host: '0.0.0.0', port: 0, insecureHttp: true }), { code: 'bad_argument', message: /loopback/ });
    await assert.rejects(startApiServer(ctx, { host: '127.0.0.1', port: 0 }), { code: 'bad_argument', message: /TLS certificate/ });
    const doc = await w.raw('GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
  } finally {
    await w.close();
  }
});

test('roles: a viewer reads but is refused start, pause and approve with a 403 problem; operator starts and pauses; only an approver approves', async () => {
  const w = await startApiWorld();
  try {
    seedRelease(w.store, 'prod', S);
    const vera = w.token('vera', 'viewer').token;
    const otto = w.token('otto', 'operator').token;
    const alice = w.token('alice', 'approver').token;
    const body = { channel: 'prod', role: 'detector', candidate: C, waves: [10, 100], approveEachWave: true, reason: 'Q4 detector' };
    isProblem(await w.raw('POST', '/api/v1/rollouts', { token: vera, body }), 403, 'forbidden');
    isProblem(await w.raw('POST', '/api/v1/rollouts', { token: alice, body }), 403, 'forbidden');
    const started = await w.raw('POST', '/api/v1/rollouts', { token: otto, body });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const id = started.body.rollout.id as string;
    assert.equal(started.headers['location'], `/api/v1/rollouts/${id}`);
    assert.equal(started.body.rollout.spec.stable, S);
    assert.deepEqual(started.body.waves.map((x: { percent: number }) => x.percent), [10, 100]);
    // the controller's first tick (it publishes wave 1 and marks the row running); no broker here
    assert.ok(w.store.transition(id, ['pending'], { state: 'running', phase: 0, phaseStartedAt: Date.now() }, Date.now()));
    const viewerApprove = await w.raw('POST', `/api/v1/rollouts/${id}/approve`, { token: vera, body: { reason: 'looks fine' } });
    isProblem(viewerApprove, 403, 'forbidden');
    assert.match(viewerApprove.body.detail, /vera has role viewer; approveRollout needs role approver/);
    isProblem(await w.raw('POST', `/api/v1/rollouts/${id}/approve`, { token: otto, body: { reason: 'me too' } }), 403, 'forbidden');
    isProblem(await w.raw('POST', `/api/v1/rollouts/${id}/pause`, { token: vera, body: { reason: 'stop' } }), 403, 'forbidden');
    isProblem(await w.raw('POST', `/api/v1/rollouts/${id}/pause`, { token: alice, body: { reason: 'stop' } }), 403, 'forbidden');
    assert.equal(w.store.rollout(id)!.approved, false, 'no refused call changed the rollout');
    const approved = await w.raw('POST', `/api/v1/rollouts/${id}/approve`, { token: alice, body: { reason: 'canary clean' } });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(w.store.rollout(id)!.approved, true);
    const paused = await w.raw('POST', `/api/v1/rollouts/${id}/pause`, { token: otto, body: { reason: 'holiday freeze' } });
    assert.equal(paused.status, 200);
    assert.equal(paused.body.rollout.state, 'paused');
    // every role reads
    for (const t of [vera, otto, alice]) assert.equal((await w.raw('GET', `/api/v1/rollouts/${id}`, { token: t })).status, 200);
    isProblem(await w.raw('GET', `/api/v1/rollouts/${id}`), 401, 'unauthenticated');
  } finally {
    await w.close();
  }
});

test('audit: every mutating call is recorded with the token name as actor, refusals included; the chain verifies', async () => {
  const w = await startApiWorld();
  try {
    seedRelease(w.store, 'prod', S);
    const vera = w.token('vera', 'viewer').token;
    const otto = w.token('otto', 'operator').token;
    const id = (await w.raw('POST', '/api/v1/rollouts', { token: otto, body: { channel: 'prod', role: 'detector', candidate: C, reason: 'new detector' } })).body.rollout.id as string;
    await w.raw('POST', `/api/v1/rollouts/${id}/abort`, { token: vera, body: { reason: 'I am only a viewer' } });
    await w.raw('POST', `/api/v1/rollouts/${id}/abort`, { token: otto, body: {} });
    assert.equal((await w.raw('POST', `/api/v1/rollouts/${id}/abort`, { token: otto, body: { reason: 'wrong candidate' } })).status, 200);
    const reads = (await w.raw('GET', `/api/v1/audit?rollout=${id}`, { token: vera })).body.entries as { actor: string; action: string; reason?: string; inputs: Record<string, unknown> }[];
    assert.deepEqual(
      reads.map((e) => [e.actor, e.action, e.reason ?? null, e.inputs['code'] ?? null]),
      [
        ['otto', 'rollout.start', 'new detector', null],
        ['vera', 'api.refused', null, 'forbidden'],
        ['otto', 'api.refused', null, 'bad_argument'],
        ['otto', 'rollout.abort', 'wrong candidate', null],
      ],
    );
    assert.equal(reads[0]!.inputs['via'], 'api');
    assert.equal(reads[0]!.inputs['role'], 'operator');
    const byVera = (await w.raw('GET', '/api/v1/audit?actor=vera', { token: vera })).body.entries as unknown[];
    assert.equal(byVera.length, 1, 'reads are not audited, the refused abort is');
    const v = await w.raw('GET', '/api/v1/audit/verify', { token: vera });
    assert.equal(v.body.ok, true);
    assert.equal(v.body.entries, 4);
  } finally {
    await w.close();
  }
});

test('problem details: bad bodies, bad JSON, wrong content type, unknown fields, bad query, unknown path and method', async () => {
  const w = await startApiWorld();
  try {
    const otto = w.token('otto', 'operator').token;
    const bad = await w.raw('POST', '/api/v1/rollouts', { token: otto, body: { channel: 'prod', role: 'detector', candidate: C, waves: [50, 5] } });
    isProblem(bad, 400, 'bad_argument');
    assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path), ['body.waves']);
    const many = await w.raw('POST', '/api/v1/rollouts', { token: otto, body: { channel: 'a/b', role: 'painter', candidate: 'x', maxErrorRate: 3 } });
    isProblem(many, 400, 'bad_argument');
    assert.deepEqual(many.body.errors.map((e: { path: string }) => e.path).sort(), ['body.candidate', 'body.channel', 'body.maxErrorRate', 'body.role']);
    const noReason = await w.raw('POST', '/api/v1/rollouts/ro-1/pause', { token: otto, body: { reason: '  ' } });
    isProblem(noReason, 400, 'bad_argument');
    assert.equal(noReason.body.errors[0].path, 'body.reason');
    isProblem(await w.raw('POST', '/api/v1/rollouts/ro-1/pause', { token: otto, rawBody: '{"reason": ' }), 400, 'parse_error');
    const typed = await w.raw('POST', '/api/v1/rollouts/ro-1/pause', { token: otto, rawBody: 'reason=x', contentType: 'text/plain' });
    isProblem(typed, 415, 'bad_argument');
    isProblem(await w.raw('POST', '/api/v1/rollouts/ro-1/pause', { token: otto, body: { reason: 'x', force: true } }), 400, 'bad_argument');
    isProblem(await w.raw('POST', '/api/v1/rollouts/ro-1/pause', { token: otto, rawBody: JSON.stringify({ reason: 'x'.repeat(2 * 1024 * 1024) }) }), 413, 'frame_too_large');
    isProblem(await w.raw('GET', '/api/v1/rollouts?active=maybe', { token: otto }), 400, 'bad_argument');
    isProblem(await w.raw('GET', '/api/v1/nothing-here', { token: otto }), 404, 'not_found');
    const m = await w.raw('DELETE', '/api/v1/rollouts', { token: otto });
    isProblem(m, 405, 'method_not_found');
    assert.equal(m.headers['allow'], 'GET, POST');
    isProblem(await w.raw('POST', '/api/v1/rollouts/ro-1/pause', { token: otto, body: { reason: 'x' } }), 404, 'not_found');
  } finally {
    await w.close();
  }
});

test('tokens: a revoked token is refused from its next request; a wrong secret or a malformed token is unauthenticated', async () => {
  const w = await startApiWorld();
  try {
    const vera = w.token('vera', 'viewer');
    assert.equal((await w.raw('GET', '/api/v1/fleet', { token: vera.token })).status, 200);
    const forged = vera.token.slice(0, -4) + (vera.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    isProblem(await w.raw('GET', '/api/v1/fleet', { token: forged }), 401, 'unauthenticated');
    isProblem(await w.raw('GET', '/api/v1/fleet', { token: 'hunter2' }), 401, 'unauthenticated');
    w.ctx.tokens.revoke(vera.id, 'test-admin', Date.now());
    const r = await w.raw('GET', '/api/v1/fleet', { token: vera.token });
    isProblem(r, 401, 'token_revoked');
    assert.match(String(r.headers['www-authenticate']), /^Bearer/);
    // the secret itself is not in the database, only its sha256
    const rows = w.store.db.prepare('SELECT * FROM api_tokens').all() as Record<string, string>[];
    // the secret is everything after `rpaf_<id>_` (base64url may itself contain "_": splitting on every "_" made
    // this check flaky, a 1-2 character fragment found by chance in the hashes)
    const secret = vera.token.split('_').slice(2).join('_');
    assert.ok(secret.length >= 20, `a long secret (${secret.length} characters)`);
    assert.ok(!JSON.stringify(rows).includes(secret));
  } finally {
    await w.close();
  }
});

test('signed approvals over the API: checked against the controller\'s approvers, must name the caller, two-person rule holds', async () => {
  const aliceKey = generateSigningKey();
  const ottoKey = generateSigningKey();
  const w = await startApiWorld({ approvers: { keys: [aliceKey, ottoKey].map((k) => ({ publicKey: k.publicKey })), threshold: 1 } });
  try {
    seedRelease(w.store, 'prod', S);
    const otto = w.token('otto', 'operator').token;
    const alice = w.token('alice', 'approver').token;
    const ottoApprover = w.token('otto', 'approver').token; // the same person with a second token
    const started = await w.raw('POST', '/api/v1/rollouts', { token: otto, body: { channel: 'prod', role: 'detector', candidate: C, waves: [10, 100], approvals: 1, twoPerson: true } });
    const id = started.body.rollout.id as string;
    assert.equal(started.body.approval.policy.startedBy, 'otto');
    assert.ok(w.store.transition(id, ['pending'], { state: 'awaiting_approval', phase: 0, phaseStartedAt: Date.now() }, Date.now()));
    const ctx = (await w.raw('GET', `/api/v1/rollouts/${id}`, { token: alice })).body.approval.context;
    const sign = (name: string, key = aliceKey): DsseEnvelope => signApproval(buildApproval(ctx, name, Date.now()), key);
    isProblem(await w.raw('POST', `/api/v1/rollouts/${id}/approve`, { token: alice, body: { reason: 'x' } }), 409, 'approval_required');
    const impostor = await w.raw('POST', `/api/v1/rollouts/${id}/approve`, { token: alice, body: { envelope: sign('mallory'), reason: 'x' } });
    isProblem(impostor, 422, 'approval_bad_payload');
    assert.match(impostor.body.detail, /names mallory .* the caller is alice/);
    isProblem(await w.raw('POST', `/api/v1/rollouts/${id}/approve`, { token: ottoApprover, body: { envelope: sign('otto', ottoKey), reason: 'x' } }), 422, 'approval_same_person');
    const stranger = generateSigningKey();
    isProblem(await w.raw('POST', `/api/v1/rollouts/${id}/approve`, { token: alice, body: { envelope: sign('alice', stranger), reason: 'x' } }), 422, 'approval_untrusted_key');
    const env = sign('alice');
    const ok = await w.raw('POST', `/api/v1/rollouts/${id}/approve`, { token: alice, body: { envelope: env, reason: 'canary clean' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.approvals, { wave: 1, have: 1, need: 1, approvers: ['alice'], met: true });
    isProblem(await w.raw('POST', `/api/v1/rollouts/${id}/approve`, { token: alice, body: { envelope: env, reason: 'again' } }), 422, 'approval_replayed');
    const audit = (await w.raw('GET', `/api/v1/audit?rollout=${id}`, { token: alice })).body.entries as { actor: string; action: string; inputs: Record<string, unknown> }[];
    assert.deepEqual(audit.filter((e) => e.action === 'rollout.approve').map((e) => e.actor), ['alice']);
    assert.deepEqual(audit.filter((e) => e.action === 'api.refused').map((e) => `${e.actor}:${e.inputs['code']}`), ['alice:approval_required', 'alice:approval_bad_payload', 'otto:approval_same_person', 'alice:approval_untrusted_key', 'alice:approval_replayed']);
  } finally {
    await w.close();
  }
});

test('models: an operator yanks name@version with a reason; a rollout of the yanked model is refused (409 model_yanked)', async () => {
  const w = await startApiWorld();
  try {
    seedRelease(w.store, 'prod', S);
    const manifest = { name: 'ui-detector', version: '1.3.0', sha256: C, role: 'detector' } as unknown as ModelManifest;
    const env: DsseEnvelope = { payloadType: 'application/vnd.rpa-edge.model+json', payload: Buffer.from(JSON.stringify(manifest)).toString('base64'), signatures: [{ keyid: 'k', sig: 'AA==' }] };
    new ModelRegistry(w.store.db).bind(manifest, env, 'publisher', Date.now());
    const vera = w.token('vera', 'viewer').token;
    const otto = w.token('otto', 'operator').token;
    isProblem(await w.raw('POST', '/api/v1/models/ui-detector@1.3.0/yank', { token: vera, body: { reason: 'mislabels check boxes' } }), 403, 'forbidden');
    isProblem(await w.raw('POST', '/api/v1/models/ui-detector@1.3.0/yank', { token: otto, body: {} }), 400, 'bad_argument');
    const y = await w.raw('POST', '/api/v1/models/ui-detector@1.3.0/yank', { token: otto, body: { reason: 'mislabels check boxes' } });
    assert.equal(y.status, 200);
    assert.equal(y.body.state, 'yanked');
    const list = await w.raw('GET', '/api/v1/models', { token: vera });
    assert.equal(list.body.models[0].state, 'yanked');
    for (const candidate of [C, 'ui-detector@1.3.0']) {
      isProblem(await w.raw('POST', '/api/v1/rollouts', { token: otto, body: { channel: 'prod', role: 'detector', candidate } }), 409, 'model_yanked');
    }
    const shown = await w.raw('GET', '/api/v1/models/ui-detector@1.3.0', { token: vera });
    assert.equal(shown.status, 200);
    assert.equal(shown.body.marks[0].actor, 'otto');
    assert.equal(shown.body.provenance, null);
  } finally {
    await w.close();
  }
});

test('client certificates: a certificate from the client CA bound to a token acts as that token; unbound, foreign or revoked ones are refused', async () => {
  const w = await startApiWorld({ clientCerts: ['otto-laptop', 'unbound'] });
  const other = mkdtempSync(join(tmpdir(), 'rpa-api-other-ca-'));
  try {
    makeTestPki(other, ['otto-laptop']); // same name, another CA: must not pass
    const pem = (dir: string, n: string) => ({ cert: readFileSync(join(dir, `${n}.crt`)), key: readFileSync(join(dir, `${n}.key`)) });
    const fp = new X509Certificate(readFileSync(join(w.dir, 'otto-laptop.crt'))).fingerprint256;
    const bound = w.ctx.tokens.create('otto', 'operator', 'test-setup', Date.now(), fp);
    const me = await w.raw('GET', '/api/v1/whoami', pem(w.dir, 'otto-laptop'));
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.deepEqual(me.body, { name: 'otto', role: 'operator', tokenId: bound.row.id });
    isProblem(await w.raw('GET', '/api/v1/whoami', pem(w.dir, 'unbound')), 401, 'unauthenticated');
    // even bound to a token, a certificate the client CA did not issue is not verified: refused
    w.ctx.tokens.create('mallory', 'operator', 'test-setup', Date.now(), new X509Certificate(readFileSync(join(other, 'otto-laptop.crt'))).fingerprint256);
    isProblem(await w.raw('GET', '/api/v1/whoami', pem(other, 'otto-laptop')), 401, 'unauthenticated');
    isProblem(await w.raw('GET', '/api/v1/whoami'), 401, 'unauthenticated');
    assert.throws(() => w.ctx.tokens.create('eve', 'approver', 'test-setup', Date.now(), fp), { code: 'bad_argument' });
    w.ctx.tokens.revoke(bound.row.id, 'test-admin', Date.now());
    isProblem(await w.raw('GET', '/api/v1/whoami', pem(w.dir, 'otto-laptop')), 401, 'token_revoked');
  } finally {
    rmSync(other, { recursive: true, force: true });
    await w.close();
  }
});

test('GET /api/v1/agents in pages: limit/after walk every agent once in id order, online filters, bad values are 400; GET /api/v1/agents/{id} finds one by key', async () => {
  const w = await startApiWorld();
  try {
    const ids = ['ws-05', 'ws-01', 'ws-04', 'ws-02', 'ws-03'];
    for (const [i, id] of ids.entries()) w.store.putStatus({ agentId: id, online: i !== 2, ts: new Date().toISOString(), agentVersion: '1.0.0', channel: 'prod', roles: {} }, Date.now());
    const { token } = w.token('vera', 'viewer');
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const r = await w.raw('GET', `/api/v1/agents?limit=2${after ? `&after=${after}` : ''}`, { token });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(r.body.agents.length <= 2);
      seen.push(...r.body.agents.map((a: { agentId: string }) => a.agentId));
      after = r.body.next;
      pages++;
    } while (after);
    assert.deepEqual(seen, ['ws-01', 'ws-02', 'ws-03', 'ws-04', 'ws-05']);
    assert.equal(pages, 3);
    const online = await w.raw('GET', '/api/v1/agents?limit=10&online=true', { token });
    assert.deepEqual(online.body.agents.map((a: { agentId: string }) => a.agentId), ['ws-01', 'ws-02', 'ws-03', 'ws-05']);
    assert.equal(online.body.next, undefined);
    const all = await w.raw('GET', '/api/v1/agents', { token });
    assert.equal(all.body.agents.length, 5, 'without limit and after: every agent, as before');
    isProblem(await w.raw('GET', '/api/v1/agents?limit=0', { token }), 400, 'bad_argument');
    isProblem(await w.raw('GET', '/api/v1/agents?limit=1001', { token }), 400, 'bad_argument');
    const one = await w.raw('GET', '/api/v1/agents/ws-04', { token });
    assert.equal(one.status, 200);
    assert.equal(one.body.agent.agentId, 'ws-04');
    assert.equal(one.body.agent.online, false);
    isProblem(await w.raw('GET', '/api/v1/agents/ws-99', { token }), 404, 'not_found');
  } finally {
    await w.close();
  }
});
