/**
 * The native session host builds for Windows x64 from this machine (mingw-w64, scripts/build-session-host.sh --win32):
 * the executable electron-builder.yml ships in the Windows installer. It is checked as a file here — a PE32+ x64
 * console program that loads onnxruntime.dll with LoadLibraryA/GetProcAddress and needs no DLL beyond Windows' own
 * (no winpthread, no libgcc: built -static). Windows itself cannot run here; where wine is installed, the executable is
 * also run under it with onnxruntime-node's own win32-x64 onnxruntime.dll on the CPU and must give the detector's
 * outputs bit for bit as onnxruntime-node on Linux does (wine stands in for Windows: a DirectML GPU cannot exist here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { builtBinaryPath, onnxruntimeLibraryPath } from '../../src/agent/inference/native-host.js';
import { decodeCreated, decodeError, decodeReady, decodeResult, encodeCreate, encodeRun, FrameType } from '../../src/agent/inference/native-frames.js';
import { mod7919 } from '../../src/agent/inference/tensors.js';
import { RawHost } from './session-hosts.js';

const ROOT = join(import.meta.dirname, '..', '..');

function has(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const hasMingw = () => has('x86_64-w64-mingw32-gcc');

test('the native session host cross-builds for win32-x64: a PE32+ x64 console program using LoadLibraryA/GetProcAddress, no DLL beyond Windows’ own', { skip: hasMingw() ? false : 'x86_64-w64-mingw32-gcc is not installed (scripts/setup.sh installs gcc-mingw-w64-x86-64)', timeout: 120_000 }, () => {
  const out = execFileSync('bash', [join(ROOT, 'scripts', 'build-session-host.sh'), '--win32'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const exe = builtBinaryPath('win32', 'x64', ROOT);
  assert.equal(join(ROOT, out), exe);
  const b = readFileSync(exe);
  assert.equal(b.toString('latin1', 0, 2), 'MZ');
  const pe = b.readUInt32LE(0x3c);
  assert.equal(b.toString('latin1', pe, pe + 4), 'PE\0\0');
  assert.equal(b.readUInt16LE(pe + 4), 0x8664, 'machine: x64');
  const optional = pe + 24;
  assert.equal(b.readUInt16LE(optional), 0x20b, 'PE32+');
  assert.equal(b.readUInt16LE(optional + 68), 3, 'subsystem: Windows console (stdin/stdout are the agent’s pipes)');
  const text = b.toString('latin1');
  for (const sym of ['LoadLibraryA', 'GetProcAddress', 'OrtGetApiBase', 'CreateThread', 'SleepConditionVariableCS']) assert.ok(text.includes(sym), `uses ${sym}`);
  // the DLLs it imports: only system ones (KERNEL32 and the C runtime that ships with Windows)
  const dlls = [...new Set([...text.matchAll(/([A-Za-z0-9_.-]+\.dll)\0/gi)].map((m) => m[1]!.toLowerCase()))];
  assert.ok(dlls.includes('kernel32.dll'), `imports ${dlls.join(', ')}`);
  for (const d of dlls) assert.match(d, /^(kernel32|msvcrt|api-ms-win-crt-[a-z0-9-]+|ucrtbase)\.dll$/, `only Windows' own DLLs (${d})`);
});

test('the win32-x64 host under wine (stand-in for Windows) with onnxruntime-node’s onnxruntime.dll on the CPU: version 1.30.0, the detector’s outputs bit for bit as on Linux, a clean exit', { skip: !hasMingw() ? 'x86_64-w64-mingw32-gcc is not installed' : !has('wine') ? 'wine is not installed (not part of scripts/setup.sh; Windows itself is the real check)' : false, timeout: 300_000 }, async () => {
  execFileSync('bash', [join(ROOT, 'scripts', 'build-session-host.sh'), '--win32'], { cwd: ROOT, stdio: 'ignore' });
  const dll = onnxruntimeLibraryPath('win32', 'x64')!;
  const prefix = mkdtempSync(join(tmpdir(), 'rpa-wine-'));
  // wine maps the Linux root to Z:
  const host = new RawHost('wine', [builtBinaryPath('win32', 'x64', ROOT), `Z:${dll.replaceAll('/', '\\')}`], { WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' });
  try {
    const ready = await host.next(240_000);
    assert.equal(ready.type, FrameType.ready, ready.type === FrameType.error ? decodeError(ready.payload).message : host.stderr);
    assert.equal(decodeReady(ready.payload).ortVersion, '1.30.0');
    const bytes = readFileSync(join(ROOT, 'assets', 'models', 'detector', 'model.onnx'));
    host.send(encodeCreate(1, { provider: 'cpu', allowSpinning: false, logSeverityLevel: 3, interOpNumThreads: 1, intraOpNumThreads: 1 }, bytes));
    const created = await host.next(120_000);
    assert.equal(created.type, FrameType.created, created.type === FrameType.error ? decodeError(created.payload).message : '');
    assert.deepEqual(decodeCreated(created.payload).outputs.map((o) => [o.name, o.shape]), [['output0', [1, 5, 8000]]]);
    const x = mod7919(3 * 640 * 640);
    host.send(encodeRun(2, 1, { images: { type: 'float32', data: x, dims: [1, 3, 640, 640] } }));
    const res = await host.next(120_000);
    assert.equal(res.type, FrameType.result, res.type === FrameType.error ? decodeError(res.payload).message : '');
    const ref = await ort.InferenceSession.create(bytes);
    const want = (await ref.run({ images: new ort.Tensor('float32', x, [1, 3, 640, 640]) })).output0!.data as Float32Array;
    await ref.release();
    assert.deepEqual(Array.from(decodeResult(res.payload).output0!.data as Float32Array), Array.from(want));
    host.child.stdin!.end();
    assert.deepEqual(await host.exited(), { code: 0, signal: null });
  } finally {
    host.child.kill('SIGKILL');
    rmSync(prefix, { recursive: true, force: true });
  }
});
