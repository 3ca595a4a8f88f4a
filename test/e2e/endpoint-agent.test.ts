/**
 * End to end (issue 5 "Tests"): a running headless agent process (test/helpers/endpoint-agent-process.ts:
 * real credential store, real socket, real onnxruntime inference), driven by the typed client, the
 * `rpa-agent call` CLI and the Python snippet from docs/BOT-API.md. Every method; wrong secret; no auth; a
 * server that does not know the secret; malformed JSON, oversized frames, wrong types, unknown methods, a
 * real 50 MP PNG and a flood: each gets its coded error and the agent keeps serving others.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import sharp from 'sharp';
import { connect, type BotClient } from '../../src/agent/endpoint/client.js';
import { startBotEndpoint } from '../../src/agent/endpoint/server.js';
import { newEndpointSecret } from '../../src/agent/endpoint/handshake.js';
import { readEndpointSecret } from '../../src/agent/endpoint/secret.js';
import { drawScreen, OnnxTestServices } from '../helpers/endpoint-harness.js';

const root = resolve(import.meta.dirname, '..', '..');
let runtimeDir: string;
let path: string;
let agent: ChildProcess;

type Next = (pred: (l: any) => boolean, onlyNew?: boolean) => Promise<any>;
function spawnAgent(env: Record<string, string>): { child: ChildProcess; next: Next; lines: any[] } {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(root, 'test/helpers/endpoint-agent-process.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const got: any[] = [];
  const ws: { pred: (l: any) => boolean; resolve: (l: any) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    let o: any;
    try {
      o = JSON.parse(l);
    } catch {
      return;
    }
    got.push(o);
    for (const w of [...ws]) if (w.pred(o)) ws.splice(ws.indexOf(w), 1), w.resolve(o);
  });
  const next: Next = (pred, onlyNew = false) => {
    const found = onlyNew ? undefined : got.find(pred);
    return found ? Promise.resolve(found) : new Promise<any>((r) => ws.push({ pred, resolve: r }));
  };
  return { child, next, lines: got };
}

let nextLine: Next;

before(async () => {
  runtimeDir = mkdtempSync(join(tmpdir(), 'ep-e2e-'));
  // the agent and the bots find the endpoint through XDG_RUNTIME_DIR, as on a real Linux desktop session
  const a = spawnAgent({ XDG_RUNTIME_DIR: runtimeDir, ENDPOINT_LIMITS: JSON.stringify({ heavyPerSecond: 20, heavyBurst: 20, maxQueued: 8, maxQueuedPerClient: 4 }) });
  agent = a.child;
  nextLine = a.next;
  const ready = await Promise.race([a.next((l) => l.ready || l.error || l.fatal), new Promise((_, j) => setTimeout(() => j(new Error('agent did not start')), 30_000))]);
  assert.equal((ready as any).ready, true, JSON.stringify(ready));
  path = (ready as any).path;
  assert.equal(path, join(runtimeDir, 'rpa-edge-agent', 'endpoint.sock'));
});

after(async () => {
  if (agent && agent.exitCode === null) {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
  }
  rmSync(runtimeDir, { recursive: true, force: true });
});

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e) => e.code,
  );
}

async function memory(): Promise<{ rss: number; heapUsed: number }> {
  const l = nextLine((x) => x.mem, true);
  agent.stdin!.write('mem\n');
  return (await l).mem;
}

test('every method through the typed client; the secret comes from the OS credential store', async () => {
  const secret = await readEndpointSecret();
  assert.ok(secret.length >= 32);
  const c = await connect({ path, clientName: 'e2e' }); // no secret given: read from the store
  try {
    assert.equal((await c.health()).ok, true);
    assert.equal(c.session?.agentVersion, '0.1.0-e2e');
    assert.equal((await c.status()).agent.agentId, 'endpoint-test-agent');
    assert.equal((await c.call('models.list')).models.length, 2);
    const png = await drawScreen(400, 300, [
      { x: 40, y: 40, w: 120, h: 32, color: '#2266cc' },
      { x: 300, y: 200, w: 20, h: 20, color: '#111111' },
    ]);
    const b64 = png.toString('base64');
    const det = await c.call('detect', { source: { kind: 'png', png: b64 } });
    assert.deepEqual(det.elements.map((e) => e.box).sort((a, b) => a[0] - b[0]), [
      [40, 40, 160, 72],
      [300, 200, 320, 220],
    ]);
    const crop = (await sharp(png).extract({ left: 40, top: 40, width: 120, height: 32 }).png().toBuffer()).toString('base64');
    assert.equal((await c.call('classify', { source: { kind: 'png', png: crop } })).labels.length, 4);
    assert.equal((await c.call('embed', { source: { kind: 'png', png: crop } })).dims, 4);
    const found = await c.call('findElement', { source: { kind: 'png', png: b64 }, template: crop });
    assert.deepEqual(found.matches[0]!.box, [40, 40, 160, 72]);
    assert.equal((await c.call('feedback.submit', { kind: 'false_positive', box: [300, 200, 320, 220], png: crop })).stored, true);
    const got = new Promise<string>((r) => void c.onStatus((s) => r(s.agent.roles.detector!.state)));
    await new Promise((r) => setTimeout(r, 20));
    agent.stdin!.write('status-change\n');
    assert.equal(await got, 'rolled_back');
    if (process.env.DISPLAY) {
      // real capture of the Xvfb screen: the frame is the whole display
      const screen = await c.call('detect', { source: { kind: 'screen' } });
      assert.ok(screen.frame.width > 0 && screen.frame.height > 0);
      const region = await c.call('detect', { source: { kind: 'region', x: 10, y: 20, width: 100, height: 50 } });
      assert.deepEqual(region.frame, { x: 10, y: 20, width: 100, height: 50 });
    } else {
      // without a display (no Xvfb) capture cannot work, and says so with its code
      assert.equal(await code(c.call('detect', { source: { kind: 'screen' } })), 'not_supported');
    }
  } finally {
    c.close();
  }
});

test('the Python snippet in docs/BOT-API.md authenticates and detects (python3, stdlib + secret-tool)', async (t) => {
  const py = spawnSync('python3', ['--version']);
  if (py.status !== 0) return t.skip('python3 is not installed');
  if (spawnSync('secret-tool', ['--version']).error) return t.skip('secret-tool (libsecret-tools) is not installed');
  const doc = readFileSync(join(root, 'docs/BOT-API.md'), 'utf8');
  const m = /```python\n([\s\S]*?)```/.exec(doc);
  assert.ok(m, 'the doc has a python block');
  const dir = mkdtempSync(join(tmpdir(), 'ep-py-'));
  try {
    writeFileSync(join(dir, 'bot.py'), m[1]!);
    writeFileSync(join(dir, 'screen.png'), await drawScreen(200, 100, [{ x: 20, y: 20, w: 60, h: 20, color: '#2266cc' }]));
    const r = await new Promise<{ status: number | null; out: string; err: string }>((res) => {
      const p = spawn('python3', [join(dir, 'bot.py'), join(dir, 'screen.png')], { env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir } });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      p.on('close', (status) => res({ status, out, err }));
    });
    assert.equal(r.status, 0, r.err);
    const [health, det] = r.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(health.ok, true);
    assert.deepEqual(det.elements[0].box, [20, 20, 80, 40]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rpa-agent call: detect from a PNG file, and coded errors with exit 1 / 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ep-cli-'));
  try {
    const file = join(dir, 's.png');
    writeFileSync(file, await drawScreen(100, 100, [{ x: 8, y: 8, w: 40, h: 12, color: '#000' }]));
    const run = (args: string[]) =>
      new Promise<{ status: number | null; out: string; err: string }>((res) => {
        const p = spawn(process.execPath, [join(root, 'bin/rpa-agent.js'), ...args], { env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir } });
        let out = '';
        let err = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (err += d));
        p.on('close', (status) => res({ status, out, err }));
      });
    const ok = await run(['call', 'detect', '--png', file, '--params', '{"maxResults":5}', '--json']);
    assert.equal(ok.status, 0, ok.err);
    const j = JSON.parse(ok.out);
    assert.equal(j.ok, true);
    assert.deepEqual(j.result.elements[0].box, [8, 8, 48, 20]);
    const bad = await run(['call', 'detect', '--params', '{"source":{"kind":"png","png":"AAAAAAAAAAAA"}}', '--json']);
    assert.equal(bad.status, 1);
    assert.equal(JSON.parse(bad.out).error.code, 'bad_image');
    const none = await run(['call', 'health', '--endpoint', join(dir, 'nobody.sock')]);
    assert.equal(none.status, 1);
    assert.match(none.err, /error\[endpoint_unreachable\]/);
    const usage = await run(['call', 'explode']);
    assert.equal(usage.status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wrong secret, no auth, and a server that does not know the secret', async () => {
  assert.equal(await code(connect({ path, secret: newEndpointSecret() })), 'endpoint_impostor');
  // no auth: a raw request without the handshake
  const s = netConnect(path);
  s.on('error', () => {});
  let text = '';
  s.on('data', (d) => (text += d));
  await new Promise((r) => s.once('connect', r));
  s.write('{"jsonrpc":"2.0","id":7,"method":"status"}\n');
  await new Promise((r) => s.once('close', r));
  assert.equal(JSON.parse(text).error.data.code, 'unauthenticated');
  assert.ok((await nextLine((l) => l.audit === 'auth_failed')).audit);
  // an impostor endpoint (real server code, another secret) elsewhere: our client, holding the real secret, refuses it
  const services = await OnnxTestServices.create();
  const fake = await startBotEndpoint({ path: join(runtimeDir, 'fake', 'endpoint.sock'), secret: newEndpointSecret(), services });
  try {
    assert.equal(await code(connect({ path: fake.path })), 'endpoint_impostor');
  } finally {
    await fake.close();
    await services.dispose();
  }
});

test('a second agent on the same path raises the endpoint_in_use alarm and does not start', async () => {
  const b = spawnAgent({ XDG_RUNTIME_DIR: runtimeDir });
  const alarm = await b.next((l) => l.alarm || l.ready);
  assert.equal(alarm.alarm, 'endpoint_in_use');
  const exit = await new Promise<number | null>((r) => b.child.once('exit', r));
  assert.equal(exit, 1);
  assert.equal((await b.next((l) => l.error)).error, 'endpoint_in_use');
});

test('malformed JSON, oversized frames, wrong types, unknown methods, a real 50 MP PNG, a flood: coded errors, others still served', async () => {
  const bad = await connect({ path, clientName: 'bad' });
  const good = await connect({ path, clientName: 'good' });
  try {
    bad.sendRaw('{oops\n');
    bad.sendRaw(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"health","params":"'), Buffer.alloc(13 * 1024 * 1024, 0x41), Buffer.from('"}\n')]));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(bad.lastConnectionError?.code, 'frame_too_large');
    assert.equal(await code(bad.rawCall('detect', { source: { kind: 'region', x: 'a' } })), 'invalid_params');
    assert.equal(await code(bad.rawCall('detect', { source: { kind: 'screen' }, minScore: 'high' })), 'invalid_params');
    assert.equal(await code(bad.rawCall('rm -rf', {})), 'method_not_found');

    // a real 50 MP PNG (10000 × 5000, solid colour so the file is small): refused from its header, cheaply
    const huge = await sharp({ create: { width: 10000, height: 5000, channels: 3, background: '#808080' } }).png({ compressionLevel: 1 }).toBuffer();
    const memBefore = await memory();
    const t0 = performance.now();
    const e = await bad.call('detect', { source: { kind: 'png', png: huge.toString('base64') } }).catch((x) => x);
    const ms = performance.now() - t0;
    assert.equal(e.code, 'image_too_large');
    assert.match(e.message, /10000×5000/);
    const memAfter = await memory();
    assert.ok(ms < 1000, `refused in ${ms.toFixed(0)} ms`);
    // decoding would take 150 MB of RGB; the agent's RSS must not grow anywhere near that
    assert.ok(memAfter.rss - memBefore.rss < 60 * 1024 * 1024, `rss grew ${((memAfter.rss - memBefore.rss) / 1e6).toFixed(1)} MB`);

    // flood: 300 pipelined detects from one client → rate_limited / busy, fast; the other client is served meanwhile
    const png = (await drawScreen(64, 64, [{ x: 8, y: 8, w: 16, h: 16, color: '#000' }])).toString('base64');
    const flood = Array.from({ length: 300 }, () => bad.call('detect', { source: { kind: 'png', png } }).then(() => 'ok', (x) => x.code));
    const t1 = performance.now();
    assert.equal((await good.health()).ok, true);
    assert.ok(performance.now() - t1 < 1000, 'health answered during the flood');
    const counts: Record<string, number> = {};
    for (const r of await Promise.all(flood)) counts[r] = (counts[r] ?? 0) + 1;
    assert.ok((counts.rate_limited ?? 0) > 200, JSON.stringify(counts));
    assert.ok((counts.ok ?? 0) >= 1, JSON.stringify(counts));
    assert.deepEqual(Object.keys(counts).filter((k) => !['ok', 'rate_limited', 'busy'].includes(k)), []);
    const d = await good.call('detect', { source: { kind: 'png', png } });
    assert.equal(d.elements.length, 1);
    assert.equal((await bad.health()).ok, true, 'the flooding client itself is still served afterwards');
  } finally {
    bad.close();
    good.close();
  }
  assert.equal(agent.exitCode, null, 'the agent is still running');
});

export type { BotClient };
