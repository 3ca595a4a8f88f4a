/**
 * The native session host's framing, agent side (the C side: native/session-host/frames.h, which documents every
 * layout; the two change together). Frames are a 16-byte little-endian header — magic "RPAH", type, reserved,
 * id, payload length — then the payload. Requests are written as a list of buffers (the model's bytes and the
 * inputs' data go out as views of the caller's memory, never copied here); answers are read by `FrameReader`, which
 * refuses a malformed stream with a coded error (`session_host_protocol`) instead of guessing.
 */
import { AgentError } from '../../common/errors.js';
import type { ValueMeta } from './tensors.js';
import type { Feeds, Outputs, TensorData } from './worker-messages.js';

export const FRAME_MAGIC = 0x48415052;
export const FRAME_HEADER_BYTES = 16;
export const FRAME_PROTOCOL = 2;
export const FRAME_MAX_PAYLOAD = 1 << 30;

export const FrameType = { create: 1, run: 2, release: 3, modelPart: 4, ready: 100, created: 101, result: 102, released: 103, error: 110 } as const;
const ANSWER_TYPES: ReadonlySet<number> = new Set([FrameType.ready, FrameType.created, FrameType.result, FrameType.released, FrameType.error]);

/** the host's error classes (frames.h host_error) */
export const HostError = { ort: 1, badFrame: 2, noSession: 3, badTensor: 4, provider: 5, duplicate: 6, noMemory: 7 } as const;

type ArrayCtor = (new (buffer: ArrayBuffer, byteOffset: number, length: number) => TensorData) & { BYTES_PER_ELEMENT: number };
/** onnxruntime's tensor element types this host carries: the name onnxruntime-node uses, onnxruntime's code, the array */
const TYPES: readonly [name: string, code: number, ctor: ArrayCtor][] = [
  ['float32', 1, Float32Array],
  ['uint8', 2, Uint8Array],
  ['int8', 3, Int8Array],
  ['uint16', 4, Uint16Array],
  ['int16', 5, Int16Array],
  ['int32', 6, Int32Array],
  ['int64', 7, BigInt64Array],
  ['bool', 9, Uint8Array],
  ['float16', 10, Uint16Array],
  ['float64', 11, Float64Array],
  ['uint32', 12, Uint32Array],
  ['uint64', 13, BigUint64Array],
];
const TYPE_CODES: Record<string, number> = Object.fromEntries(TYPES.map(([name, code]) => [name, code]));
const TYPE_NAMES = new Map(TYPES.map(([name, code]) => [code, name]));
const TYPED = new Map(TYPES.map(([, code, ctor]) => [code, ctor]));

export function protocolError(message: string): AgentError {
  return new AgentError('session_host_protocol', message);
}

function header(type: number, id: number, length: number): Buffer {
  const h = Buffer.alloc(FRAME_HEADER_BYTES);
  h.writeUInt32LE(FRAME_MAGIC, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt32LE(id >>> 0, 8);
  h.writeUInt32LE(length, 12);
  return h;
}

function withHeader(type: number, id: number, parts: Uint8Array[]): Uint8Array[] {
  const length = parts.reduce((n, p) => n + p.byteLength, 0);
  if (length > FRAME_MAX_PAYLOAD) throw protocolError(`frame payload ${length} bytes is over the ${FRAME_MAX_PAYLOAD}-byte limit`);
  return [header(type, id, length), ...parts];
}

export interface CreateOptions {
  provider: string;
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  allowSpinning: boolean;
  cpuMemArena?: boolean;
  logSeverityLevel: number;
}

export function encodeCreate(sessionId: number, opts: CreateOptions, model: Uint8Array): Uint8Array[] {
  const name = Buffer.from(opts.provider, 'utf8');
  if (name.byteLength > 255) throw protocolError('provider name over 255 bytes');
  const fixed = Buffer.alloc(12 + name.byteLength);
  fixed.writeUInt32LE(opts.intraOpNumThreads ?? 0, 0);
  fixed.writeUInt32LE(opts.interOpNumThreads ?? 0, 4);
  fixed.writeUInt8(opts.allowSpinning ? 1 : 0, 8);
  fixed.writeUInt8(opts.cpuMemArena ? 1 : 0, 9);
  fixed.writeUInt8(opts.logSeverityLevel, 10);
  fixed.writeUInt8(name.byteLength, 11);
  name.copy(fixed, 12);
  return withHeader(FrameType.create, sessionId, [fixed, model]);
}

/**
 * One piece of a model sent ahead of its CREATE (which then carries an empty model): u64 total | u64 offset | bytes.
 * Parts of one session id go in order; the host answers none of them (frames.h MODEL_PART).
 */
export function encodeModelPart(sessionId: number, total: number, offset: number, bytes: Uint8Array): Uint8Array[] {
  if (!(offset >= 0 && offset + bytes.byteLength <= total)) throw protocolError(`model part [${offset}, ${offset + bytes.byteLength}) is outside the model's ${total} bytes`);
  const head = Buffer.alloc(16);
  head.writeBigUInt64LE(BigInt(total), 0);
  head.writeBigUInt64LE(BigInt(offset), 8);
  return withHeader(FrameType.modelPart, sessionId, [head, bytes]);
}

export function encodeRelease(sessionId: number): Uint8Array[] {
  return withHeader(FrameType.release, sessionId, []);
}

/** the tensor's bytes as written to the pipe: a view of the caller's memory, a copy only when it is shared memory */
function bytesOf(data: TensorData): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return data.buffer instanceof ArrayBuffer ? view : view.slice();
}

