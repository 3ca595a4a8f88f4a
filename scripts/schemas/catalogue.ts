/**
 * The catalogue of wire payloads and their zod contracts: one entry per schema file under docs/schemas/.
 * Add a payload here when src/common grows one; the drift test then covers it.
 */
import { z } from 'zod';
import { DsseEnvelopeSchema, PAYLOAD_TYPE_MODEL, PAYLOAD_TYPE_RELEASE } from '../../src/common/dsse.js';
import { AgentEventSchema, AgentStatusSchema, FeedbackSchema, MetricsWindowSchema, ModelManifestSchema, ReleaseSchema } from '../../src/common/wire.js';
import { PAYLOAD_TYPE_TRUST, TrustFileSchema, TrustStatementSchema } from '../../src/common/trust-file.js';
import { BotMethods, RpcErrorSchema } from '../../src/common/bot-protocol.js';

export interface SchemaEntry {
  file: string;
  title: string;
  description: string;
  jsonSchema: () => Record<string, unknown>;
}

/** Input shape (what a sender may write: defaults optional), draft 2020-12; refinements are not expressible and are dropped. */
function toJson(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

export function wireSchemas(): SchemaEntry[] {
  const mqtt: SchemaEntry[] = [
    { file: 'dsse-envelope.schema.json', title: 'DSSE envelope', description: 'Signed envelope on the release and manifest topics; payload is base64 of the signed JSON, signatures are Ed25519 over PAE(payloadType, payload).', jsonSchema: () => toJson(DsseEnvelopeSchema) },
    { file: 'model-manifest.schema.json', title: 'ModelManifest', description: `Payload of a DSSE envelope with payloadType ${PAYLOAD_TYPE_MODEL}, topic {prefix}/models/{modelId}/manifest (retained, QoS 1), signed by the models role.`, jsonSchema: () => toJson(ModelManifestSchema) },
    { file: 'release.schema.json', title: 'Release', description: `Payload of a DSSE envelope with payloadType ${PAYLOAD_TYPE_RELEASE}, topic {prefix}/channels/{channel}/release (retained, QoS 1), signed by the releases role.`, jsonSchema: () => toJson(ReleaseSchema) },
    { file: 'agent-status.schema.json', title: 'AgentStatus', description: 'Topic {prefix}/agents/{agentId}/status (retained, QoS 1; the last will says offline). Written by the agent.', jsonSchema: () => toJson(AgentStatusSchema) },
    { file: 'agent-event.schema.json', title: 'AgentEvent', description: 'Topic {prefix}/agents/{agentId}/events (QoS 1, not retained). Written by the agent.', jsonSchema: () => toJson(AgentEventSchema) },
    { file: 'metrics-window.schema.json', title: 'MetricsWindow', description: 'Topic {prefix}/agents/{agentId}/metrics (QoS 1, not retained). One telemetry window; the controller drops duplicates by (agent, epoch, seq).', jsonSchema: () => toJson(MetricsWindowSchema) },
    { file: 'feedback.schema.json', title: 'Feedback', description: 'Topic {prefix}/agents/{agentId}/feedback (QoS 1, not retained). Corrections from users or bots.', jsonSchema: () => toJson(FeedbackSchema) },
    { file: 'trust-statement.schema.json', title: 'TrustStatement', description: `Payload of a DSSE envelope with payloadType ${PAYLOAD_TYPE_TRUST}, topic {prefix}/trust/{version} (retained, QoS 1, every version kept), signed by a threshold of the previous version's root keys and of its own (issue 20 §1).`, jsonSchema: () => toJson(TrustStatementSchema) },
    { file: 'trust-file.schema.json', title: 'Trust file', description: "The agent's installed trust file (never from the wire): keys and thresholds per role.", jsonSchema: () => toJson(TrustFileSchema) },
  ];
  const bot: SchemaEntry[] = Object.entries(BotMethods).flatMap(([method, def]) => {
    const d = def as { params: z.ZodType; result: z.ZodType };
    const base = method.replace(/[^A-Za-z0-9]+/g, '-');
    return [
      { file: `bot-${base}.params.schema.json`, title: `bot ${method} params`, description: `JSON-RPC 2.0 params of the bot endpoint method "${method}".`, jsonSchema: () => toJson(d.params) },
      { file: `bot-${base}.result.schema.json`, title: `bot ${method} result`, description: `JSON-RPC 2.0 result of the bot endpoint method "${method}".`, jsonSchema: () => toJson(d.result) },
    ];
  });
  bot.push({ file: 'bot-error.schema.json', title: 'bot error', description: 'JSON-RPC 2.0 error object of the bot endpoint (data.code is the stable string code).', jsonSchema: () => toJson(RpcErrorSchema) });
  return [...mqtt, ...bot];
}
