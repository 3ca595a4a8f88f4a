/**
 * The native session host's framing, agent side (src/agent/inference/native-frames.ts): frames split anywhere across
 * reads come out whole; a stream that cannot be the host's (bad magic, unknown type, reserved bits, an oversized
 * length) and a payload that does not parse are refused with the coded `session_host_protocol`, never guessed at.
 * And the choice of session host (native-host.ts): a missing native binary falls back to the Node session process
 * under 'auto' and is a bad_config error under 'native'.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentError } from '../../src/common/errors.js';
import { decodeCreated, decodeResult, encodeRun, FRAME_MAGIC, FrameReader, FrameType } from '../../src/agent/inference/native-frames.js';
import { findNativeHost, resolveSessionHost } from '../../src/agent/inference/native-host.js';

function frame(type: number, id: number, payload: Buffer, magic = FRAME_MAGIC, reserved = 0): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(magic, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(reserved, 6);
  h.writeUInt32LE(id, 8);
  h.writeUInt32LE(payload.byteLength, 12);
  return Buffer.concat([h, payload]);
}

const isProtocol = (e: unknown) => e instanceof AgentError && e.code === 'session_host_protocol';

test('FrameReader: frames cut at every byte boundary come out whole and in order', () => {
  const stream = Buffer.concat([frame(FrameType.released, 7, Buffer.alloc(0)), frame(FrameType.error, 9, Buffer.from([3, 0, 0, 0, 0x6e, 0x6f]))]);
  for (let cut = 0; cut <= stream.byteLength; cut++) {
    const r = new FrameReader();
    const got = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))];
    assert.deepEqual(
      got.map((f) => [f.type, f.id, f.payload.toString('hex')]),
      [
        [FrameType.released, 7, ''],
        [FrameType.error, 9, '030000006e6f'],
      ],
    );
    assert.equal(r.pending, 0);
  }
});

test('FrameReader: a stream that cannot be the host’s is refused with session_host_protocol', () => {
  assert.throws(() => new FrameReader().push(frame(FrameType.released, 1, Buffer.alloc(0), 0x12345678)), isProtocol, 'bad magic');
  assert.throws(() => new FrameReader().push(frame(FrameType.run, 1, Buffer.alloc(0))), isProtocol, 'a request type coming back');
  assert.throws(() => new FrameReader().push(frame(55, 1, Buffer.alloc(0))), isProtocol, 'unknown type');
  assert.throws(() => new FrameReader().push(frame(FrameType.released, 1, Buffer.alloc(0), FRAME_MAGIC, 1)), isProtocol, 'reserved bits set');
  const huge = frame(FrameType.result, 1, Buffer.alloc(0));
  huge.writeUInt32LE(0xffffffff, 12);
  assert.throws(() => new FrameReader().push(huge), isProtocol, 'length over the limit');
});

test('decoders: a payload cut short, with bytes past its end, or whose data does not fit its shape is refused', () => {
  // a RESULT laid out by hand: one float32 output [2] = 8 bytes
  const out = Buffer.alloc(4 + 2 + 1 + 1 + 1 + 2 + 8 + 8 + 7 + 8);
  let at = out.writeUInt32LE(1, 0);
  at = out.writeUInt16LE(1, at);
  at += out.write('y', at);
  at = out.writeUInt8(1, at);
  at = out.writeUInt8(0, at);
  at = out.writeUInt16LE(1, at);
  at = out.writeBigInt64LE(2n, at);
  at = out.writeBigInt64LE(8n, at);
  at += (8 - (at % 8)) % 8;
  out.writeFloatLE(1.5, at);
  out.writeFloatLE(-2, at + 4);
  const good = out.subarray(0, at + 8);
  const y = decodeResult(good).y!;
  assert.deepEqual([y.type, y.dims, Array.from(y.data as Float32Array)], ['float32', [2], [1.5, -2]]);
  assert.throws(() => decodeResult(good.subarray(0, good.byteLength - 1)), isProtocol, 'data cut short');
  assert.throws(() => decodeResult(Buffer.concat([good, Buffer.alloc(1)])), isProtocol, 'bytes past the end');
  const lying = Buffer.from(good);
  lying.writeBigInt64LE(12n, 4 + 2 + 1 + 1 + 1 + 2 + 8);
  assert.throws(() => decodeResult(lying), isProtocol, 'byte length not the shape’s');
  assert.throws(() => decodeCreated(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 5, 0])), isProtocol, 'created cut short');
});

test('encodeRun: inputs laid out with their data 8-byte aligned from the payload start; a type the host cannot carry is not_supported', () => {
  const parts = encodeRun(5, 3, { ab: { type: 'float32', data: new Float32Array([1, 2, 3]), dims: [3] }, c: { type: 'int64', data: new BigInt64Array([7n]), dims: [1] } });
  const all = Buffer.concat(parts);
  assert.equal(all.readUInt32LE(12), all.byteLength - 16, 'the header states the payload length');
  const payload = all.subarray(16);
  assert.deepEqual([payload.readUInt32LE(0), payload.readUInt32LE(4)], [3, 2], 'session id, input count');
  // first input: name "ab", float32, rank 1, dim 3, 12 bytes, then padding to 8 from the payload start
  const dataAt = 8 + 2 + 2 + 4 + 8 + 8;
  assert.equal(dataAt % 8, 0);
  assert.equal(payload.readFloatLE(dataAt + 8), 3);
  assert.throws(() => encodeRun(1, 1, { s: { type: 'string', data: new Uint8Array(1), dims: [1] } }), (e: unknown) => e instanceof AgentError && e.code === 'not_supported');
});

test('session host choice: auto falls back to the Node session process when the native binary is missing; native then is bad_config; node never looks', () => {
  const none = findNativeHost({ exists: () => false, env: {} });
  assert.equal(none, undefined);
  const auto = resolveSessionHost('auto', () => none);
  assert.equal(auto.native, undefined);
  assert.match(auto.why, /no native session host/);
  assert.throws(() => resolveSessionHost('native', () => none), (e: unknown) => e instanceof AgentError && e.code === 'bad_config' && /not built/.test(e.message));
  const paths = { binary: '/opt/x/rpa-session-host', library: '/opt/x/libonnxruntime.so.1' };
  assert.deepEqual(resolveSessionHost('auto', () => paths).native, paths);
  assert.deepEqual(resolveSessionHost('native', () => paths).native, paths);
  assert.equal(resolveSessionHost('node', () => paths).native, undefined, 'node is node even when the native host exists');
  // RPA_SESSION_HOST names the binary first; the packaged app's resources next
  const seen: string[] = [];
  const found = findNativeHost({ platform: 'win32', arch: 'x64', env: { RPA_SESSION_HOST: '/custom/host' }, resourcesPath: '/app/resources', exists: (p) => (seen.push(p), true) });
  assert.equal(found?.binary, '/custom/host');
  const packaged = findNativeHost({ platform: 'win32', arch: 'x64', env: {}, resourcesPath: '/app/resources', exists: () => true });
  assert.match(packaged?.binary ?? '', /resources[\\/]session-host[\\/]rpa-session-host\.exe$/);
  assert.match(packaged?.library ?? '', /win32[\\/]x64[\\/]onnxruntime\.dll$/);
});
