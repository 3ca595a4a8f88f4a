/**
 * Reason codes (errors.ts) and agent events in plain words for the person at the workstation: the tray
 * tooltip and the status window show these sentences, never a raw code alone. Pure and environment-free
 * (the renderer bundles it). Only `import type`, so no schema code is pulled into the browser bundle.
 */
import { ErrorCodes, type ErrorCode } from './errors.js';
import type { AgentEvent, Role } from './wire.js';

/**
 * Written sentences for the codes a person at the workstation is likely to see. Codes added later fall
 * back to their errors.ts description (always present), so a new code never breaks the window.
 */
const REASONS: Partial<Record<ErrorCode, string>> = {
  bad_envelope: 'An update message was malformed; it was ignored.',
  bad_signature: 'An update carried a signature that does not check out; it was ignored.',
  untrusted_key: 'An update was not signed by a key this machine trusts; it was ignored.',
  threshold_not_met: 'An update did not have enough trusted signatures; it was ignored.',
  wrong_payload_type: 'An update message was of the wrong kind; it was ignored.',
  bad_payload: 'An update message had unreadable contents; it was ignored.',
  release_replayed: 'An older update was sent again; it was ignored and the current model kept.',
  release_expired: 'The update channel has not been refreshed in time; keeping the current model.',
  release_wrong_channel: 'An update was meant for a different group of machines; it was ignored.',
  manifest_too_large: 'A model description was too large to be genuine; it was ignored.',
  manifest_missing: 'The update names a model that has not been published yet; waiting for it.',
  model_role_mismatch: 'The update names a model meant for a different job; it was ignored.',
  model_too_large: 'The new model is larger than this machine allows; keeping the current model.',
  chunk_count_mismatch: 'The new model was described inconsistently; keeping the current model.',
  chunk_hash_mismatch: 'Part of the new model arrived damaged; it will be fetched again.',
  chunk_unexpected: 'An unexpected piece of model data arrived; it was ignored.',
  size_mismatch: 'The downloaded model has the wrong size; keeping the current model.',
  sha256_mismatch: 'The downloaded model does not match its fingerprint; keeping the current model.',
  load_failed: 'The new model could not be loaded; keeping the current model.',
  contract_mismatch: 'The new model does not fit what this agent expects; keeping the current model.',
  self_test_failed: 'The new model gave wrong answers on its self-test; keeping the current model.',
  latency_budget_exceeded: 'The new model was too slow on this machine; keeping the current model.',
  provider_unavailable: 'No graphics or processor backend could run the model.',
  store_corrupt: 'A stored model was damaged and has been set aside.',
  no_model: 'No model is running for this job yet.',
  model_restarting: 'The detection engine is restarting; bots are asked to retry in a moment.',
  disk_full: 'The disk is full; downloads wait until space is freed.',
  fetch_stalled: 'A download stopped receiving data; retrying.',
  busy: 'The agent was too busy to answer a bot; it will catch up shortly.',
  rate_limited: 'A bot sent requests too fast and was asked to slow down.',
  too_many_connections: 'Too many bots are connected at once; new ones are refused for now.',
  endpoint_in_use: 'Another program is holding the bot connection point; bots cannot reach the agent.',
  endpoint_insecure: 'The bot connection point is not private to this user; the agent refused to use it.',
  endpoint_impostor: 'Something pretended to be the agent on the bot connection point; it was refused.',
  endpoint_unreachable: 'The agent is not listening for bots.',
  bad_config: 'The agent settings are invalid; ask IT to check the configuration.',
  bad_argument: 'A request had an invalid value.',
  secret_missing: 'A password or key the agent needs is missing from the credential store.',
  broker_unreachable: 'The update server cannot be reached; detection keeps working with the current models.',
  not_found: 'Something the agent looked for does not exist.',
  fleet_db_missing: 'The fleet database does not exist yet; create it with rpa-fleet init.',
  forbidden_sender: 'A request came from outside the status window and was refused.',
  timeout: 'An operation took too long and was stopped.',
  aborted: 'An operation was cancelled.',
  internal: 'Something unexpected went wrong inside the agent.',
};

/**
 * Rollback reasons produced by the agent-local guard (DESIGN.md Release "gates"), which may not be
 * ErrorCodes: kept here so the window can name them too.
 */
const GUARD_REASONS: Record<string, string> = {
  guard_breach: 'The new model broke its trial limits (too many errors or too slow), so the previous model is back.',
  error_rate: 'The new model made too many errors, so the previous model is back.',
  guard_error_rate: 'The new model made too many errors, so the previous model is back.',
  latency: 'The new model was too slow, so the previous model is back.',
  guard_latency: 'The new model was too slow, so the previous model is back.',
  latency_p95: 'The new model was too slow, so the previous model is back.',
  agreement: 'The new model disagreed too often with the current one, so the previous model is back.',
  guard_agreement: 'The new model disagreed too often with the current one, so the previous model is back.',
  release_rollback: 'IT withdrew the new model, so the previous model is back.',
  withdrawn: 'IT withdrew the new model, so the previous model is back.',
};

