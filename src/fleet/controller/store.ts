/**
 * The controller's SQLite state (issue 6: "keeps fleet state, rollouts and feedback in SQLite;
 * tolerates duplicate and out-of-order windows"). Windows, events and feedback are keyed by
 * (agentId, seq|id) and inserted with INSERT OR IGNORE, so a redelivery changes nothing and order of
 * arrival does not matter. Rollouts are rows the CLI writes (start, approve, pause, resume, abort)
 * and the controller advances; a restarted controller resumes from them.
 */
import Database from 'better-sqlite3';
import type { AgentEvent, AgentStatus, Feedback, MetricsWindow, Release, Role } from '../../common/wire.js';
import type { Histogram } from '../../common/metrics.js';
import type { RoleWindowRow, RolloutSpec } from './judge.js';
import { BUCKET_COLUMNS, bucketVector, migrateLatencyBuckets } from './latency-buckets.js';
import { installAgentsRevision } from './agents-revision.js';
import { installEvidenceSlots } from './evidence-slots.js';
import { migrateWindowTables } from './store-schema.js';

export type RolloutState = 'pending' | 'running' | 'aborting' | 'awaiting_approval' | 'paused' | 'completed' | 'rolled_back' | 'aborted' | 'failed';
export const TERMINAL_STATES: readonly RolloutState[] = ['completed', 'rolled_back', 'aborted', 'failed'];

export interface RolloutRow {
  id: string;
  spec: RolloutSpec;
  state: RolloutState;
  /** index into phasesOf(spec); -1 before the first release */
  phase: number;
  phaseStartedAt: number;
  /** set by `rollout approve` while awaiting approval */
  approved: boolean;
  createdAt: number;
  updatedAt: number;
  lastReleaseSeq?: number;
  /** the verdict that ended it, the evidence, and when rollback reached every canary agent */
  result?: Record<string, unknown>;
}

export interface LogRow {
  id: number;
  rolloutId: string;
  ts: number;
  kind: string;
  data: Record<string, unknown>;
}

export interface AgentRow {
  agentId: string;
  online: boolean;
  status: AgentStatus;
  lastSeen: number;
  /** the channel and labels it last reported (kept when an offline status omits them) */
  channel?: string;
  labels?: Record<string, string>;
}

const AGENT_SELECT = 'SELECT agent_id, online, channel, labels_json, status_json, last_seen FROM agents';

export interface RawAgentRow {
  agent_id: string;
  online: number;
  channel: string | null;
  labels_json: string | null;
  status_json: string;
  last_seen: number;
}

export function agentRowOf(r: RawAgentRow): AgentRow {
  const row: AgentRow = { agentId: r.agent_id, online: r.online === 1, status: JSON.parse(r.status_json) as AgentStatus, lastSeen: r.last_seen };
  if (r.channel !== null) row.channel = r.channel;
  if (r.labels_json !== null) row.labels = JSON.parse(r.labels_json) as Record<string, string>;
  return row;
}

