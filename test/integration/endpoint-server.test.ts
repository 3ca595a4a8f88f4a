/**
 * The bot endpoint against real parts: a real Unix socket, the real client, real onnxruntime sessions on
 * the fixture models behind the services (test/helpers/endpoint-harness.ts says exactly what is real).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBotEndpoint, type BotEndpoint, type EndpointLimits } from '../../src/agent/endpoint/server.js';
import { connect, BotEndpointError, type BotClient } from '../../src/agent/endpoint/client.js';
import { newEndpointSecret, clientProof } from '../../src/agent/endpoint/handshake.js';
import { OnnxTestServices, drawScreen, HARNESS_LABELS } from '../helpers/endpoint-harness.js';
import type { EndpointObserver } from '../../src/agent/endpoint/services.js';

let dir: string;
let services: OnnxTestServices;
let slowServices: OnnxTestServices;
const secret = newEndpointSecret();
let n = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ep-'));
  services = await OnnxTestServices.create();
  slowServices = await OnnxTestServices.create({ slowRuns: 3 });
});
after(async () => {
  await services.dispose();
  await slowServices.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface Recorded extends EndpointObserver {
  alarms: { reason: string; message: string }[];
  audits: { event: string; [k: string]: unknown }[];
}
function recorder(): Recorded {
  const r: Recorded = {
    alarms: [],
    audits: [],
    alarm: (reason, message) => r.alarms.push({ reason, message }),
    audit: (e) => r.audits.push(e),
  };
  return r;
}

async function withServer(
  opts: { limits?: Partial<EndpointLimits>; svc?: OnnxTestServices; secret?: string; path?: string; observer?: Recorded },
  body: (ep: BotEndpoint, path: string, obs: Recorded) => Promise<void>,
): Promise<void> {
  const path = opts.path ?? join(dir, `s${n++}`, 'endpoint.sock');
  const obs = opts.observer ?? recorder();
  const ep = await startBotEndpoint({ path, secret: opts.secret ?? secret, services: opts.svc ?? services, observer: obs, agentVersion: '0.1.0-test', limits: opts.limits });
  try {
    await body(ep, path, obs);
  } finally {
    await ep.close();
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
}

/** a raw socket speaking lines, for what the typed client would never send */
async function rawLines(path: string): Promise<{ s: Socket; send: (l: string | Buffer) => void; next: () => Promise<any>; closed: Promise<void> }> {
  const s = netConnect(path);
  await new Promise<void>((r, j) => (s.once('connect', r), s.once('error', j)));
  s.on('error', () => {});
  const lines: any[] = [];
  const waiters: ((v: any) => void)[] = [];
  let buf = '';
  s.on('data', (d) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  return {
    s,
    send: (l) => s.write(l),
    next: () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((r) => waiters.push(r))),
    closed,
  };
}

