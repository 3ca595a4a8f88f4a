/** The test brokers themselves, and the fleet ACL: an agent can write only under its own agents/{id}/. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startAedes, startMosquitto } from '../helpers/brokers.js';

async function roundTrip(url: string, protocolVersion: 4 | 5, opts: object = {}): Promise<string> {
  const c = await mqtt.connectAsync(url, { protocolVersion, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  await c.publishAsync('rpa/v1/channels/t/release', 'hello', { qos: 1, retain: true });
  const got = new Promise<string>((r) => c.on('message', (_t, m) => r(m.toString())));
  await c.subscribeAsync('rpa/v1/channels/t/release', { qos: 1 });
  const v = await got;
  await c.endAsync();
  return v;
}

test('aedes (in-process): retained publish and subscribe over MQTT 3.1.1', async () => {
  const b = await startAedes();
  try {
    assert.equal(await roundTrip(b.url, b.protocolVersion), 'hello');
  } finally {
    await b.close();
  }
});

test('mosquitto: retained message survives a broker restart (persistence)', async () => {
  const b = await startMosquitto();
  try {
    assert.equal(await roundTrip(b.url, 5), 'hello');
    await b.restart();
    const c = await mqtt.connectAsync(b.url, { protocolVersion: 5, reconnectPeriod: 0 });
    const got = new Promise<string>((r) => c.on('message', (_t, m) => r(m.toString())));
    await c.subscribeAsync('rpa/v1/channels/t/release', { qos: 1 });
    assert.equal(await got, 'hello');
    await c.endAsync();
  } finally {
    await b.close();
  }
});

test('mosquitto ACL (assets/mosquitto/acl): an agent cannot publish a release or write as another agent', async () => {
  const b = await startMosquitto({ acl: true, agents: ['agent-1', 'agent-2'] });
  try {
    const admin = await mqtt.connectAsync(b.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: 'admin', ...b.adminOptions });
    await admin.publishAsync('rpa/v1/channels/stable/release', 'genuine', { qos: 1, retain: true });
    const agent = await mqtt.connectAsync(b.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: 'agent-1', ...b.agentOptions('agent-1') });
    // MQTT 5: Mosquitto answers a denied QoS 1 publish with PUBACK reason 0x87 (not authorized).
    await assert.rejects(agent.publishAsync('rpa/v1/channels/stable/release', 'forged', { qos: 1, retain: true }), /Not authorized|135/i);
    await assert.rejects(agent.publishAsync('rpa/v1/agents/agent-2/status', 'forged', { qos: 1 }), /Not authorized|135/i);
    await agent.publishAsync('rpa/v1/agents/agent-1/status', 'mine', { qos: 1 });
    // The genuine release is still what a reader sees.
    const got = new Promise<string>((r) => agent.on('message', (_t, m) => r(m.toString())));
    await agent.subscribeAsync('rpa/v1/channels/stable/release', { qos: 1 });
    assert.equal(await got, 'genuine');
    await agent.endAsync();
    await admin.endAsync();
  } finally {
    await b.close();
  }
});

test('mosquitto TLS: the agent pins the fleet CA; a client without it is refused', async () => {
  const b = await startMosquitto({ tls: true });
  try {
    assert.equal(await roundTrip(b.url, 5, { ...b.adminOptions }), 'hello');
    await assert.rejects(mqtt.connectAsync(b.url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 3000, rejectUnauthorized: true }));
  } finally {
    await b.close();
  }
});
