/**
 * The controller's HTTP API server (issue 19 §1): JSON over HTTPS (node:https with the certificate
 * and key from the controller's flags); plain HTTP only on a loopback address and only when asked
 * for explicitly (tests, local development). Each request: route (routes.ts) → bearer token →
 * role → path, query and body validated with the route's zod schemas → handler. Every answer that
 * is not a success is an RFC 9457 problem (problem.ts); every non-GET call by an authenticated
 * caller is in the audit log, refusals included (`api.refused`, with the code and status).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP } from 'node:net';
import type { z } from 'zod';
import { AgentError, toAgentError } from '../../common/errors.js';
import type { ApiContext } from './context.js';
import { openApiDocument } from './openapi.js';
import { PROBLEM_CONTENT_TYPE, problemOf, type Problem } from './problem.js';
import { Reply } from './reply.js';
import { authenticate, authorize } from './auth.js';
import { matchRoute, type Route } from './routes.js';
import type { Caller } from './tokens.js';

export interface ApiTls {
  cert: string | Buffer;
  key: string | Buffer;
  /** CA (PEM) of client certificates: a verified one bound to a token authenticates without a bearer token */
  clientCa?: string | Buffer;
}

export interface ApiServerOptions {
  host: string;
  /** 0 = any free port */
  port: number;
  /** required unless insecureHttp */
  tls?: ApiTls;
  /** plain HTTP, allowed on a loopback host only (tests, development) */
  insecureHttp?: boolean;
  maxBodyBytes?: number;
  /**
   * Paths outside /api/v1 and /openapi.json (e.g. the web console's pages and event stream): return
   * true when handled. Runs before the API's 404.
   */
  extra?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;
}

export interface ApiServer {
  port: number;
  url: string;
  server: Server;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export const isLoopback = (host: string) => LOOPBACK.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
const DEFAULT_MAX_BODY = 1024 * 1024;

class HttpProblem extends AgentError {
  constructor(
    readonly httpStatus: number,
    code: ConstructorParameters<typeof AgentError>[0],
    message: string,
    readonly fieldErrors?: Problem['errors'],
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, type = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendProblem(res: ServerResponse, e: unknown, instance?: string): Problem {
  const err = toAgentError(e);
  const p = problemOf(err, instance, e instanceof HttpProblem ? e.fieldErrors : undefined);
  if (e instanceof HttpProblem) p.status = e.httpStatus;
  const headers: Record<string, string> = { ...(p.status === 401 ? { 'www-authenticate': 'Bearer realm="rpa-fleet"' } : {}), ...(e instanceof HttpProblem ? e.headers : {}) };
  send(res, p.status, p, headers, PROBLEM_CONTENT_TYPE);
  return p;
}

export { authenticate } from './auth.js';

function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const errors = r.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new HttpProblem(400, 'bad_argument', `invalid ${where}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors);
}

async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    // past the limit the rest is read and dropped (bounded by the server's requestTimeout), so the
    // client gets its 413 instead of a reset connection
    if (size <= max) chunks.push(c);
  }
  if (size > max) throw new HttpProblem(413, 'frame_too_large', `the request body is over ${max} bytes`);
  if (size === 0) return {};
  if (type !== 'application/json') throw new HttpProblem(415, 'bad_argument', `the request body must be application/json, not ${type || 'untyped'}`);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (e) {
    throw new HttpProblem(400, 'parse_error', `the request body is not valid JSON: ${(e as Error).message}`);
  }
}

function queryObject(url: URL): Record<string, string> {
  const o: Record<string, string> = {};
  for (const [k, v] of url.searchParams) o[k] = v;
  return o;
}

export async function handle(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, opts: Pick<ApiServerOptions, 'maxBodyBytes' | 'extra'> = {}): Promise<void> {
  const method = req.method ?? 'GET';
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://controller.invalid');
  } catch {
    sendProblem(res, new HttpProblem(400, 'bad_argument', 'malformed request target'));
    return;
  }
  const path = url.pathname;
  if (method === 'GET' && path === '/openapi.json') return send(res, 200, openApiDocument());
  // the console's live event stream is under /api/v1 but streams (not a JSON route): `extra` answers it
  if ((!path.startsWith('/api/') || path === '/api/v1/events') && opts.extra && (await opts.extra(req, res, url))) return;
  const m = matchRoute(method, path);
  if (!m.route) {
    if (m.allowed.length) sendProblem(res, new HttpProblem(405, 'method_not_found', `${method} is not allowed on ${path} (allowed: ${m.allowed.join(', ')})`, undefined, { allow: m.allowed.join(', ') }), path);
    else sendProblem(res, new AgentError('not_found', `no such API path: ${path}`), path);
    return;
  }
  const route: Route = m.route;
  let caller: Caller | undefined;
  try {
    if (route.role !== 'public') {
      caller = authenticate(ctx, req);
      authorize(caller, route.role, route.operationId);
    }
    const params = validate(route.params, m.params, 'path');
    const query = validate(route.query, queryObject(url), 'query');
    const body = route.body ? validate(route.body, await readJson(req, opts.maxBodyBytes ?? DEFAULT_MAX_BODY), 'body') : undefined;
    const out = await route.handler(ctx, { params, query, body, caller: caller as Caller });
    if (out instanceof Reply) send(res, out.status, out.body, out.headers);
    else send(res, 200, out);
    if (route.method !== 'GET') ctx.log(`api: ${caller?.name ?? '-'} ${route.method} ${path} ok`);
  } catch (e) {
    const p = sendProblem(res, e, path);
    if (p.status >= 500) ctx.log(`api: ${method} ${path} failed: ${toAgentError(e).message}`);
    if (route.method !== 'GET' && caller) {
      // every mutating call is audited, refusals included (the actor is the token's name)
      try {
        const rolloutId = typeof m.params['id'] === 'string' ? m.params['id'] : undefined;
        ctx.record(caller, 'api.refused', { operation: route.operationId, method, path, status: p.status, code: p.code, message: p.detail.slice(0, 512) }, rolloutId ? { rolloutId } : {});
      } catch (ae) {
        ctx.log(`api: refusal not recorded in the audit log: ${(ae as Error).message}`);
      }
    }
  }
}

export async function startApiServer(ctx: ApiContext, opts: ApiServerOptions): Promise<ApiServer> {
  if (!opts.tls && !opts.insecureHttp) throw new AgentError('bad_argument', 'the API needs a TLS certificate and key (--api-cert, --api-key); plain HTTP only with --api-insecure-http on a loopback address');
  if (!opts.tls && !isLoopback(opts.host)) throw new AgentError('bad_argument', `plain HTTP is allowed on a loopback address only, not ${opts.host}: give the API a TLS certificate and key`);
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(ctx, req, res, opts).catch((e) => {
      ctx.log(`api: ${(e as Error).message}`);
      if (!res.headersSent) sendProblem(res, new AgentError('internal', (e as Error).message));
      else res.destroy();
    });
  };
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2', ...(opts.tls.clientCa ? { ca: opts.tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}) }, listener) : createHttpServer(listener);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    port,
    url: `${opts.tls ? 'https' : 'http'}://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