test('handshake then every method, with real inference behind it', async () => {
  await withServer({}, async (ep, path, obs) => {
    const st = statSync(path);
    assert.equal(st.mode & 0o777, 0o600, 'socket is 0600');
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700, 'its directory is 0700');
    const c = await connect({ path, secret, clientName: 'itest' });
    try {
      assert.equal(c.session?.agentVersion, '0.1.0-test');
      assert.ok(obs.audits.some((a) => a.event === 'auth_ok' && a.client === 'itest'));
      assert.equal((await c.health()).ok, true);
      const status = await c.status();
      assert.equal(status.agent.agentId, 'endpoint-test-agent');
      assert.equal(status.endpoint.connections, 1);
      const models = await c.call('models.list');
      assert.deepEqual(models.models.map((m) => m.role), ['detector', 'classifier']);
      assert.match(models.models[0]!.modelId!, /^[0-9a-f]{64}$/);

      const png = await drawScreen(320, 200, [
        { x: 20, y: 20, w: 80, h: 24, color: '#1060d0' },
        { x: 200, y: 120, w: 16, h: 16, color: '#202020' },
      ]);
      const det = await c.call('detect', { source: { kind: 'png', png: png.toString('base64'), originX: 1000, originY: 500 } });
      assert.equal(det.elements.length, 2);
      const boxes = det.elements.map((e) => e.box).sort((a, b) => a[0] - b[0]);
      // boxes in screen pixels: the drawn rects offset by the origin (4-px grid of the blob scan)
      assert.deepEqual(boxes[0], [1020, 520, 1100, 544]);
      assert.deepEqual(boxes[1], [1200, 620, 1216, 636]);
      for (const e of det.elements) {
        assert.ok(e.score > 0 && e.score < 1);
        assert.ok(HARNESS_LABELS.includes(e.type as never));
      }
      const filtered = await c.call('detect', { source: { kind: 'png', png: png.toString('base64') }, minScore: 1 });
      assert.equal(filtered.elements.length, 0, 'minScore filters');

      const crop = await drawScreen(80, 24, [{ x: 0, y: 0, w: 80, h: 24, color: '#1060d0' }]);
      const cls = await c.call('classify', { source: { kind: 'png', png: crop.toString('base64') }, topK: 2 });
      assert.equal(cls.labels.length, 2);
      assert.ok(cls.labels[0]!.score >= cls.labels[1]!.score);

      const emb = await c.call('embed', { source: { kind: 'png', png: crop.toString('base64') } });
      assert.equal(emb.dims, 4);
      assert.ok(Math.abs(Math.hypot(...emb.vector) - 1) < 1e-5);

      // the template is the blue button: it must rank first
      const found = await c.call('findElement', { source: { kind: 'png', png: png.toString('base64') }, template: crop.toString('base64') });
      assert.deepEqual(found.matches[0]!.box, [20, 20, 100, 44]);
      assert.ok(found.matches[0]!.score > found.matches[1]!.score);
      const byType = await c.call('findElement', { source: { kind: 'png', png: png.toString('base64') }, type: det.elements[0]!.type });
      assert.ok(byType.matches.length >= 1 && byType.matches.every((m) => m.type === det.elements[0]!.type));
      assert.equal(await codeOf(c.call('findElement', { source: { kind: 'png', png: png.toString('base64') }, text: 'Name' })), 'not_supported');

      const fb = await c.call('feedback.submit', { kind: 'missed', box: [1, 2, 30, 40], expectedType: 'button', png: crop.toString('base64') });
      assert.equal(fb.stored, true);
      assert.equal(services.feedback.at(-1)!.pngBytes, crop.length);

      const seen: string[] = [];
      const unsubscribe = await c.onStatus((s) => seen.push(s.agent.roles.detector?.state ?? '?'));
      services.setDetectorState({ state: 'rolled_back' });
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(seen, ['rolled_back']);
      await unsubscribe();
      services.setDetectorState({ state: 'active' });
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(seen, ['rolled_back'], 'no notification after unsubscribe');
    } finally {
      c.close();
    }
  });
});

test('wrong secret: unauthenticated, connection closed, nothing served', async () => {
  await withServer({}, async (_ep, path, obs) => {
    // the client checks the server proof first, so a wrong secret on the client shows up as an impostor server
    assert.equal(await codeOf(connect({ path, secret: newEndpointSecret() })), 'endpoint_impostor');
    // a client that skips the server check and sends a bad proof is refused by the server
    const r = await rawLines(path);
    r.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'hello', params: { protocol: 1, clientNonce: Buffer.alloc(32, 7).toString('base64') } }) + '\n');
    const hello = await r.next();
    assert.ok(hello.result.serverNonce);
    const bad = clientProof(newEndpointSecret(), hello.result.serverNonce, Buffer.alloc(32, 7).toString('base64'));
    r.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'authenticate', params: { clientProof: bad } }) + '\n');
    const ans = await r.next();
    assert.equal(ans.error.code, -32001);
    assert.equal(ans.error.data.code, 'unauthenticated');
    await r.closed;
    assert.ok(obs.audits.some((a) => a.event === 'auth_failed'));
  });
});

