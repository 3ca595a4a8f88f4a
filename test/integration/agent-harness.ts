/**
 * Shared pieces for the agent integration tests: a fleet (keys + trust file), raw publishing (so tests
 * can publish what the fleet library refuses to: tampered chunks, oversized manifests…), and an agent
 * started on a temp data dir with the real keytar secret store and the real onnxruntime activator.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import * as ort from 'onnxruntime-node';
import { toBase64 } from '../../src/common/bytes.js';
import type { DsseEnvelope } from '../../src/common/dsse.js';
import { PAYLOAD_TYPE_MODEL, PAYLOAD_TYPE_RELEASE } from '../../src/common/dsse.js';
import { topics } from '../../src/common/topics.js';
import type { TrustFile } from '../../src/common/trust-file.js';
import type { ModelManifest, Release, Role, RoleRelease } from '../../src/common/wire.js';
import { buildManifest, type BuiltModel } from '../../src/fleet/manifest.js';
import { generateSigningKey, signJson, type SigningKey } from '../../src/fleet/signer.js';
import { createAgent, type Agent } from '../../src/agent/agent.js';
import { OnnxActivator } from '../../src/agent/activation-onnx.js';
import { parseAgentConfig, type AgentConfig, type AgentConfigInput } from '../../src/agent/config.js';
import { createKeytarSecretStore, SecretAccounts, type SecretStore } from '../../src/agent/secrets/secret-store.js';
import type { TestBroker } from '../helpers/brokers.js';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const fixture = (name: string) => new Uint8Array(readFileSync(join(repoRoot, 'test', 'fixtures', 'models', name)));
export const T = topics();

export interface Fleet {
  modelKeys: SigningKey[];
  releaseKeys: SigningKey[];
  trust: TrustFile;
}

export function makeFleet(opts: { releasesThreshold?: number; releaseKeys?: number; modelsThreshold?: number; modelKeys?: number } = {}): Fleet {
  const modelKeys = Array.from({ length: opts.modelKeys ?? 1 }, () => generateSigningKey());
  const releaseKeys = Array.from({ length: opts.releaseKeys ?? 1 }, () => generateSigningKey());
  const role = (keys: SigningKey[], threshold: number) => ({ threshold, keys: keys.map((k) => ({ publicKey: toBase64(k.publicKey) })) });
  return {
    modelKeys,
    releaseKeys,
    trust: { version: 1, roles: { models: role(modelKeys, opts.modelsThreshold ?? 1), releases: role(releaseKeys, opts.releasesThreshold ?? 1) } },
  };
}

export async function adminClient(broker: TestBroker): Promise<MqttClient> {
  return mqtt.connectAsync(broker.url, { protocolVersion: broker.protocolVersion, reconnectPeriod: 200, ...broker.adminOptions, clientId: `admin-${randomBytes(4).toString('hex')}` });
}

export async function pub(client: MqttClient, topic: string, payload: string | Uint8Array, retain = true): Promise<void> {
  await client.publishAsync(topic, typeof payload === 'string' ? payload : Buffer.from(payload), { qos: 1, retain });
}

/** Builds a manifest with the fleet library (contract read by onnxruntime). */
export async function buildModel(bytes: Uint8Array, opts: { role?: Role; name?: string; version?: string; chunkSize?: number } = {}): Promise<BuiltModel> {
  return buildManifest({ bytes, role: opts.role ?? 'detector', name: opts.name ?? 'tiny', version: opts.version ?? '1.0.0', chunkSize: opts.chunkSize ?? 64 });
}

export function signManifestRaw(manifest: unknown, keys: readonly SigningKey[]): DsseEnvelope {
  return signJson(PAYLOAD_TYPE_MODEL, manifest, keys);
}

/** Publishes chunks then the manifest, raw (no consistency checks, so tests can publish bad data). */
export async function publishRaw(
  client: MqttClient,
  opts: { modelId: string; manifest: ModelManifest | Record<string, unknown> | string; chunks: readonly Uint8Array[]; keys: readonly SigningKey[]; chunkIndices?: number[] },
): Promise<void> {
  const indices = opts.chunkIndices ?? opts.chunks.map((_, i) => i);
  for (const i of indices) await pub(client, T.chunk(opts.modelId, i), opts.chunks[i]!);
  const env = typeof opts.manifest === 'string' ? opts.manifest : JSON.stringify(signManifestRaw(opts.manifest, opts.keys));
  await pub(client, T.manifest(opts.modelId), env);
}

