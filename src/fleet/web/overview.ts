/**
 * The console's fleet overview (issue 19 §2): agents online and offline, per channel its newest
 * release and the models per role, the versions running per channel and role, providers, agent
 * versions and labels. Built from the counts SQLite triggers maintain at ingest (overview-counts.ts),
 * so a call reads tens of rows whatever the fleet's size (issue 19 §4: fleet overview p95 ≤ 50 ms at
 * 10,000 agents); `recount` builds the same view from the statuses themselves (the check that the
 * maintained counts are exact). Also the agent search behind the overview's search box.
 */
import type Database from 'better-sqlite3';
import type { Release } from '../../common/wire.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { AgentSummary, FleetOverview } from '../../common/console-views.js';
import { installOverviewCounts, maintainedCounts, recountedCounts, type CountRow } from './overview-counts.js';

export type { AgentSummary, FleetOverview } from '../../common/console-views.js';

const NO_CHANNEL = '(none)';

type Key = (string | number | null)[];
/** SQLite's BINARY order (NULL first), so the view does not depend on the process's locale */
function cmp(a: string | number | null | undefined, b: string | number | null | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return String(a) < String(b) ? -1 : 1;
}
const str = (v: string | number | null | undefined): string | undefined => (v === null || v === undefined ? undefined : String(v));

export class FleetOverviewQueries {
  readonly #db: Database.Database;
  readonly #registry: ModelRegistry | undefined;
  #q;

  constructor(db: Database.Database, registry?: ModelRegistry) {
    this.#db = db;
    this.#registry = registry;
    installOverviewCounts(db);
    this.#q = {
      releases: db.prepare<[], { channel: string; release_json: string }>('SELECT channel, release_json FROM channels ORDER BY channel'),
      search: db.prepare<[string, string, number, number, number], { agent_id: string; online: number; channel: string | null; labels_json: string | null; version: string | null; last_seen: number }>(
        `SELECT agent_id, online, channel, labels_json, json_extract(status_json, '$.agentVersion') AS version, last_seen FROM agents
          WHERE (agent_id LIKE ? ESCAPE '\\' OR labels_json LIKE ? ESCAPE '\\') AND (? < 0 OR online = ?)
          ORDER BY agent_id LIMIT ?`,
      ),
    };
  }

  /** The overview from the maintained counts (a few dozen rows). */
  overview(now: number): FleetOverview {
    return this.#db.transaction(() => this.#build(now, maintainedCounts(this.#db)))();
  }

  /** The same view recomputed from every stored status (slow at 10,000 agents: for checks). */
  recount(now: number): FleetOverview {
    return this.#db.transaction(() => this.#build(now, recountedCounts(this.#db)))();
  }

  #build(now: number, rows: CountRow[]): FleetOverview {
    const of = (kind: CountRow['kind']) => rows.filter((r) => r.kind === kind && r.agents > 0).map((r) => ({ key: JSON.parse(r.key) as Key, agents: r.agents, online: r.online }));
    const releases = new Map(this.#q.releases.all().map((r) => [r.channel, JSON.parse(r.release_json) as Release]));
    const versions = new Map<string, FleetOverview['versions'][number]>();
    const providers = new Map<string, FleetOverview['providers'][number]>();
    const versionRows = of('version').sort((a, b) => a.key.reduce<number>((c, _, i) => c || cmp(a.key[i], b.key[i]), 0));
    for (const { key, agents } of versionRows) {
      const [ch, role, modelId, name, version, cohort, provider] = key.map(str);
      if (!modelId || !role) continue;
      const channel = ch ?? NO_CHANNEL;
      // counted per provider too; versions are shown per model, providers separately
      const vk = `${channel}|${role}|${modelId}|${cohort ?? 'stable'}|${version ?? ''}`;
      const cur = versions.get(vk);
      if (cur) cur.agents += agents;
      else versions.set(vk, { channel, role, modelId, ...(name ? { name } : {}), ...(version ? { version } : {}), cohort: cohort ?? 'stable', agents });
      const pk = `${role}|${provider ?? '-'}`;
      const p = providers.get(pk) ?? { role, provider: provider ?? '(not reported)', agents: 0 };
      p.agents += agents;
      providers.set(pk, p);
    }
    let total = 0;
    let online = 0;
    const channels = of('channel')
      .sort((a, b) => cmp(a.key[0], b.key[0]))
      .map(({ key, agents, online: on }) => {
        total += agents;
        online += on;
        const name = str(key[0]);
        const rel = name ? releases.get(name) : undefined;
        return {
          channel: name ?? NO_CHANNEL,
          agents,
          online: on,
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
      agentVersions: of('agentVersion')
        .sort((a, b) => b.agents - a.agents || cmp(a.key[0], b.key[0]))
        .map(({ key, agents }) => ({ version: str(key[0]) ?? '(unknown)', agents })),
      labels: of('label')
        .filter(({ key }) => key[0] !== null && key[1] !== null)
        .sort((a, b) => cmp(a.key[0], b.key[0]) || cmp(a.key[1], b.key[1]))
        .map(({ key, agents }) => ({ key: String(key[0]), value: String(key[1]), agents })),
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