test('no auth: methods before the handshake are refused and the connection closed; silent clients time out', async () => {
  await withServer({ limits: { handshakeTimeoutMs: 200 } }, async (_ep, path) => {
    const r = await rawLines(path);
    r.send('{"jsonrpc":"2.0","id":1,"method":"detect","params":{"source":{"kind":"screen"}}}\n');
    const a = await r.next();
    assert.equal(a.error.data.code, 'unauthenticated');
    assert.equal(a.id, 1);
    await r.closed;

    const silent = await rawLines(path);
    const t0 = Date.now();
    const timeout = await silent.next();
    assert.equal(timeout.error.data.code, 'unauthenticated');
    await silent.closed;
    assert.ok(Date.now() - t0 < 2000);

    // a big frame before authentication closes the connection (pre-auth frames are ≤ 4 KiB)
    const big = await rawLines(path);
    big.send(Buffer.alloc(10_000, 0x61));
    const tooBig = await big.next();
    assert.equal(tooBig.error.data.code, 'frame_too_large');
    await big.closed;
  });
});

test('a server that does not know the secret is refused by the client (simulated squatter on a fresh path)', async () => {
  // The squatter runs the real server code with a different secret: it answers hello, but its proof is wrong.
  const obs = recorder();
  await withServer({ secret: newEndpointSecret(), observer: obs }, async (_ep, path) => {
    const e = await connect({ path, secret }).then(
      () => assert.fail('connected to an impostor'),
      (err) => err,
    );
    assert.equal(e.code, 'endpoint_impostor');
    await new Promise((r) => setTimeout(r, 50));
    // the impostor never received an authenticate (the client gave it no proof)
    assert.ok(!obs.audits.some((a) => a.event === 'auth_ok' || (a.event === 'auth_failed' && String(a.reason).includes('clientProof'))));
  });
});

