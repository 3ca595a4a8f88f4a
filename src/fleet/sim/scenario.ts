/**
 * Scenario setup shared by the simulator CLI, the tests and the benchmark: signing keys with the
 * matching agent trust, and "models" of arbitrary bytes signed and published through the real
 * publisher (the simulator never runs them, so the contract is declared rather than read by ORT).
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Role } from '../../common/wire.js';
import { buildManifest, signManifest } from '../manifest.js';
import { publishModel, publishRelease, type ReleaseRoles } from '../publisher.js';
import { generateSigningKey, type SigningKey } from '../signer.js';
import type { SimTrust } from './sim-agent.js';

export interface SimKeys {
  models: SigningKey;
  releases: SigningKey;
  trust: SimTrust;
}

export function makeSimKeys(): SimKeys {
  const models = generateSigningKey();
  const releases = generateSigningKey();
  return { models, releases, trust: trustOf(models, releases) };
}

export function trustOf(models: SigningKey, releases: SigningKey): SimTrust {
  return { models: { keys: [{ publicKey: models.publicKey }], threshold: 1 }, releases: { keys: [{ publicKey: releases.publicKey }], threshold: 1 } };
}

const SIM_CONTRACT = { inputs: [{ name: 'x', dtype: 'float32' as const, shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32' as const, shape: [1, 4] }] };

/** Signs and publishes `size` random bytes as a model; returns its modelId. */
export async function publishSimModel(
  client: MqttClient,
  opts: { keys: SimKeys; role: Role; name: string; version: string; size?: number; bytes?: Uint8Array; chunkSize?: number; prefix?: string; maxInFlight?: number; origins?: string[] },
): Promise<string> {
  const bytes = opts.bytes ?? new Uint8Array(randomBytes(opts.size ?? 4096));
  const built = await buildManifest({
    bytes,
    role: opts.role,
    name: opts.name,
    version: opts.version,
    ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
    ...(opts.origins ? { origins: opts.origins } : {}),
    readContract: async () => SIM_CONTRACT,
  });
  await publishModel(client, {
    manifestEnvelope: signManifest(built.manifest, [opts.keys.models]),
    chunks: built.chunks,
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
    ...(opts.maxInFlight ? { maxInFlight: opts.maxInFlight } : {}),
  });
  return built.modelId;
}

/** Publishes a channel release naming `roles` (the admin's `release publish`). */
export async function publishSimRelease(client: MqttClient, opts: { keys: SimKeys; channel: string; roles: ReleaseRoles; prefix?: string }): Promise<number> {
  const r = await publishRelease(client, { channel: opts.channel, roles: opts.roles, expiresInMs: 7 * 86_400_000, keys: [opts.keys.releases], ...(opts.prefix ? { prefix: opts.prefix } : {}), readTimeoutMs: 300 });
  return r.release.seq;
}
