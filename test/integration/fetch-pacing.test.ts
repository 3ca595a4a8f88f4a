/**
 * Issue 17 §2, "fetching a model must not hurt a bot": the download pacer (src/agent/fetch-pacing.ts) bounds
 * the share of the event loop that per-chunk work takes, by holding back MQTT.js's acknowledgement of the
 * message just handled (so the socket is not read: TCP back-pressure). Real parts: an in-process aedes
 * broker and a real MQTT.js client; the chunk work is a real synchronous sha256 over each payload, burned
 * long enough to make the handler the bottleneck. Time is faked only in the arithmetic test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { BotActivity, WorkPacer } from '../../src/agent/fetch-pacing.js';
import { startMosquitto, type TestBroker } from '../helpers/brokers.js';

test('pacer arithmetic (fake clock and busy time): busy 40 ms of a 40 ms look-back at share 0.5 owes a 40 ms hold-back, capped at maxPauseMs', async () => {
  let now = 0;
  let busy = 0;
  const delays: number[] = [];
  const pacer = new WorkPacer({ share: 0.5, maxPauseMs: 60, now: () => now, busyMs: () => busy, setTimeout: (fn, ms) => (delays.push(ms), fn()) });
  const client = { handleMessage: (_p: unknown, cb: (...a: unknown[]) => void) => cb() };
  now = 40;
  busy = 40;
  pacer.afterChunk({ client });
  let acked = 0;
  client.handleMessage({}, () => acked++);
  assert.deepEqual(delays, [40]);
  assert.equal(acked, 1);
  // an idle look-back owes nothing: the acknowledgement waits for one turn of the event loop only
  now = 40 + 40 + 100;
  pacer.afterChunk({ client });
  client.handleMessage({}, () => acked++);
  assert.deepEqual(delays, [40]);
  assert.equal(acked, 1, 'not acknowledged in the same turn');
  await new Promise((r) => setImmediate(r));
  assert.equal(acked, 2, 'acknowledged after one turn');
  // fully busy for 200 ms: capped
  busy += 200;
  now += 200;
  pacer.afterChunk({ client });
  client.handleMessage({}, () => acked++);
  assert.deepEqual(delays, [40, 60]);
  assert.equal(acked, 3);
});

async function streamShare(pace: WorkPacer | undefined, mosquitto?: TestBroker): Promise<{ share: number; ms: number; got: number; maxGapMs: number }> {
  const broker = mosquitto ? undefined : await Aedes.createBroker();
  const server = broker ? net.createServer(broker.handle) : undefined;
  if (server) await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = mosquitto?.url ?? `mqtt://127.0.0.1:${(server!.address() as net.AddressInfo).port}`;
  const pub = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const sub = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const N = 60;
  const payload = Buffer.alloc(256 * 1024, 7);
  try {
    for (let i = 0; i < N; i++) await pub.publishAsync(`m/chunks/${i}`, payload, { qos: 1, retain: true });
    let got = 0;
    let elu0 = performance.eventLoopUtilization();
    let t0 = 0;
    const done = new Promise<void>((resolve) =>
      sub.on('message', (_t, m) => {
        if (got === 0) {
          t0 = performance.now();
          elu0 = performance.eventLoopUtilization();
        }
        // the chunk work: hash the payload until ~4 ms have gone (a slow workstation's verify + seal + write)
        const until = performance.now() + 4;
        while (performance.now() < until) createHash('sha256').update(m).digest();
        pace?.afterChunk({ client: sub });
        if (++got === N) resolve();
      }),
    );
    // a 1 ms timer stands for a bot's request: the longest gap between its turns is how long one would wait
    let last = performance.now();
    let maxGapMs = 0;
    const probe = setInterval(() => {
      const now = performance.now();
      if (got > 0 && got < N) maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
    }, 1);
    try {
      await sub.subscribeAsync('m/chunks/+', { qos: 1 });
      await done;
    } finally {
      clearInterval(probe);
    }
    const elu = performance.eventLoopUtilization(elu0);
    return { share: elu.utilization, ms: performance.now() - t0, got, maxGapMs };
  } finally {
    await sub.endAsync();
    await pub.endAsync();
    if (server) await new Promise((r) => server.close(r));
    if (broker) await new Promise((r) => broker.close(() => r(undefined)));
  }
}

test('a real MQTT stream of 60 × 256 KiB retained chunks with 4 ms of work each: the pacer holds the event loop share near its 0.3 budget; without it the handler takes nearly all of it', async () => {
  const unpaced = await streamShare(undefined);
  const pacer = new WorkPacer({ share: 0.3 });
  const paced = await streamShare(pacer);
  assert.equal(paced.got, 60);
  assert.ok(unpaced.share > 0.6, `unpaced: the handler keeps the loop busy (${unpaced.share.toFixed(2)})`);
  assert.ok(paced.share < 0.45, `paced: busy share ${paced.share.toFixed(2)} (budget 0.3; unpaced ${unpaced.share.toFixed(2)})`);
  assert.ok(pacer.pausedMs > 0, 'the pacer held messages back');
  assert.ok(paced.ms > unpaced.ms, `the paced stream takes longer (${paced.ms.toFixed(0)} vs ${unpaced.ms.toFixed(0)} ms)`);
});

test('from a real Mosquitto (its own process: chunks pile up in the socket while the handler works), with a pacer that owes nothing (share 1): the event loop still turns after every chunk, so a timer waits for one chunk\'s 4 ms of work, not a burst of buffered ones', async () => {
  const mosquitto = await startMosquitto();
  let unpaced: Awaited<ReturnType<typeof streamShare>>;
  let paced: Awaited<ReturnType<typeof streamShare>>;
  try {
    unpaced = await streamShare(undefined, mosquitto);
    paced = await streamShare(new WorkPacer({ share: 1 }), mosquitto);
  } finally {
    await mosquitto.close();
  }
  assert.equal(paced.got, 60);
  assert.ok(unpaced.maxGapMs > 20, `without the pacer, buffered chunks run back to back: longest gap ${unpaced.maxGapMs.toFixed(1)} ms`);
  assert.ok(paced.maxGapMs < 12, `with it, the longest gap is about one chunk's work: ${paced.maxGapMs.toFixed(1)} ms (unpaced ${unpaced.maxGapMs.toFixed(1)} ms)`);
});

/** 40 retained chunks streamed to a real MQTT.js client (in-process aedes), paced by `pacer`; `during(i)` runs at chunk i */
async function streamTimes(pacer: WorkPacer, at: number, during: () => Promise<void>): Promise<number[]> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const pub = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const sub = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const N = 40;
  const times: number[] = [];
  try {
    for (let i = 0; i < N; i++) await pub.publishAsync(`b/chunks/${i}`, Buffer.alloc(64 * 1024, i), { qos: 1, retain: true });
    let bot: Promise<void> | undefined;
    const done = new Promise<void>((resolve) =>
      sub.on('message', () => {
        times.push(performance.now());
        if (times.length === at) bot = during();
        pacer.afterChunk({ client: sub });
        if (times.length === N) resolve();
      }),
    );
    await sub.subscribeAsync('b/chunks/+', { qos: 1 });
    await done;
    await bot;
    return times;
  } finally {
    await sub.endAsync();
    await pub.endAsync();
    await new Promise((r) => server.close(r));
    await new Promise((r) => broker.close(() => r(undefined)));
  }
}

test('while a bot request runs, the next chunk waits for its answer (lower priority); a request that outlasts maxHoldMs still lets one chunk through per hold', async () => {
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  const bots = new BotActivity();
  let window = [0, 0];
  const short = await streamTimes(new WorkPacer({ share: 1, bots, maxHoldMs: 1000 }), 10, async () => {
    window = [performance.now(), 0];
    await bots.during(() => sleep(150));
    window[1] = performance.now();
  });
  assert.equal(short.length, 40);
  const inside = short.filter((t) => t > window[0]! && t < window[1]!);
  assert.equal(inside.length, 0, `no chunk handled during the 150 ms request (${inside.length})`);
  assert.ok(short[10]! >= window[1]!, 'the 11th chunk came after the answer');
  assert.equal(bots.busy, false);

  const long = await streamTimes(new WorkPacer({ share: 1, bots, maxHoldMs: 100 }), 10, async () => {
    window = [performance.now(), 0];
    await bots.during(() => sleep(450));
    window[1] = performance.now();
  });
  const held = long.filter((t) => t > window[0]! && t < window[1]!).length;
  assert.ok(held >= 2 && held <= 6, `a 450 ms request with maxHoldMs 100: ${held} chunks went through meanwhile`);
});
