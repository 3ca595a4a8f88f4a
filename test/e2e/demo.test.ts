/** The README's main command: `npm run demo` runs the whole path and exits 0 only if all of it worked. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

test('npm run demo: keys, signed publish, verify + activate, bot detect, metrics upstream, guard rollback, forged release refused', { timeout: 300_000 }, () => {
  // Already inside the test keyring (scripts/test.sh); the demo's wrapper sees RPA_KEYRING_READY and runs directly.
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: root, encoding: 'utf8', timeout: 280_000 });
  const out = r.stdout + r.stderr;
  assert.equal(r.status, 0, out);
  assert.match(out, /DEMO OK/);
  for (const step of ['verified and activated', 'detect: ', 'window #', 'rolled back [guard_breach]', 'refused: [untrusted_key]']) assert.ok(out.includes(step), `demo output names "${step}"\n${out}`);
  assert.doesNotMatch(out, /✘/);
});