export class ControllerStore {
  readonly db: Database.Database;
  #s;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000'); // CLI and controller share the file
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS agents (agent_id TEXT PRIMARY KEY, online INTEGER NOT NULL, channel TEXT, status_json TEXT NOT NULL, last_seen INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS feedback (agent_id TEXT NOT NULL, id TEXT NOT NULL, ts TEXT NOT NULL, received INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (agent_id, id));
      CREATE TABLE IF NOT EXISTS channels (channel TEXT PRIMARY KEY, seq INTEGER NOT NULL, release_json TEXT NOT NULL, updated INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS rollouts (id TEXT PRIMARY KEY, channel TEXT NOT NULL, role TEXT NOT NULL, spec_json TEXT NOT NULL, state TEXT NOT NULL,
        phase INTEGER NOT NULL, phase_started INTEGER NOT NULL, approved INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, updated INTEGER NOT NULL,
        last_release_seq INTEGER, result_json TEXT);
      CREATE TABLE IF NOT EXISTS rollout_log (id INTEGER PRIMARY KEY AUTOINCREMENT, rollout_id TEXT NOT NULL, ts INTEGER NOT NULL, kind TEXT NOT NULL, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until INTEGER NOT NULL);`);
    migrateWindowTables(this.db);
    migrateLatencyBuckets(this.db);
    installEvidenceSlots(this.db);
    installAgentsRevision(this.db);
    const d = this.db;
    this.#s = {
      // An offline status (the agent's last will) may carry no channel or labels: keep the last known ones.
      upsertAgent: d.prepare(
        'INSERT INTO agents (agent_id, online, channel, labels_json, status_json, last_seen) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(agent_id) DO UPDATE SET online = excluded.online, channel = COALESCE(excluded.channel, agents.channel), labels_json = COALESCE(excluded.labels_json, agents.labels_json), status_json = excluded.status_json, last_seen = excluded.last_seen',
      ),
      touchAgent: d.prepare('UPDATE agents SET last_seen = ? WHERE agent_id = ?'),
      insWindow: d.prepare('INSERT OR IGNORE INTO windows (agent_id, epoch, seq, received, channel, json) VALUES (?, ?, ?, ?, ?, ?)'),
      insRole: d.prepare(
        `INSERT OR IGNORE INTO role_windows (agent_id, epoch, seq, role, channel, model_id, rollout_id, cohort, provider, count, errors, latency_json, shadow_model, shadow_json, received, ${BUCKET_COLUMNS.join(', ')})
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${BUCKET_COLUMNS.map(() => '?').join(', ')})`,
      ),
      insEvent: d.prepare('INSERT OR IGNORE INTO events (agent_id, epoch, seq, ts, type, role, model_id, received, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      insFeedback: d.prepare('INSERT OR IGNORE INTO feedback (agent_id, id, ts, received, json) VALUES (?, ?, ?, ?, ?)'),
      bump: d.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value'),
      roleRows: d.prepare<[string, string, number], RawRoleRow>(
        'SELECT agent_id, channel, rollout_id, count, errors, latency_json, shadow_json FROM role_windows WHERE role = ? AND model_id = ? AND received >= ?',
      ),
      shadowRows: d.prepare<[string, string, number], RawRoleRow>(
        'SELECT agent_id, channel, rollout_id, count, errors, latency_json, shadow_json FROM role_windows WHERE role = ? AND shadow_model = ? AND received >= ?',
      ),
    };
  }

  // ---- ingest (all idempotent) -------------------------------------------------------------

  putStatus(s: AgentStatus, now: number): void {
    this.#s.upsertAgent.run(s.agentId, s.online ? 1 : 0, s.channel ?? null, s.labels ? JSON.stringify(s.labels) : null, JSON.stringify(s), now);
  }

  /**
   * Returns false when (agentId, epoch, seq) was already stored: a duplicate (issue 16 §2: a restarted
   * sequence comes with a new epoch, so it is never mistaken for one). A window without an epoch (an
   * older agent) has the epoch "".
   */
  putWindow(w: MetricsWindow, now: number): boolean {
    const epoch = w.epoch ?? '';
    const fresh = this.#s.insWindow.run(w.agentId, epoch, w.seq, now, w.channel ?? null, JSON.stringify(w)).changes > 0;
    if (!fresh) {
      this.#s.bump.run('windows_duplicate', 1);
      return false;
    }
    this.#s.bump.run('windows', 1);
    for (const [role, m] of Object.entries(w.roles)) {
      if (!m) continue;
      this.#s.insRole.run(
        w.agentId, epoch, w.seq, role, w.channel ?? null, m.modelId ?? null, m.rolloutId ?? null, m.cohort ?? null, m.provider ?? null, m.count, m.errors,
        JSON.stringify({ boundsMs: m.latency.boundsMs, counts: m.latency.counts, p95: m.latency.p95 }),
        m.shadow?.modelId ?? null, m.shadow ? JSON.stringify(m.shadow) : null, now, ...bucketVector(m.latency),
      );
    }
    this.#s.touchAgent.run(now, w.agentId);
    return true;
  }

  /** Returns false for a duplicate (agentId, epoch, seq), counted as events_duplicate. */
  putEvent(e: AgentEvent, now: number): boolean {
    const fresh = this.#s.insEvent.run(e.agentId, e.epoch ?? '', e.seq, e.ts, e.type, e.role ?? null, e.modelId ?? null, now, JSON.stringify(e)).changes > 0;
    if (!fresh) this.#s.bump.run('events_duplicate', 1);
    return fresh;
  }

  putFeedback(f: Feedback, now: number): boolean {
    return this.#s.insFeedback.run(f.agentId, f.id, f.ts, now, JSON.stringify(f)).changes > 0;
  }

  /** Runs a batch of ingest calls in one transaction (hundreds of windows a second). */
  batch(fn: () => void): void {
    this.db.transaction(fn)();
  }

  /** Adds to a named counter (e.g. windows dropped by reason). */
  bump(name: string, by = 1): void {
    this.#s.bump.run(name, by);
  }

  counter(name: string): number {
    return (this.db.prepare('SELECT value FROM counters WHERE name = ?').get(name) as { value: number } | undefined)?.value ?? 0;
  }

  // ---- fleet views ---------------------------------------------------------------------------

  agents(): AgentRow[] {
    return (this.db.prepare(`${AGENT_SELECT} ORDER BY agent_id`).all() as RawAgentRow[]).map(agentRowOf);
  }

  /** One page of agents in id order after `after` (issue 19 §4: a listing that does not parse 10,000 statuses). */
  agentsPage(after: string, limit: number, online?: boolean): AgentRow[] {
    const on = online === undefined ? -1 : online ? 1 : 0;
    return (this.db.prepare(`${AGENT_SELECT} WHERE agent_id > ? AND (? < 0 OR online = ?) ORDER BY agent_id LIMIT ?`).all(after, on, on, limit) as RawAgentRow[]).map(agentRowOf);
  }

  agent(agentId: string): AgentRow | undefined {
    const r = this.db.prepare(`${AGENT_SELECT} WHERE agent_id = ?`).get(agentId) as RawAgentRow | undefined;
    return r ? agentRowOf(r) : undefined;
  }

  recentWindows(agentId: string, limit = 10): MetricsWindow[] {
    return (this.db.prepare('SELECT json FROM windows WHERE agent_id = ? ORDER BY received DESC, seq DESC LIMIT ?').all(agentId, limit) as { json: string }[]).map((r) => JSON.parse(r.json) as MetricsWindow);
  }

  recentEvents(agentId: string, limit = 20): AgentEvent[] {
    return (this.db.prepare('SELECT json FROM events WHERE agent_id = ? ORDER BY received DESC, seq DESC LIMIT ?').all(agentId, limit) as { json: string }[]).map((r) => JSON.parse(r.json) as AgentEvent);
  }

  /** seqs of an agent's stored windows, all epochs, ascending */
  windowSeqs(agentId: string): number[] {
    return (this.db.prepare('SELECT seq FROM windows WHERE agent_id = ? ORDER BY seq').all(agentId) as { seq: number }[]).map((r) => r.seq);
  }

  /** (epoch, seq) of an agent's stored events, in arrival order */
  eventKeys(agentId: string): { epoch: string; seq: number }[] {
    return this.db.prepare('SELECT epoch, seq FROM events WHERE agent_id = ? ORDER BY received, rowid').all(agentId) as { epoch: string; seq: number }[];
  }

  /** (epoch, seq) of an agent's stored windows, in arrival order */
  windowKeys(agentId: string): { epoch: string; seq: number }[] {
    return this.db.prepare('SELECT epoch, seq FROM windows WHERE agent_id = ? ORDER BY received, rowid').all(agentId) as { epoch: string; seq: number }[];
  }

  roleRows(role: Role, modelId: string, since: number): RoleWindowRow[] {
    return this.#s.roleRows.all(role, modelId, since).map(toRoleRow);
  }

  shadowRows(role: Role, modelId: string, since: number): RoleWindowRow[] {
    return this.#s.shadowRows.all(role, modelId, since).map(toRoleRow);
  }

  feedbackAll(since?: string): Feedback[] {
    const rows = (since
      ? this.db.prepare('SELECT json FROM feedback WHERE ts >= ? ORDER BY ts, agent_id, id').all(since)
      : this.db.prepare('SELECT json FROM feedback ORDER BY ts, agent_id, id').all()) as { json: string }[];
    return rows.map((r) => JSON.parse(r.json) as Feedback);
  }

  // ---- channels --------------------------------------------------------------------------------

  /** Records a release seen on (or written to) a channel; keeps the highest seq. */
  putRelease(r: Release, now: number): void {
    this.db
      .prepare('INSERT INTO channels (channel, seq, release_json, updated) VALUES (?, ?, ?, ?) ON CONFLICT(channel) DO UPDATE SET seq = excluded.seq, release_json = excluded.release_json, updated = excluded.updated WHERE excluded.seq > channels.seq')
      .run(r.channel, r.seq, JSON.stringify(r), now);
  }

  release(channel: string): Release | undefined {
    const row = this.db.prepare('SELECT release_json FROM channels WHERE channel = ?').get(channel) as { release_json: string } | undefined;
    return row ? (JSON.parse(row.release_json) as Release) : undefined;
  }

  // ---- rollouts ----------------------------------------------------------------------------------

  insertRollout(id: string, spec: RolloutSpec, now: number): void {
    this.db
      .prepare('INSERT INTO rollouts (id, channel, role, spec_json, state, phase, phase_started, approved, created, updated) VALUES (?, ?, ?, ?, ?, -1, ?, 0, ?, ?)')
      .run(id, spec.channel, spec.role, JSON.stringify(spec), 'pending', now, now, now);
    this.log(id, 'created', { spec }, now);
  }

  rollout(id: string): RolloutRow | undefined {
    const r = this.db.prepare('SELECT * FROM rollouts WHERE id = ?').get(id) as RawRollout | undefined;
    return r ? toRollout(r) : undefined;
  }

  rollouts(opts: { active?: boolean } = {}): RolloutRow[] {
    const rows = this.db.prepare('SELECT * FROM rollouts ORDER BY created').all() as RawRollout[];
    const all = rows.map(toRollout);
    return opts.active ? all.filter((r) => !TERMINAL_STATES.includes(r.state)) : all;
  }

  /** Guarded state change: applies only when the row is still in one of `from` (CLI and controller race safely). */
  transition(id: string, from: readonly RolloutState[], patch: Partial<Pick<RolloutRow, 'state' | 'phase' | 'phaseStartedAt' | 'approved' | 'lastReleaseSeq' | 'result'>>, now: number): boolean {
    const sets: string[] = ['updated = ?'];
    const args: unknown[] = [now];
    if (patch.state !== undefined) (sets.push('state = ?'), args.push(patch.state));
    if (patch.phase !== undefined) (sets.push('phase = ?'), args.push(patch.phase));
    if (patch.phaseStartedAt !== undefined) (sets.push('phase_started = ?'), args.push(patch.phaseStartedAt));
    if (patch.approved !== undefined) (sets.push('approved = ?'), args.push(patch.approved ? 1 : 0));
    if (patch.lastReleaseSeq !== undefined) (sets.push('last_release_seq = ?'), args.push(patch.lastReleaseSeq));
    if (patch.result !== undefined) (sets.push('result_json = ?'), args.push(JSON.stringify(patch.result)));
    const q = `UPDATE rollouts SET ${sets.join(', ')} WHERE id = ? AND state IN (${from.map(() => '?').join(', ')})`;
    return this.db.prepare(q).run(...args, id, ...from).changes > 0;
  }

  log(rolloutId: string, kind: string, data: Record<string, unknown>, now: number): void {
    this.db.prepare('INSERT INTO rollout_log (rollout_id, ts, kind, json) VALUES (?, ?, ?, ?)').run(rolloutId, now, kind, JSON.stringify(data));
  }

  logOf(rolloutId: string, afterId = 0): LogRow[] {
    return (this.db.prepare('SELECT id, rollout_id, ts, kind, json FROM rollout_log WHERE rollout_id = ? AND id > ? ORDER BY id').all(rolloutId, afterId) as { id: number; rollout_id: string; ts: number; kind: string; json: string }[]).map(
      (r) => ({ id: r.id, rolloutId: r.rollout_id, ts: r.ts, kind: r.kind, data: JSON.parse(r.json) as Record<string, unknown> }),
    );
  }

  // ---- leadership among several controllers sharing this file --------------------------------

  /** Takes or renews the named lease; true when `owner` holds it until now + ttlMs. */
  acquireLease(name: string, owner: string, now: number, ttlMs: number): boolean {
    return (
      this.db
        .prepare('INSERT INTO leases (name, owner, until) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, until = excluded.until WHERE leases.owner = excluded.owner OR leases.until < ?')
        .run(name, owner, now + ttlMs, now).changes > 0
    );
  }

  close(): void {
    this.db.close();
  }
}

interface RawRollout {
  id: string;
  spec_json: string;
  state: RolloutState;
  phase: number;
  phase_started: number;
  approved: number;
  created: number;
  updated: number;
  last_release_seq: number | null;
  result_json: string | null;
}

function toRollout(r: RawRollout): RolloutRow {
  const row: RolloutRow = {
    id: r.id,
    spec: JSON.parse(r.spec_json) as RolloutSpec,
    state: r.state,
    phase: r.phase,
    phaseStartedAt: r.phase_started,
    approved: r.approved === 1,
    createdAt: r.created,
    updatedAt: r.updated,
  };
  if (r.last_release_seq !== null) row.lastReleaseSeq = r.last_release_seq;
  if (r.result_json) row.result = JSON.parse(r.result_json) as Record<string, unknown>;
  return row;
}

interface RawRoleRow {
  agent_id: string;
  channel?: string | null;
  rollout_id?: string | null;
  count: number;
  errors: number;
  latency_json: string;
  shadow_json: string | null;
}

function toRoleRow(r: RawRoleRow): RoleWindowRow {
  const l = JSON.parse(r.latency_json) as Histogram;
  const row: RoleWindowRow = { agentId: r.agent_id, count: r.count, errors: r.errors, latency: { boundsMs: l.boundsMs, counts: l.counts } };
  if (r.channel) row.channel = r.channel;
  if (r.rollout_id) row.rolloutId = r.rollout_id;
  if (r.shadow_json) row.shadow = JSON.parse(r.shadow_json) as NonNullable<RoleWindowRow['shadow']>;
  return row;
}
