/**
 * `rpa-agent secret set|delete|check ACCOUNT`: puts the agent's secrets into the OS credential store
 * (DESIGN.md "Secrets"). The value is read from stdin, never from the command line (shell history,
 * `ps`), and never printed.
 */
import { AgentError } from '../../common/errors.js';
import { createKeytarSecretStore, SecretAccounts } from '../../agent/secrets/secret-store.js';
import { parseFlags, type Command, type Parsed, type AnyCommand } from '../command.js';

const ACCOUNTS = Object.values(SecretAccounts) as string[];

export interface SecretArgs {
  action: 'set' | 'delete' | 'check';
  account: string;
  json: boolean;
  secretService: string;
}

export function parseSecretArgs(action: SecretArgs['action'], argv: string[]): Parsed<SecretArgs> {
  const r = parseFlags(argv, { json: { type: 'boolean' }, 'secret-service': { type: 'string' } }, true);
  if (r.kind !== 'ok') return r;
  const [account, ...extra] = r.positionals;
  if (!account) return { kind: 'error', message: `an ACCOUNT is required: ${ACCOUNTS.join(', ')}` };
  if (extra.length > 0) return { kind: 'error', message: 'one ACCOUNT only (the value is read from stdin, never from arguments)' };
  if (!ACCOUNTS.includes(account)) return { kind: 'error', message: `unknown account ${JSON.stringify(account)}; one of ${ACCOUNTS.join(', ')}` };
  const secretService = (r.values['secret-service'] as string | undefined) ?? 'rpa-edge-agent';
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(secretService)) return { kind: 'error', message: '--secret-service takes a plain name' };
  return { kind: 'ok', value: { action, account, json: r.values.json === true, secretService } };
}

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8').replace(/\r?\n$/, '');
}

function secretCommand(action: SecretArgs['action'], summary: string, help: string): Command<SecretArgs> {
  return {
    name: `secret ${action}`,
    summary,
    help,
    parse: (argv) => parseSecretArgs(action, argv),
    async run(a, io) {
      const store = await createKeytarSecretStore(a.secretService);
      let result: Record<string, unknown>;
      if (a.action === 'set') {
        const value = await readStdin();
        if (!value) throw new AgentError('bad_argument', 'no value on stdin');
        await store.set(a.account, value);
        result = { account: a.account, stored: true };
      } else if (a.action === 'delete') {
        result = { account: a.account, deleted: await store.delete(a.account) };
      } else {
        result = { account: a.account, present: (await store.get(a.account)) !== undefined };
      }
      if (a.json) io.out(JSON.stringify({ ok: true, ...result }));
      else io.out(`${a.account}: ${a.action === 'set' ? 'stored' : a.action === 'delete' ? (result.deleted ? 'deleted' : 'was not set') : result.present ? 'present' : 'not set'}`);
      return a.action === 'check' && !result.present ? 1 : 0;
    },
  };
}

export const commands: AnyCommand[] = [
  secretCommand('set', 'store a secret (value from stdin) in the OS credential store', `ACCOUNT [--secret-service NAME] [--json]\n\nACCOUNT: ${ACCOUNTS.join(', ')}. The value is read from stdin, e.g. \`read -rs P; printf %s "$P" | rpa-agent secret set broker-password\`.`),
  secretCommand('delete', 'remove a secret from the OS credential store', `ACCOUNT [--secret-service NAME] [--json]`),
  secretCommand('check', 'tell whether a secret is set (never prints it); exit 1 when missing', `ACCOUNT [--secret-service NAME] [--json]`),
];