/** The sentence for a reason code; falls back to the given message, then to a generic sentence. */
export function plainReason(code: string | undefined, fallbackMessage?: string): string {
  if (code && Object.prototype.hasOwnProperty.call(REASONS, code)) return REASONS[code as ErrorCode]!;
  if (code && Object.prototype.hasOwnProperty.call(ErrorCodes, code)) return sentence(ErrorCodes[code as ErrorCode]);
  if (code && Object.prototype.hasOwnProperty.call(GUARD_REASONS, code)) return GUARD_REASONS[code]!;
  if (fallbackMessage) return sentence(fallbackMessage);
  return code ? `Something went wrong (${code}).` : 'Something went wrong.';
}

export function hasPlainReason(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(ErrorCodes, code) || Object.prototype.hasOwnProperty.call(GUARD_REASONS, code);
}

const ROLE_NAMES: Record<Role, string> = { detector: 'Element detector', classifier: 'Element classifier', similarity: 'Similarity search' };
export function roleName(role: Role): string {
  return ROLE_NAMES[role];
}

function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

function modelLabel(e: AgentEvent): string {
  const d = e.details ?? {};
  const name = typeof d['name'] === 'string' ? d['name'] : undefined;
  const version = typeof d['version'] === 'string' ? d['version'] : undefined;
  if (name && version) return `${name} ${version}`;
  if (version) return `version ${version}`;
  if (name) return name;
  return e.modelId ? `model ${e.modelId.slice(0, 8)}` : 'the model';
}

/** One line per event for the "recent events" list, with its reason in plain words. */
export function describeEvent(e: AgentEvent): string {
  const who = e.role ? `${ROLE_NAMES[e.role]}: ` : '';
  const model = modelLabel(e);
  const reason = e.reason || e.message ? ' ' + plainReason(e.reason, e.message) : '';
  switch (e.type) {
    case 'release_accepted':
      return `New update instructions received${e.releaseSeq !== undefined ? ` (release ${e.releaseSeq})` : ''}.`;
    case 'release_rejected':
      return `Update instructions refused.${reason}`;
    case 'model_rejected':
      return `${who}${model} refused.${reason}`;
    case 'download_started':
      return `${who}downloading ${model}.`;
    case 'download_progress': {
      const p = typeof e.details?.['progress'] === 'number' ? Math.round((e.details['progress'] as number) * 100) : undefined;
      return `${who}downloading ${model}${p !== undefined ? ` (${p} %)` : ''}.`;
    }
    case 'model_verified':
      return `${who}${model} downloaded and its signature checked.`;
    case 'activated':
      return `${who}now using ${model}.`;
    case 'activation_failed':
      return `${who}${model} could not be started.${reason}`;
    case 'committed':
      return `${who}${model} passed its trial and is now the standard model.`;
    case 'rolled_back':
      return `${who}${model} was rolled back.${reason || ' The previous model is back.'}`;
    case 'store_recovered':
      return `The local model store was repaired after an interruption.${reason}`;
    case 'provider_fallback':
      return `${who}running on the processor instead of the graphics card.${reason}`;
    case 'endpoint_alarm':
      return `The bot connection reported a problem.${reason}`;
    case 'origin_fallback':
      return `${who}the download server for ${model} did not answer; downloading it from the update broker instead.`;
    case 'worker_restarted':
      return `${who}the detection engine stopped and was restarted with ${model}.${reason}`;
    case 'release_expired':
      return `The update instructions have expired; the current models keep working, nothing new is installed.${reason}`;
    case 'disk_full':
      return `The disk is full: downloads are paused until space is freed; the current models keep working.`;
    case 'fetch_stalled':
      return `${who}the download of ${model} stalled; retrying.`;
    case 'trust_updated':
      return 'The signing keys this machine trusts were updated by the administrators.';
    case 'trust_rejected':
      return `A change to the trusted signing keys was refused; the current keys stay in force.${reason}`;
    case 'variant_fallback': {
      const v = typeof e.details?.['variant'] === 'string' ? `the ${e.details['variant']} version` : 'the faster version';
      return `${who}${v} of ${model} did not pass its checks; the standard (fp32) version is used instead.${reason}`;
    }
  }
}

/** Event types that are bad news (shown with a warning mark). */
export function isProblemEvent(e: AgentEvent): boolean {
  return ['release_rejected', 'model_rejected', 'activation_failed', 'rolled_back', 'provider_fallback', 'endpoint_alarm', 'worker_restarted', 'release_expired', 'disk_full', 'fetch_stalled', 'trust_rejected', 'variant_fallback'].includes(e.type);
}
