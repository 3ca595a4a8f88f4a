/**
 * The stored agents with their statuses parsed once per distinct status (issue 19 §4: `GET
 * /api/v1/fleet` parsed all 10,000 retained statuses on every call, ~0.1 s). Each read still takes
 * every row from SQLite — so a status written by any process is seen on the next read — but a status
 * or labels text equal to the one parsed last time for that agent reuses that parse. The parsed
 * objects are shared between reads: callers only read them (the status view and the yanked marks).
 */
import { AGENT_SELECT, agentRowOf, type AgentRow, type ControllerStore, type RawAgentRow } from '../controller/store.js';

export class ParsedAgents {
  readonly #all;
  /** agent → the texts parsed last time and what they gave */
  #parsed = new Map<string, Map<string, unknown>>();

  constructor(store: ControllerStore) {
    this.#all = store.db.prepare<[], RawAgentRow>(`${AGENT_SELECT} ORDER BY agent_id`);
  }

  /** As store.agents(): every agent in id order. */
  agents(): AgentRow[] {
    const next = new Map<string, Map<string, unknown>>();
    const rows = this.#all.all().map((r) => {
      const had = this.#parsed.get(r.agent_id);
      const kept = new Map<string, unknown>();
      next.set(r.agent_id, kept);
      return agentRowOf(r, (json) => {
        const v = had?.has(json) ? had.get(json) : JSON.parse(json);
        kept.set(json, v);
        return v;
      });
    });
    this.#parsed = next; // agents gone from the table are forgotten
    return rows;
  }
}
