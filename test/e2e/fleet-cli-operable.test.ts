/**
 * E2E (issue 16 §5 "Operable"), spawning the real binaries: `rpa-fleet init` creates the database and
 * other verbs refuse a missing one with fleet_db_missing; a closed stdout ends a verb without a stack trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const fleetBin = join(root, 'bin', 'rpa-fleet.js');
const agentBin = join(root, 'bin', 'rpa-agent.js');

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000, env }, (e, stdout, stderr) => res({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }));
  });
}

/** Runs with stdout's read end closed before the child writes (`… | head -0`). */
function runClosedStdout(bin: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.destroy();
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => res({ code, stderr }));
  });
}

test('rpa-fleet init creates the database; status without one says fleet_db_missing and creates nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-init-'));
  try {
    const db = join(dir, 'ops', 'fleet.db');
    const env = { ...process.env, RPA_FLEET_DB: db };
    const missing = await run(fleetBin, ['status'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error\[fleet_db_missing\]: no fleet database at .*ops\/fleet\.db: create it with `rpa-fleet init/);
    assert.equal(existsSync(db), false, 'status did not create an empty database');
    const asJson = await run(fleetBin, ['rollout', 'status', '--json'], env);
    assert.equal(JSON.parse(asJson.stdout).error.code, 'fleet_db_missing');

    const init = await run(fleetBin, ['init'], env);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /created fleet database .*ops\/fleet\.db/);
    assert.equal(existsSync(db), true);
    const again = await run(fleetBin, ['init', '--json'], env);
    assert.equal(JSON.parse(again.stdout).created, false);
    const st = await run(fleetBin, ['status'], env);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /agents: 0 online of 0/);
    assert.match(st.stdout, /controller: no controller has ever run on this database/);

    // A rollout recorded with no controller running says nothing will act on it.
    const started = await run(fleetBin, ['rollout', 'start', '--channel', 'prod', '--role', 'detector', '--candidate', 'a'.repeat(64), '--stable', 'b'.repeat(64)], env);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /no controller has ever run on this database: nothing acts on rollouts until you start `rpa-fleet controller/);
    const rs = await run(fleetBin, ['rollout', 'status'], env);
    assert.match(rs.stdout, /PENDING[\s\S]*created \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ[\s\S]*no controller has ever run/);
    const id = /^(ro-\S+)/.exec(rs.stdout)![1]!;
    const one = await run(fleetBin, ['rollout', 'status', id], env);
    assert.match(one.stdout, /history:\n    \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ created: prod\/detector/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a closed stdout (| head) ends rpa-fleet and rpa-agent quietly: no stack trace', async () => {
  for (const [bin, args] of [[fleetBin, ['--help']], [fleetBin, ['rollout', 'start', '--help']], [agentBin, ['--help']]] as const) {
    const r = await runClosedStdout(bin, [...args]);
    assert.equal(r.stderr, '', `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.code, 0);
  }
});
