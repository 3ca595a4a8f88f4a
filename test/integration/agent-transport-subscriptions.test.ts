/**
 * Owned subscriptions on the agent's one MQTT connection (issue 18 §3): `subscribe(filter, handler)` returns its
 * disposer; a handler gets the messages matching its filter and nothing else; a filter two users hold stays
 * subscribed until the last one disposes it; every held filter is subscribed again after a reconnect (clean
 * session). Real sockets to an in-process aedes broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentConfig } from '../../src/agent/config.js';
import { silentLogger, systemTimers } from '../../src/agent/runtime.js';
import { MqttTransport, topicMatches } from '../../src/agent/transport/mqtt-transport.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { startAedes } from '../helpers/brokers.js';

const until = async (cond: () => boolean, what: string) => {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('topicMatches: + is one level, # the rest', () => {
  assert.ok(topicMatches('m/x/chunks/+', 'm/x/chunks/7'));
  assert.ok(!topicMatches('m/x/chunks/+', 'm/x/chunks/7/extra'));
  assert.ok(!topicMatches('m/x/chunks/+', 'm/y/chunks/7'));
  assert.ok(topicMatches('m/#', 'm/x/chunks/7'));
  assert.ok(topicMatches('a/b', 'a/b'));
  assert.ok(!topicMatches('a/b', 'a/b/c'));
});

test('transport: owned subscriptions — per-handler delivery, shared filters held until the last disposer, resubscribed after a reconnect', { timeout: 30_000 }, async () => {
  const broker = await startAedes();
  const cfg = parseAgentConfig({ broker: { url: broker.url, protocolVersion: 4, reconnect: { minMs: 50, maxMs: 100 } }, agentId: 'sub-1', channel: 'c', trustFile: 't', dataDir: 'd' }).broker;
  let connects = 0;
  const t = new MqttTransport({ broker: cfg, clientId: 'sub-1', will: { topic: 'w', payload: () => '{}' }, timers: systemTimers, random: () => 0.5, logger: silentLogger, onConnect: () => void connects++ });
  let pub = await connectBroker({ url: broker.url });
  try {
    t.start();
    await until(() => connects === 1, 'connected');
    const got: Record<string, string[]> = { wild: [], exact: [], twin: [] };
    const offWild = t.subscribe('m/1/chunks/+', (topic) => got.wild!.push(topic));
    const offExact = t.subscribe('m/1/manifest', (topic) => got.exact!.push(topic));
    const offTwin = t.subscribe('m/1/manifest', (topic) => got.twin!.push(topic));
    await new Promise((r) => setTimeout(r, 200)); // SUBACKs
    await pub.publishAsync('m/1/chunks/0', 'c0', { qos: 1 });
    await pub.publishAsync('m/1/manifest', 'm', { qos: 1 });
    await pub.publishAsync('m/2/manifest', 'other', { qos: 1 });
    await until(() => got.wild!.length === 1 && got.exact!.length === 1 && got.twin!.length === 1, 'first deliveries');
    assert.deepEqual(got, { wild: ['m/1/chunks/0'], exact: ['m/1/manifest'], twin: ['m/1/manifest'] }, 'each handler its own filter only');

    offExact(); // the twin still holds the filter: it stays subscribed
    assert.deepEqual(t.subscriptions().sort(), ['m/1/chunks/+', 'm/1/manifest']);
    await pub.publishAsync('m/1/manifest', 'm2', { qos: 1 });
    await until(() => got.twin!.length === 2, 'twin after the other disposed');
    assert.equal(got.exact!.length, 1, 'a disposed handler gets nothing');

    // a broker restart drops the clean session; every held filter is subscribed again on reconnect
    await broker.restart(100);
    await until(() => connects === 2, 'reconnected');
    await new Promise((r) => setTimeout(r, 200));
    await pub.endAsync(true);
    pub = await connectBroker({ url: broker.url });
    await pub.publishAsync('m/1/chunks/1', 'c1', { qos: 1 });
    await until(() => got.wild!.length === 2, 'wildcard after reconnect');

    offWild();
    offTwin();
    assert.deepEqual(t.subscriptions(), [], 'nothing held once every user disposed');
    await pub.publishAsync('m/1/chunks/2', 'c2', { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.wild!.length, 2, 'unsubscribed on the wire: no delivery');
  } finally {
    await pub.endAsync();
    await t.close();
    await broker.close();
  }
});
