/**
 * Issue 21 §1 with the REAL files (not fixtures): the baseline detector and classifier published with their
 * INT8 QDQ variants (assets/models/<role>/variants/int8/, the same functions as `rpa-fleet model publish`),
 * a whole agent service in process (in-process aedes, SQLite registry, the InferenceHost's onnxruntime worker
 * threads, the bot endpoint over a Unix socket). An agent with config variant "auto" serves the variant the one
 * rule picks on this CPU (int8 with avx512_vnni/avx_vnni) and answers `detect`; a candidate served as int8 that
 * breaches its gate is rolled back by the guard to the stable (int8) file; a second agent with config "fp32"
 * serves the base files and finds about the same elements on the same screen.
 * Seen to bite: with roles.ts no longer handing a candidate to the guard (guard.watch), it fails at "watching".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { cpuFlagsFor } from '../../src/agent/cpu-flags.js';
import { parseAgentConfig } from '../../src/agent/config.js';
import { connect, type BotClient } from '../../src/agent/endpoint/index.js';
import { getOrCreateEndpointSecret } from '../../src/agent/endpoint/secret.js';
import { startAgentService, type AgentService } from '../../src/agent/service.js';
import { chooseVariant } from '../../src/common/variants.js';
import type { AgentEvent, Role } from '../../src/common/wire.js';
import type { Box } from '../../src/common/geometry.js';
import { publishModel, signManifest } from '../../src/fleet/index.js';
import { buildManifestWithVariants, findVariantDirs, readVariantDir, type BuiltModelWithVariants, type VariantSource } from '../../src/fleet/variants.js';
import { parseModelMetadata } from '../../src/fleet/manifest.js';
import { readFileSync, existsSync } from 'node:fs';
import { publishRelease, releaseOf, workspace, type AgentWorkspace, type Fleet } from './agent-harness.js';
import { iou, MODELS_DIR, openServiceWorld, screenPng, serviceConfig, skipWithoutBaselines, variantBytes, type ServiceWorld } from './service-helpers.js';

const ROLES_WITH_INT8 = ['detector', 'classifier'] as const;
const missingInt8 = ROLES_WITH_INT8.filter((r) => !existsSync(join(MODELS_DIR, r, 'variants', 'int8', 'variant.json')));
const skip = skipWithoutBaselines || (missingInt8.length ? `no int8 variant in ${MODELS_DIR} for ${missingInt8.join(', ')} (npm run quantize)` : false);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * A baseline model built with its variants/<name>/ folders. `tag` makes a new build of the same networks (a doc
 * string appended to base and variant: new sha256s, same graphs), its variant.json naming the new base.
 */
