/**
 * The agent's MQTT client does not build mqtt-packet's number cache (issue 17 §2): 65,536 two-byte Buffers made
 * at the first packet written and kept for the life of the process, ~7.5 MB of the agent's idle V8 heap
 * (docs/BENCHMARKS.md "Footprint, round 3"). A real transport to a real in-process aedes broker: connect,
 * subscribe, publish and receive, then the cache of the mqtt-packet the agent's client writes with is read.
 * This file runs in its own process (node:test), so nothing else has written a packet before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { parseAgentConfig } from '../../src/agent/config.js';
import { silentLogger, systemTimers } from '../../src/agent/runtime.js';
import { MqttTransport } from '../../src/agent/transport/mqtt-transport.js';
import { startAedes } from '../helpers/brokers.js';

/** the mqtt-packet that MQTT.js (the agent's client) resolves */
function mqttPacketOfTheClient(): { cache: Record<number, Buffer>; writeToStream: { cacheNumbers: boolean } } {
  const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
  const numbers = fromMqtt('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };
  return { cache: numbers.cache, writeToStream: (fromMqtt('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } }).writeToStream };
}

test('MQTT transport: packets go both ways without mqtt-packet building its 65,536-Buffer number cache', { timeout: 30_000 }, async () => {
  const packet = mqttPacketOfTheClient();
  const broker = await startAedes();
  let t: MqttTransport | undefined;
  try {
    const cfg = parseAgentConfig({ broker: { url: broker.url, protocolVersion: 4 }, agentId: 'wc-1', channel: 'c', trustFile: 't', dataDir: 'd' }).broker;
    let connected = false;
    t = new MqttTransport({ broker: cfg, clientId: 'wc-1', will: { topic: 'w', payload: () => '{}' }, timers: systemTimers, random: () => 0.5, logger: silentLogger, onConnect: () => void (connected = true) });
    t.start();
    const until = async (cond: () => boolean, what: string) => {
      const end = Date.now() + 10_000;
      while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => connected, 'connect');
    const got: string[] = [];
    t.subscribe('wc/+', (_topic, payload) => void got.push(payload.toString()), 1);
    // QoS 1 both ways: packet ids are written (what the cache is for); published until the subscription is in place
    for (let i = 0; got.length < 3; i++) {
      if (i > 100) throw new Error('timed out waiting for messages back');
      t.publish(`wc/${i}`, `m${i}`, { qos: 1, retain: false });
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(packet.writeToStream.cacheNumbers, false, 'the client turned the number cache off');
    assert.equal(Object.keys(packet.cache).length, 0, 'no number cache was built');
  } finally {
    await t?.close();
    await broker.close();
  }
});
