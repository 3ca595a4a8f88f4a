/**
 * The packaged app ships the native session host (issue 17 §2) where the agent looks for it: electron-builder's
 * platform extraResources put scripts/build-session-host.sh's output under resources/session-host/, which
 * findNativeHost (src/agent/inference/native-host.ts) tries before the repository's build folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { binaryName, builtBinaryPath } from '../../src/agent/inference/native-host.js';

const root = join(import.meta.dirname, '..', '..');
type Cfg = Record<string, unknown>;
// js-yaml comes with electron-updater; loaded untyped, as test/unit/desktop-packaging.test.ts does
const yaml = createRequire(import.meta.url)('js-yaml') as { load(s: string): unknown };

test('electron-builder ships the native session host for win32-x64 and linux-x64 at resources/session-host/', () => {
  const cfg = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Cfg;
  for (const [platform, section] of [['win32', 'win'], ['linux', 'linux']] as const) {
    const extra = ((cfg[section] as Cfg)['extraResources'] ?? []) as { from: string; to: string; filter: string[] }[];
    const entry = extra.find((e) => e.to === 'session-host');
    assert.ok(entry, `${section}: the session host is an extra resource`);
    assert.equal(join(root, entry.from, binaryName(platform)), builtBinaryPath(platform, 'x64', root), `${section}: from the build script's output`);
    assert.deepEqual(entry.filter, [binaryName(platform)]);
  }
});
