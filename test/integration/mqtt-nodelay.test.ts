/**
 * TCP_NODELAY on every MQTT connection we open (src/common/mqtt-socket.ts): the agent transport, the fleet
 * tools and the simulator, including after a reconnect. Without it a release or a PUBACK that follows
 * another unacknowledged segment waited ~40 ms for Nagle + delayed ACK (docs/BENCHMARKS-distribution.md).
 * Real sockets to a real in-process aedes broker; setNoDelay is observed, not replaced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseAgentConfig } from '../../src/agent/config.js';
import { silentLogger, systemTimers } from '../../src/agent/runtime.js';
import { MqttTransport } from '../../src/agent/transport/mqtt-transport.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { startAedes } from '../helpers/brokers.js';

function watchNoDelay(): { sockets: Set<net.Socket>; restore(): void } {
  const sockets = new Set<net.Socket>();
  const original = net.Socket.prototype.setNoDelay;
  net.Socket.prototype.setNoDelay = function (this: net.Socket, noDelay?: boolean) {
    if (noDelay !== false) sockets.add(this);
    return original.call(this, noDelay);
  };
  return { sockets, restore: () => void (net.Socket.prototype.setNoDelay = original) };
}

test('TCP_NODELAY: the agent transport sets it on connect and again after a reconnect; fleet connectBroker sets it', { timeout: 30_000 }, async () => {
  const broker = await startAedes();
  const watch = watchNoDelay();
  let t: MqttTransport | undefined;
  try {
    const fleet = await connectBroker({ url: broker.url });
    assert.ok(watch.sockets.has(fleet.stream as net.Socket), 'fleet client socket');
    await fleet.endAsync();

    const cfg = parseAgentConfig({ broker: { url: broker.url, protocolVersion: 4, reconnect: { minMs: 50, maxMs: 100 } }, agentId: 'nd-1', channel: 'c', trustFile: 't', dataDir: 'd' }).broker;
    let connects = 0;
    t = new MqttTransport({ broker: cfg, clientId: 'nd-1', will: { topic: 'w', payload: () => '{}' }, timers: systemTimers, random: () => 0.5, logger: silentLogger, onConnect: () => void connects++ });
    t.start();
    const until = async (cond: () => boolean) => {
      const end = Date.now() + 10_000;
      while (!cond()) {
        if (Date.now() > end) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => connects === 1);
    const first = (t as unknown as { client: { stream: net.Socket } }).client.stream;
    assert.ok(watch.sockets.has(first), 'agent socket after the first connect');
    await broker.restart();
    await until(() => connects === 2);
    const second = (t as unknown as { client: { stream: net.Socket } }).client.stream;
    assert.notEqual(second, first, 'a new socket after the reconnect');
    assert.ok(watch.sockets.has(second), 'agent socket after the reconnect');
  } finally {
    watch.restore();
    await t?.close();
    await broker.close();
  }
});
