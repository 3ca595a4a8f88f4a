/**
 * Controller heartbeats in the fleet database (issue 16 §5: "a pending rollout with no controller
 * attached says so"). Each controller instance writes its row on every tick; the CLI, which only
 * writes rows for the controller to act on, reads the newest beat to tell an admin whether anything
 * will act on them. Its own table, so the CLI can ask without knowing the controller's other tables.
 */
import type Database from 'better-sqlite3';

export interface Heartbeat {
  instanceId: string;
  host: string;
  pid: number;
  startedAt: number;
  beatAt: number;
  tickMs: number;
}

export type Attachment =
  | { kind: 'attached'; heartbeat: Heartbeat }
  | { kind: 'detached'; heartbeat: Heartbeat }
  | { kind: 'never' };

/** A controller counts as attached while its last beat is younger than this many ticks (and at least 10 s). */
const STALE_TICKS = 5;
const STALE_MIN_MS = 10_000;

export class ControllerHeartbeats {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec('CREATE TABLE IF NOT EXISTS controller_heartbeats (instance_id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, started INTEGER NOT NULL, beat INTEGER NOT NULL, tick_ms INTEGER NOT NULL)');
  }

  beat(h: Heartbeat): void {
    this.#db
      .prepare('INSERT INTO controller_heartbeats (instance_id, host, pid, started, beat, tick_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(instance_id) DO UPDATE SET beat = excluded.beat, tick_ms = excluded.tick_ms')
      .run(h.instanceId, h.host, h.pid, h.startedAt, h.beatAt, h.tickMs);
  }

  /** The most recent beat of any instance. */
  latest(): Heartbeat | undefined {
    const r = this.#db.prepare('SELECT instance_id, host, pid, started, beat, tick_ms FROM controller_heartbeats ORDER BY beat DESC LIMIT 1').get() as
      | { instance_id: string; host: string; pid: number; started: number; beat: number; tick_ms: number }
      | undefined;
    return r ? { instanceId: r.instance_id, host: r.host, pid: r.pid, startedAt: r.started, beatAt: r.beat, tickMs: r.tick_ms } : undefined;
  }

  attachment(now: number): Attachment {
    return attachmentOf(this.latest(), now);
  }
}

/** Pure: is a controller attached, given its newest heartbeat? */
export function attachmentOf(h: Heartbeat | undefined, now: number): Attachment {
  if (!h) return { kind: 'never' };
  return now - h.beatAt <= Math.max(STALE_MIN_MS, STALE_TICKS * h.tickMs) ? { kind: 'attached', heartbeat: h } : { kind: 'detached', heartbeat: h };
}

/** One line for an admin; undefined when a controller is attached. */
export function describeDetached(a: Attachment, db?: string): string | undefined {
  const start = `start \`rpa-fleet controller${db ? ` --db ${db}` : ''} …\``;
  if (a.kind === 'never') return `no controller has ever run on this database: nothing acts on rollouts until you ${start}`;
  if (a.kind === 'detached') {
    const h = a.heartbeat;
    return `no controller attached since ${isoMinute(h.beatAt)} (last: ${h.instanceId} on ${h.host}, pid ${h.pid}): nothing advances until you ${start}`;
  }
  return undefined;
}

/** "2026-12-06 11:49:41Z" */
export function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ') + 'Z';
}
