/**
 * A big model goes to the native session host in MODEL_PART frames ahead of its CREATE (frames.h; issue 17 §2): the
 * runs of the sessions already serving share the host's input pipe, and a 64 MiB CREATE frame held every run written
 * after it until the host had read it all. Real host binary, real onnxruntime, the product's baseline models:
 *   - a model sent in parts makes the same session as one sent whole (same outputs);
 *   - a RUN written between two parts is answered before the model's CREATE is even sent;
 *   - parts that do not fit are refused by their CREATE with a coded error, and the host keeps serving;
 *   - the agent's side (NativeSessionWorker) sends parts only while no bot request runs (at most 100 ms a part).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { decodeCreated, decodeError, decodeResult, encodeCreate, encodeModelPart, encodeRelease, encodeRun, FrameType, HostError, type Frame } from '../../src/agent/inference/native-frames.js';
import { spawnNativeSessionWorker } from '../../src/agent/inference/native-host.js';
import { MODEL_PART_BYTES } from '../../src/agent/inference/native-session-worker.js';
import { botActivity } from '../../src/agent/fetch-pacing.js';
import { mod7919 } from '../../src/agent/inference/tensors.js';
import type { Feeds, FromWorker } from '../../src/agent/inference/worker-messages.js';
import type { ModelManifest } from '../../src/common/wire.js';
import { nativeHostPaths, RawHost } from './session-hosts.js';

const linuxOnly = process.platform !== 'linux' ? 'the native session host is built and tested on Linux here' : false;
const ASSETS = join(import.meta.dirname, '..', '..', 'assets', 'models');
const CPU = { provider: 'cpu', allowSpinning: false, logSeverityLevel: 3, interOpNumThreads: 1, intraOpNumThreads: 1 } as const;

function similarity(): { bytes: Uint8Array; input: { name: string; data: Float32Array; dims: number[] } } {
  const bytes = new Uint8Array(readFileSync(join(ASSETS, 'similarity', 'model.onnx')));
  const spec = (JSON.parse(readFileSync(join(ASSETS, 'similarity', 'metadata.json'), 'utf8')) as { contract: ModelManifest['contract'] }).contract.inputs[0]!;
  const dims = spec.shape.map((d) => (typeof d === 'number' ? d : 1));
  return { bytes, input: { name: spec.name, data: mod7919(dims.reduce((a, b) => a * b, 1)), dims } };
}

/** the model's bytes as MODEL_PART frames of uneven sizes */
function parts(sid: number, bytes: Uint8Array, sizes: number[]): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  let at = 0;
  for (let i = 0; at < bytes.byteLength; i++) {
    const n = Math.min(sizes[i % sizes.length]!, bytes.byteLength - at);
    out.push(encodeModelPart(sid, bytes.byteLength, at, bytes.subarray(at, at + n)));
    at += n;
  }
  return out;
}

const errorText = (f: Frame) => (f.type === FrameType.error ? decodeError(f.payload).message : '');

/** a host serving session 1 (the similarity model, sent whole), killed after `body` */
async function withServingHost(body: (h: { host: RawHost; bytes: Uint8Array; feeds: Feeds; created: Frame }) => Promise<void>): Promise<void> {
  const paths = nativeHostPaths();
  const host = new RawHost(paths.binary, [paths.library]);
  try {
    assert.equal((await host.next()).type, FrameType.ready);
    const { bytes, input } = similarity();
    host.send(encodeCreate(1, CPU, bytes));
    const created = await host.next();
    assert.equal(created.type, FrameType.created, errorText(created));
    await body({ host, bytes, feeds: { [input.name]: { type: 'float32', data: input.data, dims: input.dims } }, created });
  } finally {
    host.child.kill('SIGKILL');
  }
}

