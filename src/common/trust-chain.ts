/**
 * Trust rotation over the wire (issue 20 §1; DESIGN.md "Roles and rotation"; TUF spec §5.3 "Update the
 * root role"). Pure: the agent, the fleet CLI and tests walk the same chain with an injected verifier.
 *
 * The trust in force is a TrustState: the installed trust file (version 1) or the last accepted trust
 * statement. Statement N+1 is accepted only when
 *   - it is signed by a threshold of version N's root keys                        [TUF 5.3.4 (1)]
 *   - its payload is a trust statement whose version is exactly N+1               [TUF 5.3.5]
 *   - it is signed by a threshold of its own (N+1's) root keys                    [TUF 5.3.4 (2)]
 *   - no revoked key (of this or any earlier statement) is listed in a role
 * Expiry is checked only on the newest statement of a walk, as TUF 5.3.10 does, so an agent offline
 * across several rotations can cross an old, expired intermediate statement to a fresh one.
 */
import { fromBase64 } from './bytes.js';
import { keyIdOf, verifyEnvelope, type Ed25519Verifier } from './dsse.js';
import { AgentError, toAgentError, type ErrorCode } from './errors.js';
import { envelopeJson, verifyThenParse, type RoleKeys } from './signed.js';
import { MAX_TRUST_STATEMENT_BYTES, PAYLOAD_TYPE_TRUST, TrustStatementSchema, type TrustFile, type TrustRoles, type TrustStatement } from './trust-file.js';

export type TrustRoleKey = 'models' | 'releases' | 'approvers' | 'root';

export interface TrustState {
  /** 1 = the installed trust file */
  version: number;
  /** expiry of the statement in force (the installed file has none) */
  expires?: string;
  roles: TrustRoles;
  /** every keyid revoked so far: never counted again */
  revoked: string[];
}

export function initialTrustState(file: TrustFile): TrustState {
  return { version: 1, roles: file.roles, revoked: [] };
}

/** keyids of a role's keys, as listed (revoked ones included) */
export function roleKeyIds(roles: TrustRoles, role: TrustRoleKey): string[] {
  return (roles[role]?.keys ?? []).map((k) => keyIdOf(fromBase64(k.publicKey)));
}

/** The keys that count for `role` under `state`: revoked keys are dropped even if a role still lists them. */
export function roleKeysOf(state: Pick<TrustState, 'roles' | 'revoked'>, role: TrustRoleKey): RoleKeys | undefined {
  const r = state.roles[role];
  if (!r) return undefined;
  const revoked = new Set(state.revoked);
  const keys = r.keys.map((k) => ({ publicKey: fromBase64(k.publicKey) })).filter((k) => !revoked.has(keyIdOf(k.publicKey)));
  return { keys, threshold: r.threshold };
}

function refuse(code: ErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new AgentError(code, message, details);
}

export interface VerifiedStatement {
  statement: TrustStatement;
  next: TrustState;
}

/**
 * Checks one statement that claims to be version `state.version + 1` (expiry not checked here: see
 * advanceTrust). Throws an AgentError with its own reason code for each refusal.
 */
