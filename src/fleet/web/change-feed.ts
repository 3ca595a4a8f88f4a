/**
 * What changed in the fleet database, as a stream of small events for the console's live updates
 * (issue 19 §2: server-sent events, no reloads). It polls SQLite — the one place every writer meets:
 * the controller's ingest, the CLI and the API may be different processes sharing the file — every
 * `pollMs` (default 200 ms), by rowid for windows and events (INSERT OR IGNORE appends) and by the
 * stored timestamps for agents, rollouts, releases and the audit log, so no clock of its own is
 * involved and no writer has to call it.
 *
 * Events (data is JSON):
 *   metrics  { count, agentIds, truncated }   new metrics windows since the last poll
 *   event    { count, agentIds, truncated }   new agent events
 *   agent    { count, agentIds, truncated }   agents whose retained status changed (online, models, labels)
 *   rollout  { id, state, phase, updatedAt }  one per changed rollout
 *   release  { channel, seq }                 a newer release on a channel
 *   audit    { seq }                          the newest audit entry
 */
import type Database from 'better-sqlite3';

export interface FeedEvent {
  type: 'metrics' | 'event' | 'agent' | 'rollout' | 'release' | 'audit';
  data: Record<string, unknown>;
}

export interface FeedTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(h: unknown): void;
}

const realTimers: FeedTimers = { setInterval: (fn, ms) => setInterval(fn, ms), clearInterval: (h) => clearInterval(h as NodeJS.Timeout) };

/** agent ids per batch event; a page that does not find its agent in a truncated list reloads anyway */
const MAX_IDS = 2000;

