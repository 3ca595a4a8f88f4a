/**
 * The API routes the web console adds to the route table (src/fleet/api/routes.ts spreads them into
 * ROUTES, so the server enforces their roles and schemas and the OpenAPI document lists them):
 *   GET /api/v1/fleet/overview        the console's fleet overview (overview.ts)
 *   GET /api/v1/fleet/agents?q=       find agents by id or label
 *   GET /api/v1/rollouts/{id}/series  the gate evidence per interval with confidence bounds (evidence-series.ts)
 * Their per-database state (prepared statements, the closed-interval cache) hangs off the store.
 * Only `import type` from routes.ts: routes.ts imports this file, and a type import leaves no cycle.
 */
import { z } from 'zod';
import { AgentError } from '../../common/errors.js';
import type { ApiContext } from '../api/context.js';
import type { Route } from '../api/routes.js';
import { IdParamsSchema, NoParamsSchema, EmptyQuerySchema } from '../api/schemas.js';
import type { ControllerStore } from '../controller/store.js';
import { EvidenceSeriesBuilder } from './evidence-series.js';
import { FleetOverviewQueries } from './overview.js';

const AgentSearchQuerySchema = z
  .object({
    q: z.string().max(256).default(''),
    online: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

interface ConsoleState {
  overview: FleetOverviewQueries;
  series: EvidenceSeriesBuilder;
}

const states = new WeakMap<ControllerStore, ConsoleState>();

/** The console's per-database state; made (and the overview's counts installed) on first use. */
export function stateOf(ctx: ApiContext): ConsoleState {
  let s = states.get(ctx.store);
  if (!s) states.set(ctx.store, (s = { overview: new FleetOverviewQueries(ctx.store.db, ctx.registry), series: new EvidenceSeriesBuilder(ctx.store) }));
  return s;
}

export function fleetOverview(ctx: ApiContext) {
  return stateOf(ctx).overview.overview(ctx.clock());
}

export function searchAgents(ctx: ApiContext, q: z.output<typeof AgentSearchQuerySchema>) {
  return { agents: stateOf(ctx).overview.search(q.q, { limit: q.limit, ...(q.online !== undefined ? { online: q.online } : {}) }) };
}

export function rolloutSeries(ctx: ApiContext, id: string) {
  const r = ctx.store.rollout(id);
  if (!r) throw new AgentError('not_found', `no rollout ${id}`);
  return stateOf(ctx).series.series(r, ctx.clock());
}

const p = (s: string) => `/api/v1${s}`;

export const CONSOLE_ROUTES: readonly Route[] = [
  {
    method: 'GET', path: p('/fleet/overview'), operationId: 'getFleetOverview', tag: 'fleet', role: 'viewer', params: NoParamsSchema, query: EmptyQuerySchema, body: undefined,
    summary: 'the console\'s fleet overview: agents online/offline, per channel its release and models, versions per channel and role, providers, agent versions, labels',
    handler: (ctx) => fleetOverview(ctx),
  },
  {
    method: 'GET', path: p('/fleet/agents'), operationId: 'searchAgents', tag: 'fleet', role: 'viewer', params: NoParamsSchema, query: AgentSearchQuerySchema, body: undefined,
    summary: 'agents whose id or a key=value label contains q (at most limit, online=false: offline only)',
    handler: (ctx, r) => searchAgents(ctx, r.query as z.output<typeof AgentSearchQuerySchema>),
  },
  {
    method: 'GET', path: p('/rollouts/{id}/series'), operationId: 'getRolloutSeries', tag: 'rollouts', role: 'viewer', params: IdParamsSchema, query: EmptyQuerySchema, body: undefined,
    summary: 'the gate evidence per time interval: canary vs stable error rate and p95 with 95 % bounds, wave starts and the end',
    handler: (ctx, r) => rolloutSeries(ctx, (r.params as { id: string }).id),
  },
];
