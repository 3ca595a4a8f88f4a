/**
 * `release publish` as one operation, shared by the CLI (its own broker connection and key files) and
 * the API (the controller's broker connection and releases key): resolves every model reference
 * through the registry and the signed manifest on the broker (yanked refused), builds the roles
 * (candidates with their agent-local gates), and signs and publishes seq = current + 1.
 */
import type Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { AgentError } from '../../common/errors.js';
import { ROLES, type Candidate, type Release, type Role, type RoleRelease } from '../../common/wire.js';
import { publishRelease, type PublishReleaseResult, type ReleaseRoles } from '../publisher.js';
import type { ModelRegistry } from '../registry/registry.js';
import { resolveForRelease, type ResolvedModel } from '../registry/resolve.js';
import type { SigningKey } from '../signer.js';
import type { RoleTrust } from '../trust.js';
import { enforceQualityGate } from '../quality-gate.js';
import { enforceAgentFeatures } from '../agent-features-gate.js';
import type { ReleasePublishBody } from './schemas.js';

export interface ReleaseOpInput {
  client: MqttClient;
  registry: ModelRegistry;
  keys: readonly SigningKey[];
  prefix: string;
  modelsTrust?: RoleTrust | undefined;
  releasesTrust?: RoleTrust | undefined;
  body: ReleasePublishBody;
  warn: (line: string) => void;
  signal?: AbortSignal | undefined;
  /** the fleet db holding the channels' quality gates (issue 20 §4): every model named must pass its channel's gate */
  db: Database.Database;
  /** how this caller supplies the models' trust when a gated channel needs it (quality-gate.ts) */
  gateHint?: string;
}

export interface ReleaseOpResult extends PublishReleaseResult {
  /** name@version per role (and candidate-<role>) */
  labels: Record<string, string>;
  modelIds: Record<string, string>;
}

export async function publishReleaseOp(i: ReleaseOpInput): Promise<ReleaseOpResult> {
  const b = i.body;
  const resolved = new Map<string, ResolvedModel>();
  const resolve = async (ref: string, role: Role) => {
    const key = `${role}:${ref}`;
    if (!resolved.has(key)) resolved.set(key, await resolveForRelease(i.client, i.registry, ref, role, { prefix: i.prefix, ...(i.modelsTrust ? { trust: i.modelsTrust } : {}), ...(i.signal ? { signal: i.signal } : {}) }, i.warn));
    return resolved.get(key)!;
  };
  const stableIds: Partial<Record<Role, string>> = {};
  const candidateIds: Partial<Record<Role, string>> = {};
  const labels: Record<string, string> = {};
  for (const role of ROLES) {
    const ref = b.stable[role];
    if (ref) {
      const m = await resolve(ref, role);
      stableIds[role] = m.entry.modelId;
      labels[role] = m.label;
    }
    const c = b.candidates[role];
    if (c) {
      const m = await resolve(c.ref, role);
      candidateIds[role] = m.entry.modelId;
      labels[`candidate-${role}`] = m.label;
    }
  }
  // [issue 20 §4] every model this release names must carry signed evidence passing the channel's gate
  await enforceQualityGate(i.db, b.channel, [...Object.entries(stableIds), ...Object.entries(candidateIds)].map(([role, modelId]) => ({ role: role as Role, modelId: modelId! })), { client: i.client, modelsTrust: i.modelsTrust, prefix: i.prefix }, i.gateHint);
  // [capability gate, docs/MODELS.md "Crop rule"] no model goes to a channel where a known agent cannot serve it
  const manifests = new Map([...resolved.values()].map((m) => [m.entry.modelId, m.entry.value]));
  await enforceAgentFeatures(
    i.db,
    b.channel,
    [
      ...Object.entries(stableIds).map(([role, modelId]) => ({ role: role as Role, modelId: modelId!, label: labels[role]! })),
      ...Object.entries(candidateIds).map(([role, modelId]) => ({ role: role as Role, modelId: modelId!, label: labels[`candidate-${role}`]! })),
    ],
    async (modelId) => manifests.get(modelId),
  );
  const roles = (current: Release | undefined): ReleaseRoles => {
    const out: ReleaseRoles = {};
    for (const role of ROLES) {
      const c = b.candidates[role];
      if (!stableIds[role] && !c) continue;
      const stable = stableIds[role] ?? current?.roles[role]?.stable;
      if (!stable) throw new AgentError('bad_argument', `--candidate-${role} needs a stable ${role} (--${role}), and channel ${b.channel} has none yet`);
      const rr: RoleRelease = { stable };
      if (c) {
        const candidate: Candidate = {
          modelId: candidateIds[role]!,
          rolloutId: c.rolloutId,
          percent: c.percent,
          shadow: c.shadow,
          gates: {
            maxErrorRate: c.maxErrorRate ?? 0.01,
            maxLatencyP95Ms: c.maxP95Ms ?? 100,
            guardWindowSec: 60,
            minSamples: 20,
            ...(c.minAgreement !== undefined ? { minAgreement: c.minAgreement } : {}),
          },
        };
        rr.candidate = candidate;
      }
      out[role] = rr;
    }
    return out;
  };
  const r = await publishRelease(i.client, {
    channel: b.channel,
    roles,
    keepOtherRoles: !b.replace,
    expiresInMs: b.expiresInMs,
    keys: i.keys,
    ...(b.note !== undefined ? { note: b.note } : {}),
    ...(b.seq !== undefined ? { seq: b.seq } : {}),
    ...(b.profiles !== undefined ? { profiles: b.profiles } : {}),
    ...(i.releasesTrust ? { trust: i.releasesTrust } : {}),
    prefix: i.prefix,
    ...(i.signal ? { signal: i.signal } : {}),
  });
  const modelIds: Record<string, string> = { ...stableIds, ...Object.fromEntries(Object.entries(candidateIds).map(([k, x]) => [`candidate-${k}`, x])) };
  return { ...r, labels, modelIds };
}
