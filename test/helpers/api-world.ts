/**
 * An in-process controller API for tests (issue 19 §1): a real fleet database (SQLite file), real
 * HTTPS with a test CA made by openssl (makeTestPki), real tokens; `raw` speaks HTTPS with node:https
 * and returns status, headers and the parsed body, so tests see exactly what a client sees.
 */
import { request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiContext } from '../../src/fleet/api/context.js';
import { startApiServer, type ApiServer } from '../../src/fleet/api/server.js';
import type { ApiRole } from '../../src/fleet/api/schemas.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { buildRelease } from '../../src/fleet/publisher.js';
import { consoleHttp } from '../../src/fleet/web/console-http.js';
import type { RoleTrust } from '../../src/fleet/trust.js';
import { makeTestPki } from './brokers.js';

export interface ApiWorld {
  dir: string;
  store: ControllerStore;
  ctx: ApiContext;
  server: ApiServer;
  ca: Buffer;
  token(name: string, role: ApiRole): { token: string; id: string };
  raw(method: string, path: string, opts?: { token?: string; body?: unknown; rawBody?: string; contentType?: string; ca?: Buffer | null; cert?: Buffer; key?: Buffer }): Promise<{ status: number; headers: IncomingHttpHeaders; body: any }>;
  close(): Promise<void>;
}

/**
 * `clientCerts`: client certificates (NAME.crt / NAME.key in dir) issued by the test CA, which then also verifies client certificates.
 * `console`: the web console's extra paths too (its files and the event stream), change feed polled every `pollMs`.
 */
export async function startApiWorld(opts: { approvers?: RoleTrust; clientCerts?: string[]; console?: { pollMs: number } } = {}): Promise<ApiWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-api-'));
  makeTestPki(dir, opts.clientCerts ?? []);
  const store = new ControllerStore(join(dir, 'fleet.db'));
  const ctx = new ApiContext({ store, ...(opts.approvers ? { approvers: opts.approvers } : {}) });
  const web = opts.console ? consoleHttp(ctx, { pollMs: opts.console.pollMs }) : undefined;
  const server = await startApiServer(ctx, { host: '127.0.0.1', port: 0, tls: { cert: readFileSync(join(dir, 'server.crt')), key: readFileSync(join(dir, 'server.key')), ...(opts.clientCerts ? { clientCa: readFileSync(join(dir, 'ca.crt')) } : {}) }, ...(web ? { extra: web.extra } : {}) });
  const ca = readFileSync(join(dir, 'ca.crt'));
  const raw: ApiWorld['raw'] = (method, path, o = {}) =>
    new Promise((resolve, reject) => {
      const text = o.rawBody ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
      const req = request(
        `${server.url}${path}`,
        {
          method,
          ...(o.ca === null ? {} : { ca: o.ca ?? ca }),
          ...(o.cert && o.key ? { cert: o.cert, key: o.key } : {}),
          headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(text !== undefined ? { 'content-type': o.contentType ?? 'application/json' } : {}) },
        },
        (res) => {
          let data = '';
          res.on('data', (c) => (data += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data ? JSON.parse(data) : undefined }));
        },
      );
      req.on('error', reject);
      if (text !== undefined) req.write(text);
      req.end();
    });
  return {
    dir,
    store,
    ctx,
    server,
    ca,
    token: (name, role) => {
      const t = ctx.tokens.create(name, role, 'test-setup', Date.now());
      return { token: t.token, id: t.row.id };
    },
    raw,
    close: async () => {
      web?.close();
      await server.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A release on `channel` with `stable` as the detector, as the controller would have seen it on the wire. */
export function seedRelease(store: ControllerStore, channel: string, stable: string, seq = 1): void {
  const now = Date.now();
  store.putRelease(buildRelease({ channel, seq, roles: { detector: { stable } }, issued: new Date(now), expires: new Date(now + 86_400_000) }), now);
}
