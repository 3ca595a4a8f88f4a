/**
 * `rpa-fleet --controller https://host:port …` (issue 19 §1): the verbs run against a remote
 * controller's API instead of the local fleet database. `--controller URL` (and `--controller-ca
 * FILE`, extra CA certificates for the controller's TLS certificate) may stand anywhere on the
 * command line. `rpa-fleet login --controller URL --token-stdin` checks a token against the
 * controller and stores it in the OS credential store; `$RPA_FLEET_TOKEN` is the fallback for CI.
 */
import { readFile } from 'node:fs/promises';
import { AgentError } from '../../../common/errors.js';
import { parseFlags, type Command, type CommandIO, type AnyCommand } from '../../command.js';
import { ApiClient, parseControllerUrl } from './client.js';
import { KEYTAR_SERVICE, loadToken, storeToken, TOKEN_ENV } from './credentials.js';
import { readCommands, type Connect } from './read-commands.js';
import { remoteStatus } from './status.js';
import { writeCommands } from './write-commands.js';

export interface RemoteFlags {
  controller?: string;
  ca?: string;
  rest: string[];
}

/** Pure: takes `--controller URL`, `--controller=URL`, `--controller-ca FILE` out of argv. */
export function extractRemoteFlags(argv: readonly string[]): RemoteFlags | { error: string } {
  const rest: string[] = [];
  const out: { controller?: string; ca?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(controller|controller-ca)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '' || (m[2] === undefined && value.startsWith('--'))) return { error: `--${m[1]} needs a value` };
    out[m[1] === 'controller' ? 'controller' : 'ca'] = value;
  }
  if (out.ca && !out.controller) return { error: '--controller-ca needs --controller URL' };
  return { ...out, rest };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8').trim();
}

function loginCommand(controller: string | undefined, caFile: string | undefined): Command<{ json: boolean }> {
  return {
    name: 'login',
    summary: 'store an API token for a remote controller in the OS credential store',
    help: `--controller https://host:port --token-stdin [--controller-ca FILE] [--json]

Reads the token (from \`rpa-fleet tokens create\` on the controller's machine) from stdin, checks it
against the controller (GET /api/v1/whoami) and stores it in the OS credential store (service
"${KEYTAR_SERVICE}"), one per controller. Later \`rpa-fleet --controller URL …\` uses it; without a
credential store (CI) set $${TOKEN_ENV} instead.`,
    parse(argv) {
      const r = parseFlags(argv, { 'token-stdin': { type: 'boolean' }, json: { type: 'boolean' } });
      if (r.kind !== 'ok') return r;
      if (!controller) return { kind: 'error', message: 'login needs --controller https://host:port' };
      if (r.values['token-stdin'] !== true) return { kind: 'error', message: '--token-stdin is required: the token is read from stdin, never from the command line' };
      return { kind: 'ok', value: { json: r.values['json'] === true } };
    },
    async run(a, io) {
      const url = parseControllerUrl(controller!);
      const token = await readStdin();
      if (!/^rpaf_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/.test(token)) throw new AgentError('bad_argument', 'stdin does not hold an API token (rpaf_…; rpa-fleet tokens create prints one)');
      const api = new ApiClient({ controller: url, token, ...(caFile ? { ca: await readFile(caFile) } : {}) });
      const me = await api.get<{ name: string; role: string; tokenId: string }>('/whoami');
      await storeToken(url.origin, token);
      io.out(a.json ? JSON.stringify({ ok: true, controller: url.origin, ...me }) : `logged in to ${url.origin} as ${me.name} (${me.role}); token stored in the OS credential store`);
      return 0;
    },
  };
}

/** The verb table for a remote controller (and `login`). */
export function remoteCommands(controller: string, caFile: string | undefined): AnyCommand[] {
  let client: ApiClient | undefined;
  const connect: Connect = async (io: CommandIO) => {
    if (client) return client;
    const url = parseControllerUrl(controller);
    const { token } = await loadToken(url.origin, io.env);
    client = new ApiClient({ controller: url, token, ...(caFile ? { ca: await readFile(caFile) } : {}) });
    return client;
  };
  return [loginCommand(controller, caFile), remoteStatus(connect), ...readCommands(connect), ...writeCommands(connect)];
}

/** Locally, `login` only says it needs --controller. */
export const localLogin: AnyCommand = loginCommand(undefined, undefined);
