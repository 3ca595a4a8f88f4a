/**
 * The stored agents with their statuses parsed once per change (issue 19 §4: `GET /api/v1/fleet`
 * read and parsed all 10,000 retained statuses, ~6 MB of JSON, on every call). This connection keeps
 * a TEMP table of the texts it parsed; each read asks SQLite for the agents whose online flag, channel,
 * labels or status differ from it (compared in SQLite, nothing crosses for the others), parses only
 * those, and takes every agent's id and last_seen. A status written by any process is seen on the
 * next read. The parsed objects are shared between reads: callers only read them (the status view
 * and the yanked marks). An agent deleted from the table is left out of the answer; its parse is kept
 * (with the TEMP row it matches) in case it comes back.
 */
import { randomBytes } from 'node:crypto';
import { agentsRevisionQuery } from '../controller/agents-revision.js';
import { agentRowOf, type AgentRow, type ControllerStore, type RawAgentRow } from '../controller/store.js';

export class ParsedAgents {
  readonly #store: ControllerStore;
  readonly #q;
  readonly #rows = new Map<string, AgentRow>();
  #ids: string[] = [];
  /** changes whenever a read finds an agent added, removed or changed */
  #generation = 0;
  readonly #derived = new Map<string, { generation: number; value: unknown }>();
  readonly #revision: () => number;
  #kept: { rev: number; rows: AgentRow[] } | undefined;

  constructor(store: ControllerStore) {
    this.#store = store;
    this.#revision = agentsRevisionQuery(store.db);
    const known = `parsed_agents_${randomBytes(6).toString('hex')}`; // one per instance on a shared connection
    store.db.exec(`CREATE TEMP TABLE ${known} (agent_id TEXT PRIMARY KEY, online INTEGER, channel TEXT, labels_json TEXT, status_json TEXT) WITHOUT ROWID`);
    this.#q = {
      changed: store.db.prepare<[], RawAgentRow>(
        `SELECT a.agent_id, a.online, a.channel, a.labels_json, a.status_json, a.last_seen FROM agents a LEFT JOIN temp.${known} k ON k.agent_id = a.agent_id
          WHERE k.agent_id IS NULL OR k.online IS NOT a.online OR k.channel IS NOT a.channel OR k.labels_json IS NOT a.labels_json OR k.status_json IS NOT a.status_json`,
      ),
      ids: store.db.prepare('SELECT agent_id, last_seen FROM agents ORDER BY agent_id').raw(true),
      remember: store.db.prepare(
        `INSERT INTO temp.${known} (agent_id, online, channel, labels_json, status_json) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (agent_id) DO UPDATE SET online = excluded.online, channel = excluded.channel, labels_json = excluded.labels_json, status_json = excluded.status_json`,
      ),
    };
  }

  /** As store.agents(): every agent in id order. */
  agents(): AgentRow[] {
    return this.#store.db.transaction(() => {
      let changed = false;
      for (const r of this.#q.changed.all()) {
        this.#rows.set(r.agent_id, agentRowOf(r));
        this.#q.remember.run(r.agent_id, r.online, r.channel, r.labels_json, r.status_json);
        changed = true;
      }
      const rows = this.#q.ids.all() as [string, number][];
      if (changed || rows.length !== this.#ids.length || rows.some(([id], i) => id !== this.#ids[i])) {
        this.#generation++;
        this.#ids = rows.map(([id]) => id);
      }
      return rows.map(([id, lastSeen]) => ({ ...this.#rows.get(id)!, lastSeen }));
    })();
  }

  /**
   * The agents as `agents()` gives them, but read again only when the statuses' revision moved
   * (controller/agents-revision.ts: one row instead of 10,000); `lastSeen` is as of that read.
   * For views of the statuses (the status view, the yanked marks), not for last-seen times.
   */
  statuses(): AgentRow[] {
    return this.#store.db.transaction(() => {
      const rev = this.#revision();
      if (this.#kept && this.#kept.rev === rev) return this.#kept.rows;
      const rows = this.agents();
      this.#kept = { rev, rows };
      return rows;
    })();
  }

  /**
   * `compute()`'s value, kept while the agents (as of the last `agents()` read) stay the same: a view
   * of the statuses alone (not last_seen) need not be recomputed on every call.
   */
  derived<T>(name: string, compute: () => T): T {
    const had = this.#derived.get(name);
    if (had && had.generation === this.#generation) return had.value as T;
    const value = compute();
    this.#derived.set(name, { generation: this.#generation, value });
    return value;
  }
}
