/**
 * The console's live event stream (GET /api/v1/events) authenticates callers exactly as the JSON
 * routes do (issue 19 §1/§2): over real HTTPS with an openssl test CA, a client certificate bound to
 * a viewer token opens the stream and receives a change another writer made; a certificate the CA
 * issued but no token is bound to, one whose token was revoked, and one from a foreign CA are refused
 * with the same problem codes as on /api/v1/whoami.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEventStream } from '../../src/console/live.js';
import { DEFAULT_SPEC } from '../../src/fleet/controller/judge.js';
import { makeTestPki } from '../helpers/brokers.js';
import { startApiWorld, type ApiWorld } from '../helpers/api-world.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

interface Opened {
  status: number;
  body?: { code: string; status: number };
  events: { event: string; data: string }[];
  close(): void;
}

/** Opens the event stream with a client certificate; a refusal is read whole, a stream is collected until close(). */
function openStream(w: ApiWorld, pem: { cert: Buffer; key: Buffer }): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const req = request(`${w.server.url}/api/v1/events`, { ca: w.ca, cert: pem.cert, key: pem.key, headers: { accept: 'text/event-stream' } }, (res) => {
      const status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      if (status !== 200) {
        let text = '';
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status, body: JSON.parse(text) as { code: string; status: number }, events: [], close: () => undefined }));
        return;
      }
      const events: Opened['events'] = [];
      let buf = '';
      res.on('data', (c: string) => (buf = parseEventStream(buf + c, (e) => events.push(e))));
      res.on('error', () => undefined);
      resolve({ status, events, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

test('event stream with client certificates: a viewer certificate gets events; unbound, revoked and foreign-CA certificates are refused', async () => {
  const w = await startApiWorld({ clientCerts: ['vera-laptop', 'otto-laptop', 'unbound'], console: { pollMs: 50 } });
  const other = mkdtempSync(join(tmpdir(), 'rpa-events-other-ca-'));
  try {
    makeTestPki(other, ['vera-laptop']); // same name, another CA
    const pem = (dir: string, n: string) => ({ cert: readFileSync(join(dir, `${n}.crt`)), key: readFileSync(join(dir, `${n}.key`)) });
    const fp = (dir: string, n: string) => new X509Certificate(readFileSync(join(dir, `${n}.crt`))).fingerprint256;
    w.ctx.tokens.create('vera', 'viewer', 'test-setup', Date.now(), fp(w.dir, 'vera-laptop'));
    const otto = w.ctx.tokens.create('otto', 'operator', 'test-setup', Date.now(), fp(w.dir, 'otto-laptop'));
    w.ctx.tokens.create('mallory', 'viewer', 'test-setup', Date.now(), fp(other, 'vera-laptop'));

    const vera = await openStream(w, pem(w.dir, 'vera-laptop'));
    try {
      assert.equal(vera.status, 200, JSON.stringify(vera.body));
      await new Promise((r) => setTimeout(r, 150));
      w.store.insertRollout('ro-cert', { ...DEFAULT_SPEC, channel: 'prod', role: 'detector', candidate: B, stable: A }, Date.now());
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && !vera.events.some((e) => e.event === 'rollout')) await new Promise((r) => setTimeout(r, 50));
      const ev = vera.events.find((e) => e.event === 'rollout');
      assert.ok(ev, `a rollout event for the viewer certificate (saw ${vera.events.map((e) => e.event).join(', ') || 'nothing'})`);
      assert.equal((JSON.parse(ev.data) as { id: string }).id, 'ro-cert');
    } finally {
      vera.close();
    }

    const refused = async (p: { cert: Buffer; key: Buffer }, code: string) => {
      const s = await openStream(w, p);
      s.close();
      assert.equal(s.status, 401, `refused with ${code}, got HTTP ${s.status}`);
      assert.equal(s.body?.code, code);
    };
    await refused(pem(w.dir, 'unbound'), 'unauthenticated');
    await refused(pem(other, 'vera-laptop'), 'unauthenticated'); // bound to a token, but not verified by the client CA
    const ottoOpen = await openStream(w, pem(w.dir, 'otto-laptop'));
    ottoOpen.close();
    assert.equal(ottoOpen.status, 200, 'an operator includes viewer');
    w.ctx.tokens.revoke(otto.row.id, 'test-admin', Date.now());
    await refused(pem(w.dir, 'otto-laptop'), 'token_revoked');
  } finally {
    rmSync(other, { recursive: true, force: true });
    await w.close();
  }
});
