/**
 * RFC 9457 problem details (application/problem+json) for every error the API returns: `type`,
 * `title`, `status`, `detail`, `instance`, plus our stable error `code` (src/common/errors.ts) and,
 * for a body or query that fails its schema, `errors` naming each bad field.
 */
import { AgentError, ErrorCodes, type ErrorCode } from '../../common/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://rpa-edge.invalid/problems/';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: ErrorCode;
  errors?: { path: string; message: string }[];
  details?: Record<string, unknown>;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_argument: 400,
  invalid_params: 400,
  parse_error: 400,
  bad_payload: 400,
  unauthenticated: 401,
  token_revoked: 401,
  forbidden: 403,
  not_found: 404,
  method_not_found: 405,
  version_exists: 409,
  model_yanked: 409,
  approval_required: 409,
  quality_gate_failed: 409,
  agent_unsupported: 409,
  provenance_missing: 409,
  release_replayed: 409,
  frame_too_large: 413,
  approval_untrusted_key: 422,
  approval_bad_signature: 422,
  approval_bad_payload: 422,
  approval_wrong_rollout: 422,
  approval_wrong_wave: 422,
  approval_replayed: 422,
  approval_duplicate: 422,
  approval_expired: 422,
  approval_same_person: 422,
  rate_limited: 429,
  broker_unreachable: 503,
  fleet_db_missing: 503,
  not_supported: 501,
  timeout: 504,
};

/** Titles for codes whose catalogue text speaks of another front door (bot endpoint, CLI). */
const API_TITLES: Partial<Record<ErrorCode, string>> = {
  bad_argument: 'the request is invalid (path, query or body)',
  unauthenticated: 'a valid bearer token is required',
  parse_error: 'the request body is not valid JSON',
  method_not_found: 'this path does not allow this method',
  frame_too_large: 'the request body is too large',
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? (code.startsWith('approval_') ? 422 : 500);
}

export function problemOf(e: AgentError, instance?: string, errors?: Problem['errors']): Problem {
  const status = statusOf(e.code);
  return {
    type: `${PROBLEM_TYPE_BASE}${e.code}`,
    title: API_TITLES[e.code] ?? ErrorCodes[e.code],
    status,
    // an internal error's message may carry paths or SQL: the caller gets the code, the log the rest
    detail: status >= 500 && e.code === 'internal' ? 'an unexpected internal error (see the controller log)' : e.message,
    ...(instance ? { instance } : {}),
    code: e.code,
    ...(errors?.length ? { errors } : {}),
    ...(e.details && status < 500 ? { details: e.details } : {}),
  };
}
