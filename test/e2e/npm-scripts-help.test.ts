/**
 * Every tool script has --help and answers a bad flag with a usage error, not a stack trace
 * (issue 16 §5, issue 17 §5): the npm scripts sim, bench, eval and demo run through npm as a user
 * types them, and every benchmark script under scripts/bench/ on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

function npmRun(script: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('npm', ['run', '-s', script, '--', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.split('\n').filter((l) => !l.startsWith('npm warn')).join('\n') };
}

// Scripts that take no options of their own: the compiler, the test runner, the desktop launcher and the renderer build.
const NO_OPTIONS = new Set(['build', 'typecheck', 'test', 'start', 'build:renderer']);

test('every npm script with options (sim, bench, eval, demo, dataset:*, schemas, …) answers --help with its usage and exit 0; a bad flag is a usage error (exit 2)', () => {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const names = Object.keys(scripts).filter((n) => !NO_OPTIONS.has(n));
  for (const must of ['sim', 'bench', 'eval', 'demo']) assert.ok(names.includes(must), `package.json has the ${must} script`);
  for (const name of names) {
    assert.ok(scripts[name], `package.json has the ${name} script`);
    const help = npmRun(name, ['--help']);
    assert.equal(help.code, 0, `${name} --help: ${help.stderr}`);
    assert.match(help.stdout, /npm run /, `${name} --help says how to run it`);
    assert.doesNotMatch(help.stderr, STACK, `${name} --help: no stack trace`);
    const bad = npmRun(name, ['--no-such-flag']);
    assert.equal(bad.code, 2, `${name} --no-such-flag: ${bad.stdout}${bad.stderr}`);
    assert.match(bad.stderr, /error\[bad_argument\]/, name);
    assert.doesNotMatch(bad.stderr, STACK, `${name} --no-such-flag: no stack trace`);
  }
});

test('npm run bench -- --list names every benchmark script; each one answers --help with its doc comment', () => {
  const list = npmRun('bench', ['--list']);
  assert.equal(list.code, 0, list.stderr);
  const libraries = new Set(['help.ts', 'inference-models.ts', 'run-all.ts']);
  const benches = readdirSync(join(root, 'scripts', 'bench')).filter((f) => f.endsWith('.ts') && !libraries.has(f));
  for (const f of benches) {
    assert.match(list.stdout, new RegExp(`^${f.replace('.ts', '')} `, 'm'), `npm run bench runs ${f}`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', join('scripts', 'bench', f), '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${f} --help: ${r.stderr}`);
    assert.match(r.stdout, /scripts\/bench\//, `${f} --help prints its command line`);
  }
});
