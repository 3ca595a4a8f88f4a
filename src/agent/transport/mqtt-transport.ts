/**
 * The agent's one MQTT connection (DESIGN.md "Broker connections"): client id = agent id (the broker
 * ACL confines it to `agents/%c/#`), retained last will, TLS with a pinned CA, password from the
 * credential store, reconnects with jittered back-off driven by injected timers, and the set of
 * subscriptions it wants re-established on every connect (brokers forget clean sessions on restart).
 *
 * Subscriptions are owned by their users (aedes' model): `subscribe(filter, handler)` returns its disposer and
 * the handler gets exactly the messages matching its filter; a filter several users hold is one SUBSCRIBE on
 * the wire, unsubscribed when its last user disposes it. There is no central message switch.
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
  onConnect?: () => void;
  onDisconnect?: () => void;
}

const SUBSCRIBE_BATCH = 64;

export type MessageHandler = (topic: string, payload: Buffer) => void;
export type Disposer = () => void;

/**
 * A set of filters one user holds with one handler (a chunk fetch's window of chunk topics): added and removed
 * in batches (one SUBSCRIBE / UNSUBSCRIBE per batch), disposed as a whole.
 */
export interface SubscriptionGroup {
  add(filters: readonly string[]): void;
  remove(filters: readonly string[]): void;
  /** UNSUBSCRIBE + SUBSCRIBE again on the wire: the broker re-sends the filters' retained messages (a stall) */
  renew(filters: readonly string[]): void;
  dispose(): void;
}

/** [MQTT-4.7] topic filter match: `+` one level, `#` the rest. */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
const MAX_OFFLINE_QUEUE = 1000;

export class MqttTransport {
  private client: MqttClient | undefined;
  /** every filter some user holds: its QoS and its users' handlers */
  private readonly desired = new Map<string, { qos: 0 | 1; handlers: Set<MessageHandler> }>();
  /** the held filters with a wildcard (matched per message; the rest are looked up) */
  private readonly wildcards = new Set<string>();
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
      // mqtt-packet's number cache is 65,536 two-byte Buffers built at the first write and kept for the process's
      // life: ~7.5 MB of V8 heap (issue 17 §2, docs/BENCHMARKS.md "Footprint, round 3") to save an allocation
      // per packet id, for an agent that sends a few packets a minute.
      writeCache: false,
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
    client.on('message', (topic, payload) => this.deliver(topic, payload));
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

  private sendSubscribe(topicList: readonly string[]): void {
    if (!this.client || !this.connected || topicList.length === 0) return;
    const map: Record<string, { qos: 0 | 1 }> = {};
    for (const t of topicList) map[t] = { qos: this.desired.get(t)?.qos ?? 1 };
    this.client.subscribe(map, (err) => {
      if (err) this.o.logger.warn('subscribe failed', { error: err.message, topics: topicList.length });
    });
  }

  private sendUnsubscribe(topicList: readonly string[]): void {
    if (this.client && this.connected && topicList.length > 0) this.client.unsubscribe([...topicList], () => {});
  }

  /** One message to every handler whose filter matches it (each handler once, even under overlapping filters). */
  private deliver(topic: string, payload: Buffer): void {
    const handlers = new Set<MessageHandler>(this.desired.get(topic)?.handlers);
    for (const f of this.wildcards) if (topicMatches(f, topic)) for (const h of this.desired.get(f)!.handlers) handlers.add(h);
    for (const h of handlers) {
      try {
        h(topic, payload);
      } catch (e) {
        this.o.logger.error('message handler failed', { topic, error: (e as Error).message });
      }
    }
  }

  /** Holds `filter` for `handler` until the returned disposer runs; re-established on every connect. */
  subscribe(filter: string, handler: MessageHandler, qos: 0 | 1 = 1): Disposer {
    const g = this.group(handler, qos);
    g.add([filter]);
    return () => g.dispose();
  }

  /** A group of filters held with one handler (see SubscriptionGroup). */
  group(handler: MessageHandler, qos: 0 | 1 = 1): SubscriptionGroup {
    const mine = new Set<string>();
    const add = (filters: readonly string[]) => {
      const fresh: string[] = [];
      for (const f of filters) {
        if (mine.has(f)) continue;
        mine.add(f);
        let d = this.desired.get(f);
        if (!d) {
          d = { qos, handlers: new Set() };
          this.desired.set(f, d);
          if (f.includes('+') || f.includes('#')) this.wildcards.add(f);
          fresh.push(f);
        }
        d.handlers.add(handler);
      }
      for (let i = 0; i < fresh.length; i += SUBSCRIBE_BATCH) this.sendSubscribe(fresh.slice(i, i + SUBSCRIBE_BATCH));
    };
    const remove = (filters: readonly string[]) => {
      const gone: string[] = [];
      for (const f of filters) {
        if (!mine.delete(f)) continue;
        const d = this.desired.get(f);
        d?.handlers.delete(handler);
        if (d && d.handlers.size === 0) {
          this.desired.delete(f);
          this.wildcards.delete(f);
          gone.push(f);
        }
      }
      this.sendUnsubscribe(gone);
    };
    return {
      add,
      remove,
      renew: (filters) => {
        const held = filters.filter((f) => mine.has(f));
        this.sendUnsubscribe(held);
        for (let i = 0; i < held.length; i += SUBSCRIBE_BATCH) this.sendSubscribe(held.slice(i, i + SUBSCRIBE_BATCH));
      },
      dispose: () => remove([...mine]),
    };
  }

  /** Filters held now (tests, diagnostics). */
  subscriptions(): string[] {
    return [...this.desired.keys()];
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
