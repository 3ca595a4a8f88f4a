/**
 * Who performs an admin action (issue 16 §4: "Nobody is recorded: … log 'by an admin'").
 * The actor is `--actor`, else $RPA_FLEET_ACTOR, else the OS user@host: never an anonymous "admin".
 */
import { hostname, userInfo } from 'node:os';
import { AgentError } from '../../common/errors.js';

export const ACTOR_ENV = 'RPA_FLEET_ACTOR';
const ACTOR = /^[^\p{Cc}]{1,128}$/u;

export interface OsIdentity {
  user: () => string;
  host: () => string;
}

const realOs: OsIdentity = {
  user: () => {
    try {
      return userInfo().username;
    } catch {
      return process.env['USER'] ?? process.env['USERNAME'] ?? 'unknown-user';
    }
  },
  host: () => hostname(),
};

/** Pure given `os`: flag, then environment, then user@host. A malformed explicit actor is an error. */
export function resolveActor(flag: string | undefined, env: NodeJS.ProcessEnv, os: OsIdentity = realOs): string {
  const explicit = flag ?? (env[ACTOR_ENV] !== undefined && env[ACTOR_ENV] !== '' ? env[ACTOR_ENV] : undefined);
  if (explicit !== undefined) {
    const a = explicit.trim();
    if (!ACTOR.test(a)) throw new AgentError('bad_argument', `actor ${JSON.stringify(explicit)}: 1-128 printable characters`);
    return a;
  }
  return `${os.user()}@${os.host()}`;
}
