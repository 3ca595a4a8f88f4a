/**
 * Shared pieces for the agent-service tests: what each of them stands on (aedes, a fleet, the agent's
 * workspace, a fleet-side admin client, the service config), the real baseline models
 * (assets/models/<role>/model.onnx + metadata.json) built into signed manifests with the fleet library and
 * published, and a variant of a model whose bytes differ (so its content address differs) while its graph
 * is the same.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { AgentConfigInput } from '../../src/agent/config.js';
import { ROLES, type Role, type RoleRelease } from '../../src/common/wire.js';
import { buildManifest, parseModelMetadata, publishModel, signManifest, type BuiltModel, type SigningKey } from '../../src/fleet/index.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';
import { adminClient, makeFleet, publishRelease, releaseOf, repoRoot, workspace, type AgentWorkspace, type Fleet } from './agent-harness.js';
export { iou } from '../../src/common/geometry.js';

/** RPA_TEST_MODELS_DIR overrides assets/models (e.g. while the baseline models are being retrained). */
export const MODELS_DIR = process.env.RPA_TEST_MODELS_DIR ?? join(repoRoot, 'assets', 'models');
export const missingModels = ROLES.filter((r) => !existsSync(join(MODELS_DIR, r, 'model.onnx')) || !existsSync(join(MODELS_DIR, r, 'metadata.json')));
/** A test's `skip` option: the reason when a baseline model is missing, else false. */
export const skipWithoutBaselines = missingModels.length ? `baseline models missing in ${MODELS_DIR}: ${missingModels.join(', ')}` : false;
export const SCREEN = join(repoRoot, 'test', 'fixtures', 'screens', 'synthetic_200000_v0');

export interface ScreenTruth {
  width: number;
  height: number;
  elements: { box: [number, number, number, number]; type: string; checked?: boolean }[];
}
export const screenPng = () => readFileSync(SCREEN + '.png');
export const screenTruth = (): ScreenTruth => JSON.parse(readFileSync(SCREEN + '.json', 'utf8')) as ScreenTruth;

/**
 * An ONNX file with a `doc_string` (ModelProto field 6) appended: protobuf keeps the last value of a
 * repeated scalar field, so onnxruntime loads the same graph, but the sha256 (the modelId) is new.
 */
export function variantBytes(bytes: Uint8Array, tag: string): Uint8Array {
  const doc = Buffer.from(tag, 'utf8');
  if (doc.length > 127) throw new Error('tag too long');
  return Buffer.concat([Buffer.from(bytes), Buffer.from([0x32, doc.length]), doc]);
}

/** Builds the role's manifest from metadata.json; the shared CI box is slow, so the budget is the config's. */
export async function buildBaseline(role: Role, opts: { bytes?: Uint8Array; version?: string } = {}): Promise<BuiltModel> {
  const dir = join(MODELS_DIR, role);
  const md = parseModelMetadata(JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')), `${role}/metadata.json`);
  delete md.latencyBudgetMs; // a loaded 2-core test machine is not the reference workstation
  if (opts.version) md.version = opts.version;
  const bytes = opts.bytes ?? new Uint8Array(readFileSync(join(dir, 'model.onnx')));
  return buildManifest({ bytes, metadata: md, chunkSize: 256 * 1024 });
}

export async function publishBuilt(client: MqttClient, built: BuiltModel, keys: readonly SigningKey[]): Promise<void> {
  await publishModel(client, { manifestEnvelope: signManifest(built.manifest, keys), chunks: built.chunks });
}

export function baselineBytes(role: Role): Uint8Array {
  return new Uint8Array(readFileSync(join(MODELS_DIR, role, 'model.onnx')));
}

/** The three baseline models, built with the fleet library, signed with the fleet's model keys and published (retained). */
export async function publishBaselines(admin: MqttClient, fleet: Fleet): Promise<{ stable: Record<Role, BuiltModel>; roles: Record<Role, RoleRelease> }> {
  const stable = { detector: await buildBaseline('detector'), classifier: await buildBaseline('classifier'), similarity: await buildBaseline('similarity') };
  for (const role of ROLES) await publishBuilt(admin, stable[role], fleet.modelKeys);
  /** a release's roles naming each baseline stable; a test overrides the roles it changes */
  const roles = { detector: { stable: stable.detector.modelId }, classifier: { stable: stable.classifier.modelId }, similarity: { stable: stable.similarity.modelId } };
  return { stable, roles };
}

/** The baselines published (publishBaselines) and release 1 naming each of them stable: where most service tests start. */
export async function publishStableRelease(admin: MqttClient, fleet: Fleet): Promise<{ stable: Record<Role, BuiltModel>; roles: Record<Role, RoleRelease> }> {
  const published = await publishBaselines(admin, fleet);
  await publishRelease(admin, releaseOf({ seq: 1, roles: published.roles }), fleet.releaseKeys);
  return published;
}

/** What every agent-service test stands on: an in-process aedes, a fleet, the agent's workspace and a fleet-side admin client. */
export interface ServiceWorld {
  fleet: Fleet;
  broker: TestBroker;
  ws: AgentWorkspace;
  admin: MqttClient;
  /** ends the admin client, closes the broker and removes the workspace (its dir and its credential-store entries) */
  close(): Promise<void>;
}

export async function openServiceWorld(agentId: string): Promise<ServiceWorld> {
  const fleet = makeFleet();
  const broker = await startAedes();
  let ws: AgentWorkspace | undefined;
  try {
    const opened = await workspace(fleet, agentId);
    ws = opened;
    const admin = await adminClient(broker);
    return {
      fleet,
      broker,
      ws: opened,
      admin,
      async close() {
        await admin.endAsync();
        await broker.close();
        await opened.cleanup();
      },
    };
  } catch (e) {
    await ws?.cleanup();
    await broker.close();
    throw e;
  }
}

/** Subscribes `admin` to `topic`; every message on it is parsed (JSON, then `parse`) into the returned array as it arrives. */
export async function collectUpstream<T>(admin: MqttClient, topic: string, parse: (json: unknown) => T): Promise<T[]> {
  const got: T[] = [];
  admin.on('message', (t, payload) => {
    if (t === topic) got.push(parse(JSON.parse(payload.toString())));
  });
  await admin.subscribeAsync(topic, { qos: 1 });
  return got;
}

/**
 * The agent-service config the tests share, for `ws` on `broker`: a 10 s latency budget (a loaded 2-core
 * test box is not the reference workstation), 1 s telemetry windows, no screen capture, and cpu only (this
 * machine has no GPU; the platform default would try cuda first on every load). `overrides` replace whole sections.
 */
export function serviceConfig(ws: AgentWorkspace, broker: TestBroker, overrides: Partial<AgentConfigInput> = {}): AgentConfigInput {
  return ws.configFor(broker, { latencyBudgetMs: 10_000, telemetry: { windowSec: 1 }, vision: { capture: false }, inference: { providers: ['cpu'] }, ...overrides });
}
