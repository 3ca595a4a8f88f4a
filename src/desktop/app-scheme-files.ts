/**
 * The status window is loaded from `rpa://status/…`, a custom protocol, never file:// (Electron security
 * checklist §18: file:// pages get extra privileges and share one origin). This file holds the pure
 * part — URL → file under the renderer root, MIME type and security headers — so the Electron handler
 * (app-scheme.ts) and the Chromium tests serve the window the same way. No electron import here.
 */
import { extname, join, normalize, sep } from 'node:path';
import { APP_ORIGIN, APP_SCHEME } from '../common/bridge-names.js';

/** Same policy as the <meta> in renderer/index.html; the header wins if the two ever differ. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'none'; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json; charset=utf-8',
};

/** Only these files are served; anything else is a 404 even if it exists on disk. */
const SERVED = /^(index\.html|dist\/(app\.js(\.map)?|styles\.css)|icons\/[a-z0-9-]+\.(png|svg))$/;

export interface ResolvedAsset {
  path: string;
  mimeType: string;
}

/**
 * Maps a request URL on the app origin to a file under `rootDir`. Returns undefined for other origins,
 * path traversal, or files outside the served list.
 */
export function resolveAppAsset(requestUrl: string, rootDir: string, origin: string = APP_ORIGIN): ResolvedAsset | undefined {
  let u: URL;
  let o: URL;
  try {
    u = new URL(requestUrl);
    o = new URL(origin);
  } catch {
    return undefined;
  }
  if (u.protocol !== o.protocol || u.host !== o.host) return undefined;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname).replace(/^\/+/, '');
  } catch {
    return undefined;
  }
  if (rel === '') rel = 'index.html';
  if (rel.includes('\\') || rel.split('/').some((seg) => seg === '..' || seg === '.') || !SERVED.test(rel)) return undefined;
  const root = normalize(rootDir + sep);
  const path = normalize(join(root, rel));
  if (!path.startsWith(root)) return undefined;
  return { path, mimeType: MIME[extname(path)] ?? 'application/octet-stream' };
}

/** The scheme is registered as standard + secure so the page gets a real origin and a secure context. */
export const APP_SCHEME_PRIVILEGES = { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false, stream: false } } as const;