export function encodeRun(runId: number, sessionId: number, feeds: Feeds): Uint8Array[] {
  const entries = Object.entries(feeds);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(sessionId >>> 0, 0);
  head.writeUInt32LE(entries.length, 4);
  const parts: Uint8Array[] = [head];
  let offset = 8;
  for (const [name, t] of entries) {
    const code = TYPE_CODES[t.type];
    if (code === undefined) throw new AgentError('not_supported', `tensor type ${t.type} cannot cross to the native session host`);
    const n = Buffer.from(name, 'utf8');
    const metaLen = 2 + n.byteLength + 4 + 8 * t.dims.length + 8;
    const pad = (8 - ((offset + metaLen) % 8)) % 8;
    const meta = Buffer.alloc(metaLen + pad);
    let at = meta.writeUInt16LE(n.byteLength, 0);
    at += n.copy(meta, at);
    at = meta.writeUInt8(code, at);
    at = meta.writeUInt8(0, at);
    at = meta.writeUInt16LE(t.dims.length, at);
    for (const d of t.dims) at = meta.writeBigInt64LE(BigInt(d), at);
    meta.writeBigUInt64LE(BigInt(t.data.byteLength), at);
    parts.push(meta, bytesOf(t.data));
    offset += meta.byteLength + t.data.byteLength;
  }
  return withHeader(FrameType.run, runId, parts);
}

/** A frame read from the host. */
export interface Frame {
  type: number;
  id: number;
  payload: Buffer;
}

/**
 * Splits the host's output into frames. `push` throws `session_host_protocol` on a header that cannot be the host's
 * (bad magic, unknown type, reserved bits, a length over the limit): the stream is then out of step for good.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private head: { type: number; id: number; length: number } | undefined;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.have += chunk.byteLength;
    const out: Frame[] = [];
    for (;;) {
      if (!this.head) {
        if (this.have < FRAME_HEADER_BYTES) return out;
        const h = this.take(FRAME_HEADER_BYTES);
        const magic = h.readUInt32LE(0);
        const type = h.readUInt16LE(4);
        const reserved = h.readUInt16LE(6);
        const id = h.readUInt32LE(8);
        const length = h.readUInt32LE(12);
        if (magic !== FRAME_MAGIC) throw protocolError(`the session host sent a frame with bad magic 0x${magic.toString(16)}`);
        if (!ANSWER_TYPES.has(type) || reserved !== 0) throw protocolError(`the session host sent a frame of unknown type ${type}/${reserved}`);
        if (length > FRAME_MAX_PAYLOAD) throw protocolError(`the session host sent a frame of ${length} bytes, over the limit`);
        this.head = { type, id, length };
      }
      if (this.have < this.head.length) return out;
      const payload = this.take(this.head.length);
      out.push({ type: this.head.type, id: this.head.id, payload });
      this.head = undefined;
    }
  }

  /** bytes received and not yet part of a whole frame */
  get pending(): number {
    return this.have;
  }

  private take(n: number): Buffer {
    // an own buffer (offset 0) for every payload: output views are then 8-byte aligned as the host laid them out
    const out = Buffer.allocUnsafeSlow(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.byteLength, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.byteLength) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.have -= n;
    return out;
  }
}

