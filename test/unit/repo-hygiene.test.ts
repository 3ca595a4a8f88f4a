// Issue 22 §1-2: a clone must work on a stranger's machine. No tracked file names a folder that exists only on the
// team's build machines, and no document links outside the repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname, resolve, relative, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
const TEXT = /\.(ts|mts|mjs|js|json|md|sh|py|yml|yaml|html|css|c|h|txt|service|conf|toml)$/;
// The build machines keep the checkout and its data under /work and run as root (/root): a path there exists on no
// user's machine. Example home folders in tests of per-user defaults (/home/ann) are data, not build-machine paths.
export const MACHINE_PATH = /(?<![\w.\/])\/(?:work|root)\//;

function textFiles(): string[] {
  return tracked.filter((f) => TEXT.test(f) && f !== 'package-lock.json' && !f.startsWith('test/fixtures/') && existsSync(join(ROOT, f)));
}

test('the machine-path pattern finds build-machine folders and spares other paths', () => {
  for (const bad of ['DATA=${DATA_DIR:-/work/data}', "default='/root/x'", ' /work/main/assets', '(/work/data/v3)']) assert.match(bad, MACHINE_PATH, bad); // machine-path-ok (what the pattern must find)
  for (const ok of ['/usr/bin/python3', ' /tmp/x', 'https://example.invalid/work/x', '$RPA_DATA_DIR/v2', '.data/datasets', '/home/ann/.data', 'a/work/b']) assert.doesNotMatch(ok, MACHINE_PATH, ok);
});

test('no tracked file names a build machine folder (use $RPA_DATA_DIR, the repo or a per-user cache)', () => {
  const hits: string[] = [];
  for (const f of textFiles()) {
    const lines = readFileSync(join(ROOT, f), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (MACHINE_PATH.test(line) && !line.includes('machine-path-ok')) hits.push(`${f}:${i + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  assert.deepEqual(hits, []);
});

test('no document links outside the repository', () => {
  const bad: string[] = [];
  for (const f of tracked.filter((t) => t.endsWith('.md'))) {
    const text = readFileSync(join(ROOT, f), 'utf8');
    for (const m of text.matchAll(/\]\(([^)\s#]+)[^)]*\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue; // URLs and mailto: are outside by nature, not a path
      const abs = resolve(dirname(join(ROOT, f)), target);
      const rel = relative(ROOT, abs);
      if (rel.startsWith('..') || isAbsolute(rel)) bad.push(`${f}: ${target}`);
      else if (!existsSync(abs)) bad.push(`${f}: ${target} (missing)`);
    }
  }
  assert.deepEqual(bad, []);
});
