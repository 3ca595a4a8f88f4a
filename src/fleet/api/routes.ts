/**
 * THE route table of the controller's HTTP API (issue 19 §1): every path, its method, the least role
 * that may call it, the zod schemas of its path parameters, query and JSON body, and its handler.
 * The server (server.ts) enforces exactly this table; the OpenAPI 3.1 document (openapi.ts →
 * docs/openapi.json, served at /openapi.json) is generated from it; the web console and the remote
 * CLI (src/cli/fleet/remote/) call these paths.
 *
 * Roles: `public` (no token: health, the OpenAPI document), `viewer` (every read), `operator`
 * (publish releases, start / pause / resume / abort rollouts, deprecate / yank models) and
 * `approver` (approve a wave; signed approvals still need an approver key of the controller's trust
 * file). A token's role grants its own routes plus every viewer route (ROLE_GRANTS). Tokens are
 * made on the controller's machine (`rpa-fleet tokens create`), never over the API. Every call that
 * is not a GET is recorded in the audit log with the token's name as actor (also when refused).
 * Errors are RFC 9457 problem details with our error code (problem.ts).
 */
import { z } from 'zod';
import type { ApiContext } from './context.js';
import * as read from './handlers-read.js';
import * as write from './handlers-write.js';
import type { Reply } from './reply.js';
import {
  AgentParamsSchema,
  AgentQuerySchema,
  AgentsQuerySchema,
  AuditQuerySchema,
  ChannelParamsSchema,
  EmptyQuerySchema,
  FeedbackQuerySchema,
  FleetQuerySchema,
  IdParamsSchema,
  ModelMarkBodySchema,
  ModelParamsSchema,
  ModelsQuerySchema,
  NoParamsSchema,
  ReleasePublishBodySchema,
  RolloutActionBodySchema,
  RolloutApproveBodySchema,
  RolloutEvidenceQuerySchema,
  RolloutsQuerySchema,
  RolloutStartBodySchema,
  type ApiRole,
} from './schemas.js';
import type { Caller } from './tokens.js';
import { CONSOLE_ROUTES } from '../web/console-routes.js';

export const API_PREFIX = '/api/v1';

export type RouteRole = 'public' | ApiRole;

/** Which route roles a token of each role may call. */
export const ROLE_GRANTS: Record<ApiRole, readonly RouteRole[]> = {
  viewer: ['public', 'viewer'],
  operator: ['public', 'viewer', 'operator'],
  approver: ['public', 'viewer', 'approver'],
};

export interface RouteRequest<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** undefined only on public routes */
  caller: Caller;
}

export interface Route<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType | undefined = z.ZodType | undefined> {
  method: 'GET' | 'POST';
  /** OpenAPI-style template, e.g. /api/v1/rollouts/{id} */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  role: RouteRole;
  params: P;
  query: Q;
  body: B;
  /** 200 unless the handler answers with a Reply */
  handler: (ctx: ApiContext, req: RouteRequest<z.output<P>, z.output<Q>, B extends z.ZodType ? z.output<B> : undefined>) => unknown | Promise<unknown> | Reply | Promise<Reply>;
  /** documented success status (201 for creations) */
  status?: number;
}

/** Identity helper so each entry's handler is typed from its own schemas. */
function route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType | undefined>(r: Route<P, Q, B>): Route {
  return r as unknown as Route;
}

const GET = 'GET' as const;
const POST = 'POST' as const;
const p = (s: string) => `${API_PREFIX}${s}`;

