/** The README's main command: `npm run demo` runs the whole path and exits 0 only if all of it worked. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpuFlagsFor } from '../../src/agent/cpu-flags.js';
import { chooseVariant } from '../../src/common/variants.js';
import { ROLES, type Variant } from '../../src/common/wire.js';

const root = resolve(import.meta.dirname, '..', '..');

/**
 * What the one choice rule picks on THIS machine for each baseline model that ships an int8 variant (variant.json's
 * `prefers` against /proc/cpuinfo): "int8" on a CPU with avx512_vnni/avx_vnni, "fp32" elsewhere.
 */
function expectedVariants(): { role: string; name: string }[] {
  const flags = cpuFlagsFor(process.platform, undefined);
  return ROLES.flatMap((role) => {
    const f = join(root, 'assets', 'models', role, 'variants', 'int8', 'variant.json');
    if (!existsSync(f)) return [];
    const v = JSON.parse(readFileSync(f, 'utf8')) as Pick<Variant, 'name' | 'prefers'>;
    const choice = chooseVariant({ variants: [{ ...v, sha256: 'f'.repeat(64) } as Variant] }, { setting: 'auto', provider: 'cpu', cpuFlags: flags });
    return [{ role, name: choice.variant?.name ?? 'fp32' }];
  });
}

test('npm run demo: keys, signed publish with variants, verify + activate (variant per CPU), bot detect, metrics upstream, guard rollback, forged release refused', { timeout: 300_000 }, () => {
  // Already inside the test keyring (scripts/test.sh); the demo's wrapper sees RPA_KEYRING_READY and runs directly.
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: root, encoding: 'utf8', timeout: 280_000 });
  const out = r.stdout + r.stderr;
  assert.equal(r.status, 0, out);
  assert.match(out, /DEMO OK/);
  for (const step of ['verified and activated', 'detect: ', 'window #', 'rolled back [guard_breach]', 'refused: [untrusted_key]']) assert.ok(out.includes(step), `demo output names "${step}"\n${out}`);
  // [issue 21 §1] the baseline models ship with their int8 variants, and the agent's status names the one the rule picks here
  const expected = expectedVariants();
  assert.ok(expected.some((e) => e.role === 'detector') && expected.some((e) => e.role === 'classifier'), 'detector and classifier ship an int8 variant');
  for (const e of expected) {
    assert.match(out, new RegExp(`${e.role}\\s.*variants: int8 \\d+ KiB`), `${e.role} is published with its int8 variant\n${out}`);
    assert.match(out, new RegExp(`✔ variant ${e.role}: ${e.name} \\(cpu`), `the agent's status names ${e.name} for ${e.role}\n${out}`);
  }
  if (cpuFlagsFor(process.platform, undefined).includes('avx512_vnni')) assert.match(out, /✔ variant detector: int8 \(cpu, avx512_vnni\)/);
  // the guard step's candidate carries its variant too, and is served as the rule picks
  const det = expected.find((e) => e.role === 'detector')!.name;
  assert.ok(out.includes(`activated under guard, served as ${det}`), `the candidate is served as ${det}\n${out}`);
  assert.doesNotMatch(out, /✘/);
});