test('native host: a model sent in parts makes the same session as one sent whole, and a run of a serving session passes between the parts', { skip: linuxOnly, timeout: 60_000 }, async () => {
  await withServingHost(async ({ host, bytes, feeds, created: whole }) => {
    const pieces = parts(2, bytes, [100_003, 7, 250_000]);
    assert.ok(pieces.length >= 3);
    host.send(pieces[0]!);
    host.send(encodeRun(50, 1, feeds));
    const between = await host.next();
    assert.deepEqual([between.type, between.id], [FrameType.result, 50], 'the run written after the first part is answered before the model is complete');
    for (const p of pieces.slice(1)) host.send(p);
    host.send(encodeCreate(2, CPU, new Uint8Array(0)));
    const created = await host.next();
    assert.equal(created.type, FrameType.created, errorText(created));
    assert.deepEqual(decodeCreated(created.payload), decodeCreated(whole.payload), 'same inputs and outputs');

    host.send(encodeRun(51, 1, feeds));
    host.send(encodeRun(52, 2, feeds));
    const answers = [await host.next(), await host.next()].sort((a, b) => a.id - b.id);
    assert.deepEqual(answers.map((f) => f.type), [FrameType.result, FrameType.result], answers.map(errorText).join(' '));
    const [a, b] = answers.map((f) => decodeResult(f.payload));
    for (const name of Object.keys(a!)) assert.deepEqual(Array.from(b![name]!.data as Float32Array), Array.from(a![name]!.data as Float32Array), `${name}: the same numbers`);
  });
});

test('native host: parts that do not fit are refused by their CREATE with a coded error; the host keeps serving', { skip: linuxOnly, timeout: 60_000 }, async () => {
  await withServingHost(async ({ host, bytes, feeds }) => {
    const refused = async (sid: number, send: () => void, why: RegExp) => {
      send();
      const f = await host.next();
      assert.deepEqual([f.type, f.id], [FrameType.error, sid], `session ${sid}: refused`);
      const e = decodeError(f.payload);
      assert.equal(e.code, HostError.badFrame);
      assert.match(e.message, why);
      host.send(encodeRun(900 + sid, 1, feeds));
      const still = await host.next();
      assert.deepEqual([still.type, still.id], [FrameType.result, 900 + sid], 'the serving session still answers');
    };
    const ps = parts(10, bytes, [50_000]);
    await refused(10, () => {
      host.send(ps[0]!);
      host.send(ps[2]!); // the second part skipped
      host.send(encodeCreate(10, CPU, new Uint8Array(0)));
    }, /out of order/);
    await refused(11, () => {
      for (const p of parts(11, bytes, [50_000]).slice(0, -1)) host.send(p); // the last part missing
      host.send(encodeCreate(11, CPU, new Uint8Array(0)));
    }, /incomplete/);
    await refused(12, () => {
      const head = bytes.subarray(0, 1000);
      host.send(encodeModelPart(12, bytes.byteLength, 0, head));
      host.send(encodeModelPart(12, bytes.byteLength + 5, 1000, bytes.subarray(1000, 2000)));
      host.send(encodeCreate(12, CPU, new Uint8Array(0)));
    }, /total length changed/);
    await refused(13, () => {
      for (const p of parts(13, bytes, [1 << 20])) host.send(p);
      host.send(encodeCreate(13, CPU, bytes)); // the model twice over
    }, /carries model bytes/);
    // at most 4 models in parts at once: a fifth is refused by its CREATE; releasing the others drops theirs
    await refused(24, () => {
      for (let sid = 20; sid <= 24; sid++) host.send(encodeModelPart(sid, bytes.byteLength, 0, bytes.subarray(0, 10)));
      host.send(encodeCreate(24, CPU, new Uint8Array(0)));
    }, /too many models/);
    for (let sid = 20; sid <= 23; sid++) {
      host.send(encodeRelease(sid));
      assert.deepEqual([(await host.next()).type], [FrameType.released]);
    }
    await refused(25, () => {
      for (const p of parts(25, bytes, [1 << 20]).slice(0, 1)) host.send(p);
      host.send(encodeCreate(25, CPU, new Uint8Array(0)));
    }, /incomplete/); // room again: refused for what it is, not for the count
    // a release drops parts not yet taken: a CREATE after it has no model (onnxruntime refuses the empty bytes)
    host.send(parts(14, bytes, [1 << 20])[0]!);
    host.send(encodeRelease(14));
    const rel = await host.next();
    assert.deepEqual([rel.type, rel.id], [FrameType.released, 14]);
    host.send(encodeCreate(14, CPU, new Uint8Array(0)));
    const empty = await host.next();
    assert.deepEqual([empty.type, empty.id], [FrameType.error, 14]);
    assert.equal(decodeError(empty.payload).code, HostError.ort, 'an empty model, not the released parts');
  });
});