test('malformed JSON, wrong types, unknown methods, batches, oversized frames: coded errors, connection keeps serving', async () => {
  await withServer({ limits: { maxFrameBytes: 64 * 1024 } }, async (_ep, path) => {
    const c = await connect({ path, secret });
    try {
      const errors: any[] = [];
      // connection-level errors (id null) are surfaced on lastConnectionError; use raw calls for the rest
      c.sendRaw('{"jsonrpc":"2.0","id":1,"method":\n');
      await new Promise((r) => setTimeout(r, 30));
      errors.push(c.lastConnectionError?.code);
      c.sendRaw('[{"jsonrpc":"2.0","id":1,"method":"health"}]\n');
      await new Promise((r) => setTimeout(r, 30));
      errors.push(c.lastConnectionError?.message.includes('batches') ? 'batch' : 'x');
      c.sendRaw(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":9,"method":"health","params":{"pad":"'), Buffer.alloc(100_000, 0x61), Buffer.from('"}}\n')]));
      await new Promise((r) => setTimeout(r, 30));
      errors.push(c.lastConnectionError?.code);
      assert.deepEqual(errors, ['parse_error', 'batch', 'frame_too_large']);

      assert.equal(await codeOf(c.rawCall('no.such.method', {})), 'method_not_found');
      const e = await c.rawCall('detect', { source: { kind: 'png', png: 42 } }).catch((x) => x);
      assert.ok(e instanceof BotEndpointError);
      assert.equal(e.rpcCode, -32602);
      assert.equal(e.code, 'invalid_params');
      assert.match(e.message, /source/);
      assert.equal(await codeOf(c.rawCall('detect', { source: { kind: 'screen' }, extra: 1 })), 'invalid_params');
      assert.equal(await codeOf(c.rawCall('health', { x: 1 })), 'invalid_params');
      assert.equal(await codeOf(c.rawCall('hello', { protocol: 1 })), 'method_not_found');
      assert.equal(await codeOf(c.call('detect', { source: { kind: 'png', png: Buffer.from('not a png at all').toString('base64') } })), 'bad_image');
      // a 50 MP PNG header is refused from the header alone
      const hdr = Buffer.alloc(33);
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(hdr, 0);
      hdr.writeUInt32BE(13, 8);
      hdr.write('IHDR', 12, 'latin1');
      hdr.writeUInt32BE(10000, 16);
      hdr.writeUInt32BE(5000, 20);
      const big = await c.call('detect', { source: { kind: 'png', png: hdr.toString('base64') } }).catch((x) => x);
      assert.equal(big.code, 'image_too_large');
      assert.equal(big.rpcCode, -32004);
      assert.match(big.message, /50\.0 MP/);
      // and after all that, the same connection still answers
      assert.equal((await c.health()).ok, true);
    } finally {
      c.close();
    }
  });
});

test('rate limit: a flooding client gets rate_limited, another client is still served', async () => {
  await withServer({ limits: { requestsPerSecond: 100, requestBurst: 50 } }, async (_ep, path) => {
    const flood = await connect({ path, secret });
    const calm = await connect({ path, secret });
    try {
      const results = await Promise.allSettled(Array.from({ length: 500 }, () => flood.health()));
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const limited = results.filter((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'rate_limited').length;
      assert.ok(ok >= 50 && ok < 100, `ok=${ok}`);
      assert.equal(ok + limited, 500);
      assert.equal((await calm.health()).ok, true);
    } finally {
      flood.close();
      calm.close();
    }
  });
});

test('fair bounded queue: a full queue answers busy at once; cancel and timeout answer with their codes', async () => {
  await withServer({ svc: slowServices, limits: { concurrency: 1, maxQueued: 3, maxQueuedPerClient: 2 } }, async (ep, path) => {
    const a = await connect({ path, secret });
    const b = await connect({ path, secret });
    try {
      const png = (await drawScreen(64, 64, [{ x: 8, y: 8, w: 16, h: 16, color: '#000' }])).toString('base64');
      const req = { source: { kind: 'png' as const, png } };
      const t0 = performance.now();
      const aCalls = Array.from({ length: 5 }, () => a.call('detect', req).then(() => 'ok', (e) => e.code));
      await new Promise((r) => setImmediate(r));
      const bCalls = Array.from({ length: 2 }, () => b.call('detect', req).then(() => 'ok', (e) => e.code));
      const aRes = await Promise.all(aCalls);
      const bRes = await Promise.all(bCalls);
      // a: 1 running + 2 queued (per-client bound) + 2 busy; b: its 1 fits in the global bound of 3, 1 is busy
      assert.deepEqual(aRes, ['ok', 'ok', 'ok', 'busy', 'busy']);
      assert.deepEqual(bRes.sort(), ['busy', 'ok']);
      assert.ok(performance.now() - t0 < 5000);

      // cancel: a queued request and a running one both answer `cancelled` and free their slot
      const ac1 = new AbortController();
      const ac2 = new AbortController();
      const running = a.call('detect', req, { signal: ac1.signal }).catch((e) => e.code);
      const queued = a.call('detect', req, { signal: ac2.signal }).catch((e) => e.code);
      await new Promise((r) => setTimeout(r, 10));
      ac2.abort();
      ac1.abort();
      assert.deepEqual(await Promise.all([running, queued]), ['cancelled', 'cancelled']);
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(ep.stats, { connections: 2, queued: 0, running: 0 });
      assert.ok(slowServices.abortedDetects >= 1, 'the running detection saw its abort signal');

      // timeout: the server's per-request timeout answers `timeout`
      assert.equal(await codeOf(a.call('detect', { ...req, timeoutMs: 5 })), 'timeout');
      assert.equal((await b.health()).ok, true);
    } finally {
      a.close();
      b.close();
    }
  });
});

test('a live endpoint at the path is an alarm (endpoint_in_use); a stale socket file is replaced', async () => {
  await withServer({}, async (_ep, path) => {
    const obs = recorder();
    const e = await startBotEndpoint({ path, secret, services, observer: obs }).then(
      async (ep2) => {
        await ep2.close();
        assert.fail('a second endpoint claimed a live path');
      },
      (err) => err,
    );
    assert.equal(e.code, 'endpoint_in_use');
    assert.equal(obs.alarms[0]?.reason, 'endpoint_in_use');
    assert.ok(obs.audits.some((a) => a.event === 'endpoint_alarm'));
  });
  // stale: a socket file nobody listens on (a server that died without unlinking)
  const stalePath = join(dir, 'stale', 'endpoint.sock');
  const obs = recorder();
  await withServer({ path: join(dir, 'stale', 'x.sock') }, async () => {}); // creates the 0700 dir
  // a real crash: a process listening on the path is SIGKILLed, so nobody unlinks the socket file
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stalePath)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => child.stdout!.once('data', () => r()));
  child.kill('SIGKILL');
  await new Promise<void>((r) => child.once('exit', () => r()));
  assert.ok(existsSync(stalePath), 'a stale socket file is present');
  await withServer({ path: stalePath, observer: obs }, async (_ep, path) => {
    const c = await connect({ path, secret });
    assert.equal((await c.health()).ok, true);
    c.close();
  });
  assert.ok(obs.audits.some((a) => a.event === 'stale_socket_removed'));
  assert.equal(obs.alarms.length, 0);
});

