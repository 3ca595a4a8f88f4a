/**
 * The agent's heap growth (src/agent/heap-growth.ts, issue 17 §2): an agent that has idled must not run a full
 * mark-compact per few MiB of a download's short-lived buffers. Each case is a fresh process
 * (test/fixtures/scripts/heap-growth-churn.ts: a real in-process aedes streaming 32 MiB of 256 KiB chunks to the
 * agent's real MQTT transport, each chunk checked and sealed into a real sealed partial by the blob store), since
 * V8's flags are process-wide. The control case (V8's default growth) shows the storm this guards against, so the
 * first case's bound says something.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { heapGrowthApplied, HEAP_GROWING_PERCENT } from '../../src/agent/heap-growth.js';
import { startAedes } from '../helpers/brokers.js';
import { makeFleet, startTestAgent, workspace } from './agent-harness.js';

const run = promisify(execFile);
const fixture = join(import.meta.dirname, '..', 'fixtures', 'scripts', 'heap-growth-churn.ts');

async function churn(widen: boolean): Promise<{ markCompacts: number; scavenges: number; chunks: number; bad: number }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture, '--mib', '32', ...(widen ? ['--widen'] : [])], { timeout: 90_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { markCompacts: number; scavenges: number; chunks: number; bad: number };
}

test('heap growth: after an idle spell, 32 MiB of chunks through the transport and the store cost at most 1 mark-compact (V8 default: one per ~8 MiB of buffers)', { timeout: 200_000 }, async () => {
  const widened = await churn(true);
  assert.equal(widened.chunks, 128, 'every chunk arrived');
  assert.equal(widened.bad, 0, 'every chunk arrived intact');
  assert.ok(widened.markCompacts <= 1, `with the agent's heap growth: ${widened.markCompacts} mark-compacts (${widened.scavenges} scavenges) for 32 MiB`);
  assert.ok(widened.scavenges >= 1, 'the chunks\' buffers were collected young (scavenges)');
  const control = await churn(false);
  assert.equal(control.chunks, 128);
  assert.ok(control.markCompacts >= 3, `control: V8's default growth storms (${control.markCompacts} mark-compacts for 32 MiB) — if this fails, V8 changed and heap-growth.ts may be moot`);
});

test('heap growth: every agent sets it when it starts (createAgent), whatever starts it — CLI, service or tray app', { timeout: 60_000 }, async () => {
  assert.equal(heapGrowthApplied(), undefined, 'nothing in this process set it before the agent');
  const broker = await startAedes();
  const ws = await workspace(makeFleet());
  try {
    const ta = await startTestAgent(ws, broker);
    await ta.close();
    assert.equal(heapGrowthApplied(), HEAP_GROWING_PERCENT);
  } finally {
    await ws.cleanup();
    await broker.close();
  }
});
