/**
 * The one module that touches the OS credential store (DESIGN.md: keytar today; keytar is archived,
 * so nothing else may import it). Windows: Credential Manager; macOS: Keychain; Linux: Secret Service.
 * Secret values never go into a log line or an error message.
 */
import { AgentError } from '../../common/errors.js';

export interface SecretStore {
  get(account: string): Promise<string | undefined>;
  set(account: string, value: string): Promise<void>;
  delete(account: string): Promise<boolean>;
}

/** Well-known accounts under the agent's service name. */
export const SecretAccounts = {
  brokerPassword: 'broker-password',
  endpointSecret: 'bot-endpoint-secret',
  modelKey: 'model-at-rest-key',
} as const;

interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

export async function createKeytarSecretStore(service = 'rpa-edge-agent'): Promise<SecretStore> {
  let keytar: KeytarLike;
  try {
    const mod = (await import('keytar')) as unknown as { default?: KeytarLike } & KeytarLike;
    keytar = mod.default ?? mod;
  } catch (e) {
    throw new AgentError('secret_missing', `the OS credential store is not available: ${(e as Error).message}`);
  }
  const wrap = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw new AgentError(
        'secret_missing',
        `OS credential store ${what} failed (${(e as Error).message}); on Linux a Secret Service (gnome-keyring) must be running`,
      );
    }
  };
  return {
    get: (account) => wrap('read', async () => (await keytar.getPassword(service, account)) ?? undefined),
    set: (account, value) => wrap('write', () => keytar.setPassword(service, account, value)),
    delete: (account) => wrap('delete', () => keytar.deletePassword(service, account)),
  };
}

/** Returns the secret, creating it with `make()` on first use (e.g. the at-rest model key). */
export async function getOrCreateSecret(store: SecretStore, account: string, make: () => string): Promise<string> {
  const existing = await store.get(account);
  if (existing) return existing;
  const value = make();
  await store.set(account, value);
  return value;
}
