/**
 * The API's read handlers (role viewer and up): fleet overview, agents, models, releases, rollouts
 * with their waves and gate evidence, audit trail and verification, feedback export. Each returns a
 * JSON body; the server validated params and query with the route's schemas before calling.
 */
import { fromBase64 } from '../../common/bytes.js';
import { PAYLOAD_TYPE_MODEL } from '../../common/dsse.js';
import { AgentError } from '../../common/errors.js';
import { ModelManifestSchema, type Release } from '../../common/wire.js';
import { ControllerHeartbeats } from '../controller/heartbeat.js';
import { TERMINAL_STATES } from '../controller/store.js';
import { decodeSigned } from '../publisher.js';
import type { RegistryEntry } from '../registry/registry.js';
import { yankedRunning } from '../registry/yanked-agents.js';
import type { ApiContext } from './context.js';
import { Reply } from './reply.js';
import { rolloutEvidence, rolloutView } from './rollout-ops.js';
import { fleetAgentsView, fleetSnapshot } from './snapshot.js';
import type { Caller } from './tokens.js';

export function health(ctx: ApiContext): Reply {
  if (!ctx.health) return new Reply(200, { status: 'ok', live: true, ready: true, detail: 'API server without a controller loop' });
  const r = ctx.health();
  return new Reply(r.ready ? 200 : 503, r);
}

export function whoami(_ctx: ApiContext, caller: Caller) {
  return { name: caller.name, role: caller.role, tokenId: caller.tokenId };
}

export function fleet(ctx: ApiContext, q: { sinceMs: number }) {
  const now = ctx.clock();
  // re-read only when a status changed (their last_seen is not part of this view)
  const agents = ctx.parsedAgents.statuses();
  return {
    // the statuses' part is kept while no status changes; the cohorts' sums are kept across calls (issue 19 §4)
    ...fleetSnapshot(ctx.store, now, q.sinceMs, agents, (since) => ctx.cohortWindow.totals(since), ctx.parsedAgents.derived('fleetAgentsView', () => fleetAgentsView(agents))),
    rollouts: ctx.store.rollouts({ active: true }),
    controller: new ControllerHeartbeats(ctx.store.db).attachment(now),
    yanked: yankedRunning(agents, ctx.registry),
  };
}

/** Default page size when only `after` is given. */
const AGENTS_PAGE = 500;

export function agents(ctx: ApiContext, q: { online?: boolean | undefined; limit?: number | undefined; after?: string | undefined }) {
  const paged = q.limit !== undefined || q.after !== undefined;
  const limit = q.limit ?? AGENTS_PAGE;
  // a page reads one row more than it returns: that row says whether there is a next page
  const rows = paged ? ctx.store.agentsPage(q.after ?? '', limit + 1, q.online) : ctx.store.agents().filter((a) => q.online === undefined || a.online === q.online);
  const more = paged && rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const yanked = yankedRunning(page, ctx.registry);
  return { agents: page.map((a) => ({ ...a, yanked: yanked.filter((y) => y.agentId === a.agentId) })), ...(more ? { next: page[page.length - 1]!.agentId } : {}) };
}

export function agent(ctx: ApiContext, agentId: string, q: { windows: number; events: number }) {
  const a = ctx.store.agent(agentId);
  if (!a) throw new AgentError('not_found', `no agent ${agentId}`);
  return { agent: a, windows: ctx.store.recentWindows(agentId, q.windows), events: ctx.store.recentEvents(agentId, q.events), yanked: yankedRunning([a], ctx.registry) };
}

function modelSummary(e: RegistryEntry) {
  return { model: `${e.name}@${e.version}`, name: e.name, version: e.version, modelId: e.modelId, role: e.role, state: e.state, publishedBy: e.publishedBy, publishedAt: e.publishedAt, marks: e.marks };
}

export function models(ctx: ApiContext, q: { name?: string | undefined }) {
  return { models: ctx.registry.list(q.name).map(modelSummary) };
}

