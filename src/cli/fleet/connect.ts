/**
 * Broker flags shared by the rpa-fleet verbs that talk to a broker, and their pure parser.
 * Secrets rule (DESIGN.md "Secrets"): a password never appears on the command line in plain text;
 * it comes from an environment variable (--password-env) or the OS credential store
 * (--password-store ACCOUNT, service "rpa-fleet"), and is never printed.
 */
import { readFile } from 'node:fs/promises';
import type { IClientOptions, MqttClient } from 'mqtt';
import { AgentError } from '../../common/errors.js';
import { DEFAULT_TOPIC_PREFIX } from '../../common/topics.js';
import { createKeytarSecretStore } from '../../agent/secrets/secret-store.js';
import { connectBroker } from '../../fleet/mqtt.js';
import { readTrustFile, roleTrust, type RoleTrust } from '../../fleet/trust.js';
import { readTrustChain, roleTrustOf } from '../../fleet/trust-statements.js';
import type { CommandIO, OptionsSpec } from '../command.js';

export const SECRET_SERVICE = 'rpa-fleet';

export const brokerOptions: OptionsSpec = {
  broker: { type: 'string' },
  username: { type: 'string' },
  'password-env': { type: 'string' },
  'password-store': { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  'cert-key': { type: 'string' },
  prefix: { type: 'string' },
  'mqtt-version': { type: 'string' },
};

export const brokerHelp = `Broker options:
  --broker URL            mqtt://host:1883 or mqtts://host:8883
  --username U            broker user name
  --password-env VAR      read the broker password from environment variable VAR
  --password-store ACCT   read it from the OS credential store (service "${SECRET_SERVICE}", account ACCT)
  --ca FILE               CA certificate to pin for mqtts://
  --cert FILE --cert-key FILE   client certificate and key for mqtts://
  --prefix P              topic prefix (default ${DEFAULT_TOPIC_PREFIX})
  --mqtt-version 5|4|auto protocol version (default auto: 5, then 3.1.1 if the broker refuses 5)`;

export interface BrokerFlags {
  url: string;
  username?: string;
  passwordEnv?: string;
  passwordStore?: string;
  ca?: string;
  cert?: string;
  certKey?: string;
  prefix: string;
  mqttVersion: 5 | 4 | 'auto';
}

type Values = Record<string, unknown>;
const str = (v: Values, k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);

/** Pure: flags → BrokerFlags, or a usage message. */
export function parseBrokerFlags(v: Values): { ok: true; value: BrokerFlags } | { ok: false; message: string } {
  const url = str(v, 'broker');
  if (!url) return { ok: false, message: '--broker URL is required' };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, message: `--broker ${JSON.stringify(url)} is not a URL (e.g. mqtt://localhost:1883)` };
  }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:'].includes(u.protocol)) return { ok: false, message: `--broker: unsupported scheme ${u.protocol}` };
  // Never accept a password in plain text on the command line (it lands in shell history and ps).
  if (u.password) return { ok: false, message: '--broker URL must not contain a password; use --password-env VAR or --password-store ACCOUNT' };
  const passwordEnv = str(v, 'password-env');
  const passwordStore = str(v, 'password-store');
  if (passwordEnv && passwordStore) return { ok: false, message: 'give either --password-env or --password-store, not both' };
  if (passwordEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv)) return { ok: false, message: `--password-env takes a variable name, got ${JSON.stringify(passwordEnv)}` };
  const cert = str(v, 'cert');
  const certKey = str(v, 'cert-key');
  if (Boolean(cert) !== Boolean(certKey)) return { ok: false, message: '--cert and --cert-key go together' };
  const mv = str(v, 'mqtt-version') ?? 'auto';
  if (!['5', '4', 'auto'].includes(mv)) return { ok: false, message: '--mqtt-version is 5, 4 or auto' };
  const prefix = str(v, 'prefix') ?? DEFAULT_TOPIC_PREFIX;
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(prefix)) return { ok: false, message: `--prefix ${JSON.stringify(prefix)}: topic levels without wildcards` };
  return {
    ok: true,
    value: {
      url,
      username: str(v, 'username') ?? (u.username ? decodeURIComponent(u.username) : undefined),
      passwordEnv,
      passwordStore,
      ca: str(v, 'ca'),
      cert,
      certKey,
      prefix,
      mqttVersion: mv === 'auto' ? 'auto' : (Number(mv) as 5 | 4),
    },
  };
}

async function readFileOr(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentError('not_found', `${what} ${path}: no such file`);
    throw e;
  }
}

/** Resolves the password (env or credential store) and TLS files, then connects. */
export async function connectFromFlags(
  f: BrokerFlags,
  io: CommandIO,
  /** long-lived callers (the controller): a fixed client id, a persistent session, reconnects */
  extra?: { clientId?: string; mqttOptions?: Partial<IClientOptions> },
): Promise<MqttClient> {
  let password: string | undefined;
  if (f.passwordEnv) {
    password = io.env[f.passwordEnv];
    if (password === undefined || password === '') throw new AgentError('secret_missing', `environment variable ${f.passwordEnv} is not set`);
  } else if (f.passwordStore) {
    const store = await createKeytarSecretStore(SECRET_SERVICE);
    password = await store.get(f.passwordStore);
    if (password === undefined) throw new AgentError('secret_missing', `no secret "${f.passwordStore}" under service "${SECRET_SERVICE}" in the OS credential store`);
  }
  const tls: Record<string, Buffer> = {};
  if (f.ca) tls['ca'] = await readFileOr(f.ca, '--ca');
  if (f.cert && f.certKey) {
    tls['cert'] = await readFileOr(f.cert, '--cert');
    tls['key'] = await readFileOr(f.certKey, '--cert-key');
  }
  const url = new URL(f.url);
  url.username = ''; // the user name travels in CONNECT, not in the URL
  return connectBroker({
    url: url.toString(),
    username: f.username,
    password,
    protocolVersion: f.mqttVersion,
    mqttOptions: Object.keys(tls).length || extra?.mqttOptions ? { ...extra?.mqttOptions, ...tls, ...(Object.keys(tls).length ? { rejectUnauthorized: true } : {}) } : undefined,
    ...(extra?.clientId ? { clientId: extra.clientId } : {}),
    signal: io.signal,
  });
}

/**
 * A role's keys from the installed trust file — or, given a broker client, from the trust in force: the
 * retained trust statements walked from that file exactly as agents walk them (issue 20 §1), so the
 * fleet tools verify with the keys agents use after a rotation or revocation.
 */
export async function trustFromFile(path: string | undefined, role: 'models' | 'releases', client?: MqttClient, prefix?: string): Promise<RoleTrust | undefined> {
  if (!path) return undefined;
  const file = await readTrustFile(path);
  if (!client) return roleTrust(file, role);
  return roleTrustOf((await readTrustChain(client, file, prefix ? { prefix } : {})).state, role);
}

/** Splits repeated and comma-separated values: --key a,b --key c → [a, b, c]. */
export function listValues(v: unknown): string[] {
  const arr = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return arr.flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean);
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