test('a non-private socket directory is tightened to 0700', async () => {
  const d = join(dir, 'loose');
  await withServer({ path: join(d, 'endpoint.sock') }, async () => {});
  const { chmodSync } = await import('node:fs');
  chmodSync(d, 0o755);
  await withServer({ path: join(d, 'endpoint.sock') }, async () => {
    assert.equal(statSync(d).mode & 0o777, 0o700);
  });
});

test('connection limit: one over the maximum is told too_many_connections; a client leaving mid-detect aborts its work', async () => {
  await withServer({ svc: slowServices, limits: { maxConnections: 2 } }, async (ep, path) => {
    const a = await connect({ path, secret });
    const b = await connect({ path, secret });
    const third = await connect({ path, secret }).catch((e) => e);
    assert.equal(third.code, 'too_many_connections');
    assert.equal((await a.health()).ok, true);
    // b starts a slow detection and disconnects: its slot is freed and the detection sees its abort signal
    const png = (await drawScreen(32, 32, [{ x: 4, y: 4, w: 8, h: 8, color: '#000' }])).toString('base64');
    const before = slowServices.abortedDetects;
    void b.call('detect', { source: { kind: 'png', png } }).catch(() => {});
    await new Promise((r) => setTimeout(r, 20));
    b.close();
    const t0 = Date.now();
    while (ep.stats.running > 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(ep.stats.running, 0);
    assert.equal(slowServices.abortedDetects, before + 1);
    assert.equal(ep.stats.connections, 1);
    const c = await connect({ path, secret });
    assert.equal((await c.health()).ok, true, 'a freed connection slot is usable again');
    a.close();
    c.close();
  });
});

test('an idle-connection flood cannot lock bots out: the oldest pending handshake makes room', async () => {
  await withServer({ limits: { maxPendingHandshakes: 4, handshakeTimeoutMs: 10_000 } }, async (ep, path, obs) => {
    // anyone can open a Windows pipe: 20 connections that never say hello
    const idle = await Promise.all(Array.from({ length: 20 }, () => rawLines(path)));
    await new Promise((r) => setTimeout(r, 50));
    const c = await connect({ path, secret });
    assert.equal((await c.health()).ok, true);
    assert.equal(ep.stats.connections, 1, 'only the authenticated one counts as a connection');
    assert.ok(obs.audits.filter((a) => a.event === 'handshake_evicted').length >= 17);
    const closedIdle = await Promise.all(idle.map((r) => Promise.race([r.closed.then(() => 1), new Promise((res) => setTimeout(() => res(0), 200))])));
    assert.ok(closedIdle.reduce((a: number, b) => a + (b as number), 0) >= 17, 'the evicted idle sockets are closed');
    for (const r of idle) r.s.destroy();
    c.close();
  });
});