const tableExists = (db: Database.Database, name: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

export class ChangeFeed {
  readonly #db: Database.Database;
  readonly #timers: FeedTimers;
  readonly #pollMs: number;
  readonly #listeners = new Set<(e: FeedEvent) => void>();
  #handle: unknown;
  #windowRow = 0;
  #eventRow = 0;
  #agentSeen = 0;
  #rolloutSeen = 0;
  #releaseSeen = 0;
  #auditSeq = 0;
  readonly #statusTs = new Map<string, string>();
  readonly #rolloutKey = new Map<string, string>();
  readonly #releaseSeq = new Map<string, number>();

  constructor(db: Database.Database, opts: { pollMs?: number; timers?: FeedTimers } = {}) {
    this.#db = db;
    this.#timers = opts.timers ?? realTimers;
    this.#pollMs = opts.pollMs ?? 200;
    // start from "now": a new subscriber gets changes, not history
    const one = <T>(sql: string) => db.prepare(sql).get() as T;
    this.#windowRow = one<{ m: number | null }>('SELECT max(rowid) AS m FROM windows').m ?? 0;
    this.#eventRow = one<{ m: number | null }>('SELECT max(rowid) AS m FROM events').m ?? 0;
    this.#agentSeen = one<{ m: number | null }>('SELECT max(last_seen) AS m FROM agents').m ?? 0;
    this.#rolloutSeen = one<{ m: number | null }>('SELECT max(updated) AS m FROM rollouts').m ?? 0;
    this.#releaseSeen = one<{ m: number | null }>('SELECT max(updated) AS m FROM channels').m ?? 0;
    this.#auditSeq = tableExists(db, 'audit_log') ? (one<{ m: number | null }>('SELECT max(seq) AS m FROM audit_log').m ?? 0) : 0;
    for (const r of db.prepare('SELECT id, state, phase, updated FROM rollouts').all() as { id: string; state: string; phase: number; updated: number }[]) this.#rolloutKey.set(r.id, `${r.updated}|${r.state}|${r.phase}`);
    for (const r of db.prepare('SELECT channel, seq FROM channels').all() as { channel: string; seq: number }[]) this.#releaseSeq.set(r.channel, r.seq);
    for (const r of db.prepare("SELECT agent_id, json_extract(status_json, '$.ts') || '|' || online AS ts FROM agents").all() as { agent_id: string; ts: string }[]) this.#statusTs.set(r.agent_id, r.ts);
  }

  subscribe(fn: (e: FeedEvent) => void): () => void {
    this.#listeners.add(fn);
    if (this.#handle === undefined) this.#handle = this.#timers.setInterval(() => this.poll(), this.#pollMs);
    return () => {
      this.#listeners.delete(fn);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  #emit(e: FeedEvent): void {
    for (const fn of this.#listeners) fn(e);
  }

  /** One pass over the tables (public so tests can drive it without timers). */
  poll(): void {
    const db = this.#db;
    const ids = (rows: { agent_id: string }[]) => {
      const set = [...new Set(rows.map((r) => r.agent_id))];
      return { count: rows.length, agentIds: set.slice(0, MAX_IDS), truncated: set.length > MAX_IDS };
    };
    const windows = db.prepare('SELECT rowid AS r, agent_id FROM windows WHERE rowid > ? ORDER BY rowid').all(this.#windowRow) as { r: number; agent_id: string }[];
    if (windows.length) {
      this.#windowRow = windows[windows.length - 1]!.r;
      this.#emit({ type: 'metrics', data: ids(windows) });
    }
    const events = db.prepare('SELECT rowid AS r, agent_id FROM events WHERE rowid > ? ORDER BY rowid').all(this.#eventRow) as { r: number; agent_id: string }[];
    if (events.length) {
      this.#eventRow = events[events.length - 1]!.r;
      this.#emit({ type: 'event', data: ids(events) });
    }
    // last_seen moves on every status and window: keep only the agents whose status itself changed
    const touched = db.prepare("SELECT agent_id, last_seen, json_extract(status_json, '$.ts') || '|' || online AS ts FROM agents WHERE last_seen >= ?").all(this.#agentSeen) as { agent_id: string; last_seen: number; ts: string }[];
    const changed: { agent_id: string }[] = [];
    for (const a of touched) {
      this.#agentSeen = Math.max(this.#agentSeen, a.last_seen);
      if (this.#statusTs.get(a.agent_id) !== a.ts) {
        this.#statusTs.set(a.agent_id, a.ts);
        changed.push(a);
      }
    }
    if (changed.length) this.#emit({ type: 'agent', data: ids(changed) });
    // >= and a per-rollout memory: two updates within one millisecond, split across polls, both count
    const rollouts = db.prepare('SELECT id, state, phase, updated FROM rollouts WHERE updated >= ? ORDER BY updated').all(this.#rolloutSeen) as { id: string; state: string; phase: number; updated: number }[];
    for (const r of rollouts) {
      this.#rolloutSeen = Math.max(this.#rolloutSeen, r.updated);
      const key = `${r.updated}|${r.state}|${r.phase}`;
      if (this.#rolloutKey.get(r.id) === key) continue;
      this.#rolloutKey.set(r.id, key);
      this.#emit({ type: 'rollout', data: { id: r.id, state: r.state, phase: r.phase, updatedAt: r.updated } });
    }
    const releases = db.prepare('SELECT channel, seq, updated FROM channels WHERE updated >= ?').all(this.#releaseSeen) as { channel: string; seq: number; updated: number }[];
    for (const r of releases) {
      this.#releaseSeen = Math.max(this.#releaseSeen, r.updated);
      if (this.#releaseSeq.get(r.channel) === r.seq) continue;
      this.#releaseSeq.set(r.channel, r.seq);
      this.#emit({ type: 'release', data: { channel: r.channel, seq: r.seq } });
    }
    if (tableExists(db, 'audit_log')) {
      const a = (db.prepare('SELECT max(seq) AS m FROM audit_log').get() as { m: number | null }).m ?? 0;
      if (a > this.#auditSeq) {
        this.#auditSeq = a;
        this.#emit({ type: 'audit', data: { seq: a } });
      }
    }
  }

  #stop(): void {
    if (this.#handle !== undefined) this.#timers.clearInterval(this.#handle);
    this.#handle = undefined;
  }

  close(): void {
    this.#listeners.clear();
    this.#stop();
  }
}
