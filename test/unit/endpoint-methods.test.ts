/**
 * The endpoint's method table (src/agent/endpoint/methods.ts, issue 18 §5): every served method of the
 * bot contract has exactly one handler of the right kind, handlers get their params as parsed, and a
 * heavy method checks its images before anything is queued (the declared decoded bytes counted).
 * The services are a recording stand-in: what is under test is the table, not the vision pipeline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BotMethods, type BotMethod } from '../../src/common/bot-protocol.js';
import { AgentError } from '../../src/common/errors.js';
import { defaultEndpointLimits } from '../../src/agent/endpoint/limits.js';
import { heavyHandlers, lightHandlers, parseParams, prepareHeavy, runLight, SERVED_METHODS, type LightContext } from '../../src/agent/endpoint/methods.js';
import type { BotServices } from '../../src/agent/endpoint/services.js';
import type { SubscriptionTopic } from '../../src/agent/endpoint/connection.js';

const png = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'screens', 'synthetic_200000_v0.png'));

function recordingServices(calls: { method: string; req: unknown }[]): BotServices {
  const rec =
    (method: string, result: unknown) =>
    async (req: unknown): Promise<never> => {
      calls.push({ method, req });
      return result as never;
    };
  return {
    detect: rec('detect', { elements: [], frame: { x: 0, y: 0, width: 1, height: 1 } }),
    classify: rec('classify', { labels: [] }),
    findElement: rec('findElement', { matches: [], frame: { x: 0, y: 0, width: 1, height: 1 } }),
    embed: rec('embed', { vector: [0], dims: 1 }),
    status: () => ({ agentId: 'a', online: true, ts: new Date(0).toISOString(), agentVersion: '0', roles: {} }),
    modelsList: () => [],
    submitFeedback: rec('feedback.submit', { id: 'f', stored: true }),
    onStatusChange: () => () => {},
  };
}

test('method table: every served method has exactly one handler, light or heavy as the contract says', () => {
  const all = Object.keys(BotMethods) as BotMethod[];
  assert.deepEqual([...SERVED_METHODS].sort(), all.filter((m) => m !== 'hello' && m !== 'authenticate').sort());
  for (const m of SERVED_METHODS) {
    const light = Object.hasOwn(lightHandlers, m);
    const heavy = Object.hasOwn(heavyHandlers, m);
    assert.ok(light !== heavy, `${m}: one handler`);
    assert.equal(heavy, BotMethods[m].heavy, `${m}: heavy as in bot-protocol.ts`);
  }
});

test('method table: light handlers get parsed params (subscribe keeps its topics on the connection)', async () => {
  const calls: { method: string; req: unknown }[] = [];
  const subscriptions = new Set<SubscriptionTopic>();
  const ctx: LightContext = { services: recordingServices(calls), limits: defaultEndpointLimits, subscriptions, uptimeMs: () => 1234.4, statusResult: (agent) => ({ agent, endpoint: { connections: 1, queued: 0, running: 0 } }) };
  const sub = parseParams('subscribe', { topics: ['status'] });
  assert.ok(sub.ok);
  assert.deepEqual(runLight('subscribe', ctx, sub.params), { subscribed: ['status'] });
  assert.deepEqual([...subscriptions], ['status']);
  assert.deepEqual(runLight('health', ctx, undefined), { ok: true, uptimeMs: 1234 });
  const fb = parseParams('feedback.submit', { kind: 'false_positive', png: png.toString('base64'), note: 'n' });
  assert.ok(fb.ok);
  assert.deepEqual(await runLight('feedback.submit', ctx, fb.params), { id: 'f', stored: true });
  const req = calls[0]!.req as { png: Buffer; note: string };
  assert.ok(Buffer.isBuffer(req.png) && req.png.equals(png), 'the PNG reaches the service decoded from base64, checked');
  assert.equal(parseParams('subscribe', { topics: ['nope'] }).ok, false);
});

test('method table: a heavy method checks and counts its images before it is queued', async () => {
  const calls: { method: string; req: unknown }[] = [];
  const services = recordingServices(calls);
  const p = parseParams('detect', { source: { kind: 'png', png: png.toString('base64'), originX: 5 }, timeoutMs: 1000 });
  assert.ok(p.ok);
  const { exec, imageBytes } = prepareHeavy('detect', services, defaultEndpointLimits, p.params);
  assert.equal(imageBytes, png.readUInt32BE(16) * png.readUInt32BE(20) * 4, 'declared decoded RGBA bytes, from the header');
  assert.equal(calls.length, 0, 'nothing runs until the queue starts it');
  await exec(new AbortController().signal);
  const req = calls[0]!.req as { source: { kind: string; width: number; originX: number }; timeoutMs?: number };
  assert.equal(req.source.kind, 'png');
  assert.equal(req.source.width, png.readUInt32BE(16));
  assert.equal(req.source.originX, 5);
  assert.equal('timeoutMs' in req, false, 'the timeout is the server\'s, not passed on');

  const bad = parseParams('classify', { source: { kind: 'png', png: Buffer.from('not a png at all').toString('base64') } });
  assert.ok(bad.ok);
  assert.throws(() => prepareHeavy('classify', services, defaultEndpointLimits, bad.params), (e: unknown) => e instanceof AgentError && e.code === 'bad_image');
  const region = parseParams('embed', { source: { kind: 'region', x: 0, y: 0, width: 10, height: 10 } });
  assert.ok(region.ok);
  assert.equal(prepareHeavy('embed', services, defaultEndpointLimits, region.params).imageBytes, 0, 'a screen region declares no image bytes');
});
