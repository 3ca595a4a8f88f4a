// Issue 22 §4: the README's set-up and the demo work for a user who is not root, in a fresh clone, with nothing of
// this machine's checkout (no node_modules, no .data, no build output): proves nothing assumes root or our layout.
// The apt step of scripts/setup.sh is skipped when the packages are already installed (CI runs it as root first).
// Needs root here only to create the throwaway user; skipped (with the reason) where that is not possible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const USER = 'rpa-fresh-clone';
const isRoot = process.getuid?.() === 0;
const hasRunuser = spawnSync('sh', ['-c', 'command -v runuser && command -v useradd'], { encoding: 'utf8' }).status === 0;
const skip = !isRoot ? 'needs root to create a throwaway user' : !hasRunuser ? 'needs runuser and useradd' : process.env.RPA_SKIP_FRESH_CLONE === '1' ? 'RPA_SKIP_FRESH_CLONE=1' : false;

function sh(cmd: string, timeoutMs = 60_000) {
  return spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: timeoutMs });
}

test('as a non-root user in a fresh clone: bash scripts/setup.sh && npm run demo (the README\'s first command) works', { skip, timeout: 20 * 60_000 }, () => {
  if (sh(`id -u ${USER}`).status !== 0) assert.equal(sh(`useradd --create-home --shell /bin/bash ${USER}`).status, 0, 'useradd');
  const home = sh(`getent passwd ${USER} | cut -d: -f6`).stdout.trim();
  assert.ok(home.startsWith('/'), 'the user has a home');
  const clone = join(home, 'clone');
  sh(`rm -rf ${clone}`);
  // The committed HEAD, as `git clone` gives it to anyone: not this checkout's working tree or node_modules. Cloned
  // by root (git refuses to serve a repository owned by another user) and handed to the user.
  const cl = sh(`git clone --quiet --no-local ${ROOT} ${clone} && chown -R ${USER}: ${clone}`, 120_000);
  assert.equal(cl.status, 0, `git clone: ${cl.stderr}`);
  // The machine's npm settings (registry CA, node headers for native add-ons) are the machine's, not root's: pass them on.
  const npmEnv = ['cafile', 'nodedir', 'registry'].map((k) => {
    const v = sh(`npm config get ${k}`).stdout.trim();
    return v && v !== 'undefined' && v !== 'null' ? `npm_config_${k}=${JSON.stringify(v)}` : '';
  }).filter(Boolean).join(' ');
  const run = spawnSync('runuser', ['-u', USER, '--', 'env', '-i', `HOME=${home}`, `PATH=${process.env.PATH}`, `USER=${USER}`, 'LANG=C.UTF-8', 'sh', '-c', `${npmEnv ? `export ${npmEnv}; ` : ''}cd ${clone} && bash scripts/setup.sh && npm run demo`], {
    encoding: 'utf8',
    timeout: 18 * 60_000,
  });
  const out = `${run.stdout}\n${run.stderr}`;
  assert.equal(run.status, 0, `setup + demo as ${USER} failed (exit ${run.status}):\n${out.slice(-4000)}`);
  assert.match(run.stdout, /DEMO OK/, out.slice(-2000));
  sh(`rm -rf ${clone}`);
});
