/**
 * Issue 17 §1 "Disk full": the agent's data dir on a 20 MiB tmpfs, a release naming a 30 MiB model. Wanted:
 * no crash (it was an uncaught SQLITE_FULL from the registry write in the role job's error path), a
 * `disk_full` event and status alert, the fetch paused and resumed by itself once space returns (the tmpfs
 * is grown), and an agent started on a full disk that works and says `disk_full`.
 * Real aedes, real SQLite, real onnxruntime, a real tmpfs (mount needs root: skipped with the reason otherwise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAedes } from '../helpers/brokers.js';
import { adminClient, buildModel, detectorOutput, fixture, makeFleet, publishBuilt, publishRelease, releaseOf, startTestAgent, TINY_A_Y, workspace } from './agent-harness.js';
import type { TestAgent } from './agent-harness.js';

/** tiny-a.onnx with a 30 MiB doc_string (ModelProto field 6) appended: the same graph, a 30 MiB file */
function bigTinyA(): Uint8Array {
  const pad = Buffer.alloc(30 << 20, 0x61);
  const len: number[] = [];
  for (let n = pad.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  return new Uint8Array(Buffer.concat([Buffer.from(fixture('tiny-a.onnx')), Buffer.from([0x32, ...len]), pad]));
}

function tryMount(dir: string, size: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `mount -t tmpfs is not permitted here (${(e as Error).message.split('\n')[0]})`;
  }
}

const mountPoint = mkdtempSync(join(tmpdir(), 'rpa-diskfull-'));
const cannotMount = tryMount(mountPoint, '20m');

test('disk full: no crash, disk_full event and status, the fetch resumes by itself when space returns; a start on a full disk works and says disk_full', { skip: cannotMount ?? false, timeout: 180_000 }, async () => {
  const broker = await startAedes();
  const fleet = makeFleet();
  const ws = await workspace(fleet, 'agent-diskfull');
  const admin = await adminClient(broker);
  const dataDir = join(mountPoint, 'data');
  mkdirSync(dataDir);
  const overrides = { dataDir, disk: { pollMs: 200 } };
  let ta: TestAgent | undefined;
  try {
    const small = await buildModel(fixture('tiny-a.onnx'), { name: 'tiny-a' });
    const big = await buildModel(bigTinyA(), { name: 'tiny-a-big', version: '2.0.0', chunkSize: 1 << 20 });
    await publishBuilt(admin, small, fleet.modelKeys);
    await publishBuilt(admin, big, fleet.modelKeys);
    await publishRelease(admin, releaseOf({ seq: 1, roles: { detector: { stable: small.modelId } } }), fleet.releaseKeys);
    ta = await startTestAgent(ws, broker, overrides);
    await ta.agent.waitFor((s) => s.roles.detector?.state === 'committed', { timeoutMs: 20_000 });

    // 1. the 30 MiB model does not fit in 20 MiB
    await publishRelease(admin, releaseOf({ seq: 2, roles: { detector: { stable: big.modelId } } }), fleet.releaseKeys);
    const full = await ta.agent.waitForEvent((e) => e.type === 'disk_full', { timeoutMs: 60_000 });
    assert.equal(full.reason, 'disk_full');
    const s = ta.agent.snapshot();
    assert.ok(s.alerts?.some((a) => a.code === 'disk_full'), 'status says disk_full');
    assert.equal(s.roles.detector?.modelId, small.modelId, 'the active model is still the small one');
    assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y, 'and it serves');

    // 2. space returns: the fetch resumes by itself and the big model is activated
    execFileSync('mount', ['-o', 'remount,size=120m', mountPoint]);
    await ta.agent.waitFor((x) => x.roles.detector?.modelId === big.modelId && x.roles.detector.state === 'committed', { timeoutMs: 90_000 });
    assert.ok(!ta.agent.snapshot().alerts?.some((a) => a.code === 'disk_full'), 'the alert is gone');
    assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y);
    await ta.close();
    ta = undefined;

    // 3. a start on a full disk works and says so
    execFileSync('mount', ['-o', `remount,size=120m`, mountPoint]);
    try {
      writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(120 << 20));
    } catch {
      // ENOSPC: the disk is full now, as wanted
    }
    ta = await startTestAgent(ws, broker, overrides);
    await ta.agent.waitFor((x) => x.roles.detector?.modelId === big.modelId && x.roles.detector.state === 'committed', { timeoutMs: 30_000 });
    assert.ok(ta.agent.snapshot().alerts?.some((a) => a.code === 'disk_full'), 'a start on a full disk says disk_full');
    assert.deepEqual(await detectorOutput(ta.activator), TINY_A_Y, 'and serves from the store');
    rmSync(join(mountPoint, 'filler'));
    await ta.agent.waitFor((x) => !x.alerts?.some((a) => a.code === 'disk_full'), { timeoutMs: 10_000 });
  } finally {
    await ta?.close();
    await admin.endAsync();
    await broker.close();
    await ws.cleanup();
  }
});

test.after(() => {
  if (!cannotMount) execFileSync('umount', ['-l', mountPoint]); // lazy: a failed test may still hold a file open
  rmSync(mountPoint, { recursive: true, force: true });
});
