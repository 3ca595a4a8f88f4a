/**
 * Issue 17 §1 "Memory under hostile images": 16 clients each sending a 40-megapixel PNG (a few hundred kB
 * that decodes to 160 MB of RGBA) to detect at once, through the real endpoint (Unix socket, real client,
 * handshake) into services that really decode them (sharp, test/helpers/endpoint-harness.ts). The endpoint
 * admits images only while their declared decoded bytes (IHDR width × height × 4) fit maxDecodeBytes
 * (256 MiB): the limiter's own counter never exceeds it, the others wait briefly or get the retryable
 * `busy`, and the process RSS under the load stays where one image alone takes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createDeflate } from 'node:zlib';
import sharp from 'sharp';
import { startBotEndpoint } from '../../src/agent/endpoint/server.js';
import { connect, type BotClient } from '../../src/agent/endpoint/client.js';
import { newEndpointSecret } from '../../src/agent/endpoint/handshake.js';
import { OnnxTestServices } from '../helpers/endpoint-harness.js';

const CLIENTS = 16;

/** A grey RGB PNG of width × height, written by hand (never held decoded here): CRC'd chunks, one IDAT. */
async function bigPng(width: number, height: number): Promise<Buffer> {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    td.copy(out, 4);
    out.writeUInt32BE(crc(td), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  // rows (filter byte 0 + grey pixels) streamed through deflate: the raw image is never in memory here
  const row = Buffer.alloc(1 + width * 3, 0xf0);
  row[0] = 0;
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (b: Buffer) => parts.push(b));
  for (let y = 0; y < height; y++) if (!deflate.write(row)) await once(deflate, 'drain');
  deflate.end();
  await once(deflate, 'end');
  const idat = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}
const MAX_DECODE = 256 * 1024 * 1024;

test('16 clients × 40 MP PNGs: declared decoded bytes in flight ≤ 256 MiB (limiter counter), the rest wait or get busy, RSS no higher than for one image', { timeout: 300_000 }, async () => {
  sharp.cache(false); // libvips' operation cache would keep a decoded 40 MP image around after its request
  const dir = mkdtempSync(join(tmpdir(), 'ep-img-'));
  const services = await OnnxTestServices.create();
  const secret = newEndpointSecret();
  const path = join(dir, 'endpoint.sock');
  const ep = await startBotEndpoint({ path, secret, services, agentVersion: '0.1.0-test', limits: { maxQueued: 64, maxQueuedPerClient: 8, requestTimeoutMs: 120_000 } });
  const clients: BotClient[] = [];
  let sampler: ReturnType<typeof setInterval> | undefined;
  try {
    const png = await bigPng(8000, 5000);
    assert.ok(png.length < 2 << 20, `a small file (${png.length} bytes) declaring 40 MP`);
    const b64 = png.toString('base64');
    for (let i = 0; i < CLIENTS; i++) clients.push(await connect({ path, secret, clientName: `hostile-${i}` }));
    // one request alone: what a single 40 MP decode costs this process
    const baseRss = process.memoryUsage.rss();
    let soloPeak = baseRss;
    const soloSampler = setInterval(() => (soloPeak = Math.max(soloPeak, process.memoryUsage.rss())), 10);
    await clients[0]!.call('detect', { source: { kind: 'png', png: b64 } });
    clearInterval(soloSampler);
    const startRss = process.memoryUsage.rss();
    let peakRss = startRss;
    let peakCounter = 0;
    sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      peakCounter = Math.max(peakCounter, ep.images.inFlightBytes);
    }, 10);
    const outcomes = await Promise.all(
      clients.map((c) =>
        c.call('detect', { source: { kind: 'png', png: b64 } }).then(
          () => 'ok',
          (e: unknown) => (e as { code?: string }).code ?? String(e),
        ),
      ),
    );
    clearInterval(sampler);
    sampler = undefined;
    const ok = outcomes.filter((o) => o === 'ok').length;
    const busy = outcomes.filter((o) => o === 'busy').length;
    assert.equal(ok + busy, CLIENTS, `every request answered ok or busy: ${outcomes.join(', ')}`);
    assert.ok(ok >= 1, 'at least one was served');
    assert.ok(ep.images.peakBytes <= MAX_DECODE, `declared decoded bytes in flight peaked at ${(ep.images.peakBytes / 2 ** 20).toFixed(0)} MiB`);
    assert.ok(peakCounter <= MAX_DECODE);
    assert.equal(ep.images.inFlightBytes, 0, 'everything given back');
    // 16 at once cost no more than one alone (+ 64 MB for frames and buffers): the decodes do not pile up. (The
    // issue's absolute 400 MB is not asserted: this process starts at ~160 MB and sharp's decode of one 40 MP PNG
    // here takes ~265 MB, so one image alone passes 400 MB.)
    const solo = soloPeak - baseRss;
    assert.ok(peakRss - startRss <= solo + 64e6, `16 at once: RSS +${((peakRss - startRss) / 1e6).toFixed(0)} MB from ${(startRss / 1e6).toFixed(0)} MB; one alone: +${(solo / 1e6).toFixed(0)} MB from ${(baseRss / 1e6).toFixed(0)} MB`);
  } finally {
    if (sampler) clearInterval(sampler);
    for (const c of clients) c.close();
    await ep.close();
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
