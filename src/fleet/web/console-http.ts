/**
 * What the controller's HTTP server serves for the web console besides the JSON routes: the console's
 * files (assets.ts) and the live event stream GET /api/v1/events (event-stream.ts), which needs the
 * raw response and so is not a JSON route. Plugged into the API server as its `extra` handler
 * (src/fleet/api/server.ts). The stream authenticates exactly as the JSON routes do (src/fleet/api/auth.ts):
 * a bearer token from the Authorization header only (a token in the URL would land in logs and
 * history), or a client certificate verified against --api-client-ca and bound to a token; role
 * viewer or more; a revoked, unknown or unbound one is refused on connect.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toAgentError } from '../../common/errors.js';
import { authenticate, authorize } from '../api/auth.js';
import type { ApiContext } from '../api/context.js';
import { PROBLEM_CONTENT_TYPE, problemOf } from '../api/problem.js';
import { ConsoleAssets, CONSOLE_SECURITY_HEADERS } from './assets.js';
import { stateOf } from './console-routes.js';
import { ChangeFeed, type FeedTimers } from './change-feed.js';
import { EventStreamHub } from './event-stream.js';

export const EVENTS_PATH = '/api/v1/events';

export interface ConsoleHttp {
  /** the API server's `extra`: true when it answered */
  extra(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  hub: EventStreamHub;
  close(): void;
}

function problem(res: ServerResponse, e: unknown, instance: string): void {
  const p = problemOf(toAgentError(e), instance);
  const body = JSON.stringify(p);
  res.writeHead(p.status, { ...CONSOLE_SECURITY_HEADERS, 'Content-Type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`, 'Cache-Control': 'no-store', ...(p.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="rpa-fleet"' } : {}) });
  res.end(body);
}

export function consoleHttp(ctx: ApiContext, opts: { consoleDir?: string; pollMs?: number; timers?: FeedTimers } = {}): ConsoleHttp {
  const assets = new ConsoleAssets(opts.consoleDir);
  // the overview's maintained counts are installed (and filled once) now, not on the first page load
  stateOf(ctx);
  const feed = new ChangeFeed(ctx.store.db, { ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}), ...(opts.timers ? { timers: opts.timers } : {}) });
  const hub = new EventStreamHub(feed, opts.timers ? { timers: opts.timers } : {});
  return {
    hub,
    extra(req, res, url) {
      const path = url.pathname;
      if (path === EVENTS_PATH) {
        if (req.method !== 'GET') {
          res.writeHead(405, { ...CONSOLE_SECURITY_HEADERS, Allow: 'GET' }).end();
          return true;
        }
        try {
          // the same caller as on every JSON route: a bearer token or a bound client certificate, role viewer or more
          authorize(authenticate(ctx, req), 'viewer', 'streamEvents');
        } catch (e) {
          problem(res, e, path);
          return true;
        }
        hub.serve(req, res, CONSOLE_SECURITY_HEADERS);
        return true;
      }
      if (!assets.handles(path)) return false;
      assets.serve(path, req.method ?? 'GET', res);
      return true;
    },
    close() {
      hub.close();
      feed.close();
    },
  };
}
