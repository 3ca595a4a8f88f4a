/**
 * `npm run conformance` (issue 22 §3) against a real headless agent of this repo (in-process, real
 * onnxruntime, real keytar store) on an in-process aedes: every check passes when the agent installed
 * the conformance trust file, and the checker bites: an agent with another trust file fails check 1.
 * The script runs as a child process, the way another implementation's author runs it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAedes, type TestBroker } from '../helpers/brokers.js';
import { makeFleet, repoRoot, startTestAgent, workspace, type Fleet } from './agent-harness.js';
import { ensureConformanceKeys } from '../../scripts/conformance/keys.js';
import { parseTrustFile } from '../../src/fleet/trust.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Async (the broker and the agent live in this process's event loop). */
function conformance(args: string[]): Promise<Run> {
  return new Promise((res) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join('scripts', 'conformance', 'run.ts'), ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => res({ code, stdout, stderr }));
  });
}

interface Report {
  ok: boolean;
  agentId: string;
  trustFile: string;
  checks: { id: number; pass: boolean; expected: string; seen: string }[];
}

async function withAgent(trust: (keysDir: string) => Promise<Fleet['trust']>, fn: (broker: TestBroker, keysDir: string) => Promise<void>): Promise<void> {
  const keysDir = mkdtempSync(join(tmpdir(), 'rpa-conformance-'));
  const broker = await startAedes();
  const ws = await workspace({ ...makeFleet(), trust: await trust(keysDir) }, 'agent-under-test');
  const ta = await startTestAgent(ws, broker);
  try {
    await fn(broker, keysDir);
  } finally {
    await ta.close();
    await ws.cleanup();
    await broker.close();
    rmSync(keysDir, { recursive: true, force: true });
  }
}

const conformanceTrust = async (dir: string) => parseTrustFile(JSON.parse(readFileSync((await ensureConformanceKeys(dir)).trustPath, 'utf8')));

test('an agent that installed the conformance trust file passes all five checks (exit 0, --json, agent found by its status)', { timeout: 180_000 }, async () => {
  await withAgent(conformanceTrust, async (broker, keysDir) => {
    const r = await conformance(['--broker', broker.url, '--trust-keys', keysDir, '--timeout-ms', '20000', '--json']);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.agentId, 'agent-under-test', 'the single online agent on channel stable');
    assert.equal(report.trustFile, join(keysDir, 'trust.json'));
    assert.deepEqual(report.checks.map((c) => [c.id, c.pass]), [[1, true], [2, true], [3, true], [4, true], [5, true]], JSON.stringify(report.checks, null, 2));
    assert.match(report.checks[1]!.seen, /release_rejected \(release_replayed\)/);
    assert.match(report.checks[3]!.seen, /chunk_hash_mismatch/);
    assert.equal(report.ok, true);
    assert.equal(r.code, 0, r.stderr);

    // a second run against the same agent (same keys, higher seqs) passes again, in text mode
    const again = await conformance(['--broker', broker.url, '--trust-keys', keysDir, '--agent-id', 'agent-under-test', '--timeout-ms', '20000']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(again.stdout.match(/^PASS \d/gm)?.length, 5, again.stdout);
    assert.match(again.stdout, /5\/5 checks passed/);
  });
});

test('the checker bites: an agent with another trust file fails check 1 (untrusted_key seen) and the run exits 1', { timeout: 120_000 }, async () => {
  await withAgent(async () => makeFleet().trust, async (broker, keysDir) => {
    const r = await conformance(['--broker', broker.url, '--trust-keys', keysDir, '--agent-id', 'agent-under-test', '--timeout-ms', '4000', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.ok, false);
    assert.equal(report.checks[0]!.pass, false);
    assert.match(report.checks[0]!.seen, /release_rejected \(untrusted_key\)/);
    // check 2 expects release_replayed but this agent answers untrusted_key: a wrong code is a FAIL too
    assert.equal(report.checks[1]!.pass, false);
  });
});

test('usage errors: no agent online → error[bad_argument] exit 2; no broker → error[broker_unreachable] exit 1; a bad flag → exit 2', { timeout: 60_000 }, async () => {
  const keysDir = mkdtempSync(join(tmpdir(), 'rpa-conformance-'));
  try {
    const down = await conformance(['--broker', 'mqtt://127.0.0.1:1', '--trust-keys', keysDir]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^error\[broker_unreachable\]/m);
    const bad = await conformance(['--broker', 'mqtt://127.0.0.1:1', '--timeout-ms', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error\[bad_argument\]: --timeout-ms/m);
    const broker = await startAedes();
    try {
      const none = await conformance(['--broker', broker.url, '--trust-keys', keysDir]);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /^error\[bad_argument\]: no agent is online on channel stable; give --agent-id/m);
    } finally {
      await broker.close();
    }
  } finally {
    rmSync(keysDir, { recursive: true, force: true });
  }
});