async function buildWithVariants(role: Role, o: { tag?: string; version?: string } = {}): Promise<BuiltModelWithVariants> {
  const dir = join(MODELS_DIR, role);
  const md = parseModelMetadata(JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')), `${role}/metadata.json`);
  delete md.latencyBudgetMs; // a loaded 2-core test machine is not the reference workstation
  if (o.version) md.version = o.version;
  const raw = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
  const bytes = o.tag ? variantBytes(raw, o.tag) : raw;
  let sources: VariantSource[] = await Promise.all(findVariantDirs(join(dir, 'model.onnx')).map((d) => readVariantDir(d.name, d.dir)));
  if (o.tag) {
    const tag = o.tag;
    sources = sources.map((s) => ({ ...s, bytes: variantBytes(s.bytes, tag), file: { ...(s.file as object), base: { version: md.version, sha256: sha256(bytes) } } }));
  }
  return buildManifestWithVariants({ bytes, metadata: md, chunkSize: 256 * 1024 }, sources);
}

async function publishWithVariants(world: ServiceWorld, built: BuiltModelWithVariants): Promise<void> {
  await publishModel(world.admin, { manifestEnvelope: signManifest(built.manifest, world.fleet.modelKeys), chunks: built.chunks, variantChunks: built.variantChunks });
}

async function startService(world: ServiceWorld, ws: AgentWorkspace, variant: string): Promise<{ svc: AgentService; client?: BotClient; events: AgentEvent[] }> {
  const socketPath = join(ws.dir, 'endpoint.sock');
  const config = parseAgentConfig(serviceConfig(ws, world.broker, { timeouts: { manifestMs: 20_000 }, endpoint: { path: socketPath }, variant }));
  const svc = await startAgentService({ config, secretStore: ws.secretStore, capturer: null, host: { warmupRuns: 2 }, guardCheckMs: 200, controlPollMs: 100 });
  // every event (the snapshot keeps only the last few): activation takes seconds, so none is missed here
  const events: AgentEvent[] = [];
  svc.agent.subscribe((c) => c.kind === 'event' && events.push(c.event));
  return { svc, events };
}

async function botFor(ws: AgentWorkspace): Promise<BotClient> {
  return connect({ path: join(ws.dir, 'endpoint.sock'), secret: await getOrCreateEndpointSecret(ws.secretStore), clientName: 'variants-test' });
}

type Detected = { box: Box; type: string; score: number }[];

test(
  'real INT8 variants through the agent service: auto serves the rule\'s choice (int8 here) and detects; an int8 candidate breaching its gate rolls back to stable int8; config fp32 serves the base with about the same elements',
  { timeout: 600_000, skip },
  async () => {
    let world: ServiceWorld | undefined;
    let fp32Ws: AgentWorkspace | undefined;
    const running: { svc: AgentService; client?: BotClient }[] = [];
    try {
      world = await openServiceWorld('variants-int8');
      const fleet: Fleet = world.fleet;
      const stable = { detector: await buildWithVariants('detector'), classifier: await buildWithVariants('classifier') };
      for (const role of ROLES_WITH_INT8) {
        assert.deepEqual(stable[role].manifest.variants?.map((v) => [v.name, v.precision, v.format]), [['int8', 'int8', 'qdq']], `${role} ships its int8 variant`);
        await publishWithVariants(world, stable[role]);
      }
      const roles = { detector: { stable: stable.detector.modelId }, classifier: { stable: stable.classifier.modelId } };
      await publishRelease(world.admin, releaseOf({ seq: 1, roles }), fleet.releaseKeys);

      // 1. config "auto": what the one rule picks on this CPU; where it picks fp32 (no VNNI), config names int8 so
      //    the real int8 files are still exercised (said in the name of the setting)
      const flags = cpuFlagsFor(process.platform, undefined);
      const rule = chooseVariant(stable.detector.manifest, { setting: 'auto', provider: 'cpu', cpuFlags: flags });
      const setting = rule.variant ? 'auto' : 'int8';
      if (flags.includes('avx512_vnni') || flags.includes('avx_vnni')) assert.equal(rule.variant?.name, 'int8', 'a VNNI CPU gets int8 by the rule');
      const a = await startService(world, world.ws, setting);
      running.push(a);
      const ready = await a.svc.agent.waitFor((s) => ROLES_WITH_INT8.every((r) => s.roles[r]?.state === 'committed' && s.roles[r]?.modelId === stable[r].modelId), { timeoutMs: 240_000 });
      for (const role of ROLES_WITH_INT8) {
        const v = stable[role].manifest.variants![0]!;
        assert.deepEqual(ready.roles[role]?.variant, { name: 'int8', precision: 'int8', sha256: v.sha256 }, `${role}: status says int8`);
        assert.equal(a.svc.host.status().roles[role]?.modelId, v.sha256, `${role}: the host runs the int8 file`);
        const act = a.events.find((e) => e.type === 'activated' && e.role === role);
        assert.equal(act?.details?.['variant'], 'int8');
      }
      const png = screenPng();
      a.client = await botFor(world.ws);
      const detInt8 = (await a.client.call('detect', { source: { kind: 'png', png: png.toString('base64') } })).elements as Detected;
      assert.ok(detInt8.length > 0, 'int8 finds elements');

      // 2. a candidate detector served as int8 with a latency gate no model meets: the guard rolls it back to stable
      const cand = await buildWithVariants('detector', { tag: 'int8-candidate', version: '2.0.1-rc.1' });
      const candInt8 = cand.manifest.variants![0]!.sha256;
      assert.notEqual(candInt8, stable.detector.manifest.variants![0]!.sha256);
      await publishWithVariants(world, cand);
      const tight = { maxErrorRate: 0.5, maxLatencyP95Ms: 0.001, guardWindowSec: 60, minSamples: 3 };
      await publishRelease(world.admin, releaseOf({ seq: 2, roles: { ...roles, detector: { stable: stable.detector.modelId, candidate: { modelId: cand.modelId, rolloutId: 'ro-int8', percent: 100, shadow: false, gates: tight } } } }), fleet.releaseKeys);
      const candAct = await a.svc.agent.waitForEvent((e) => e.type === 'activated' && e.modelId === cand.modelId, { timeoutMs: 120_000 });
      assert.equal(candAct.details?.['variant'], 'int8', 'the candidate is served as int8');
      assert.equal(a.svc.host.status().roles.detector?.modelId, candInt8);
      assert.equal(a.svc.guard.phase('detector'), 'watching');
      for (let i = 0; i < 6 && !a.svc.agent.snapshot().recentEvents.some((e) => e.type === 'rolled_back'); i++) {
        await a.client.call('detect', { source: { kind: 'png', png: png.toString('base64') }, minScore: 0.3 + i / 100 }).catch(() => undefined);
      }
      const rb = await a.svc.agent.waitForEvent((e) => e.type === 'rolled_back' && e.modelId === cand.modelId, { timeoutMs: 60_000 });
      assert.equal(rb.reason, 'guard_breach');
      assert.deepEqual(rb.details?.breached, ['max_latency_p95']);
      const back = await a.svc.agent.waitFor((s) => s.roles.detector?.modelId === stable.detector.modelId && s.roles.detector.state === 'rolled_back', { timeoutMs: 60_000 });
      assert.equal(back.roles.detector?.variant?.name, 'int8', 'stable serves again as int8');
      assert.equal(a.svc.host.status().roles.detector?.modelId, stable.detector.manifest.variants![0]!.sha256, 'the host runs the stable int8 file again');
      assert.ok((await a.client.call('detect', { source: { kind: 'png', png: png.toString('base64') }, minScore: 0.4 })).elements.length > 0, 'detect works after the rollback');
      a.client.close();
      await a.svc.close();
      running.length = 0;

      // 3. config "fp32" on a second agent: the base files serve; about the same elements on the same screen
      await publishRelease(world.admin, releaseOf({ seq: 3, roles }), fleet.releaseKeys);
      fp32Ws = await workspace(fleet, 'variants-fp32');
      const b = await startService(world, fp32Ws, 'fp32');
      running.push(b);
      const readyB = await b.svc.agent.waitFor((s) => ROLES_WITH_INT8.every((r) => s.roles[r]?.state === 'committed' && s.roles[r]?.modelId === stable[r].modelId), { timeoutMs: 240_000 });
      for (const role of ROLES_WITH_INT8) {
        assert.deepEqual(readyB.roles[role]?.variant, { name: 'fp32', precision: 'fp32' }, `${role}: status says fp32`);
        assert.equal(b.svc.host.status().roles[role]?.modelId, stable[role].modelId, `${role}: the host runs the base file`);
      }
      b.client = await botFor(fp32Ws);
      const detFp32 = (await b.client.call('detect', { source: { kind: 'png', png: png.toString('base64') } })).elements as Detected;
      const matched = detFp32.filter((d) => detInt8.some((e) => iou(e.box, d.box) >= 0.5)).length;
      const sameType = detFp32.filter((d) => detInt8.some((e) => iou(e.box, d.box) >= 0.5 && e.type === d.type)).length;
      console.log(`int8 ${detInt8.length} elements, fp32 ${detFp32.length}; ${matched} fp32 boxes have an int8 box at IoU ≥ 0.5, ${sameType} with the same type`);
      assert.ok(Math.abs(detInt8.length - detFp32.length) <= Math.max(3, Math.ceil(0.15 * detFp32.length)), `counts close: int8 ${detInt8.length}, fp32 ${detFp32.length}`);
      assert.ok(matched >= 0.8 * detFp32.length, `${matched}/${detFp32.length} fp32 boxes matched by int8`);
    } finally {
      for (const r of running) {
        r.client?.close();
        await r.svc.close().catch(() => {});
      }
      await fp32Ws?.cleanup();
      await world?.close();
    }
  },
);