/** One model with its signed manifest, signature state and provenance (when the manifest carries one). */
export function model(ctx: ApiContext, ref: string) {
  const e = ctx.registry.resolve(ref);
  if (!e) throw new AgentError('not_found', `${ref} is not in the registry`);
  const doc = decodeSigned('registry', Buffer.from(JSON.stringify(e.envelope)), PAYLOAD_TYPE_MODEL, ModelManifestSchema, 'manifest', ctx.broker?.modelsTrust);
  const manifest = JSON.parse(Buffer.from(fromBase64(e.envelope.payload)).toString('utf8')) as Record<string, unknown>;
  return {
    ...modelSummary(e),
    signature: doc.signature,
    signedBy: doc.signedBy,
    keyids: e.envelope.signatures.map((s) => s.keyid),
    provenance: manifest['provenance'] ?? null,
    manifest,
    envelope: e.envelope,
    ...(doc.error ? { error: doc.error } : {}),
  };
}

function channelReleases(ctx: ApiContext): { release: Release; updated: number }[] {
  const rows = ctx.store.db.prepare('SELECT release_json, updated FROM channels ORDER BY channel').all() as { release_json: string; updated: number }[];
  return rows.map((r) => ({ release: JSON.parse(r.release_json) as Release, updated: r.updated }));
}

const labelled = (ctx: ApiContext, rel: Release) => ({
  ...rel,
  labels: Object.fromEntries(
    Object.entries(rel.roles).flatMap(([role, rr]) => [[role, ctx.registry.label(rr?.stable)], ...(rr?.candidate ? [[`candidate-${role}`, ctx.registry.label(rr.candidate.modelId)]] : [])]),
  ),
});

/** The newest release the controller saw (or wrote) on each channel. */
export function releases(ctx: ApiContext) {
  return { releases: channelReleases(ctx).map((r) => ({ ...labelled(ctx, r.release), seenAt: new Date(r.updated).toISOString() })) };
}

export function release(ctx: ApiContext, channel: string) {
  const r = channelReleases(ctx).find((x) => x.release.channel === channel);
  if (!r) throw new AgentError('not_found', `channel ${channel} has no release the controller has seen`);
  return { release: labelled(ctx, r.release), seenAt: new Date(r.updated).toISOString() };
}

export function rollouts(ctx: ApiContext, q: { active?: boolean | undefined }) {
  const all = ctx.store.rollouts();
  const pick = q.active === undefined ? all : all.filter((r) => TERMINAL_STATES.includes(r.state) !== q.active);
  return { rollouts: pick, controller: new ControllerHeartbeats(ctx.store.db).attachment(ctx.clock()) };
}

export function rollout(ctx: ApiContext, id: string) {
  const r = ctx.store.rollout(id);
  if (!r) throw new AgentError('not_found', `no rollout ${id}`);
  return rolloutView(ctx.store, r, ctx.approvers, ctx.clock());
}

export function evidence(ctx: ApiContext, id: string, q: { since?: number | undefined; limit: number }) {
  if (!ctx.store.rollout(id)) throw new AgentError('not_found', `no rollout ${id}`);
  return { rolloutId: id, evidence: rolloutEvidence(ctx.store, id, q.since ?? 0, q.limit) };
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `since` is a look-back duration (24h) or an ISO date, as in `rpa-fleet audit --since`. */
export function sinceOf(since: string | undefined, now: number): number | undefined {
  if (since === undefined) return undefined;
  const m = DURATION.exec(since.trim());
  const t = m ? now - Number(m[1]) * UNIT[m[2]!]! : Date.parse(since);
  if (!Number.isFinite(t)) throw new AgentError('bad_argument', `since ${JSON.stringify(since)}: a duration such as 24h or an ISO date such as 2026-12-01`);
  return t;
}

export function audit(ctx: ApiContext, q: { since?: string | undefined; actor?: string | undefined; rollout?: string | undefined }) {
  const since = sinceOf(q.since, ctx.clock());
  return { entries: ctx.audit.entries({ ...(since !== undefined ? { since } : {}), ...(q.actor ? { actor: q.actor } : {}), ...(q.rollout ? { rolloutId: q.rollout } : {}) }) };
}

/** The chain's verdict; a broken chain is a 200 with ok:false (the answer, not a failure of the call). */
export function auditVerify(ctx: ApiContext) {
  return ctx.audit.verify();
}

export function feedback(ctx: ApiContext, q: { since?: string | undefined }) {
  return { items: ctx.store.feedbackAll(q.since ? new Date(q.since).toISOString() : undefined) };
}
