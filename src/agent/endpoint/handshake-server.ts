/**
 * The server's side of the handshake (docs/BOT-API.md "Handshake"; issue 5 §2): hello → serverProof, then
 * authenticate → the session. Any misstep is audited, answered `unauthenticated` and ends the connection.
 * Split out of server.ts (issue 18 §4); the HMACs are in handshake.ts.
 */
import { BOT_PROTOCOL_VERSION, type BotResult } from '../../common/bot-protocol.js';
import { AgentError } from '../../common/errors.js';
import type { Connection } from './connection.js';
import { describeIssues } from './envelope.js';
import { clientProof, newNonce, proofsEqual, serverProof } from './handshake.js';
import type { EndpointLimits } from './limits.js';
import { parseParams } from './methods.js';

/** What the handshake needs from its endpoint. */
export interface HandshakeHost {
  readonly secret: string;
  readonly agentVersion: string;
  readonly limits: EndpointLimits;
  /** authenticated connections now */
  authenticatedCount(): number;
  /** the connection passed: it leaves the pending set and its handshake deadline is cleared */
  opened(c: Connection): void;
  audit(event: string, fields: Record<string, unknown>): void;
}

export function handshakeFrame(h: HandshakeHost, c: Connection, method: string, id: string | number | undefined, params: unknown): void {
  const fail = (message: string) => {
    h.audit('auth_failed', { conn: c.id, reason: message });
    c.sendError(id ?? null, new AgentError('unauthenticated', message));
    c.close();
  };
  if (id === undefined) return fail('authenticate first: send hello (with an id)');
  if (c.state === 'hello') {
    if (method !== 'hello') return fail(`authenticate first: "${method.slice(0, 64)}" is not allowed before the handshake (send hello)`);
    const p = parseParams('hello', params);
    if (!p.ok) return fail(`hello: ${describeIssues(p.error)}`);
    c.clientNonce = p.params.clientNonce;
    c.clientName = p.params.client;
    c.serverNonce = newNonce();
    c.state = 'proof';
    const hello: BotResult<'hello'> = { protocol: BOT_PROTOCOL_VERSION, serverNonce: c.serverNonce, serverProof: serverProof(h.secret, c.clientNonce, c.serverNonce) };
    c.sendResult(id, hello);
    return;
  }
  if (method !== 'authenticate') return fail(`send authenticate with clientProof after hello, not "${method.slice(0, 64)}"`);
  const p = parseParams('authenticate', params);
  if (!p.ok) return fail(`authenticate: ${describeIssues(p.error)}`);
  const expected = clientProof(h.secret, c.serverNonce, c.clientNonce);
  if (!proofsEqual(expected, p.params.clientProof)) return fail('wrong clientProof: this client does not have the endpoint secret');
  const l = h.limits;
  if (h.authenticatedCount() >= l.maxConnections) {
    c.sendError(id, new AgentError('too_many_connections', `the endpoint already serves ${l.maxConnections} connections`));
    c.close();
    return;
  }
  c.state = 'open';
  h.opened(c);
  c.decoder.maxFrameBytes = l.maxFrameBytes;
  h.audit('auth_ok', { conn: c.id, client: c.clientName });
  const session: BotResult<'authenticate'> = {
    sessionId: c.id,
    agentVersion: h.agentVersion,
    limits: {
      maxFrameBytes: l.maxFrameBytes,
      maxPngBytes: l.maxPngBytes,
      maxPixels: l.maxPixels,
      requestsPerSecond: l.requestsPerSecond,
      heavyPerSecond: l.heavyPerSecond,
      maxQueued: l.maxQueued,
      requestTimeoutMs: l.requestTimeoutMs,
    },
  };
  c.sendResult(id, session);
}
