/**
 * The JSON-RPC 2.0 envelope of one frame (JSON-RPC 2.0 §4; docs/BOT-API.md): parsed once, at the edge,
 * into a typed request or a coded error. Split out of server.ts (issue 18 §4).
 */
import type { z } from 'zod';
import type { RpcId } from '../../common/bot-protocol.js';
import { AgentError } from '../../common/errors.js';

/** A request (`id` set) or a notification (`id` undefined: never answered, JSON-RPC 2.0 §4.1). */
export interface RpcEnvelope {
  id: string | number | undefined;
  method: string;
  params: unknown;
}

export type EnvelopeOutcome = { ok: true; req: RpcEnvelope } | { ok: false; id: RpcId; error: AgentError };

export function isValidId(id: unknown): id is RpcId {
  return id === null || (typeof id === 'string' && id.length <= 128) || (typeof id === 'number' && Number.isSafeInteger(id));
}

/** The in-flight map's key of a request id (a number and its string spelling are different ids). */
export function idKey(id: string | number): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

/** zod issues → one line a bot author can act on */
export function describeIssues(e: z.ZodError): string {
  return e.issues
    .slice(0, 4)
    .map((i) => `${i.path.length ? i.path.join('.') : 'params'}: ${i.message}`)
    .join('; ');
}

export function parseEnvelope(bytes: Buffer): EnvelopeOutcome {
  let msg: unknown;
  try {
    msg = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, id: null, error: new AgentError('parse_error', 'the frame is not valid JSON (one JSON-RPC request per line, UTF-8)') };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    return { ok: false, id: null, error: new AgentError('invalid_request', Array.isArray(msg) ? 'batches are not supported: send one request per line (pipelining is fine)' : 'a request must be a JSON object') };
  }
  const req = msg as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
  const hasId = 'id' in req && req.id !== undefined;
  const id: RpcId = hasId && isValidId(req.id) ? req.id : null;
  if (req.jsonrpc !== '2.0' || typeof req.method !== 'string' || (hasId && !isValidId(req.id)) || (hasId && req.id === null)) {
    return { ok: false, id, error: new AgentError('invalid_request', 'expected {"jsonrpc":"2.0","id":<string|integer>,"method":"...","params":{...}}') };
  }
  return { ok: true, req: { id: hasId ? (id as string | number) : undefined, method: req.method, params: req.params } };
}