export async function publishBuilt(client: MqttClient, built: BuiltModel, keys: readonly SigningKey[]): Promise<void> {
  await publishRaw(client, { modelId: built.modelId, manifest: built.manifest, chunks: built.chunks, keys });
}

export function releaseOf(opts: { channel?: string; seq: number; roles: Partial<Record<Role, RoleRelease>>; issued?: Date; expires?: Date }): Release {
  const issued = opts.issued ?? new Date();
  return {
    schemaVersion: 1,
    channel: opts.channel ?? 'stable',
    seq: opts.seq,
    issued: issued.toISOString(),
    expires: (opts.expires ?? new Date(issued.getTime() + 3_600_000)).toISOString(),
    roles: opts.roles,
  };
}

export async function publishRelease(client: MqttClient, release: Release, keys: readonly SigningKey[], mutate?: (env: DsseEnvelope) => void): Promise<DsseEnvelope> {
  const env = signJson(PAYLOAD_TYPE_RELEASE, release, keys);
  mutate?.(env);
  await pub(client, T.release(release.channel), JSON.stringify(env));
  return env;
}

export interface TestAgent {
  agent: Agent;
  activator: OnnxActivator;
  config: AgentConfig;
  secretStore: SecretStore;
  dir: string;
  close(): Promise<void>;
}

export interface AgentWorkspace {
  dir: string;
  service: string;
  secretStore: SecretStore;
  configFor(broker: TestBroker, overrides?: Partial<AgentConfigInput>): AgentConfigInput;
  trustPath: string;
  cleanup(): Promise<void>;
}

/** A temp dir with the trust file, and a private keytar service for the at-rest key. */
export async function workspace(fleet: Fleet, agentId = 'agent-1'): Promise<AgentWorkspace> {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-agent-test-'));
  const trustPath = join(dir, 'trust.json');
  writeFileSync(trustPath, JSON.stringify(fleet.trust, null, 2));
  const service = `rpa-edge-agent-test-${randomBytes(6).toString('hex')}`;
  const secretStore = await createKeytarSecretStore(service);
  return {
    dir,
    service,
    secretStore,
    trustPath,
    configFor: (broker, overrides = {}) => {
      const { broker: brokerOverrides, ...rest } = overrides;
      return {
        agentId,
        channel: 'stable',
        trustFile: trustPath,
        dataDir: join(dir, 'data'),
        timeouts: { manifestMs: 5000 },
        ...rest,
        broker: { url: broker.url, protocolVersion: broker.protocolVersion, reconnect: { minMs: 100, maxMs: 1000 }, ...(brokerOverrides ?? {}) },
      };
    },
    async cleanup() {
      for (const a of Object.values(SecretAccounts)) await secretStore.delete(a).catch(() => false);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startTestAgent(ws: AgentWorkspace, broker: TestBroker, overrides: Partial<AgentConfigInput> = {}): Promise<TestAgent> {
  const config = parseAgentConfig(ws.configFor(broker, overrides));
  const activator = new OnnxActivator({ latencyBudgetMs: 1000 });
  const agent = await createAgent({ config, secretStore: ws.secretStore, activator });
  return {
    agent,
    activator,
    config,
    secretStore: ws.secretStore,
    dir: ws.dir,
    // whoever creates a resource disposes it: the agent never closes the activator it was given
    close: async () => {
      await agent.close();
      await activator.close();
    },
  };
}

/** y for x = [1, 2, 3, 4] from the active detector session (tiny-a: 2x+1, tiny-b: 3x−1). */
export async function detectorOutput(activator: OnnxActivator): Promise<number[]> {
  const out = await activator.run('detector', { x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4]) });
  return Array.from(out.y!.data as Float32Array);
}

export const TINY_A_Y = [3, 5, 7, 9];
export const TINY_B_Y = [2, 5, 8, 11];
