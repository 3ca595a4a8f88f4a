/**
 * The five reference checks (issue 22 §3): each publishes with the product's own fleet code
 * (src/fleet/manifest.ts, publisher.ts, signer.ts) and watches the agent's answer on its events
 * and status topics. Rules and reason codes: docs/PROTOCOL.md §4.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MqttClient } from 'mqtt';
import { topics } from '../../src/common/topics.js';
import type { AgentEvent } from '../../src/common/wire.js';
import { buildManifest, signManifest, type BuiltModel } from '../../src/fleet/manifest.js';
import { buildRelease, publishModel, signRelease } from '../../src/fleet/publisher.js';
import { generateSigningKey, type SigningKey } from '../../src/fleet/signer.js';
import type { ConformanceKeys } from './keys.js';
import type { AgentObserver } from './observe.js';

export interface CheckResult {
  id: number;
  name: string;
  pass: boolean;
  expected: string;
  seen: string;
  ms: number;
}

export interface RunContext {
  client: MqttClient;
  obs: AgentObserver;
  keys: ConformanceKeys;
  prefix: string;
  channel: string;
  timeoutMs: number;
  /** the release seq of check 1; the others are derived from it (default: now in ms, above any earlier run) */
  baseSeq?: number;
}

const FIXTURES = resolve(import.meta.dirname, '..', '..', 'test', 'fixtures', 'models');
/** two tiny real ONNX detectors (y = 2x+1 and y = 3x−1): one to accept, one to tamper with */
const GOOD_MODEL = 'tiny-a.onnx';
const TAMPERED_MODEL = 'tiny-b.onnx';
const REJECTIONS = new Set<AgentEvent['type']>(['release_rejected', 'model_rejected', 'activation_failed']);

const describe = (e: AgentEvent | undefined) => (e ? `${e.type}${e.reason ? ` (${e.reason})` : ''}${e.releaseSeq !== undefined ? ` seq ${e.releaseSeq}` : ''}` : 'nothing');

async function model(file: string): Promise<BuiltModel> {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, file)));
  // 64-byte chunks: a few chunks even for a tiny file, so chunk handling is exercised.
  return buildManifest({ bytes, role: 'detector', name: 'conformance', version: '1.0.0', chunkSize: 64 });
}

async function publishRelease(ctx: RunContext, seq: number, modelId: string, keys: readonly SigningKey[], life?: { issued: Date; expires: Date }): Promise<void> {
  const issued = life?.issued ?? new Date();
  const release = buildRelease({ channel: ctx.channel, seq, roles: { detector: { stable: modelId } }, issued, expires: life?.expires ?? new Date(issued.getTime() + 3_600_000), note: 'conformance' });
  await ctx.client.publishAsync(topics(ctx.prefix).release(ctx.channel), JSON.stringify(signRelease(release, keys)), { qos: 1, retain: true });
}

/**
 * Waits for the event with `reason` (any rejection type unless `types` is given). Any other
 * rejection seen since `from` ends the wait early: the agent answered, with the wrong code.
 */
async function expectRejection(ctx: RunContext, from: number, reason: string, types?: AgentEvent['type'][]): Promise<{ pass: boolean; seen: string }> {
  const hit = await ctx.obs.until(() => {
    const evs = ctx.obs.events.slice(from);
    const good = evs.find((e) => e.reason === reason && (!types || types.includes(e.type)));
    if (good) return { pass: true, seen: describe(good) };
    const wrong = evs.find((e) => REJECTIONS.has(e.type) && e.reason !== reason);
    if (wrong) return { pass: false, seen: `${describe(wrong)}${wrong.message ? `: ${wrong.message}` : ''}` };
    return undefined;
  }, ctx.timeoutMs);
  return hit ?? { pass: false, seen: `no such event within ${ctx.timeoutMs} ms${lastEvents(ctx, from)}` };
}

function lastEvents(ctx: RunContext, from: number): string {
  const evs = ctx.obs.events.slice(from).slice(-4).map(describe);
  const bad = ctx.obs.invalid.length ? `; invalid messages: ${ctx.obs.invalid.slice(-2).join('; ')}` : '';
  return (evs.length ? `; events seen: ${evs.join(', ')}` : '; no events seen') + bad;
}

type Check = { name: string; expected: string; run(ctx: RunContext, seq: number, good: BuiltModel): Promise<{ pass: boolean; seen: string }> };

