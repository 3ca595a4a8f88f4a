/**
 * The footprint benchmark's --trace-gc parser (scripts/bench/lib/gc-trace.ts): lines as node 20's --trace-gc and
 * --trace-incremental-marking print them (copied from an agent's run), counted per phase.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gcSummary, parseGcLine } from '../../scripts/bench/lib/gc-trace.js';

const SCAVENGE = '[17215:0x3912e120]    12921 ms: Scavenge 26.8 (57.1) -> 21.3 (54.8) MB, 2.33 / 0.05 ms  (average mu = 0.997, current mu = 0.997) external memory pressure; ';
const MARK_START = '[17215:0x3912e120]    16120 ms: [IncrementalMarking] Start (task): (size/limit/slack) v8: 20MB / 43MB / 23MB global: 20MB / 43MB / 23MB';
const MARK_COMPACT =
  '[17215:0x3912e120]    16170 ms: Mark-Compact 22.4 (57.9) -> 20.1 (55.7) MB, 13.57 / 0.05 ms  (+ 25.8 ms in 13 steps since start of marking, biggest step 24.3 ms, walltime since start of marking 50 ms) (average mu = 0.993, current mu = 0.694) finalize incremental marking via task; GC in old space requested';

test('parseGcLine: scavenge, mark-compact (pause, reason) and the start of incremental marking (why); other lines are not GCs', () => {
  assert.deepEqual(parseGcLine(SCAVENGE, 1), { at: 1, kind: 'scavenge', pauseMs: 2.33, reason: 'external memory pressure' });
  assert.deepEqual(parseGcLine(MARK_COMPACT, 2), { at: 2, kind: 'mark-compact', pauseMs: 13.57, reason: 'finalize incremental marking via task' });
  assert.deepEqual(parseGcLine(MARK_START, 3), { at: 3, kind: 'marking-start', pauseMs: 0, reason: 'task' });
  assert.equal(parseGcLine('[17215:0x3912e120]    16120 ms: [IncrementalMarking] Start marking', 4), undefined);
  assert.equal(parseGcLine('{"type":"activated"}', 5), undefined);
});

test('gcSummary: counts and pause sums of the events inside [from, to) only', () => {
  const events = [parseGcLine(SCAVENGE, 10)!, parseGcLine(MARK_START, 11)!, parseGcLine(MARK_COMPACT, 12)!, parseGcLine(MARK_COMPACT, 20)!];
  assert.equal(
    gcSummary(events, 10, 20),
    'scavenges 1 (2.3 ms, max 2.3 ms), mark-compacts 1 (13.6 ms, max 13.6 ms); marking started by: task ×1; scavenges by: external memory pressure ×1',
  );
  assert.match(gcSummary(events, 0, 5), /^scavenges 0, mark-compacts 0;/);
});
