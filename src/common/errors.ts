/**
 * Every failure that crosses a boundary (wire, bot endpoint, CLI, status window) carries a stable code,
 * in the manner of MQTT.js's `ErrorWithReasonCode`, so every front door can show the same reason.
 */
export const ErrorCodes = {
  // trust (DESIGN.md "Trust rules")
  bad_envelope: 'the message is not a well-formed DSSE envelope',
  bad_signature: 'a signature does not verify against a trusted key',
  untrusted_key: 'no signature comes from a key in the trust file',
  threshold_not_met: 'fewer valid signatures from distinct trusted keys than the threshold',
  wrong_payload_type: 'the envelope payloadType is not the one expected',
  bad_payload: 'the signed payload does not match its schema',
  release_replayed: 'release seq is not above the last accepted one for this channel (rollback attack)',
  release_expired: 'release has expired (freeze attack): keeping the active models',
  release_wrong_channel: 'release names a different channel than the one this agent follows',
  manifest_too_large: 'manifest is over 1 MiB',
  manifest_missing: 'release names a model whose manifest is not published',
  model_role_mismatch: 'release names a model under a role its manifest does not declare',
  model_too_large: 'model is over the configured maximum size',
  chunk_count_mismatch: 'chunkSha256 count does not equal ceil(size / chunkSize)',
  chunk_hash_mismatch: 'a chunk does not match its sha256 from the manifest',
  chunk_unexpected: 'a chunk arrived that the manifest does not list',
  size_mismatch: 'assembled model size differs from the manifest',
  origin_unavailable: 'the model\'s HTTPS origin could not serve it (unreachable, TLS, HTTP status, stalled or malformed response)',
  disk_full: 'the data directory\'s disk is full: downloads pause until space returns, the active models keep serving',
  fetch_stalled: 'a download received no data within the stall timeout: re-subscribing with backoff',
  sha256_mismatch: 'assembled model sha256 differs from the manifest and its modelId',
  // activation (DESIGN.md "Agent core" / inference host)
  load_failed: 'onnxruntime could not load the model',
  contract_mismatch: 'model inputs/outputs do not match the manifest contract',
  self_test_failed: 'model output on the self-test input is outside tolerance',
  latency_budget_exceeded: 'p95 latency over the warm-up runs is above the budget',
  provider_unavailable: 'no configured execution provider could load the model',
  store_corrupt: 'a stored model no longer matches its sha256',
  no_model: 'no model is active for this role',
  model_restarting: 'the role\'s inference worker ended and its model is being reloaded: retry shortly',
  guard_breach: 'the candidate broke an agent-local guard limit (error rate, latency) and was rolled back',
  manual_rollback: 'the local administrator rolled the role back to the previous kept version (rpa-agent rollback)',
  // bot endpoint (docs/BOT-API.md; JSON-RPC numbers in src/common/bot-protocol.ts)
  parse_error: 'the frame is not valid JSON',
  invalid_request: 'the frame is not a valid JSON-RPC 2.0 request',
  frame_too_large: 'the frame is over the maximum frame size',
  method_not_found: 'the endpoint has no such method',
  invalid_params: 'the params do not match the method\'s schema',
  unauthenticated: 'the connection has not completed the handshake, or its proof is wrong',
  busy: 'the detection queue is full: retry shortly',
  rate_limited: 'too many requests from this client: slow down',
  image_too_large: 'the image is over the size or pixel limit',
  bad_image: 'the image is not a readable PNG',
  cancelled: 'the request was cancelled by the client',
  not_supported: 'this request is not supported by the active models or platform',
  too_many_connections: 'the endpoint is serving its maximum number of connections',
  endpoint_in_use: 'the endpoint pipe/socket is already held by another process (possible squatter)',
  endpoint_insecure: 'the endpoint socket directory is not private to this user',
  endpoint_impostor: 'the server at the endpoint could not prove it knows the secret: refusing it',
  endpoint_unreachable: 'no agent is listening at the endpoint',
  connection_closed: 'the endpoint connection closed',
  // fleet registry, approvals and audit (issue 16 §3-4)
  version_exists: 'name@version is already bound to other bytes (another modelId); publish a new version',
  model_yanked: 'the model is yanked: it cannot enter a new release',
  approval_required: 'this rollout needs approvals signed by approver keys (rollout approve --key)',
  approval_untrusted_key: 'the approval is not signed by a key of the approvers role in the trust file',
  approval_bad_signature: 'the approval\'s signature does not verify',
  approval_bad_payload: 'the approval is not a well-formed approval statement',
  approval_wrong_rollout: 'the approval names another rollout (or another channel, role or candidate)',
  approval_wrong_wave: 'the approval is for another wave than the one awaiting approval',
  approval_replayed: 'this approval statement was already submitted',
  approval_duplicate: 'this approver key has already approved this wave',
  approval_expired: 'the approval statement has expired',
  approval_same_person: 'two-person rule: whoever started the rollout cannot approve it',
  audit_chain_broken: 'the audit log\'s hash chain does not verify: an entry was changed or removed',
  // config and CLI
  bad_config: 'the configuration file is invalid',
  bad_argument: 'a command-line argument is invalid',
  secret_missing: 'a required secret is not in the OS credential store',
  broker_unreachable: 'could not connect to the MQTT broker',
  not_found: 'the requested item does not exist',
  fleet_db_missing: 'the fleet database does not exist: create it with `rpa-fleet init` (or pass --init), or point --db / RPA_FLEET_DB at it',
  forbidden_sender: 'an IPC message came from a frame outside the app\'s own protocol',
  timeout: 'the operation timed out',
  aborted: 'the operation was cancelled',
  internal: 'an unexpected internal error',
  not_built: 'the compiled program (dist/) is missing and this install has no TypeScript runner: run `npm run build`',
  // controller HTTP API (issue 19 §1)
  forbidden: 'the caller\'s role may not do this (viewer, operator, approver)',
  token_revoked: 'the bearer token was revoked',
  // supply chain (issue 20): trust rotation, graph scan, provenance, quality gate
  trust_no_root: 'the trust in force has no root role, so it cannot be rotated over the wire',
  trust_root_untrusted: 'the trust statement is not signed by any root key of the trust in force (a new root signed only by itself)',
  trust_threshold_not_met: 'the trust statement lacks a threshold of signatures from the current root keys or from its own new root keys',
  trust_rollback: 'the trust statement\'s version is not above the trust in force (rollback attack)',
  trust_expired: 'the trust statement has expired (freeze attack): keeping the trust in force',
  trust_bad_statement: 'the trust statement is malformed: a version gap, or a revoked key listed in a role',
  key_revoked: 'the signature is by a key the root role revoked',
  graph_unreadable: 'the model file is not a readable ONNX graph',
  graph_external_data: 'the model graph refers to tensor data outside the file (external data)',
  graph_custom_domain: 'the model graph uses an op or opset from a custom (non-standard) domain',
  graph_op_not_allowed: 'the model graph uses an op outside the allow-list',
  graph_opset_range: 'the model graph\'s ONNX opset is outside the accepted range',
  graph_initializer_too_large: 'a model initializer is over the size bound',
  graph_loop_unbounded: 'a Loop in the model graph has no constant trip count within the bound',
  provenance_missing: 'the model has no validly signed provenance (in-toto statement) on the broker',
  quality_gate_failed: 'the model\'s signed evaluation evidence does not meet the channel\'s quality gate',
  // capability gate (docs/MODELS.md "Crop rule"; src/common/agent-features.ts)
  agent_unsupported: 'an agent known on the channel lacks a feature the model needs (e.g. crop-views): upgrade it before rolling the model out',
  // hardware variants (issue 21 §1)
  variant_invalid: 'a model variant (variants/<name>/model.onnx + variant.json) is malformed, or was not made from this model file',
  // the native session host (issue 17 §2)
  session_host_protocol: 'the native session host and the agent exchanged a malformed frame: the host is replaced',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** Codes a caller may simply retry after a short pause (the condition clears by itself). */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['busy', 'rate_limited', 'model_restarting', 'timeout']);
export const isRetryable = (code: string): boolean => RETRYABLE_CODES.has(code as ErrorCode);

export class AgentError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? ErrorCodes[code], options);
    this.name = 'AgentError';
    this.code = code;
    this.details = details;
  }
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isAgentError(e: unknown): e is AgentError {
  return e instanceof AgentError;
}

/** Wraps anything thrown into an AgentError, keeping the original as `cause`. */
export function toAgentError(e: unknown, fallback: ErrorCode = 'internal'): AgentError {
  if (e instanceof AgentError) return e;
  if (e instanceof Error && e.name === 'AbortError') return new AgentError('aborted', e.message, undefined, { cause: e });
  return new AgentError(fallback, e instanceof Error ? e.message : String(e), undefined, { cause: e });
}
