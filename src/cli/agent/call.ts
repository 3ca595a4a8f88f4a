/**
 * `rpa-agent call <method> [--params JSON] [--png FILE]`: one bot-endpoint call from a shell script
 * (issue 5 §5). The secret comes from the OS credential store, never from the command line.
 */
import { readFile } from 'node:fs/promises';
import { BOT_METHOD_NAMES, isBotMethod, type BotMethod } from '../../common/bot-protocol.js';
import { AgentError } from '../../common/errors.js';
import { connect } from '../../agent/endpoint/client.js';
import { defaultEndpointPath } from '../../agent/endpoint/paths.js';
import { parseDuration, parseFlags, reportError, type Command, type Parsed, type AnyCommand } from '../command.js';

const CALLABLE = BOT_METHOD_NAMES.filter((m) => m !== 'hello' && m !== 'authenticate' && m !== 'subscribe' && m !== 'unsubscribe');
/** methods whose image goes into params.source; feedback.submit takes it as params.png */
const SOURCE_METHODS: ReadonlySet<string> = new Set(['detect', 'classify', 'embed', 'findElement']);

export interface CallArgs {
  method: BotMethod;
  params: Record<string, unknown>;
  png?: string;
  template?: string;
  endpoint?: string;
  timeoutMs: number;
  json: boolean;
}

export function parseCall(argv: string[]): Parsed<CallArgs> {
  const f = parseFlags(
    argv,
    { params: { type: 'string' }, png: { type: 'string' }, template: { type: 'string' }, endpoint: { type: 'string' }, timeout: { type: 'string' }, json: { type: 'boolean' } },
    true,
  );
  if (f.kind !== 'ok') return f;
  const [method, ...extra] = f.positionals;
  if (!method) return { kind: 'error', message: `which method? one of: ${CALLABLE.join(', ')}` };
  if (extra.length) return { kind: 'error', message: `unexpected argument ${JSON.stringify(extra[0])} (params go in --params '{...}')` };
  if (!isBotMethod(method) || !(CALLABLE as string[]).includes(method)) return { kind: 'error', message: `unknown method ${JSON.stringify(method)}; one of: ${CALLABLE.join(', ')}` };
  let params: Record<string, unknown> = {};
  const raw = f.values.params;
  if (typeof raw === 'string') {
    try {
      params = JSON.parse(raw);
    } catch (e) {
      return { kind: 'error', message: `--params is not JSON: ${(e as Error).message}` };
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params)) return { kind: 'error', message: '--params must be a JSON object' };
  }
  const png = f.values.png as string | undefined;
  const template = f.values.template as string | undefined;
  if (png !== undefined) {
    if (!SOURCE_METHODS.has(method) && method !== 'feedback.submit') return { kind: 'error', message: `--png does not apply to ${method}` };
    if (SOURCE_METHODS.has(method) && params.source !== undefined) return { kind: 'error', message: 'give the image either as --png or as params.source, not both' };
  }
  if (template !== undefined && method !== 'findElement') return { kind: 'error', message: '--template applies to findElement only' };
  let timeoutMs = 30_000;
  if (typeof f.values.timeout === 'string') {
    const d = parseDuration(f.values.timeout);
    if (d === undefined || d <= 0) return { kind: 'error', message: `--timeout ${JSON.stringify(f.values.timeout)}: use e.g. 500ms, 10s` };
    timeoutMs = d;
  }
  return {
    kind: 'ok',
    value: {
      method,
      params,
      ...(png !== undefined ? { png } : {}),
      ...(template !== undefined ? { template } : {}),
      ...(typeof f.values.endpoint === 'string' ? { endpoint: f.values.endpoint } : {}),
      timeoutMs,
      json: f.values.json === true,
    },
  };
}

export const callCommand: Command<CallArgs> = {
  name: 'call',
  summary: 'call the local bot endpoint (detect, classify, findElement, …)',
  help: `<method> [--params JSON] [--png FILE] [--template FILE] [--endpoint PATH] [--timeout 30s] [--json]

Calls one method of the agent's bot endpoint and prints its result as JSON.
Methods: ${CALLABLE.join(', ')}

  --params JSON     the method's params (docs/BOT-API.md), e.g. '{"source":{"kind":"screen"},"minScore":0.5}'
  --png FILE        a PNG to send: params.source for detect/classify/embed/findElement, params.png for feedback.submit
  --template FILE   findElement: the PNG to look for
  --endpoint PATH   pipe name or socket path (default: this user's endpoint, ${defaultEndpointPath()})
  --timeout D       give up after D (default 30s)
  --json            print {"ok":true,"result":…} or {"ok":false,"error":{code,message}}

The endpoint secret is read from the OS credential store (service rpa-edge-agent, account bot-endpoint-secret).
Exit codes: 0 ok, 1 the call failed (error[code] on stderr), 2 usage.`,
  parse: parseCall,
  async run(a, io) {
    try {
      const params: Record<string, unknown> = { ...a.params };
      if (a.png !== undefined) {
        const b64 = (await readFile(a.png).catch((e) => Promise.reject(new AgentError('not_found', `cannot read --png ${a.png}: ${e.message}`)))).toString('base64');
        if (a.method === 'feedback.submit') params.png = b64;
        else params.source = { kind: 'png', png: b64 };
      }
      if (a.template !== undefined)
        params.template = (await readFile(a.template).catch((e) => Promise.reject(new AgentError('not_found', `cannot read --template ${a.template}: ${e.message}`)))).toString('base64');
      const client = await connect({ ...(a.endpoint ? { path: a.endpoint } : {}), clientName: 'rpa-agent call', connectTimeoutMs: Math.min(a.timeoutMs, 10_000), ...(io.signal ? { signal: io.signal } : {}) });
      try {
        const result = await client.call(a.method, params as never, { timeoutMs: a.timeoutMs, ...(io.signal ? { signal: io.signal } : {}) });
        io.out(a.json ? JSON.stringify({ ok: true, result }) : JSON.stringify(result, null, 2));
        return 0;
      } finally {
        client.close();
      }
    } catch (e) {
      return reportError(e, io, a.json);
    }
  },
};

export const commands: AnyCommand[] = [callCommand];
