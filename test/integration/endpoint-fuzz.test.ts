/**
 * Fuzz (issue 5 "Tests"): thousands of random and mutated frames, before and after authentication.
 * Pass = no crash, no unhandled rejection, every connection-level reply well-formed, the agent keeps
 * answering a well-behaved client in between, nothing left in flight, and the heap flat (measured after GC).
 * Seeded PRNG: a failure is reproducible from the printed seed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startBotEndpoint, type BotEndpoint } from '../../src/agent/endpoint/server.js';
import { connect, type BotClient } from '../../src/agent/endpoint/client.js';
import { clientProof, newEndpointSecret, newNonce, serverProof } from '../../src/agent/endpoint/handshake.js';
import { OnnxTestServices, drawScreen } from '../helpers/endpoint-harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
function prng(seed: number): () => number {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = prng(SEED);
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;

let dir: string;
let services: OnnxTestServices;
let ep: BotEndpoint;
let good: BotClient;
let tinyPng: string;
const secret = newEndpointSecret();
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  dir = mkdtempSync(join(tmpdir(), 'ep-fuzz-'));
  services = await OnnxTestServices.create();
  ep = await startBotEndpoint({
    path: join(dir, 'ep', 'endpoint.sock'),
    secret,
    services,
    limits: { maxFrameBytes: 256 * 1024, heavyPerSecond: 1e6, heavyBurst: 1e6, maxQueued: 64, maxQueuedPerClient: 64, handshakeTimeoutMs: 500 },
  });
  good = await connect({ path: ep.path, secret });
  tinyPng = (await drawScreen(16, 16, [{ x: 2, y: 2, w: 8, h: 8, color: '#000' }])).toString('base64');
});

after(async () => {
  good.close();
  await ep.close();
  await services.dispose();
  rmSync(dir, { recursive: true, force: true });
  process.off('unhandledRejection', onUnhandled);
});

function templates(): unknown[] {
  return [
    { jsonrpc: '2.0', id: int(1000), method: 'health' },
    { jsonrpc: '2.0', id: 'x' + int(1000), method: 'status', params: {} },
    { jsonrpc: '2.0', id: int(1000), method: 'detect', params: { source: { kind: 'png', png: tinyPng }, minScore: rnd() } },
    { jsonrpc: '2.0', id: int(1000), method: 'findElement', params: { source: { kind: 'png', png: tinyPng }, type: 'button' } },
    { jsonrpc: '2.0', id: int(1000), method: 'classify', params: { source: { kind: 'region', x: 0, y: 0, width: 5, height: 5 } } },
    { jsonrpc: '2.0', id: int(1000), method: 'feedback.submit', params: { kind: 'missed', box: [1, 2, 3, 4] } },
    { jsonrpc: '2.0', id: int(1000), method: 'subscribe', params: { topics: ['status'] } },
    { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: int(1000) } },
    { jsonrpc: '2.0', id: 1, method: 'hello', params: { protocol: 1, clientNonce: Buffer.alloc(32, int(255)).toString('base64') } },
    { jsonrpc: '2.0', id: 2, method: 'authenticate', params: { clientProof: Buffer.alloc(32).toString('base64') } },
  ];
}

const weird: unknown[] = [null, true, 0, -1, 1e308, -0, '', 'x'.repeat(300), [], {}, { __proto__: { polluted: 1 } }, [[[[]]]], '\u0000', '\ud800', 2 ** 53 + 1, { kind: 'png' }];

function mutate(v: unknown, depth = 0): unknown {
  if (depth > 4 || rnd() < 0.15) return pick(weird);
  if (Array.isArray(v)) return rnd() < 0.2 ? [...v, pick(weird)] : v.map((x) => (rnd() < 0.3 ? mutate(x, depth + 1) : x));
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = { ...(v as object) };
    const keys = Object.keys(o);
    const r = rnd();
    if (r < 0.2 && keys.length) delete o[pick(keys)];
    else if (r < 0.35) o[pick(['extra', '__proto__', 'constructor', 'id', 'method', 'params', 'source'])] = pick(weird);
    else if (keys.length) {
      const k = pick(keys);
      o[k] = mutate(o[k], depth + 1);
    }
    return o;
  }
  return rnd() < 0.5 ? pick(weird) : v;
}

function randomFrame(): Buffer {
  const r = rnd();
  if (r < 0.15) {
    // random bytes, newlines included (so one "frame" may become several)
    const b = Buffer.alloc(1 + int(200));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    return Buffer.concat([b, Buffer.from('\n')]);
  }
  if (r < 0.25) {
    // a valid frame cut short or with bytes flipped
    const s = Buffer.from(JSON.stringify(pick(templates())));
    const cut = s.subarray(0, int(s.length));
    if (rnd() < 0.5 && cut.length) cut[int(cut.length)] = int(256);
    return Buffer.concat([cut, Buffer.from('\n')]);
  }
  if (r < 0.28) return Buffer.from('['.repeat(5000 + int(5000)) + ']'.repeat(int(5000)) + '\n'); // deep nesting
  if (r < 0.3) return Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"health","params":"'), Buffer.alloc(300 * 1024, 0x41), Buffer.from('"}\n')]);
  if (r < 0.35) return Buffer.from(JSON.stringify(pick(weird)) + '\n');
  return Buffer.from(JSON.stringify(mutate(pick(templates()))) + '\n');
}

/** sends frames on an authenticated raw connection and reads every reply (all must be JSON-RPC responses) */
async function fuzzAuthenticated(frames: number): Promise<{ replies: number; codes: Map<string, number> }> {
  const codes = new Map<string, number>();
  let replies = 0;
  const s = netConnect(ep.path);
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  let buf = '';
  const waiting = new Map<number, (v: any) => void>();
  s.on('data', (d) => {
    buf += d.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const m = JSON.parse(line); // every reply is valid JSON
      assert.equal(m.jsonrpc, '2.0');
      if (m.method) continue; // a status notification (a fuzzed subscribe)
      replies++;
      if (m.error) {
        assert.equal(typeof m.error.code, 'number');
        assert.equal(typeof m.error.data?.code, 'string');
        codes.set(m.error.data.code, (codes.get(m.error.data.code) ?? 0) + 1);
      }
      const w = waiting.get(m.id);
      if (w) waiting.delete(m.id), w(m);
    }
  });
  const call = (id: number, method: string, params: unknown) =>
    new Promise<any>((r) => {
      waiting.set(id, r);
      s.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  const cn = newNonce();
  const h = await call(-1, 'hello', { protocol: 1, clientNonce: cn });
  assert.equal(h.result.serverProof, serverProof(secret, cn, h.result.serverNonce));
  const a = await call(-2, 'authenticate', { clientProof: clientProof(secret, h.result.serverNonce, cn) });
  assert.ok(a.result.sessionId);
  for (let i = 0; i < frames; i++) {
    const f = randomFrame();
    if (!s.write(f)) await new Promise((r) => s.once('drain', r));
    if (i % 250 === 0) {
      // the fuzzed connection itself still works, and so does the well-behaved one
      const pong = await call(-1000 - i, 'health', {});
      assert.equal(pong.result?.ok, true, JSON.stringify(pong));
      assert.equal((await good.health()).ok, true);
    }
  }
  const last = await call(-99999, 'health', {});
  assert.equal(last.result.ok, true);
  await new Promise((r) => setTimeout(r, 200)); // let queued detections finish
  s.destroy();
  return { replies, codes };
}

async function fuzzUnauthenticated(conns: number): Promise<void> {
  await Promise.all(
    Array.from({ length: conns }, async () => {
      const s = netConnect(ep.path);
      s.on('error', () => {});
      s.on('data', (d) => {
        for (const line of d.toString('utf8').split('\n').filter(Boolean)) {
          const m = JSON.parse(line);
          // before authentication nothing but hello's answer or an error ever comes back
          assert.ok(m.error || (m.result && m.result.serverNonce), line.slice(0, 200));
        }
      });
      await new Promise((r) => s.once('connect', r));
      for (let i = 0; i < 1 + int(5); i++) s.write(randomFrame());
      await new Promise((r) => s.once('close', r)); // the server closes it (error or handshake timeout)
    }),
  );
}

test(`fuzz: thousands of random and mutated frames, no crash, heap flat (seed ${SEED})`, async () => {
  // warm-up, so lazily built things (zod caches, sharp, JIT) are not counted as growth
  await fuzzAuthenticated(600);
  await fuzzUnauthenticated(40);
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const { replies, codes } = await fuzzAuthenticated(4000);
  await fuzzUnauthenticated(200);
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  const growth = heap1 - heap0;
  console.log(`fuzz: ${replies} replies, error codes ${JSON.stringify(Object.fromEntries(codes))}, heap ${(heap0 / 1e6).toFixed(1)} → ${(heap1 / 1e6).toFixed(1)} MB`);
  assert.deepEqual(unhandled, []);
  assert.ok(replies > 2000, `replies=${replies}`);
  for (const c of ['parse_error', 'invalid_request', 'invalid_params', 'frame_too_large']) assert.ok((codes.get(c) ?? 0) > 0, `saw ${c}`);
  assert.equal(codes.get('internal') ?? 0, 0, 'no input reaches an internal error');
  assert.ok(growth < 8 * 1024 * 1024, `heap grew ${(growth / 1e6).toFixed(1)} MB`);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(ep.stats, { connections: 1, queued: 0, running: 0 }, 'only the well-behaved client is left; nothing in flight');
  assert.equal((await good.health()).ok, true);
});