/** a valid model made `extra` bytes bigger: a trailing length-delimited field (number 1000) onnxruntime's parser skips */
function padded(model: Uint8Array, extra: number): Uint8Array {
  const varint = (n: number) => {
    const out: number[] = [];
    while (n > 127) {
      out.push((n & 127) | 128);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  };
  return new Uint8Array(Buffer.concat([model, Buffer.from([...varint((1000 << 3) | 2), ...varint(extra)]), Buffer.alloc(extra)]));
}

test('native session worker: a big model goes over in parts that wait while a bot request runs (at most 100 ms a part)', { skip: linuxOnly, timeout: 60_000 }, async () => {
  const worker = spawnNativeSessionWorker(nativeHostPaths());
  const messages: FromWorker[] = [];
  worker.on('message', (m: FromWorker) => messages.push(m));
  const settled = () => messages.find((m) => m.t === 'loaded' || m.t === 'load_failed');
  try {
    const bytes = padded(new Uint8Array(readFileSync(join(ASSETS, 'classifier', 'model.onnx'))), 6 * MODEL_PART_BYTES);
    const parts = Math.ceil(bytes.byteLength / MODEL_PART_BYTES);
    const metadata = JSON.parse(readFileSync(join(ASSETS, 'classifier', 'metadata.json'), 'utf8')) as Record<string, unknown>;
    const sha = createHash('sha256').update(bytes).digest('hex');
    const manifest = { schemaVersion: 1, ...metadata, sha256: sha, size: bytes.byteLength, chunkSize: 1 << 20, chunkSha256: [sha], created: '2026-01-01T00:00:00Z' } as unknown as ModelManifest;
    const load = (gid: number) =>
      worker.postMessage({ t: 'load', gid, modelId: sha, manifest, bytes: bytes.slice().buffer, byteLength: bytes.byteLength, options: { providers: ['cpu'], warmupRuns: 0, latencyBudgetMs: 60_000, verifySha256: false, allowSpinning: false, logSeverityLevel: 3 } });
    while (!messages.some((m) => m.t === 'ready')) await new Promise((r) => setTimeout(r, 10));

    // no bot request: the padded model loads in parts at once (the control: the host takes the parts and the padding)
    let t0 = Date.now();
    load(1);
    while (!settled()) await new Promise((r) => setTimeout(r, 5));
    assert.equal(settled()!.t, 'loaded', JSON.stringify(settled()));
    const alone = Date.now() - t0;
    assert.ok(alone < 60 * (parts - 1), `alone it loads in ${alone} ms`);
    messages.length = 0;

    // a bot request runs: the sha256 is off here (its slices wait too: native-sha256-gives-way.test.ts), so only the
    // parts can hold the load; each waits until the request is answered or 100 ms passed
    let answer!: () => void;
    const request = botActivity.during(() => new Promise<void>((r) => (answer = r)));
    t0 = Date.now();
    load(2);
    await new Promise((r) => setTimeout(r, 60 * (parts - 1)));
    assert.equal(settled(), undefined, `not loaded while the bot request runs (${parts} parts, each held up to 100 ms)`);
    answer();
    await request;
    while (!settled()) await new Promise((r) => setTimeout(r, 5));
    assert.equal(settled()!.t, 'loaded', JSON.stringify(settled()));
    assert.ok(Date.now() - t0 <= 100 * parts + 5_000, 'the hold is bounded');
  } finally {
    worker.postMessage({ t: 'close' });
    await new Promise((r) => setTimeout(r, 50));
  }
});