export const ROUTES: readonly Route[] = [
  // ---- health and identity ----
  route({ method: GET, path: p('/health'), operationId: 'getHealth', summary: 'controller liveness and readiness (200 ready, 503 not)', tag: 'health', role: 'public', params: NoParamsSchema, query: EmptyQuerySchema, body: undefined, handler: (ctx) => read.health(ctx) }),
  route({ method: GET, path: p('/whoami'), operationId: 'getWhoami', summary: 'the caller\'s token: name (the audit actor), role and id', tag: 'health', role: 'viewer', params: NoParamsSchema, query: EmptyQuerySchema, body: undefined, handler: (ctx, r) => read.whoami(ctx, r.caller) }),
  // ---- fleet and agents ----
  route({ method: GET, path: p('/fleet'), operationId: 'getFleet', summary: 'fleet overview: agents online per channel, versions, providers, cohorts with p95 and error rate, active rollouts, yanked models still running', tag: 'fleet', role: 'viewer', params: NoParamsSchema, query: FleetQuerySchema, body: undefined, handler: (ctx, r) => read.fleet(ctx, r.query) }),
  route({ method: GET, path: p('/agents'), operationId: 'listAgents', summary: 'agents with presence, channel, labels and models per role; limit/after: one page in agentId order, next = the after of the following page', tag: 'fleet', role: 'viewer', params: NoParamsSchema, query: AgentsQuerySchema, body: undefined, handler: (ctx, r) => read.agents(ctx, r.query) }),
  route({ method: GET, path: p('/agents/{agentId}'), operationId: 'getAgent', summary: 'one agent: status, recent metrics windows and events', tag: 'fleet', role: 'viewer', params: AgentParamsSchema, query: AgentQuerySchema, body: undefined, handler: (ctx, r) => read.agent(ctx, r.params.agentId, r.query) }),
  // ---- models (registry) ----
  route({ method: GET, path: p('/models'), operationId: 'listModels', summary: 'the model registry: every name@version with its modelId, role and state', tag: 'models', role: 'viewer', params: NoParamsSchema, query: ModelsQuerySchema, body: undefined, handler: (ctx, r) => read.models(ctx, r.query) }),
  route({ method: GET, path: p('/models/{ref}'), operationId: 'getModel', summary: 'one model (name@version, name@latest or modelId): signed manifest, signature, provenance, marks', tag: 'models', role: 'viewer', params: ModelParamsSchema, query: EmptyQuerySchema, body: undefined, handler: (ctx, r) => read.model(ctx, r.params.ref) }),
  route({ method: POST, path: p('/models/{ref}/deprecate'), operationId: 'deprecateModel', summary: 'mark name@version deprecated (never picked by @latest)', tag: 'models', role: 'operator', params: ModelParamsSchema, query: EmptyQuerySchema, body: ModelMarkBodySchema, handler: (ctx, r) => write.markModel('deprecated')(ctx, r.caller, r.params.ref, r.body) }),
  route({ method: POST, path: p('/models/{ref}/yank'), operationId: 'yankModel', summary: 'yank name@version: it can no longer enter a release or rollout', tag: 'models', role: 'operator', params: ModelParamsSchema, query: EmptyQuerySchema, body: ModelMarkBodySchema, handler: (ctx, r) => write.markModel('yanked')(ctx, r.caller, r.params.ref, r.body) }),
  // ---- releases ----
  route({ method: GET, path: p('/releases'), operationId: 'listReleases', summary: 'the newest release the controller saw on each channel', tag: 'releases', role: 'viewer', params: NoParamsSchema, query: EmptyQuerySchema, body: undefined, handler: (ctx) => read.releases(ctx) }),
  route({ method: GET, path: p('/releases/{channel}'), operationId: 'getRelease', summary: 'one channel\'s newest release', tag: 'releases', role: 'viewer', params: ChannelParamsSchema, query: EmptyQuerySchema, body: undefined, handler: (ctx, r) => read.release(ctx, r.params.channel) }),
  route({ method: POST, path: p('/releases'), operationId: 'publishRelease', summary: 'sign (controller\'s releases key) and publish a channel release', tag: 'releases', role: 'operator', params: NoParamsSchema, query: EmptyQuerySchema, body: ReleasePublishBodySchema, status: 201, handler: (ctx, r) => write.publishRelease(ctx, r.caller, r.body) }),
  // ---- rollouts ----
  route({ method: GET, path: p('/rollouts'), operationId: 'listRollouts', summary: 'rollouts (active=true: only the unfinished ones)', tag: 'rollouts', role: 'viewer', params: NoParamsSchema, query: RolloutsQuerySchema, body: undefined, handler: (ctx, r) => read.rollouts(ctx, r.query) }),
  route({ method: POST, path: p('/rollouts'), operationId: 'startRollout', summary: 'start a rollout (the controller publishes its first wave on its next tick)', tag: 'rollouts', role: 'operator', params: NoParamsSchema, query: EmptyQuerySchema, body: RolloutStartBodySchema, status: 201, handler: (ctx, r) => write.startRollout(ctx, r.caller, r.body) }),
  route({ method: GET, path: p('/rollouts/{id}'), operationId: 'getRollout', summary: 'one rollout: spec, state, waves, approvals, gate evidence, history', tag: 'rollouts', role: 'viewer', params: IdParamsSchema, query: EmptyQuerySchema, body: undefined, handler: (ctx, r) => read.rollout(ctx, r.params.id) }),
  route({ method: GET, path: p('/rollouts/{id}/evidence'), operationId: 'getRolloutEvidence', summary: 'the gate evidence over time: each judgement of the current wave (canary vs stable error rate, p95, agents, requests)', tag: 'rollouts', role: 'viewer', params: IdParamsSchema, query: RolloutEvidenceQuerySchema, body: undefined, handler: (ctx, r) => read.evidence(ctx, r.params.id, r.query) }),
  route({ method: POST, path: p('/rollouts/{id}/approve'), operationId: 'approveRollout', summary: 'approve the current wave (a signed approval statement when the rollout has an approval policy)', tag: 'rollouts', role: 'approver', params: IdParamsSchema, query: EmptyQuerySchema, body: RolloutApproveBodySchema, handler: (ctx, r) => write.approve(ctx, r.caller, r.params.id, r.body) }),
  route({ method: POST, path: p('/rollouts/{id}/pause'), operationId: 'pauseRollout', summary: 'hold the rollout at its wave (breaches still roll back)', tag: 'rollouts', role: 'operator', params: IdParamsSchema, query: EmptyQuerySchema, body: RolloutActionBodySchema, handler: (ctx, r) => write.controlRollout('pause')(ctx, r.caller, r.params.id, r.body) }),
  route({ method: POST, path: p('/rollouts/{id}/resume'), operationId: 'resumeRollout', summary: 'continue a paused rollout', tag: 'rollouts', role: 'operator', params: IdParamsSchema, query: EmptyQuerySchema, body: RolloutActionBodySchema, handler: (ctx, r) => write.controlRollout('resume')(ctx, r.caller, r.params.id, r.body) }),
  route({ method: POST, path: p('/rollouts/{id}/abort'), operationId: 'abortRollout', summary: 'stop the rollout and return the channel to stable', tag: 'rollouts', role: 'operator', params: IdParamsSchema, query: EmptyQuerySchema, body: RolloutActionBodySchema, handler: (ctx, r) => write.controlRollout('abort')(ctx, r.caller, r.params.id, r.body) }),
  // ---- audit and feedback ----
  route({ method: GET, path: p('/audit'), operationId: 'listAudit', summary: 'the audit trail, oldest first (filters combine)', tag: 'audit', role: 'viewer', params: NoParamsSchema, query: AuditQuerySchema, body: undefined, handler: (ctx, r) => read.audit(ctx, r.query) }),
  route({ method: GET, path: p('/audit/verify'), operationId: 'verifyAudit', summary: 'recompute the audit log\'s hash chain: ok with entries and head, or the first broken entry', tag: 'audit', role: 'viewer', params: NoParamsSchema, query: EmptyQuerySchema, body: undefined, handler: (ctx) => read.auditVerify(ctx) }),
  // ---- the web console's reads (src/fleet/web/console-routes.ts) ----
  ...CONSOLE_ROUTES,
  route({ method: GET, path: p('/feedback'), operationId: 'exportFeedback', summary: 'the corrections agents sent (images as base64 PNG)', tag: 'feedback', role: 'viewer', params: NoParamsSchema, query: FeedbackQuerySchema, body: undefined, handler: (ctx, r) => read.feedback(ctx, r.query) }),
];

