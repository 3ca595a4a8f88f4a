/**
 * The remote CLI's HTTP client for the controller API (issue 19 §1): JSON over HTTPS with the
 * bearer token; a problem-details answer becomes an AgentError with the server's code, so a remote
 * verb fails exactly like the local one (`error[model_yanked]: …`). Plain http:// is accepted only
 * for a loopback controller (the server refuses it elsewhere anyway).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AgentError, ErrorCodes, type ErrorCode } from '../../../common/errors.js';
import { isLoopback } from '../../../fleet/api/server.js';

export interface RemoteOptions {
  /** https://host:port (no path) */
  controller: URL;
  token: string;
  /** extra CA certificates (PEM) to trust for the controller's certificate */
  ca?: Buffer;
  timeoutMs?: number;
}

/** Pure: the controller URL an admin typed, normalised to its origin; refuses plain HTTP off loopback. */
export function parseControllerUrl(text: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new AgentError('bad_argument', `--controller ${JSON.stringify(text)}: an https:// URL such as https://controller:8443`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new AgentError('bad_argument', `--controller ${text}: https:// only`);
  if (u.protocol === 'http:' && !isLoopback(u.hostname.replace(/^\[|\]$/g, ''))) throw new AgentError('bad_argument', `--controller ${text}: plain http:// only for a loopback controller; use https://`);
  if (u.username || u.password) throw new AgentError('bad_argument', '--controller: no credentials in the URL (rpa-fleet login stores the token)');
  return new URL(u.origin);
}

export class ApiClient {
  readonly #o: RemoteOptions;

  constructor(o: RemoteOptions) {
    this.#o = o;
  }

  get origin(): string {
    return this.#o.controller.origin;
  }

  get<T = Record<string, unknown>>(path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<T> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    return this.call<T>('GET', `${path}${qs ? `?${qs}` : ''}`);
  }

  post<T = Record<string, unknown>>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(`/api/v1${path}`, this.#o.controller);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const r = req(
        url,
        {
          method,
          headers: { authorization: `Bearer ${this.#o.token}`, accept: 'application/json', ...(text !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {}) },
          ...(this.#o.ca ? { ca: this.#o.ca } : {}),
          timeout: this.#o.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = raw ? JSON.parse(raw) : {};
            } catch {
              return reject(new AgentError('internal', `${method} ${url.pathname}: HTTP ${res.statusCode}, not JSON`));
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(json as T);
            const p = json as { code?: string; detail?: string; title?: string };
            const code = (p.code && p.code in ErrorCodes ? p.code : 'internal') as ErrorCode;
            reject(new AgentError(code, p.detail ?? p.title ?? `HTTP ${status}`, { status }));
          });
        },
      );
      r.on('timeout', () => r.destroy(new AgentError('timeout', `${method} ${url.pathname}: no answer from ${url.origin}`)));
      r.on('error', (e) => reject(e instanceof AgentError ? e : new AgentError('endpoint_unreachable', `controller ${url.origin}: ${e.message}`)));
      if (text !== undefined) r.write(text);
      r.end();
    });
  }
}
