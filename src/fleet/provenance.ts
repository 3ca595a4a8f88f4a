/**
 * Provenance on the fleet side (issue 20 §2): sign an in-toto statement (SLSA provenance v1 predicate,
 * src/common/provenance.ts) with the models role, publish it retained beside the manifest on
 * `{prefix}/models/{modelId}/provenance`, and read it back verified (verify-then-parse, src/common/signed.ts).
 */
import type { MqttClient } from 'mqtt';
import type { DsseEnvelope } from '../common/dsse.js';
import { AgentError } from '../common/errors.js';
import { MAX_PROVENANCE_BYTES, PAYLOAD_TYPE_INTOTO, ProvenanceStatementSchema, type ProvenanceStatement } from '../common/provenance.js';
import { DEFAULT_TOPIC_PREFIX, topics } from '../common/topics.js';
import { readRetained } from './mqtt.js';
import { decodeSigned, type VerifiedDocument } from './publisher.js';
import { signJson, type SigningKey } from './signer.js';
import type { RoleTrust } from './trust.js';

/** Parses an unsigned statement (as the training script writes it) and checks it names `modelId`. */
export function parseProvenanceFor(json: unknown, modelId: string, source = 'provenance'): ProvenanceStatement {
  const r = ProvenanceStatementSchema.safeParse(json);
  if (!r.success) throw new AgentError('bad_argument', `${source}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  if (!r.data.subject.some((s) => s.digest.sha256 === modelId)) throw new AgentError('sha256_mismatch', `${source} is about ${r.data.subject.map((s) => s.digest.sha256.slice(0, 12)).join(', ')}…, not model ${modelId.slice(0, 12)}…`);
  return r.data;
}

export function signProvenance(statement: ProvenanceStatement, keys: readonly SigningKey[]): DsseEnvelope {
  if (keys.length === 0) throw new AgentError('bad_argument', 'at least one models key is required');
  const env = signJson(PAYLOAD_TYPE_INTOTO, statement, keys);
  if (Buffer.byteLength(JSON.stringify(env)) > MAX_PROVENANCE_BYTES) throw new AgentError('bad_argument', `the signed provenance is over ${MAX_PROVENANCE_BYTES} bytes`);
  return env;
}

export async function publishProvenance(client: MqttClient, modelId: string, envelope: DsseEnvelope, prefix = DEFAULT_TOPIC_PREFIX): Promise<string> {
  const topic = topics(prefix).provenance(modelId);
  try {
    await client.publishAsync(topic, JSON.stringify(envelope), { qos: 1, retain: true });
  } catch (e) {
    throw new AgentError('broker_unreachable', `publish to ${topic} failed: ${(e as Error).message}`, undefined, { cause: e });
  }
  return topic;
}

/** The retained provenance of a model, verified with the models role when `trust` is given. */
export async function readProvenance(client: MqttClient, modelId: string, opts: { prefix?: string; trust?: RoleTrust; timeoutMs?: number } = {}): Promise<VerifiedDocument<ProvenanceStatement> | undefined> {
  const topic = topics(opts.prefix ?? DEFAULT_TOPIC_PREFIX).provenance(modelId);
  const msgs = await readRetained(client, topic, { expect: 1, idleMs: opts.timeoutMs ?? 1000, timeoutMs: opts.timeoutMs ?? 1500 });
  const raw = msgs.get(topic);
  if (!raw) return undefined;
  const doc = decodeSigned(topic, raw, PAYLOAD_TYPE_INTOTO, ProvenanceStatementSchema, 'provenance', opts.trust);
  // a statement about other bytes is not this model's provenance, however well signed
  if (doc.value && !doc.value.subject.some((s) => s.digest.sha256 === modelId)) {
    return { ...doc, signature: 'invalid', error: { code: 'sha256_mismatch', message: 'the provenance names another model' } };
  }
  return doc;
}
