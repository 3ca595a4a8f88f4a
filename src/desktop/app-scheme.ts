/**
 * Serves the status window from rpa://status/ (Electron security checklist §18, custom protocol
 * instead of file://). registerAppScheme() must run before app 'ready'; handleAppProtocol() after.
 */
import { readFile } from 'node:fs/promises';
import { protocol, type Session } from 'electron';
import { APP_ORIGIN } from '../common/bridge-names.js';
import { APP_SCHEME_PRIVILEGES, resolveAppAsset, SECURITY_HEADERS } from './app-scheme-files.js';

export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ ...APP_SCHEME_PRIVILEGES, privileges: { ...APP_SCHEME_PRIVILEGES.privileges } }]);
}

export function handleAppProtocol(ses: Session, rendererDir: string): () => void {
  ses.protocol.handle(APP_SCHEME_PRIVILEGES.scheme, async (request) => {
    // Only GET of allow-listed files under the renderer directory; everything else is a 404.
    const asset = request.method === 'GET' ? resolveAppAsset(request.url, rendererDir, APP_ORIGIN) : undefined;
    if (!asset) return new Response('not found', { status: 404, headers: SECURITY_HEADERS });
    try {
      const body = await readFile(asset.path);
      return new Response(body, { status: 200, headers: { ...SECURITY_HEADERS, 'Content-Type': asset.mimeType } });
    } catch {
      return new Response('not found', { status: 404, headers: SECURITY_HEADERS });
    }
  });
  return () => ses.protocol.unhandle(APP_SCHEME_PRIVILEGES.scheme);
}
