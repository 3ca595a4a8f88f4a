/**
 * The per-install endpoint secret (issue 5 §2). It lives only in the OS credential store (DESIGN.md
 * "Secrets"), under service `rpa-edge-agent`, account `bot-endpoint-secret`, which only the same OS user
 * can read: Windows Credential Manager (target "rpa-edge-agent/bot-endpoint-secret"), macOS Keychain,
 * Linux Secret Service. Bots in Python/.NET read it from there directly (docs/BOT-API.md).
 */
import { AgentError } from '../../common/errors.js';
import { createKeytarSecretStore, getOrCreateSecret, SecretAccounts, type SecretStore } from '../secrets/secret-store.js';
import { newEndpointSecret } from './handshake.js';

/** Agent side: the secret, created on first start. */
export function getOrCreateEndpointSecret(store: SecretStore): Promise<string> {
  return getOrCreateSecret(store, SecretAccounts.endpointSecret, newEndpointSecret);
}

/** Bot side: reads the secret; `secret_missing` with advice when the agent has never run. */
export async function readEndpointSecret(store?: SecretStore): Promise<string> {
  const s = store ?? (await createKeytarSecretStore());
  const v = await s.get(SecretAccounts.endpointSecret);
  if (!v)
    throw new AgentError('secret_missing', 'the bot-endpoint secret is not in the OS credential store: start the agent once as this user (rpa-agent run) to create it');
  return v;
}

/** Replaces the secret (every bot must reconnect); the old one stops working when the agent restarts its endpoint. */
export async function rotateEndpointSecret(store: SecretStore): Promise<string> {
  const v = newEndpointSecret();
  await store.set(SecretAccounts.endpointSecret, v);
  return v;
}
