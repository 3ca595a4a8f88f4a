/**
 * Trust statements on the fleet side (issue 20 §1; DESIGN.md "Roles and rotation"): read the chain of
 * retained statements from the broker, build version N+1 (rotate keys, revoke a key), sign it with root
 * keys and publish it retained on `{prefix}/trust/{version}`. Every version stays retained: an agent
 * that was offline across several rotations walks them one by one (TUF §5.3 root update loop).
 */
import type { MqttClient } from 'mqtt';
import { AgentError } from '../common/errors.js';
import { nodeEd25519Verifier } from '../common/node/ed25519.js';
import { advanceTrust, initialTrustState, roleKeyIds, roleKeysOf, verifyNextStatement, type TrustAdvance, type TrustRoleKey, type TrustState } from '../common/trust-chain.js';
import { PAYLOAD_TYPE_TRUST, TrustStatementSchema, type TrustFile, type TrustRoles, type TrustStatement } from '../common/trust-file.js';
import { DEFAULT_TOPIC_PREFIX, topics } from '../common/topics.js';
import type { DsseEnvelope } from '../common/dsse.js';
import { readRetained } from './mqtt.js';
import { signJson, type SigningKey } from './signer.js';
import type { RoleTrust } from './trust.js';

export interface TrustChain extends TrustAdvance {
  /** versions retained on the broker (all of them, including refused ones) */
  published: number[];
}

/** Reads every retained trust statement and walks them from the installed trust file. */
export async function readTrustChain(client: MqttClient, installed: TrustFile, opts: { prefix?: string; now?: number; idleMs?: number; timeoutMs?: number } = {}): Promise<TrustChain> {
  const t = topics(opts.prefix ?? DEFAULT_TOPIC_PREFIX);
  const msgs = await readRetained(client, t.allTrust(), { idleMs: opts.idleMs ?? 400, timeoutMs: opts.timeoutMs ?? 3000 });
  const available = new Map<number, Uint8Array>();
  for (const [topic, raw] of msgs) {
    const v = t.parseTrustTopic(topic);
    if (v !== undefined) available.set(v, new Uint8Array(raw));
  }
  const r = advanceTrust(initialTrustState(installed), available, opts.now ?? Date.now(), nodeEd25519Verifier);
  return { ...r, published: [...available.keys()].sort((a, b) => a - b) };
}

/** The keys and threshold of a role under the trust in force (revoked keys dropped). */
export function roleTrustOf(state: TrustState, role: TrustRoleKey): RoleTrust | undefined {
  return roleKeysOf(state, role);
}

export interface RoleChange {
  keys: { publicKey: string; keyid: string }[];
  threshold?: number;
}

export interface NextStatementInput {
  /** replace a role's keys (and threshold; default: keep the current threshold, capped at the key count) */
  roles?: Partial<Record<TrustRoleKey, RoleChange>>;
  /** keyids to revoke: dropped from every role and listed as revoked for good */
  revoke?: string[];
  issued: Date;
  expires: Date;
  note?: string;
}

/** Builds trust statement N+1 from the trust in force; refuses a change that would leave a role unusable. */
export function buildNextStatement(current: TrustState, input: NextStatementInput): TrustStatement {
  if (!current.roles.root) throw new AgentError('trust_no_root', `trust version ${current.version} has no root role; install a trust file made with --root first`);
  const revoke = new Set(input.revoke ?? []);
  for (const id of revoke) {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new AgentError('bad_argument', `${id} is not a keyid (64 lowercase hex)`);
    const listed = (['root', 'models', 'releases', 'approvers'] as const).some((r) => roleKeyIds(current.roles, r).includes(id));
    if (!listed && !current.revoked.includes(id)) throw new AgentError('not_found', `key ${id.slice(0, 16)}… is in no role of trust version ${current.version}`);
  }
  const roles: Record<string, unknown> = {};
  for (const role of ['root', 'models', 'releases', 'approvers'] as const) {
    const cur = current.roles[role];
    const change = input.roles?.[role];
    let keys = change ? change.keys.map((k) => ({ publicKey: k.publicKey, comment: `keyid ${k.keyid}` })) : (cur?.keys ?? []);
    const ids = change ? change.keys.map((k) => k.keyid) : roleKeyIds(current.roles, role);
    keys = keys.filter((_, i) => !revoke.has(ids[i]!) && !current.revoked.includes(ids[i]!));
    if (keys.length === 0) {
      if (role === 'approvers') continue;
      throw new AgentError('bad_argument', `the ${role} role would have no key left; give its replacement (--${role} PUB) in the same statement`);
    }
    const threshold = change?.threshold ?? Math.min(cur?.threshold ?? 1, keys.length);
    if (threshold > keys.length) throw new AgentError('bad_argument', `${role} threshold ${threshold} is above its ${keys.length} key(s)`);
    roles[role] = { threshold, keys };
  }
  const r = TrustStatementSchema.safeParse({
    schemaVersion: 1,
    version: current.version + 1,
    issued: input.issued.toISOString(),
    expires: input.expires.toISOString(),
    roles,
    revoked: [...new Set([...current.revoked, ...revoke])],
    ...(input.note ? { note: input.note } : {}),
  });
  if (!r.success) throw new AgentError('bad_argument', `trust statement invalid: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/**
 * Signs statement N+1 and checks it the way every agent will (threshold of N's root keys and of its
 * own root keys): a statement agents would refuse is never published.
 */
export function signNextStatement(current: TrustState, statement: TrustStatement, keys: readonly SigningKey[]): DsseEnvelope {
  if (keys.length === 0) throw new AgentError('bad_argument', 'at least one root key is required (--key)');
  const envelope = signJson(PAYLOAD_TYPE_TRUST, statement, keys);
  verifyNextStatement(current, new TextEncoder().encode(JSON.stringify(envelope)), nodeEd25519Verifier);
  return envelope;
}

export async function publishTrustStatement(client: MqttClient, envelope: DsseEnvelope, version: number, prefix = DEFAULT_TOPIC_PREFIX): Promise<string> {
  const topic = topics(prefix).trust(version);
  try {
    await client.publishAsync(topic, JSON.stringify(envelope), { qos: 1, retain: true });
  } catch (e) {
    throw new AgentError('broker_unreachable', `publish to ${topic} failed: ${(e as Error).message}`, undefined, { cause: e });
  }
  return topic;
}

/** roles as the CLI prints them: threshold and keyids */
export function describeRoles(roles: TrustRoles): Record<string, { threshold: number; keyids: string[] }> {
  const out: Record<string, { threshold: number; keyids: string[] }> = {};
  for (const role of ['root', 'models', 'releases', 'approvers'] as const) {
    const r = roles[role];
    if (r) out[role] = { threshold: r.threshold, keyids: roleKeyIds(roles, role) };
  }
  return out;
}
