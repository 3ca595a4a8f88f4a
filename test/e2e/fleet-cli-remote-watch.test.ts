/**
 * `rpa-fleet --controller URL status --watch` (issue 19 §1: an admin on another machine does every
 * rollout task from the remote CLI): the real binary against the real controller API server (HTTPS,
 * openssl test CA, SQLite), with the token `rpa-fleet login` stored in the OS credential store (the
 * test run's throwaway Secret Service; $RPA_FLEET_TOKEN unset). The watch redraws as the fleet
 * changes, and ends with exit 1 and `error[token_revoked]` once its token is revoked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { AgentStatus } from '../../src/common/wire.js';
import { remoteStatusArgs } from '../../src/cli/fleet/remote/status.js';
import { parseStatus } from '../../src/cli/fleet/status.js';
import { startApiWorld } from '../helpers/api-world.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'rpa-fleet.js');

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['RPA_FLEET_TOKEN']; // the token must come from the credential store
  return env;
}

function run(args: string[], stdin = ''): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: root, env: childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.stdin.end(stdin);
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('exit', (code) => {
      clearTimeout(t);
      res({ code, out, err });
    });
  });
}

const status = (agentId: string, online: boolean, channel: string): AgentStatus => ({
  agentId, online, ts: new Date().toISOString(), agentVersion: '1.0.0', channel,
  roles: { detector: { state: 'active', modelId: 'a'.repeat(64), name: 'det', version: '1.0.0', provider: 'cpu', cohort: 'stable' } },
});

test('status flags: --interval needs --watch and is at least 500 ms; --since and --since-ms exclude each other (remote and local)', () => {
  assert.deepEqual(remoteStatusArgs({ watch: true, interval: '750ms', since: '10m' }, false), { watch: true, intervalMs: 750, sinceMs: 600_000, json: false });
  assert.deepEqual(remoteStatusArgs({}, true), { watch: false, intervalMs: 2000, json: true });
  assert.match(String(remoteStatusArgs({ interval: '1s' }, false)), /--interval needs --watch/);
  assert.match(String(remoteStatusArgs({ watch: true, interval: '100ms' }, false)), /at least 500ms/);
  assert.match(String(remoteStatusArgs({ since: '5m', 'since-ms': '1000' }, false)), /not both/);
  assert.equal(parseStatus(['--interval', '1s']).kind, 'error');
  const local = parseStatus(['--watch', '--interval', '1s']);
  assert.equal(local.kind === 'ok' && local.value.intervalMs, 1000);
});

test('rpa-fleet --controller https://… status --watch: token from the credential store, redraws on change, ends on revocation (real binary, real API server)', async () => {
  const w = await startApiWorld();
  try {
    w.store.putStatus(status('ws-1', true, 'prod'), Date.now());
    w.store.putStatus(status('ws-2', true, 'staging'), Date.now());
    const vera = w.token('vera', 'viewer');
    const url = w.server.url;
    const ca = join(w.dir, 'ca.crt');
    const login = await run(['login', '--controller', url, '--controller-ca', ca, '--token-stdin'], `${vera.token}\n`);
    assert.equal(login.code, 0, login.err);

    const usage = await run(['--controller', url, 'status', '--interval', '1s']);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /error\[bad_argument\]: --interval needs --watch/);

    const p = spawn(process.execPath, [bin, '--controller', url, '--controller-ca', ca, 'status', '--watch', '--interval', '500ms'], { cwd: root, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    const killer = setTimeout(() => p.kill('SIGKILL'), 90_000);
    const waitFor = async (re: RegExp, what: string) => {
      const deadline = Date.now() + 45_000;
      while (!re.test(out)) {
        assert.ok(Date.now() < deadline && p.exitCode === null, `${what}: stdout ${out.slice(-400)} stderr ${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await waitFor(/agents: 2 online of 2/, 'first frame');
      assert.match(out, /channel prod: 1 online of 1/);
      // the remote listing walks its pages (the same token from the credential store)
      const listed = await run(['--controller', url, '--controller-ca', ca, 'agents', 'list', '--json']);
      assert.equal(listed.code, 0, listed.err);
      assert.deepEqual((JSON.parse(listed.out) as { agents: { agentId: string }[] }).agents.map((a) => a.agentId), ['ws-1', 'ws-2']);
      // the fleet changes on the controller: ws-1 goes offline, ws-3 joins prod
      w.store.putStatus(status('ws-1', false, 'prod'), Date.now());
      w.store.putStatus(status('ws-3', true, 'prod'), Date.now());
      await waitFor(/agents: 2 online of 3/, 'a later frame shows the change');
      assert.match(out, /channel prod: 1 online of 2/);
      assert.equal(p.exitCode, null, 'still watching');
      w.ctx.tokens.revoke(vera.id, 'test-admin', Date.now());
      const code = await exited;
      assert.equal(code, 1, `exit code; stderr ${err}`);
      assert.match(err, /error\[token_revoked\]/);
    } finally {
      clearTimeout(killer);
      if (p.exitCode === null) p.kill('SIGKILL');
    }
  } finally {
    await w.close();
  }
});
