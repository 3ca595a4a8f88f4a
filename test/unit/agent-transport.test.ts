import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseAgentConfig } from '../../src/agent/config.js';
import { silentLogger, type Timers } from '../../src/agent/runtime.js';
import { backoffDelay } from '../../src/agent/transport/backoff.js';
import { MqttTransport } from '../../src/agent/transport/mqtt-transport.js';

test('mqtt transport (simulated: time): reconnects on the injected timers with jittered exponential back-off', { timeout: 20_000 }, async () => {
  // A port with nothing listening: every attempt is refused, so each one schedules the next.
  const port = await new Promise<number>((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });
  const broker = parseAgentConfig({
    broker: { url: `mqtt://127.0.0.1:${port}`, reconnect: { minMs: 1000, maxMs: 8000 } },
    agentId: 'a',
    channel: 'c',
    trustFile: 't',
    dataDir: 'd',
  }).broker;
  const scheduled: { fn: () => void; ms: number }[] = [];
  let cleared = 0;
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      scheduled.push({ fn, ms });
      return scheduled.length;
    },
    clearTimeout: () => void cleared++,
  };
  const randoms = [0.1, 0.9, 0.5, 0.0, 1.0];
  let i = 0;
  const t = new MqttTransport({
    broker,
    clientId: 'a',
    will: { topic: 'w', payload: () => '{}' },
    timers,
    random: () => randoms[i++ % randoms.length]!,
    logger: silentLogger,
  });
  t.start();
  for (let attempt = 0; attempt < 5; attempt++) {
    const deadline = Date.now() + 5000;
    while (scheduled.length <= attempt && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(scheduled.length, attempt + 1, `attempt ${attempt} scheduled a reconnect`);
    assert.equal(scheduled[attempt]!.ms, backoffDelay(attempt, 1000, 8000, () => randoms[attempt]!));
    scheduled[attempt]!.fn(); // time passes: reconnect now
  }
  assert.deepEqual(
    scheduled.map((s) => s.ms),
    [550, 1900, 3000, 4000, 8000],
  );
  await t.close();
  assert.equal(t.connected, false);
});
