/**
 * Who is calling, and may they (issue 19 §1): the one place both the JSON routes (server.ts) and the
 * console's event stream (src/fleet/web/console-http.ts) authenticate a request and check its role,
 * so a caller is the same caller on every path — a bearer token, or a client certificate verified
 * against --api-client-ca and bound to a token (same name, role, audit actor and revocation).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { AgentError } from '../../common/errors.js';
import type { ApiContext } from './context.js';
import { ROLE_GRANTS, type RouteRole } from './routes.js';
import type { Caller } from './tokens.js';

/** The caller behind `Authorization: Bearer …` or a verified client certificate (unauthenticated / token_revoked otherwise). */
export function authenticate(ctx: ApiContext, req: IncomingMessage): Caller {
  const h = req.headers.authorization ?? '';
  const tls = req.socket as TLSSocket;
  if (!h && tls.encrypted && tls.authorized) {
    // a client certificate verified against --api-client-ca (unverified ones never get here)
    return ctx.tokens.authenticateCert(tls.getPeerCertificate().fingerprint256);
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (!m) throw new AgentError('unauthenticated', 'a bearer token is required (Authorization: Bearer rpaf_…; rpa-fleet tokens create)');
  return ctx.tokens.authenticate(m[1]!);
}

/** [issue 19 §1] roles: throws `forbidden` unless the caller's role grants `needed` (a viewer cannot approve, an approver cannot start or abort). */
export function authorize(caller: Caller, needed: RouteRole, operation: string): void {
  if (!ROLE_GRANTS[caller.role].includes(needed)) throw new AgentError('forbidden', `${caller.name} has role ${caller.role}; ${operation} needs role ${needed}`);
}
