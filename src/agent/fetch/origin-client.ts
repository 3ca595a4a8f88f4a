/**
 * HTTPS origin for model bytes (DESIGN.md "Scale path": a manifest may list an HTTPS origin or CDN for
 * the bytes, checked against the same sha256, so the broker carries only control traffic).
 *
 * Only https: the signed manifest's schema admits nothing else, and this client refuses any other
 * scheme again. The server is authenticated with the CA pinned in the agent config (`fetch.originCa`)
 * when set, else the system CAs. Nothing from the origin is trusted: the caller checks every chunk
 * against the signed manifest. This client only bounds what it accepts (endless-data attack): exactly
 * the requested byte range (206 with the matching Content-Range, or 200 for a whole-file request),
 * never a byte more, and an origin idle for `idleMs` is given up.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent, request } from 'node:https';
import { AgentError } from '../../common/errors.js';

export interface OriginClient {
  /**
   * Streams bytes [start, end) of `url` to `onData` in order; `onData` returns false to stop early
   * (the caller failed the fetch). Rejects with origin_unavailable (or aborted).
   */
  getRange(url: string, start: number, end: number, onData: (piece: Buffer) => boolean, opts?: { signal?: AbortSignal; totalSize?: number }): Promise<void>;
  close(): void;
}

export interface OriginClientOptions {
  /** PEM file of the CA to pin (agent config `fetch.originCa`) */
  caFile?: string;
  /** or the PEM itself (tests, simulator) */
  ca?: string | Buffer;
  idleMs: number;
}

const unavailable = (url: string, why: string, details?: Record<string, unknown>) =>
  new AgentError('origin_unavailable', `origin ${redact(url)}: ${why}`, { origin: redact(url), ...details });

/** Query strings may carry signed-URL tokens: never log them. */
export function redact(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}

export function createOriginClient(o: OriginClientOptions): OriginClient {
  let ca: string | Buffer | undefined = o.ca;
  let caError: string | undefined;
  if (!ca && o.caFile) {
    try {
      ca = readFileSync(o.caFile);
    } catch (e) {
      caError = `cannot read fetch.originCa ${o.caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
  }
  // keep-alive: the ranges of one model (a resume) reuse one TLS session
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 2, ...(ca ? { ca } : {}) });
  return {
    getRange(url, start, end, onData, opts = {}) {
      return new Promise<void>((resolve, reject) => {
        if (caError) return reject(unavailable(url, caError));
        let u: URL;
        try {
          u = new URL(url);
        } catch {
          return reject(unavailable(url, 'not a URL'));
        }
        if (u.protocol !== 'https:') return reject(unavailable(url, 'only https origins are allowed')); // never plain http
        if (opts.signal?.aborted) return reject(new AgentError('aborted', 'fetch cancelled'));
        const want = end - start;
        const whole = start === 0 && opts.totalSize === end;
        let settled = false;
        const fail = (e: AgentError) => {
          if (settled) return;
          settled = true;
          req.destroy();
          reject(e);
        };
        const onAbort = () => fail(new AgentError('aborted', 'fetch cancelled'));
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        const req = request(u, { method: 'GET', agent, headers: { range: `bytes=${start}-${end - 1}`, 'accept-encoding': 'identity' }, rejectUnauthorized: true }, (res) => {
          const status = res.statusCode ?? 0;
          const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
          const okRange = status === 206 && cr && Number(cr[1]) === start && Number(cr[2]) === end - 1;
          if (!okRange && !(status === 200 && whole)) {
            res.resume();
            return fail(unavailable(url, `HTTP ${status}${status === 206 ? ` with Content-Range ${String(res.headers['content-range'])}` : ''} for bytes ${start}-${end - 1}`, { status }));
          }
          const len = res.headers['content-length'];
          if (len !== undefined && Number(len) !== want) return fail(unavailable(url, `Content-Length ${len}, expected ${want}`));
          let got = 0;
          res.on('data', (piece: Buffer) => {
            if (settled) return;
            got += piece.length;
            if (got > want) return fail(unavailable(url, `sent more than the ${want} bytes asked for`));
            if (!onData(piece)) fail(new AgentError('aborted', 'the fetch stopped reading'));
          });
          res.on('end', () => {
            if (settled) return;
            if (got !== want) return fail(unavailable(url, `response ended after ${got} of ${want} bytes`));
            settled = true;
            opts.signal?.removeEventListener('abort', onAbort);
            resolve();
          });
          res.on('error', (e) => fail(unavailable(url, e.message)));
          res.on('aborted', () => fail(unavailable(url, 'response aborted')));
        });
        req.setTimeout(o.idleMs, () => fail(unavailable(url, `nothing received for ${o.idleMs} ms`)));
        req.on('error', (e: NodeJS.ErrnoException) => fail(unavailable(url, `${e.code ?? ''} ${e.message}`.trim())));
        req.on('close', () => opts.signal?.removeEventListener('abort', onAbort));
        req.end();
      });
    },
    close() {
      agent.destroy();
    },
  };
}
