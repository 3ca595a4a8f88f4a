/**
 * The web console's files, served by the controller on its own origin (issue 19 §2): `/` and
 * `/console/` give the page, `/console/{app.js,styles.css,icon.svg}` its script, stylesheet and icon —
 * an allowlist, nothing else from disk. Every response carries the strict policy: only this origin's
 * script, style and API, no inline code (no 'unsafe-inline' anywhere), never framed.
 * The files are built into dist/console/ by scripts/build-console.mjs (npm run build:renderer).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ServerResponse } from 'node:http';

export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** For every console and API response. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/console/app.js.map': { file: 'app.js.map', type: 'application/json; charset=utf-8' },
  '/console/styles.css': { file: 'styles.css', type: 'text/css; charset=utf-8' },
  '/console/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
};

/** dist/console under the repository (this file is src/fleet/web/assets.ts, or dist/src/fleet/web/assets.js) */
export function defaultConsoleDir(): string {
  const here = import.meta.dirname;
  const root = here.includes(`${join('dist', 'src')}`) ? resolve(here, '..', '..', '..', '..') : resolve(here, '..', '..', '..');
  return join(root, 'dist', 'console');
}

export class ConsoleAssets {
  readonly #dir: string;
  readonly #cache = new Map<string, Buffer>();

  constructor(dir = defaultConsoleDir()) {
    this.#dir = dir;
  }

  /** True when `path` is one of the console's files (the caller then lets `serve` answer). */
  handles(path: string): boolean {
    return Object.hasOwn(FILES, path);
  }

  serve(path: string, method: string, res: ServerResponse): void {
    const f = FILES[path];
    if (!f) {
      res.writeHead(404, { ...CONSOLE_SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { ...CONSOLE_SECURITY_HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    let body = this.#cache.get(f.file);
    if (!body) {
      try {
        body = readFileSync(join(this.#dir, f.file));
        this.#cache.set(f.file, body);
      } catch {
        res.writeHead(503, { ...CONSOLE_SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('the web console is not built: run `npm run build:renderer` on the controller\n');
        return;
      }
    }
    res.writeHead(200, { ...CONSOLE_SECURITY_HEADERS, 'Content-Type': f.type, 'Content-Length': String(body.length), 'Cache-Control': 'no-cache' });
    res.end(method === 'HEAD' ? undefined : body);
  }
}
