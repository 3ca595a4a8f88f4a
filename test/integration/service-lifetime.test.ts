/**
 * Issue 18 §4: after the WHOLE agent service closes, nothing it made is left — no timer (unref'd ones
 * included), socket, server, worker or child process — and the process exits by itself. The service runs
 * in a child process (service-lifetime-child.ts) with real parts: aedes, the real baseline models in the
 * InferenceHost's worker threads, the bot endpoint with the real client, telemetry in SQLite, the guard,
 * the vision pipeline (with the screen capturer under Xvfb). Leaks are found two ways: an async_hooks
 * tracker (which names the stack that made each leftover) and process.getActiveResourcesInfo() before/after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { lastJsonLine, runUntilExit } from '../helpers/child-exit.js';
import { settled, trackResources } from '../helpers/resource-tracker.js';
import { skipWithoutBaselines } from './service-helpers.js';

interface Report {
  leftAfterServiceClose: { type: string; madeAt: string }[];
  leftAfterAll: { type: string; madeAt: string }[];
  activeBefore: string[];
  activeAfter: string[];
}

test('the tracker sees what getActiveResourcesInfo does not: an unref\'d interval left running (control)', async () => {
  const tracker = trackResources();
  const leaked = setInterval(() => {}, 60_000).unref();
  const cleared = setTimeout(() => {}, 60_000);
  clearTimeout(cleared);
  const left = await settled(() => tracker.live(), 300);
  tracker.stop();
  clearInterval(leaked);
  assert.equal(left.length, 1, JSON.stringify(left));
  assert.equal(left[0]!.type, 'Timeout');
  assert.match(left[0]!.madeAt, /service-lifetime\.test\.ts/, 'the leftover names the line that made it');
});

test(
  'agent service: after close no handle, timer or worker is left, and the process exits by itself (endpoint, telemetry, vision, guard, host; real models, aedes)',
  { timeout: 420_000, skip: skipWithoutBaselines },
  async () => {
    const r = await runUntilExit(join(import.meta.dirname, 'service-lifetime-child.ts'), { marker: '"closed":true', graceMs: 10_000 });
    assert.equal(r.code, 0, `the child must exit by itself: ${r.code}\n${r.err.slice(-2000)}`);
    const running = r.out.split('\n').find((l) => l.includes('"running":true'));
    assert.ok(running, 'the service ran');
    const ran = JSON.parse(running) as { elements: number; workers: number; telemetrySeq: number };
    assert.ok(ran.elements > 0, 'detect through the endpoint found elements');
    assert.ok(ran.workers > 0, 'the host ran worker threads');
    const rep = lastJsonLine(r.out) as Report;
    // What the service made must be gone once the world it talked to (broker, admin client) is closed too;
    // right after the service's close, the world's own timers (keepalives) may still be alive: shown, not judged.
    assert.deepEqual(rep.leftAfterAll, [], `left behind:\n${JSON.stringify(rep.leftAfterAll, null, 1)}\nalive right after service.close():\n${JSON.stringify(rep.leftAfterServiceClose, null, 1)}`);
    assert.deepEqual(rep.activeAfter, rep.activeBefore, 'process.getActiveResourcesInfo() back to where it was');
  },
);
