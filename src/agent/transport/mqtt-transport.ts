/**
 * The agent's one MQTT connection (DESIGN.md "Broker connections"): client id = agent id (the broker
 * ACL confines it to `agents/%c/#`), retained last will, TLS with a pinned CA, password from the
 * credential store, reconnects with jittered back-off driven by injected timers, and the set of
 * subscriptions it wants re-established on every connect (brokers forget clean sessions on restart).
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { AgentError } from '../../common/errors.js';
import { MAX_CHUNK_SIZE } from '../../common/wire.js';
import type { AgentConfig } from '../config.js';
import type { Logger, Timers } from '../runtime.js';
import { backoffDelay } from './backoff.js';
import { noDelayOnConnect } from '../../common/mqtt-socket.js';

export interface TransportOptions {
  broker: AgentConfig['broker'];
  clientId: string;
  /** from the OS credential store; never logged */
  password?: string;
  will: { topic: string; payload: () => string };
  timers: Timers;
  random: () => number;
  logger: Logger;
  onMessage: (topic: string, payload: Buffer) => void;
  onConnect?: () => void;
  onDisconnect?: () => void;
}

const SUBSCRIBE_BATCH = 64;
const MAX_OFFLINE_QUEUE = 1000;

export class MqttTransport {
  private client: MqttClient | undefined;
  private readonly desired = new Map<string, 0 | 1>();
  private attempt = 0;
  private reconnectTimer: unknown;
  private closed = false;
  private readonly offlineQueue: { topic: string; payload: string | Buffer; qos: 0 | 1; retain: boolean }[] = [];
  /** extra connect listeners (outboxes flush on every connect; see onConnect for the core's own) */
  private readonly connectListeners = new Set<() => void>();
  connected = false;

  constructor(private readonly o: TransportOptions) {}

