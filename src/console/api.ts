/**
 * The console's HTTP client: same origin, bearer token, JSON in and out. Errors come back as RFC 9457
 * problem details with the project's stable codes (src/common/errors.ts); they are thrown as
 * ApiError so every page can show the same code and message.
 */
import { savedToken } from './session.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function problemOf(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const p = (await res.json()) as { code?: string; detail?: string; title?: string };
    if (typeof p.code === 'string') code = p.code;
    if (typeof p.detail === 'string') message = p.detail;
    else if (typeof p.title === 'string') message = p.title;
  } catch {
    /* not JSON: keep the status line */
  }
  return new ApiError(res.status, code, message);
}

export function authHeaders(token = savedToken()): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export async function apiGet<T>(path: string, opts: { token?: string; signal?: AbortSignal } = {}): Promise<T> {
  const res = await fetch(path, { headers: { Accept: 'application/json', ...authHeaders(opts.token) }, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as T;
}

export async function apiPost<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, { method: 'POST', headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...authHeaders() }, body: JSON.stringify(body) });
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as T;
}

/** Query string from the defined values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
