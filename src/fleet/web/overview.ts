/**
 * The console's fleet overview (issue 19 §2): agents online and offline, per channel its newest
 * release and the models per role, the versions running per channel and role, providers, agent
 * versions and labels — aggregated inside SQLite (json_extract / json_each over the stored statuses)
 * so 10,000 agents cost one pass in C rather than 10,000 JSON.parse calls in the event loop
 * (issue 19 §4: fleet overview p95 ≤ 50 ms). Also the agent search behind the overview's search box.
 */
import type Database from 'better-sqlite3';
import { ROLES, type Release } from '../../common/wire.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { FleetOverview } from '../../common/console-views.js';

export type { FleetOverview } from '../../common/console-views.js';

export interface AgentSummary {
  agentId: string;
  online: boolean;
  channel?: string;
  agentVersion?: string;
  lastSeen: number;
  labels?: Record<string, string>;
}

const NO_CHANNEL = '(none)';

export class FleetOverviewQueries {
  readonly #db: Database.Database;
  readonly #registry: ModelRegistry | undefined;
  #q;

  constructor(db: Database.Database, registry?: ModelRegistry) {
    this.#db = db;
    this.#registry = registry;
    const roleCols = ROLES.map((r) => `'${r}'`).join(', ');
    this.#q = {
      channels: db.prepare<[], { channel: string | null; agents: number; online: number }>('SELECT channel, count(*) AS agents, sum(online) AS online FROM agents GROUP BY channel ORDER BY channel'),
      releases: db.prepare<[], { channel: string; release_json: string }>('SELECT channel, release_json FROM channels ORDER BY channel'),
      // one row per (online agent, role it reports): the role's status object pulled out once
      versions: db.prepare<[], { channel: string | null; role: string; model_id: string | null; name: string | null; version: string | null; cohort: string | null; provider: string | null; agents: number }>(
        `SELECT a.channel AS channel, r.key AS role, json_extract(r.value, '$.modelId') AS model_id, json_extract(r.value, '$.name') AS name,
                json_extract(r.value, '$.version') AS version, json_extract(r.value, '$.cohort') AS cohort, json_extract(r.value, '$.provider') AS provider, count(*) AS agents
           FROM agents a, json_each(a.status_json, '$.roles') r
          WHERE a.online = 1 AND r.key IN (${roleCols})
          GROUP BY 1, 2, 3, 4, 5, 6, 7`,
      ),
      agentVersions: db.prepare<[], { version: string | null; agents: number }>("SELECT json_extract(status_json, '$.agentVersion') AS version, count(*) AS agents FROM agents GROUP BY 1 ORDER BY 2 DESC"),
      labels: db.prepare<[], { key: string; value: string; agents: number }>('SELECT l.key AS key, l.value AS value, count(*) AS agents FROM agents a, json_each(a.labels_json) l WHERE a.labels_json IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2'),
      search: db.prepare<[string, string, number, number, number], { agent_id: string; online: number; channel: string | null; labels_json: string | null; version: string | null; last_seen: number }>(
        `SELECT agent_id, online, channel, labels_json, json_extract(status_json, '$.agentVersion') AS version, last_seen FROM agents
          WHERE (agent_id LIKE ? ESCAPE '\\' OR labels_json LIKE ? ESCAPE '\\') AND (? < 0 OR online = ?)
          ORDER BY agent_id LIMIT ?`,
      ),
    };
  }

  overview(now: number): FleetOverview {
    return this.#db.transaction(() => this.#overview(now))();
  }

  #overview(now: number): FleetOverview {
    const channelRows = this.#q.channels.all();
    const releases = new Map(this.#q.releases.all().map((r) => [r.channel, JSON.parse(r.release_json) as Release]));
    const versions = new Map<string, FleetOverview['versions'][number]>();
    const providers = new Map<string, FleetOverview['providers'][number]>();
    for (const v of this.#q.versions.all()) {
      if (!v.model_id) continue;
      const channel = v.channel ?? NO_CHANNEL;
      // the GROUP BY splits by provider too; versions are shown per model, providers separately
      const vk = `${channel}|${v.role}|${v.model_id}|${v.cohort ?? 'stable'}|${v.version ?? ''}`;
      const cur = versions.get(vk);
      if (cur) cur.agents += v.agents;
      else versions.set(vk, { channel, role: v.role, modelId: v.model_id, ...(v.name ? { name: v.name } : {}), ...(v.version ? { version: v.version } : {}), cohort: v.cohort ?? 'stable', agents: v.agents });
      const pk = `${v.role}|${v.provider ?? '-'}`;
      const p = providers.get(pk) ?? { role: v.role, provider: v.provider ?? '(not reported)', agents: 0 };
      p.agents += v.agents;
      providers.set(pk, p);
    }
    let total = 0;
    let online = 0;
    const channels = channelRows.map((c) => {
      total += c.agents;
      online += c.online ?? 0;
      const rel = c.channel ? releases.get(c.channel) : undefined;
      return {
        channel: c.channel ?? NO_CHANNEL,
        agents: c.agents,
        online: c.online ?? 0,
        ...(rel ? { releaseSeq: rel.seq } : {}),
        roles: rel
          ? Object.entries(rel.roles).flatMap(([role, rr]) =>
              rr
                ? [{ role, stable: rr.stable, ...(this.#registry ? { stableName: this.#registry.label(rr.stable) } : {}), ...(rr.candidate ? { candidate: rr.candidate.modelId, candidatePercent: rr.candidate.percent } : {}) }]
                : [],
            )
          : [],
      };
    });
    // channels with a release but no agent yet
    for (const [ch, rel] of releases) if (!channels.some((c) => c.channel === ch)) channels.push({ channel: ch, agents: 0, online: 0, releaseSeq: rel.seq, roles: [] });
    return {
      generatedAt: now,
      agents: { total, online, offline: total - online },
      channels,
      versions: [...versions.values()].sort((a, b) => a.channel.localeCompare(b.channel) || a.role.localeCompare(b.role) || b.agents - a.agents),
      providers: [...providers.values()].sort((a, b) => a.role.localeCompare(b.role) || b.agents - a.agents),
      agentVersions: this.#q.agentVersions.all().map((v) => ({ version: v.version ?? '(unknown)', agents: v.agents })),
      labels: this.#q.labels.all(),
    };
  }

  /** Agents whose id or a `key=value` label contains `q` (case-insensitive, LIKE), at most `limit`. */
  search(q: string, opts: { online?: boolean; limit?: number } = {}): AgentSummary[] {
    const esc = (x: string) => x.replace(/[\\%_]/g, (c) => `\\${c}`);
    const like = `%${esc(q)}%`;
    // `key=value` matches the stored labels JSON ({"key":"value",…}) exactly on that pair
    const eq = q.indexOf('=');
    const labelLike = eq > 0 ? `%${esc(JSON.stringify(q.slice(0, eq)))}:${esc(JSON.stringify(q.slice(eq + 1)))}%` : like;
    const on = opts.online === undefined ? -1 : opts.online ? 1 : 0;
    return this.#q.search.all(like, labelLike, on, on, Math.min(Math.max(opts.limit ?? 50, 1), 500)).map((r) => ({
      agentId: r.agent_id,
      online: r.online === 1,
      ...(r.channel ? { channel: r.channel } : {}),
      ...(r.version ? { agentVersion: r.version } : {}),
      lastSeen: r.last_seen,
      ...(r.labels_json ? { labels: JSON.parse(r.labels_json) as Record<string, string> } : {}),
    }));
  }
}