  start(): void {
    const b = this.o.broker;
    const opts: IClientOptions = {
      clientId: this.o.clientId,
      protocolVersion: b.protocolVersion,
      clean: true,
      keepalive: b.keepaliveSec,
      connectTimeout: b.connectTimeoutMs,
      // Reconnects are ours (jittered back-off below); MQTT.js's fixed-period timer would sync a fleet up.
      reconnectPeriod: 0,
      resubscribe: false,
      rejectUnauthorized: b.rejectUnauthorized,
      will: { topic: this.o.will.topic, payload: Buffer.from(this.o.will.payload()), qos: 1, retain: true },
    };
    // MQTT 5: the broker must not send us anything bigger than the largest legitimate message
    // (a 16 MiB chunk plus headers): endless-data attack on the socket itself.
    if (b.protocolVersion === 5) opts.properties = { maximumPacketSize: MAX_CHUNK_SIZE + 64 * 1024 };
    if (b.username) opts.username = b.username;
    if (this.o.password !== undefined) opts.password = this.o.password;
    try {
      if (b.ca) opts.ca = readFileSync(b.ca);
      if (b.cert) opts.cert = readFileSync(b.cert);
      if (b.key) opts.key = readFileSync(b.key);
    } catch (e) {
      throw new AgentError('bad_config', `cannot read broker TLS file: ${(e as Error).message}`);
    }
    const client = mqtt.connect(b.url, opts);
    noDelayOnConnect(client);
    this.client = client;
    client.on('connect', () => {
      this.connected = true;
      this.attempt = 0;
      this.o.logger.info('broker connected', { url: b.url });
      this.resubscribeAll();
      const queued = this.offlineQueue.splice(0);
      for (const m of queued) this.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain });
      this.o.onConnect?.();
      for (const l of [...this.connectListeners]) l();
    });
    client.on('message', (topic, payload) => {
      try {
        this.o.onMessage(topic, payload);
      } catch (e) {
        this.o.logger.error('message handler failed', { topic, error: (e as Error).message });
      }
    });
    client.on('error', (e) => this.o.logger.warn('broker connection error', { error: e.message }));
    client.on('close', () => {
      const was = this.connected;
      this.connected = false;
      if (was) this.o.onDisconnect?.();
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    const delay = backoffDelay(this.attempt++, this.o.broker.reconnect.minMs, this.o.broker.reconnect.maxMs, this.o.random);
    this.o.logger.info('broker reconnect scheduled', { delayMs: delay, attempt: this.attempt });
    this.reconnectTimer = this.o.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed || !this.client) return;
      // The will is rebuilt per connect so it carries the latest state with online:false.
      this.client.options.will = { topic: this.o.will.topic, payload: Buffer.from(this.o.will.payload()), qos: 1, retain: true };
      this.client.reconnect();
    }, delay);
  }

  private resubscribeAll(): void {
    const all = [...this.desired.keys()];
    for (let i = 0; i < all.length; i += SUBSCRIBE_BATCH) this.sendSubscribe(all.slice(i, i + SUBSCRIBE_BATCH));
  }

  private sendSubscribe(topicList: string[]): void {
    if (!this.client || !this.connected || topicList.length === 0) return;
    const map: Record<string, { qos: 0 | 1 }> = {};
    for (const t of topicList) map[t] = { qos: this.desired.get(t) ?? 1 };
    this.client.subscribe(map, (err) => {
      if (err) this.o.logger.warn('subscribe failed', { error: err.message, topics: topicList.length });
    });
  }

  subscribe(topicList: string[], qos: 0 | 1 = 1): void {
    const fresh = topicList.filter((t) => !this.desired.has(t));
    for (const t of fresh) this.desired.set(t, qos);
    for (let i = 0; i < fresh.length; i += SUBSCRIBE_BATCH) this.sendSubscribe(fresh.slice(i, i + SUBSCRIBE_BATCH));
  }

  unsubscribe(topicList: string[]): void {
    const present = topicList.filter((t) => this.desired.delete(t));
    if (this.client && this.connected && present.length > 0) this.client.unsubscribe(present, () => {});
  }

  isSubscribed(topic: string): boolean {
    return this.desired.has(topic);
  }

  publish(topic: string, payload: string | Buffer, opts: { qos: 0 | 1; retain: boolean }): void {
    if (this.closed) return;
    if (!this.client || !this.connected) {
      if (opts.retain) {
        // Only the latest retained value of a topic matters.
        const i = this.offlineQueue.findIndex((m) => m.topic === topic && m.retain);
        if (i >= 0) this.offlineQueue.splice(i, 1);
      }
      if (this.offlineQueue.length >= MAX_OFFLINE_QUEUE) this.offlineQueue.shift();
      this.offlineQueue.push({ topic, payload, ...opts });
      return;
    }
    this.client.publish(topic, payload, opts, (err) => {
      if (err) this.o.logger.warn('publish failed', { topic, error: err.message });
    });
  }

  addConnectListener(l: () => void): void {
    this.connectListeners.add(l);
  }

  removeConnectListener(l: () => void): void {
    this.connectListeners.delete(l);
  }

  /**
   * At-least-once publishing for an outbox (telemetry, feedback): `cb` runs on PUBACK, or with an error
   * at once when not connected, so the caller keeps the message and resends it on the next connect.
   */
  publishAcked(topic: string, payload: string, opts: { qos: 1; retain?: boolean }, cb: (err?: Error | null) => void): void {
    if (this.closed || !this.client || !this.connected) {
      cb(new Error('not connected to the broker'));
      return;
    }
    this.client.publish(topic, payload, { qos: opts.qos, retain: opts.retain ?? false }, (err) => cb(err ?? null));
  }

  /** Publishes `finalMessages` (e.g. the offline status) if connected, then disconnects for good. */
  async close(finalMessages: { topic: string; payload: string }[] = []): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer !== undefined) this.o.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // Bounded: a PUBACK or a DISCONNECT that never comes (e.g. just after a broker restart) must not
    // keep close() — and with it shutdown — waiting forever.
    const bounded = (p: Promise<void>, ms: number) =>
      Promise.race([p, new Promise<void>((r) => setTimeout(r, ms).unref?.())]);
    if (this.connected) {
      await bounded(
        Promise.all(
          finalMessages.map(
            (m) => new Promise<void>((r) => client.publish(m.topic, m.payload, { qos: 1, retain: true }, () => r())),
          ),
        ).then(() => undefined, () => undefined),
        2000,
      );
    }
    const graceful = this.connected;
    this.connected = false;
    // A graceful DISCONNECT suppresses the will, which is why the offline status is published above.
    await bounded(new Promise<void>((r) => client.end(!graceful, {}, () => r())), 2000);
    if (!client.disconnected) client.end(true);
  }
}
