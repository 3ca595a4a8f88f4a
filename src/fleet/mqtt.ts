/**
 * Broker connection and retained-message reads for the fleet tools (DESIGN.md "Wire protocol",
 * "Broker connections"). MQTT 5 first; a broker that refuses v5 (aedes 1.x) gets 3.1.1, since
 * nothing the admin side does needs a v5-only feature.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { AgentError } from '../common/errors.js';
import { noDelayOnConnect } from '../common/mqtt-socket.js';

export interface BrokerOptions {
  url: string;
  clientId?: string;
  username?: string;
  /** never logged, never put in an error message */
  password?: string;
  /** 5, 4 (3.1.1) or 'auto' (5, then 4 if the broker refuses v5). Default 'auto'. */
  protocolVersion?: 5 | 4 | 'auto';
  connectTimeoutMs?: number;
  /** extra MQTT.js options (TLS: ca, cert, key, rejectUnauthorized …) */
  mqttOptions?: Partial<IClientOptions>;
  signal?: AbortSignal;
}

/** CONNACK codes meaning "unsupported protocol version": 1 in 3.1.1, 0x84 in 5. */
const UNSUPPORTED_VERSION = new Set([1, 0x84]);

export async function connectBroker(opts: BrokerOptions): Promise<MqttClient> {
  const version = opts.protocolVersion ?? 'auto';
  if (version !== 'auto') return connectOnce(opts, version);
  try {
    return await connectOnce(opts, 5);
  } catch (e) {
    if (e instanceof AgentError && UNSUPPORTED_VERSION.has(Number(e.details?.['connackCode']))) return connectOnce(opts, 4);
    throw e;
  }
}

function connectOnce(opts: BrokerOptions, protocolVersion: 5 | 4): Promise<MqttClient> {
  const where = redactUrl(opts.url);
  if (opts.signal?.aborted) return Promise.reject(new AgentError('aborted', 'connect cancelled'));
  return new Promise((resolve, reject) => {
    let client: MqttClient;
    try {
      client = mqtt.connect(opts.url, {
        protocolVersion,
        clientId: opts.clientId ?? `rpa-fleet-${randomBytes(6).toString('hex')}`,
        username: opts.username,
        password: opts.password,
        clean: true,
        // A CLI run fails fast; long-lived callers (the controller) pass their own reconnectPeriod.
        reconnectPeriod: 0,
        connectTimeout: opts.connectTimeoutMs ?? 10_000,
        ...opts.mqttOptions,
      });
      noDelayOnConnect(client);
    } catch (e) {
      reject(new AgentError('bad_argument', `broker URL ${where}: ${(e as Error).message}`));
      return;
    }
    const cleanup = () => {
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: AgentError) => {
      cleanup();
      client.end(true);
      reject(err);
    };
    const onConnect = () => {
      cleanup();
      resolve(client);
    };
    const onError = (e: Error & { code?: number | string }) => {
      const code = typeof e.code === 'number' ? e.code : undefined;
      const authFailed = code === 4 || code === 5 || code === 0x86 || code === 0x87;
      fail(
        new AgentError(
          'broker_unreachable',
          authFailed ? `broker ${where} refused the credentials (${e.message})` : `cannot connect to ${where}: ${e.message}`,
          code !== undefined ? { connackCode: code } : undefined,
        ),
      );
    };
    const onClose = () => fail(new AgentError('broker_unreachable', `cannot connect to ${where}: connection closed`));
    const onAbort = () => fail(new AgentError('aborted', 'connect cancelled'));
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Strips user:password from a URL before it goes into any message. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** MQTT topic filter match (`+` one level, `#` the rest) [MQTT-4.7]. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

export interface ReadRetainedOptions {
  /** resolve as soon as this many messages arrived (1 for a single-topic read) */
  expect?: number;
  /** after the SUBACK, stop when no message arrived for this long (default 300 ms) */
  idleMs?: number;
  /** hard limit after the SUBACK (default 1500 ms) */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Collects the retained messages for a filter. MQTT has no "end of retained" marker, so this waits
 * until `expect` messages came, or the stream went idle, or the time limit; the broker sends retained
 * messages right after the SUBACK, so an idle gap after them means there are no more.
 * Empty payloads (a cleared retained topic) are left out. Later messages on a topic replace earlier.
 */
export async function readRetained(client: MqttClient, filter: string, opts: ReadRetainedOptions = {}): Promise<Map<string, Buffer>> {
  const got = new Map<string, Buffer>();
  const idleMs = opts.idleMs ?? 300;
  const timeoutMs = opts.timeoutMs ?? 1500;
  let wake: (() => void) | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let subscribed = false;
  const armIdle = () => {
    if (!subscribed) return;
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => wake?.(), idleMs);
  };
  const onMessage = (topic: string, payload: Buffer) => {
    if (!topicMatches(filter, topic)) return;
    if (payload.length === 0) got.delete(topic);
    else got.set(topic, payload);
    if (opts.expect !== undefined && got.size >= opts.expect) wake?.();
    else armIdle();
  };
  client.on('message', onMessage);
  let hardTimer: NodeJS.Timeout | undefined;
  const onAbort = () => wake?.();
  try {
    const done = new Promise<void>((r) => (wake = r));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    await client.subscribeAsync(filter, { qos: 1 });
    subscribed = true;
    if (!(opts.expect !== undefined && got.size >= opts.expect)) {
      armIdle();
      hardTimer = setTimeout(() => wake?.(), timeoutMs);
      await done;
    }
    if (opts.signal?.aborted) throw new AgentError('aborted', 'cancelled');
  } finally {
    client.off('message', onMessage);
    opts.signal?.removeEventListener('abort', onAbort);
    if (idleTimer) clearTimeout(idleTimer);
    if (hardTimer) clearTimeout(hardTimer);
    if (subscribed && client.connected) await client.unsubscribeAsync(filter).catch(() => undefined);
  }
  return got;
}
