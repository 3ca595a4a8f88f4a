/** E2E: `rpa-fleet release publish --profile …` with a bad value exits 2 with error[bad_argument] (real binary). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const bin = resolve(import.meta.dirname, '..', '..', 'bin', 'rpa-fleet.js');
function rpaFleet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (e, stdout, stderr) => res({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }));
  });
}

test('rpa-fleet release publish: a bad --profile is error[bad_argument] (exit 2), before any connection', async () => {
  const base = ['release', 'publish', '--channel', 'stable', '--detector', 'det@1.0.0', '--key', 'r.key', '--broker', 'mqtt://127.0.0.1:1'];
  const range = await rpaFleet([...base, '--profile', 'healthcare:detector.minScore=1.5']);
  assert.equal(range.code, 2, range.stderr);
  assert.match(range.stderr, /error\[bad_argument\].*--profile.*minScore/);
  const unknown = await rpaFleet([...base, '--profile', 'healthcare:detector.threshold=0.9']);
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /error\[bad_argument\].*unknown key "detector\.threshold"/);
});