export const CHECKS: Check[] = [
  {
    name: 'signed manifest + chunks + release are accepted and activated',
    expected: 'release_accepted, then status roles.detector = committed|active with the model',
    async run(ctx, seq, good) {
      const from = ctx.obs.events.length;
      await publishModel(ctx.client, { manifestEnvelope: signManifest(good.manifest, [ctx.keys.models]), chunks: good.chunks, prefix: ctx.prefix });
      await publishRelease(ctx, seq, good.modelId, [ctx.keys.releases]);
      const hit = await ctx.obs.until(() => {
        const evs = ctx.obs.events.slice(from);
        const wrong = evs.find((e) => REJECTIONS.has(e.type));
        if (wrong) return { pass: false, seen: `${describe(wrong)}${wrong.message ? `: ${wrong.message}` : ''}` };
        const accepted = evs.find((e) => e.type === 'release_accepted' && (e.releaseSeq === undefined || e.releaseSeq === seq));
        const det = ctx.obs.status?.roles.detector;
        if (accepted && det?.modelId === good.modelId && (det.state === 'committed' || det.state === 'active')) {
          return { pass: true, seen: `${describe(accepted)}; detector ${det.state} ${good.modelId.slice(0, 12)}…` };
        }
        return undefined;
      }, ctx.timeoutMs);
      const det = ctx.obs.status?.roles.detector;
      return hit ?? { pass: false, seen: `not within ${ctx.timeoutMs} ms: status detector ${det ? `${det.state} ${det.modelId?.slice(0, 12) ?? '-'}` : 'absent'}${lastEvents(ctx, from)}` };
    },
  },
  {
    name: 'the same release with a lower seq is a replay',
    expected: 'release_rejected (release_replayed)',
    async run(ctx, seq, good) {
      const from = ctx.obs.events.length;
      await publishRelease(ctx, seq - 1, good.modelId, [ctx.keys.releases]);
      return expectRejection(ctx, from, 'release_replayed', ['release_rejected']);
    },
  },
  {
    name: 'a release signed by a key the trust file does not list',
    expected: 'release_rejected (untrusted_key)',
    async run(ctx, seq, good) {
      const from = ctx.obs.events.length;
      await publishRelease(ctx, seq + 1, good.modelId, [generateSigningKey()]);
      return expectRejection(ctx, from, 'untrusted_key', ['release_rejected']);
    },
  },
  {
    name: 'a chunk whose bytes differ from the signed manifest',
    expected: 'model_rejected (chunk_hash_mismatch)',
    async run(ctx, seq) {
      const from = ctx.obs.events.length;
      const bad = await model(TAMPERED_MODEL);
      const t = topics(ctx.prefix);
      // The product publisher refuses a mismatched pair, so publish the genuine model, then overwrite one chunk.
      await publishModel(ctx.client, { manifestEnvelope: signManifest(bad.manifest, [ctx.keys.models]), chunks: bad.chunks, prefix: ctx.prefix });
      const tampered = Buffer.from(bad.chunks[1]!);
      tampered[5] = tampered[5]! ^ 0x01;
      await ctx.client.publishAsync(t.chunk(bad.modelId, 1), tampered, { qos: 1, retain: true });
      await publishRelease(ctx, seq + 2, bad.modelId, [ctx.keys.releases]);
      try {
        return await expectRejection(ctx, from, 'chunk_hash_mismatch');
      } finally {
        // leave no poisoned model on the broker
        const clear = [t.manifest(bad.modelId), ...bad.chunks.map((_, i) => t.chunk(bad.modelId, i))];
        for (const topic of clear) await ctx.client.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true });
      }
    },
  },
  {
    name: 'an expired release (freeze attack)',
    expected: 'release_rejected (release_expired)',
    async run(ctx, seq, good) {
      const from = ctx.obs.events.length;
      const now = Date.now();
      await publishRelease(ctx, seq + 3, good.modelId, [ctx.keys.releases], { issued: new Date(now - 7_200_000), expires: new Date(now - 1000) });
      return expectRejection(ctx, from, 'release_expired', ['release_rejected']);
    },
  },
];

export async function runChecks(ctx: RunContext, onResult?: (r: CheckResult) => void): Promise<CheckResult[]> {
  const seq = ctx.baseSeq ?? Date.now();
  const good = await model(GOOD_MODEL);
  const out: CheckResult[] = [];
  for (const [i, c] of CHECKS.entries()) {
    const started = Date.now();
    let r: { pass: boolean; seen: string };
    try {
      r = await c.run(ctx, seq, good);
    } catch (e) {
      r = { pass: false, seen: `the check could not run: ${(e as Error).message}` };
    }
    const res = { id: i + 1, name: c.name, pass: r.pass, expected: c.expected, seen: r.seen, ms: Date.now() - started };
    out.push(res);
    onResult?.(res);
  }
  return out;
}
