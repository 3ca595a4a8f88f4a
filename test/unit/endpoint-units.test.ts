/** Unit tests of the endpoint's pure parts: framing, PNG header checks, rate bucket, fair queue, proofs, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder } from '../../src/agent/endpoint/framing.js';
import { checkPngBase64 } from '../../src/agent/endpoint/png.js';
import { FairQueue, TokenBucket } from '../../src/agent/endpoint/limits.js';
import { clientProof, newEndpointSecret, newNonce, proofsEqual, serverProof } from '../../src/agent/endpoint/handshake.js';
import { defaultEndpointPath } from '../../src/agent/endpoint/paths.js';
import { BotErrorNumbers, BotMethods, DetectParamsSchema, FindElementParamsSchema, HelloParamsSchema, botErrorNumber } from '../../src/common/bot-protocol.js';
import { ErrorCodes } from '../../src/common/errors.js';
import { rpcErrorOf } from '../../src/agent/endpoint/server.js';
import { AgentError } from '../../src/common/errors.js';

function collect(dec: FrameDecoder, chunks: (string | Buffer)[]): { frames: string[]; oversized: number[] } {
  const frames: string[] = [];
  const oversized: number[] = [];
  for (const c of chunks) dec.push(Buffer.isBuffer(c) ? c : Buffer.from(c), { frame: (b) => frames.push(b.toString()), oversized: (n) => oversized.push(n) });
  return { frames, oversized };
}

test('framing: frames split across chunks, several per chunk, blank lines and CR ignored', () => {
  const r = collect(new FrameDecoder(100), ['{"a":', '1}\n{"b":2}\n\n', '\r\n{"c"', ':3}', '\n{"d"']);
  assert.deepEqual(r.frames, ['{"a":1}', '{"b":2}', '{"c":3}']);
  assert.deepEqual(r.oversized, []);
});

test('framing: an oversized frame is reported once, as soon as it crosses the limit, and the stream resyncs', () => {
  const dec = new FrameDecoder(10);
  const r = collect(dec, ['0123456', '789abcdef', 'more bytes', 'tail\n{"ok":1}\n', 'x'.repeat(11), '\n']);
  assert.deepEqual(r.frames, ['{"ok":1}']);
  assert.equal(r.oversized.length, 2);
  assert.equal(r.oversized[0], 16);
  assert.equal(dec.pending, 0, 'nothing of a dropped frame stays buffered');
  // exactly at the limit is fine
  assert.deepEqual(collect(new FrameDecoder(3), ['abc\n']).frames, ['abc']);
});

function pngHeader(w: number, h: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  b[24] = 8;
  b[25] = 6;
  return b;
}
const limits = { maxPngBytes: 1000, maxPixels: 40_000_000, maxSide: 16384 };

test('png: dimensions come from the header; 50 MP, huge sides, oversize bytes and non-PNGs are refused', () => {
  assert.deepEqual(checkPngBase64(pngHeader(1920, 1080).toString('base64'), limits).header.width, 1920);
  const code = (f: () => unknown) => {
    try {
      f();
      return 'none';
    } catch (e) {
      return (e as AgentError).code;
    }
  };
  assert.equal(code(() => checkPngBase64(pngHeader(10000, 5000).toString('base64'), limits)), 'image_too_large');
  assert.equal(code(() => checkPngBase64(pngHeader(20000, 10).toString('base64'), limits)), 'image_too_large');
  assert.equal(code(() => checkPngBase64(pngHeader(0, 10).toString('base64'), limits)), 'bad_image');
  assert.equal(code(() => checkPngBase64(Buffer.alloc(2000).toString('base64'), limits)), 'image_too_large');
  assert.equal(code(() => checkPngBase64(Buffer.from('GIF89a-------------------------').toString('base64'), limits)), 'bad_image');
});

test('token bucket: burst then the steady rate (injected clock)', () => {
  let now = 0;
  const b = new TokenBucket(10, 5, () => now);
  assert.equal([...Array(8)].filter(() => b.take()).length, 5);
  now += 100; // 1 token
  assert.equal(b.take(), true);
  assert.equal(b.take(), false);
  now += 10_000;
  assert.equal([...Array(8)].filter(() => b.take()).length, 5, 'never more than the burst');
});

test('fair queue: round-robin between clients, bounded, busy thrown synchronously, unqueue and dropClient', async () => {
  const q = new FairQueue({ concurrency: 1, maxQueued: 4, maxQueuedPerClient: 3 });
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const dropped: string[] = [];
  const job = (name: string, wait?: Promise<void>) => ({
    run: async () => {
      order.push(name);
      await wait;
    },
    drop: (e: AgentError) => dropped.push(`${name}:${e.code}`),
  });
  q.enqueue('a', job('a0', gate)); // runs at once
  q.enqueue('a', job('a1'));
  q.enqueue('a', job('a2'));
  const unA3 = q.enqueue('a', job('a3'));
  assert.throws(() => q.enqueue('a', job('a4')), (e: AgentError) => e.code === 'busy'); // per client
  q.enqueue('b', job('b1'));
  assert.throws(() => q.enqueue('c', job('c1')), (e: AgentError) => e.code === 'busy'); // global
  assert.equal(unA3(), true);
  assert.equal(unA3(), false);
  q.enqueue('c', job('c1'));
  assert.deepEqual(q.stats, { queued: 4, running: 1 });
  release();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(order, ['a0', 'a1', 'b1', 'c1', 'a2']);
  q.enqueue('d', job('d0', new Promise(() => {})));
  q.enqueue('d', job('d1'));
  q.dropClient('d', new AgentError('connection_closed'));
  assert.deepEqual(dropped, ['d1:connection_closed']);
});

test('handshake proofs: each side proves the secret over both nonces; labels stop reflection', () => {
  const secret = newEndpointSecret();
  const cn = newNonce();
  const sn = newNonce();
  assert.ok(HelloParamsSchema.safeParse({ protocol: 1, clientNonce: cn }).success);
  const sp = serverProof(secret, cn, sn);
  assert.ok(proofsEqual(sp, serverProof(secret, cn, sn)));
  assert.ok(!proofsEqual(sp, serverProof(newEndpointSecret(), cn, sn)));
  assert.ok(!proofsEqual(sp, clientProof(secret, cn, sn)), 'a server proof is never a valid client proof');
  assert.ok(!proofsEqual(sp, serverProof(secret, sn, cn)));
  assert.ok(!proofsEqual(sp, sp.slice(0, 10)));
  assert.equal(sp.length, 44);
});

test('protocol: every app error code is a known ErrorCode with a distinct number; schemas reject wrong types', () => {
  for (const code of Object.keys(BotErrorNumbers)) assert.ok(code in ErrorCodes, code);
  const nums = Object.entries(BotErrorNumbers).filter(([k]) => k !== 'frame_too_large' && k !== 'bad_argument').map(([, v]) => v);
  assert.equal(new Set(nums).size, nums.length);
  assert.equal(botErrorNumber('release_expired'), -32000);
  const e = rpcErrorOf(new AgentError('busy', 'full', { queued: 3 }));
  assert.deepEqual(e, { code: -32002, message: 'full', data: { code: 'busy', queued: 3, retryable: true } }, 'a retryable code says so (errors.ts RETRYABLE_CODES)');
  assert.equal(rpcErrorOf(new Error('/secret/path leaked')).message.includes('/secret'), false, 'internal detail stays off the wire');
  assert.ok(!DetectParamsSchema.safeParse({ source: { kind: 'region', x: 0, y: 0, width: -1, height: 5 } }).success);
  assert.ok(!DetectParamsSchema.safeParse({ source: { kind: 'screen' }, minScore: 2 }).success);
  assert.ok(!FindElementParamsSchema.safeParse({ source: { kind: 'screen' } }).success, 'findElement needs a cue');
  assert.ok(FindElementParamsSchema.safeParse({ source: { kind: 'screen' }, type: 'menu_item', typeMinScore: 0.1 }).success);
  const alone = FindElementParamsSchema.safeParse({ source: { kind: 'screen' }, template: 'iVBORw0KGgo=', typeMinScore: 0.1 });
  assert.ok(!alone.success && alone.error.issues.some((i) => i.message === 'typeMinScore needs type'), 'typeMinScore without type is refused');
  assert.ok(!FindElementParamsSchema.safeParse({ source: { kind: 'screen' }, type: 'link', typeMinScore: 1.5 }).success);
  assert.equal(Object.keys(BotMethods).length, 12);
});

test('paths: per-user pipe on Windows, runtime dir socket on Unix', () => {
  assert.equal(defaultEndpointPath({ platform: 'win32', env: {}, uid: -1, username: 'Jane Doe', tmp: 'C:\\tmp' }), '\\\\.\\pipe\\rpa-edge-agent-Jane_Doe');
  assert.equal(defaultEndpointPath({ platform: 'linux', env: { XDG_RUNTIME_DIR: '/run/user/1000' }, uid: 1000, username: 'j', tmp: '/tmp' }), '/run/user/1000/rpa-edge-agent/endpoint.sock');
  assert.equal(defaultEndpointPath({ platform: 'linux', env: {}, uid: 1000, username: 'j', tmp: '/tmp' }), '/tmp/rpa-edge-agent-1000/endpoint.sock');
});
