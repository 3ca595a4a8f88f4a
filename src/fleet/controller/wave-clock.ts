/**
 * The wave clock (issue 16 §5: "pause stops the wave clock"): time a rollout spends paused does not
 * count toward `waveMinDuration`. Pauses and resumes are already rows of the rollout log (the CLI
 * writes them with its clock), so the paused time of the current phase is derived from them; nothing
 * else has to be kept in step.
 */
import type Database from 'better-sqlite3';

export interface PauseMark {
  ts: number;
  kind: 'pause' | 'resume';
}

/** Pure: milliseconds of [phaseStartedAt, now] spent paused, from the log's pause/resume marks in order. */
export function pausedMs(marks: readonly PauseMark[], phaseStartedAt: number, now: number): number {
  let total = 0;
  let pausedAt: number | undefined;
  for (const m of marks) {
    if (m.kind === 'pause' && pausedAt === undefined) pausedAt = Math.max(m.ts, phaseStartedAt);
    else if (m.kind === 'resume' && pausedAt !== undefined) {
      total += Math.max(0, Math.min(m.ts, now) - pausedAt);
      pausedAt = undefined;
    }
  }
  if (pausedAt !== undefined) total += Math.max(0, now - pausedAt);
  return total;
}

export function pauseMarks(db: Database.Database, rolloutId: string, since: number): PauseMark[] {
  return db.prepare("SELECT ts, kind FROM rollout_log WHERE rollout_id = ? AND kind IN ('pause', 'resume') AND ts >= ? ORDER BY id").all(rolloutId, since) as PauseMark[];
}

/** Time the current phase has run with its clock going: wall time since it started minus paused time. */
export function waveElapsedMs(db: Database.Database, rolloutId: string, phaseStartedAt: number, now: number): number {
  return Math.max(0, now - phaseStartedAt - pausedMs(pauseMarks(db, rolloutId, phaseStartedAt), phaseStartedAt, now));
}

/**
 * When an ended rollout ended: the controller's own record of completion or rollback; the row's
 * `updatedAt` moves later (e.g. when every agent is confirmed back on stable), so it is only the fallback.
 */
export function rolloutEndedAt(r: { updatedAt: number; result?: Record<string, unknown> }): number {
  const at = r.result?.['completedAt'] ?? r.result?.['rolledBackAt'];
  return typeof at === 'number' ? at : r.updatedAt;
}
