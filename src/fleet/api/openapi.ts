/**
 * The OpenAPI 3.1 document of the controller's API, generated from the route table (routes.ts) and
 * its zod schemas (z.toJSONSchema, JSON Schema 2020-12 — the dialect OpenAPI 3.1 uses), so what is
 * documented is what the server enforces. Committed as docs/openapi.json (drift-tested like
 * docs/schemas) and served at /openapi.json. Refinements JSON Schema cannot express (e.g. "waves
 * ascend to 100", selector grammar) are enforced by the server and named in the descriptions.
 */
import { z } from 'zod';
import { ErrorCodes } from '../../common/errors.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { ROUTES, type Route } from './routes.js';

type Json = Record<string, unknown>;

function jsonSchema(s: z.ZodType): Json {
  const out = z.toJSONSchema(s, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;
  delete out['$schema'];
  return out;
}

function parameters(r: Route): Json[] {
  const out: Json[] = [];
  const add = (schema: z.ZodType, where: 'path' | 'query') => {
    const js = jsonSchema(schema);
    const props = (js['properties'] ?? {}) as Record<string, Json>;
    const required = new Set((js['required'] as string[] | undefined) ?? []);
    for (const [name, s] of Object.entries(props)) {
      const { description, ...schemaOnly } = s;
      out.push({ name, in: where, required: where === 'path' || required.has(name), ...(description ? { description } : {}), schema: schemaOnly });
    }
  };
  add(r.params, 'path');
  add(r.query, 'query');
  return out;
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } } });

function operation(r: Route): Json {
  const ok = String(r.status ?? 200);
  const responses: Json = {
    [ok]: { description: r.status === 201 ? 'created' : 'ok', content: { 'application/json': { schema: { type: 'object' } } } },
    ...(r.operationId === 'getHealth' ? { '503': { description: 'not ready', content: { 'application/json': { schema: { type: 'object' } } } } } : {}),
    '400': problemResponse('bad path, query or body (errors names each field)'),
  };
  if (r.role !== 'public') {
    responses['401'] = problemResponse('no valid bearer token (unauthenticated, token_revoked)');
    responses['403'] = problemResponse(`the token's role may not call this (needs ${r.role})`);
  }
  if (r.path.includes('{')) responses['404'] = problemResponse('no such item');
  if (r.method === 'POST') {
    responses['409'] = problemResponse('refused in the current state (e.g. model_yanked, version_exists, approval_required; quality_gate_failed or provenance_missing, with the figures in details; agent_unsupported, with the agents lacking the feature in details)');
    if (r.operationId === 'approveRollout') responses['422'] = problemResponse('the approval would not count (approval_* codes)');
  }
  return {
    operationId: r.operationId,
    summary: r.summary,
    tags: [r.tag],
    'x-rpa-role': r.role,
    security: r.role === 'public' ? [] : [{ bearerAuth: [] }],
    ...(parameters(r).length ? { parameters: parameters(r) } : {}),
    ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
    responses,
  };
}

export function buildOpenApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const r of ROUTES) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  paths['/openapi.json'] = { get: { operationId: 'getOpenApi', summary: 'this document', tags: ['health'], 'x-rpa-role': 'public', security: [], responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } } } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'RPA Edge fleet controller API',
      version: '1',
      description:
        'The controller\'s admin API (issue 19): fleet and agents, model registry, releases, rollouts with their waves and gate evidence, approvals, audit, feedback, health. ' +
        'Authenticate with `Authorization: Bearer <token>` (tokens are created on the controller machine: `rpa-fleet tokens create --name N --role viewer|operator|approver`). ' +
        'Roles: viewer reads; operator also publishes releases, starts, pauses, resumes and aborts rollouts, deprecates and yanks models; approver also approves waves. ' +
        'Every non-GET call is recorded in the hash-chained audit log with the token name as actor. Errors are RFC 9457 problem details with an error `code`.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    tags: ['health', 'fleet', 'models', 'releases', 'rollouts', 'audit', 'feedback'].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'rpaf_<id>_<secret>' } },
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          required: ['type', 'title', 'status', 'detail', 'code'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            code: { type: 'string', enum: Object.keys(ErrorCodes) },
            errors: { type: 'array', items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } } },
            details: { type: 'object' },
          },
        },
      },
    },
  };
}

let cached: Json | undefined;
/** The document (built once per process; it depends only on the code). */
export function openApiDocument(): Json {
  return (cached ??= buildOpenApiDocument());
}

/** The committed text of docs/openapi.json. */
export function renderOpenApi(): string {
  return JSON.stringify(buildOpenApiDocument(), null, 2) + '\n';
}