export function verifyNextStatement(state: TrustState, raw: Uint8Array, verifier: Ed25519Verifier): VerifiedStatement {
  if (raw.length > MAX_TRUST_STATEMENT_BYTES) refuse('bad_envelope', `trust statement is ${raw.length} bytes, over the ${MAX_TRUST_STATEMENT_BYTES} bound`);
  const currentRoot = roleKeysOf(state, 'root');
  if (!currentRoot) refuse('trust_no_root', `trust version ${state.version} has no root role: it cannot be rotated over the wire (reinstall a trust file with --root)`);
  const json = envelopeJson(raw);
  let statement: TrustStatement;
  try {
    // [TUF 5.3.4] a threshold of the trusted (version N) root keys, then the payload
    statement = verifyThenParse(json, PAYLOAD_TYPE_TRUST, currentRoot, TrustStatementSchema, verifier, 'trust statement').value;
  } catch (e) {
    const err = toAgentError(e);
    if (err.code === 'untrusted_key' || err.code === 'bad_signature')
      refuse('trust_root_untrusted', `trust statement refused: no valid signature from a root key of trust version ${state.version}`);
    if (err.code === 'threshold_not_met')
      refuse('trust_threshold_not_met', `trust statement refused: ${err.message} (root keys of trust version ${state.version})`, err.details);
    throw err;
  }
  // [TUF 5.3.5] never back: a version not above the trust in force is a rollback
  if (statement.version <= state.version)
    refuse('trust_rollback', `trust statement version ${statement.version} is not above the trust in force (version ${state.version})`, { version: statement.version, current: state.version });
  if (statement.version !== state.version + 1)
    refuse('trust_bad_statement', `trust statement version ${statement.version} skips version ${state.version + 1}; statements are applied one version at a time`);
  const revoked = [...new Set([...state.revoked, ...statement.revoked])];
  const next: TrustState = { version: statement.version, expires: statement.expires, roles: statement.roles, revoked };
  // A revoked key never comes back: listing one in a role is a malformed statement.
  const revokedSet = new Set(revoked);
  for (const role of ['root', 'models', 'releases', 'approvers'] as const) {
    const bad = roleKeyIds(statement.roles, role).find((id) => revokedSet.has(id));
    if (bad) refuse('trust_bad_statement', `trust statement ${statement.version} lists revoked key ${bad.slice(0, 16)}… in the ${role} role`);
  }
  // [TUF 5.3.4] and a threshold of its own root keys (a new root must prove it holds its keys)
  const newRoot = roleKeysOf(next, 'root')!;
  try {
    verifyEnvelope(json, PAYLOAD_TYPE_TRUST, newRoot.keys, newRoot.threshold, verifier);
  } catch (e) {
    const err = toAgentError(e);
    refuse('trust_threshold_not_met', `trust statement ${statement.version} is not signed by a threshold (${newRoot.threshold}) of its own root keys: ${err.message}`);
  }
  return { statement, next };
}

export interface TrustRefusal {
  version: number;
  code: ErrorCode;
  message: string;
}

export interface TrustAdvance {
  /** the trust in force after the walk (the input state when nothing was accepted) */
  state: TrustState;
  /** statements accepted, oldest first */
  accepted: { version: number; raw: Uint8Array; statement: TrustStatement }[];
  /** why the walk stopped before the last available statement, if it did */
  refused?: TrustRefusal;
}

/**
 * Walks from `state` through `available` (raw statement envelopes by the version they claim, e.g. the
 * retained `trust/{version}` topics) one version at a time, like TUF's root update loop. Accepts the
 * longest run whose newest statement has not expired at `now` (`now` undefined: no expiry check, used
 * to re-verify a chain already accepted once).
 */
export function advanceTrust(state: TrustState, available: ReadonlyMap<number, Uint8Array>, now: number | undefined, verifier: Ed25519Verifier): TrustAdvance {
  const walked: TrustAdvance['accepted'] = [];
  const states: TrustState[] = [];
  let s = state;
  let refused: TrustRefusal | undefined;
  for (let raw = available.get(s.version + 1); raw; raw = available.get(s.version + 1)) {
    try {
      const v = verifyNextStatement(s, raw, verifier);
      walked.push({ version: v.next.version, raw, statement: v.statement });
      states.push(v.next);
      s = v.next;
    } catch (e) {
      const err = toAgentError(e);
      refused = { version: s.version + 1, code: err.code, message: err.message };
      break;
    }
  }
  // [TUF 5.3.10] freeze attack: the newest statement accepted must not have expired
  let keep = walked.length;
  if (now !== undefined) {
    while (keep > 0 && Date.parse(walked[keep - 1]!.statement.expires) <= now) keep--;
    if (keep < walked.length) {
      const expired = walked[walked.length - 1]!.statement;
      refused = { version: expired.version, code: 'trust_expired', message: `trust statement ${expired.version} expired at ${expired.expires}; keeping trust version ${keep > 0 ? states[keep - 1]!.version : state.version}` };
    }
  }
  return { state: keep > 0 ? states[keep - 1]! : state, accepted: walked.slice(0, keep), ...(refused ? { refused } : {}) };
}

/**
 * When a signature check under `state` failed, tells whether a revoked key is why: the envelope names
 * (as a hint only) a keyid that the root revoked. Used to report key_revoked instead of untrusted_key.
 */
export function revokedSigner(state: Pick<TrustState, 'revoked'>, envelope: unknown): string | undefined {
  if (state.revoked.length === 0 || typeof envelope !== 'object' || envelope === null) return undefined;
  const sigs = (envelope as { signatures?: unknown }).signatures;
  if (!Array.isArray(sigs)) return undefined;
  const revoked = new Set(state.revoked);
  for (const s of sigs) {
    const id = (s as { keyid?: unknown })?.keyid;
    if (typeof id === 'string' && revoked.has(id)) return id;
  }
  return undefined;
}
