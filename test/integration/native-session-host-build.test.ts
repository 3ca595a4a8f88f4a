/**
 * The native session host builds for Windows x64 from this machine (mingw-w64, scripts/build-session-host.sh --win32):
 * the executable electron-builder.yml ships in the Windows installer. It is checked as a file here — a PE32+ x64
 * console program that loads onnxruntime.dll with LoadLibraryA/GetProcAddress and needs no DLL beyond Windows' own
 * (no winpthread, no libgcc: built -static) — because Windows itself cannot run here; running it is the Windows
 * machine's part (docs/BENCHMARKS.md "Footprint, round 4" says what was tried under wine).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtBinaryPath } from '../../src/agent/inference/native-host.js';

const ROOT = join(import.meta.dirname, '..', '..');

function hasMingw(): boolean {
  try {
    execFileSync('x86_64-w64-mingw32-gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

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