// Response types for clients (the console, the remote CLI): what each read handler returns.
export type FleetOverview = ReturnType<typeof read.fleet>;
export type AgentsList = ReturnType<typeof read.agents>;
export type AgentDetail = ReturnType<typeof read.agent>;
export type ModelsList = ReturnType<typeof read.models>;
export type ModelDetail = ReturnType<typeof read.model>;
export type RolloutDetail = ReturnType<typeof read.rollout>;
export type RolloutEvidence = ReturnType<typeof read.evidence>;
export type AuditList = ReturnType<typeof read.audit>;

interface Compiled {
  route: Route;
  re: RegExp;
  names: string[];
}

const compiled: Compiled[] = ROUTES.map((r) => {
  const names: string[] = [];
  const re = new RegExp(`^${r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}|\{(\w+)\}/g, (_m, a: string, b: string) => (names.push(a ?? b), '([^/]+)'))}$`);
  return { route: r, re, names };
});

/** The route for a method and path, with raw (URL-decoded) path parameters; `allowed` lists the methods of a known path. */
export function matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | { route?: undefined; allowed: string[] } {
  const allowed: string[] = [];
  for (const c of compiled) {
    const m = c.re.exec(path);
    if (!m) continue;
    if (c.route.method !== method) {
      allowed.push(c.route.method);
      continue;
    }
    const params: Record<string, string> = {};
    let bad = false;
    c.names.forEach((n, i) => {
      try {
        params[n] = decodeURIComponent(m[i + 1]!);
      } catch {
        bad = true;
      }
    });
    if (!bad) return { route: c.route, params };
  }
  return { allowed };
}
