/**
 * Where the remote CLI keeps a controller's API token (issue 19 §1): the OS credential store (keytar,
 * through the agent's one secret-store module), one entry per controller origin under the service
 * `rpa-fleet`; `$RPA_FLEET_TOKEN` is the fallback for CI, where no credential store runs.
 */
import { AgentError } from '../../../common/errors.js';
import { createKeytarSecretStore, type SecretStore } from '../../../agent/secrets/secret-store.js';

export const TOKEN_ENV = 'RPA_FLEET_TOKEN';
export const KEYTAR_SERVICE = 'rpa-fleet';
const account = (origin: string) => `api-token ${origin}`;

export async function storeToken(origin: string, token: string, store?: SecretStore): Promise<void> {
  await (store ?? (await createKeytarSecretStore(KEYTAR_SERVICE))).set(account(origin), token);
}

/** The credential store's token for `origin`, else $RPA_FLEET_TOKEN; `unauthenticated` when neither. */
export async function loadToken(origin: string, env: NodeJS.ProcessEnv, store?: SecretStore): Promise<{ token: string; from: 'keyring' | 'env' }> {
  let stored: string | undefined;
  let why = '';
  try {
    stored = await (store ?? (await createKeytarSecretStore(KEYTAR_SERVICE))).get(account(origin));
  } catch (e) {
    why = ` (credential store: ${(e as Error).message})`;
  }
  if (stored) return { token: stored, from: 'keyring' };
  const fromEnv = env[TOKEN_ENV];
  if (fromEnv) return { token: fromEnv.trim(), from: 'env' };
  throw new AgentError('unauthenticated', `no API token for ${origin}${why}: run \`rpa-fleet login --controller ${origin} --token-stdin\` or set ${TOKEN_ENV}`);
}
