/**
 * The native session host under bad input, both ways (issue 17 §2 host; the rule: a clear coded error, never a crash
 * of the agent):
 * - from the agent to the real host: a malformed header ends the host with EXIT_BAD_FRAME (65) after an ERROR frame
 *   saying why (the stream cannot be trusted any more); a well-framed request that does not parse, data that does not
 *   fit its shape, a type the host does not carry, garbage model bytes and an unavailable provider are each answered
 *   with a coded ERROR and the host keeps serving;
 * - from a host to the agent: a process that writes a stream that is not frames (a stand-in for a broken host — the
 *   real one cannot be made to) is killed and the activation fails with a coded error; the agent runs on;
 * - the agent dying (SIGKILL: no chance to close the pipe's other end cleanly) takes the host with it (Linux
 *   PR_SET_PDEATHSIG), even when its input pipe stays open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeError, encodeCreate, encodeRun, FRAME_MAGIC, FrameType } from '../../src/agent/inference/native-frames.js';
import { InferenceHost } from '../../src/agent/inference/index.js';
import { AgentError } from '../../src/common/errors.js';
import { A_OUT, fixture, modelBytes, xFeeds } from './inference-fixtures.js';
import { nativeHostPaths, RawHost } from './session-hosts.js';
import { processGone } from '../helpers/process-tree.js';

const linuxOnly = process.platform !== 'linux' ? 'the native session host is built and tested on Linux here' : false;

function header(type: number, id: number, length: number, magic = FRAME_MAGIC): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(magic, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt32LE(id, 8);
  h.writeUInt32LE(length, 12);
  return h;
}

async function started(): Promise<RawHost> {
  const p = nativeHostPaths();
  const host = new RawHost(p.binary, [p.library]);
  assert.equal((await host.next()).type, FrameType.ready);
  return host;
}

for (const [what, bytes] of [
  ['bad magic', header(FrameType.release, 4, 0, 0x11223344)],
  ['an unknown type', header(42, 4, 0)],
  ['a payload over the limit', header(FrameType.create, 4, 0x7fffffff)],
] as const) {
  test(`native host, malformed header from the agent (${what}): an ERROR frame saying so, then exit 65`, { skip: linuxOnly, timeout: 30_000 }, async () => {
    const host = await started();
    try {
      host.send([bytes]);
      const f = await host.next();
      assert.equal(f.type, FrameType.error, `answered ${f.type}`);
      const err = decodeError(f.payload);
      assert.equal(err.code, 2, 'HOST_ERR_BAD_FRAME');
      assert.match(err.message, /bad frame/);
      assert.deepEqual(await host.exited(), { code: 65, signal: null });
      assert.match(host.stderr, /bad frame/);
    } finally {
      host.child.kill('SIGKILL');
    }
  });
}

test('native host, bad requests inside good frames: each a coded ERROR, and the host serves on', { skip: linuxOnly, timeout: 30_000 }, async () => {
  const host = await started();
  try {
    const tiny = modelBytes('tiny-a.onnx');
    const ask = async (parts: Uint8Array[]) => {
      host.send(parts);
      return host.next();
    };
    const opts = { provider: 'cpu', allowSpinning: false, logSeverityLevel: 4 };
    // garbage instead of a model: onnxruntime's own refusal
    let f = await ask(encodeCreate(1, opts, Buffer.from('not an onnx model at all')));
    assert.equal(f.type, FrameType.error);
    assert.equal(decodeError(f.payload).code, 1, 'HOST_ERR_ORT');
    assert.match(decodeError(f.payload).message, /CreateSessionFromArray/);
    // a provider this build does not have
    f = await ask(encodeCreate(2, { ...opts, provider: 'coreml' }, tiny));
    assert.equal(decodeError(f.payload).code, 5, 'HOST_ERR_PROVIDER');
    assert.match(decodeError(f.payload).message, /coreml is not available/);
    // a create cut short
    f = await ask([header(FrameType.create, 3, 5), Buffer.alloc(5)]);
    assert.equal(decodeError(f.payload).code, 2);
    // a real session, then bad runs on it
    f = await ask(encodeCreate(10, opts, tiny));
    assert.equal(f.type, FrameType.created);
    const good = encodeRun(11, 10, xFeeds());
    const payload = Buffer.concat(good.slice(1));
    // 20 bytes of data for a [1,4] float32 (16 bytes): onnxruntime itself would take it and read 16; the host refuses
    const lying = Buffer.concat([payload, Buffer.alloc(4)]);
    lying.writeBigUInt64LE(20n, 8 + 2 + 1 + 1 + 1 + 2 + 16);
    f = await ask([header(FrameType.run, 12, lying.byteLength), lying]);
    assert.equal(f.type, FrameType.error, 'data that does not fit its shape is refused');
    assert.equal(decodeError(f.payload).code, 4, 'HOST_ERR_BAD_TENSOR');
    assert.match(decodeError(f.payload).message, /does not match its shape/);
    f = await ask([header(FrameType.run, 13, payload.byteLength - 3), payload.subarray(0, payload.byteLength - 3)]);
    assert.equal(decodeError(f.payload).code, 2, 'a run cut short');
    const strType = Buffer.from(payload);
    strType.writeUInt8(8, 8 + 2 + 1); // element type 8: strings
    f = await ask([header(FrameType.run, 14, strType.byteLength), strType]);
    assert.equal(decodeError(f.payload).code, 4, 'a type the host does not carry');
    f = await ask([header(FrameType.run, 15, 4), Buffer.alloc(4)]);
    assert.equal(decodeError(f.payload).code, 2, 'a run shorter than its fixed part');
    f = await ask(encodeRun(16, 99, xFeeds()));
    assert.equal(decodeError(f.payload).code, 3, 'no such session');
    f = await ask(encodeCreate(10, opts, tiny));
    assert.equal(decodeError(f.payload).code, 6, 'a session id in use');
    // and it still serves
    f = await ask(good);
    assert.equal(f.type, FrameType.result);
    assert.equal(f.id, 11);
    assert.equal(host.child.exitCode, null);
  } finally {
    host.child.kill('SIGKILL');
  }
});

test('a host that writes something other than frames (stand-in for a broken host): killed, the activation fails with a coded error, the agent serves on', { skip: linuxOnly, timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-badhost-'));
  const fake = join(dir, 'rpa-session-host');
  // answers anything with text, then waits: it would hang forever if the agent believed it
  writeFileSync(fake, '#!/bin/sh\nprintf "hello, I am not a session host\\n"\nexec sleep 600\n');
  chmodSync(fake, 0o755);
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 1, defaultLatencyBudgetMs: 10_000, isolation: 'process', prespawn: false, loadTimeoutMs: 20_000, nativeHost: { binary: fake, library: nativeHostPaths().library } });
  try {
    const t0 = performance.now();
    await assert.rejects(host.activate({ role: 'detector', ...fixture('tiny-a.onnx', A_OUT) }), (e: unknown) => e instanceof AgentError && e.code === 'load_failed' && /bad magic/.test(e.message));
    assert.ok(performance.now() - t0 < 5000, 'refused at once, not at the load timeout');
    await assert.rejects(host.run('detector', xFeeds()), (e: unknown) => e instanceof AgentError && e.code === 'no_model');
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the agent SIGKILLed: its native host ends with it even though its input pipe stays open (PR_SET_PDEATHSIG)', { skip: linuxOnly, timeout: 30_000 }, async () => {
  const p = nativeHostPaths();
  // a parent (bash) whose child host reads a pipe that a third process (sleep) keeps open: only the kernel can tell it
  const parent = spawn('bash', ['-c', 'exec 3< <(sleep 600); s=$!; "$0" "$1" <&3 > /dev/null & echo "$! $s"; wait', p.binary, p.library], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [pid, sleeper] = await new Promise<number[]>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim().split(' ').map(Number))));
  try {
    await new Promise((r) => setTimeout(r, 500));
    assert.match(readFileSync(`/proc/${pid!}/cmdline`, 'utf8'), /rpa-session-host/, 'the host runs');
    parent.kill('SIGKILL');
    const end = Date.now() + 5000;
    while (!processGone(pid!) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.ok(processGone(pid!), 'the host ended with its parent');
  } finally {
    for (const p of [pid!, sleeper!]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone (the host, as it should be)
      }
    }
  }
});

test('native host: SIGTERM ends it at once, even inside a run that never ends (endless-on-input.onnx)', { skip: linuxOnly, timeout: 30_000 }, async () => {
  const host = await started();
  try {
    host.send(encodeCreate(1, { provider: 'cpu', allowSpinning: false, logSeverityLevel: 4, intraOpNumThreads: 1 }, modelBytes('endless-on-input.onnx')));
    assert.equal((await host.next()).type, FrameType.created);
    host.send(encodeRun(2, 1, xFeeds([1, 1, 1, 1])));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(host.child.exitCode, null, 'the run is under way');
    const t0 = performance.now();
    host.child.kill('SIGTERM');
    assert.deepEqual(await host.exited(), { code: null, signal: 'SIGTERM' });
    assert.ok(performance.now() - t0 < 1000, `ended within 1 s (${(performance.now() - t0).toFixed(0)} ms)`);
  } finally {
    host.child.kill('SIGKILL');
  }
});

test('a native host binary that cannot start (gone since the agent started): the activation fails at once with a coded error, nothing throws in the agent', { skip: linuxOnly, timeout: 30_000 }, async () => {
  const host = new InferenceHost({ providers: ['cpu'], warmupRuns: 1, defaultLatencyBudgetMs: 10_000, isolation: 'process', prespawn: false, loadTimeoutMs: 20_000, nativeHost: { binary: join(tmpdir(), 'no-such-dir', 'rpa-session-host'), library: nativeHostPaths().library } });
  try {
    const t0 = performance.now();
    await assert.rejects(host.activate({ role: 'detector', ...fixture('tiny-a.onnx', A_OUT) }), (e: unknown) => e instanceof AgentError && e.code === 'load_failed' && /ENOENT|exited/.test(e.message));
    assert.ok(performance.now() - t0 < 5000, 'refused at once, not at the load timeout');
  } finally {
    await host.close();
  }
});