/** a bounds-checked little-endian cursor over a payload: any read past its end is a protocol error */
class Cursor {
  at = 0;
  constructor(
    private readonly b: Buffer,
    private readonly what: string,
  ) {}
  need(n: number): void {
    if (this.at + n > this.b.byteLength) throw protocolError(`${this.what} frame cut short at byte ${this.at}`);
  }
  u8(): number {
    this.need(1);
    return this.b.readUInt8(this.at++);
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16LE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.b.readBigInt64LE(this.at);
    this.at += 8;
    return v;
  }
  str(n: number): string {
    this.need(n);
    const s = this.b.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
  rest(): Buffer {
    const r = this.b.subarray(this.at);
    this.at = this.b.byteLength;
    return r;
  }
  end(): void {
    if (this.at !== this.b.byteLength) throw protocolError(`${this.what} frame has ${this.b.byteLength - this.at} bytes past its end`);
  }
}

export function decodeReady(payload: Buffer): { protocol: number; apiVersion: number; ortVersion: string } {
  const c = new Cursor(payload, 'ready');
  const protocol = c.u32();
  const apiVersion = c.u32();
  return { protocol, apiVersion, ortVersion: c.rest().toString('utf8') };
}

export function decodeError(payload: Buffer): { code: number; ortCode: number; message: string } {
  const c = new Cursor(payload, 'error');
  const code = c.u16();
  const ortCode = c.u16();
  return { code, ortCode, message: c.rest().toString('utf8') };
}

/** CREATED: the session's inputs and outputs as onnxruntime-node describes them (tensors.ts ValueMeta) */
export function decodeCreated(payload: Buffer): { inputs: ValueMeta[]; outputs: ValueMeta[] } {
  const c = new Cursor(payload, 'created');
  const nIn = c.u32();
  const nOut = c.u32();
  if (nIn + nOut > 4096) throw protocolError(`created frame lists ${nIn + nOut} values`);
  const value = (): ValueMeta => {
    const name = c.str(c.u16());
    const isTensor = c.u8() === 1;
    const type = TYPE_NAMES.get(c.u8());
    const rank = c.u16();
    const shape: (number | string)[] = [];
    for (let d = 0; d < rank; d++) {
      const size = Number(c.i64());
      const symbol = c.str(c.u16());
      shape.push(size >= 0 ? size : symbol || '?');
    }
    return { name, isTensor, ...(type ? { type } : {}), shape };
  };
  const inputs = Array.from({ length: nIn }, value);
  const outputs = Array.from({ length: nOut }, value);
  c.end();
  return { inputs, outputs };
}

/** RESULT: every output, each copied into its own buffer (callers may keep or hand on one without the others) */
export function decodeResult(payload: Buffer): Outputs {
  const c = new Cursor(payload, 'result');
  const n = c.u32();
  const outputs: Outputs = {};
  for (let i = 0; i < n; i++) {
    const name = c.str(c.u16());
    const code = c.u8();
    c.u8();
    const rank = c.u16();
    const dims: number[] = [];
    for (let d = 0; d < rank; d++) dims.push(Number(c.i64()));
    const bytes = Number(c.i64());
    c.need((8 - (c.at % 8)) % 8);
    c.at += (8 - (c.at % 8)) % 8;
    const typed = TYPED.get(code);
    const count = dims.reduce((a, b) => a * b, 1);
    if (!typed || count * typed.BYTES_PER_ELEMENT !== bytes) throw protocolError(`result output "${name}" has type ${code} and ${bytes} bytes for dims [${dims.join(',')}]`);
    c.need(bytes);
    const own = payload.buffer.slice(payload.byteOffset + c.at, payload.byteOffset + c.at + bytes) as ArrayBuffer;
    c.at += bytes;
    outputs[name] = { type: TYPE_NAMES.get(code)!, data: new typed(own, 0, count), dims };
  }
  c.end();
  return outputs;
}
