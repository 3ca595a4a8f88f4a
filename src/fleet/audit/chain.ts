/**
 * The audit log's hash chain (issue 16 §4; DESIGN.md "Fleet controller": "records every admin action
 * in a hash-chained audit log"). Pure: no SQLite here, so the rule is unit-tested on its own.
 *
 * Every entry holds `prev` = sha256 of the previous entry's canonical bytes (GENESIS for the first)
 * and `hash` = sha256 of its own canonical bytes. Changing an entry's content breaks its own hash;
 * recomputing that hash breaks the next entry's `prev`; removing an entry breaks the next `prev` and
 * the sequence. Truncating the tail is only visible against a head hash recorded elsewhere, which is
 * why `audit verify` prints the head.
 */
import { createHash } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

/** What an admin action records; `inputs` are the verb's arguments (never secrets). */
export interface AuditRecord {
  actor: string;
  action: string;
  reason?: string;
  rolloutId?: string;
  inputs: Record<string, unknown>;
}

export interface AuditEntry extends AuditRecord {
  seq: number;
  /** ISO 8601 time of the action */
  ts: string;
  prev: string;
  hash: string;
}

/** JSON with object keys sorted at every level and no whitespace: one byte string per value. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError('canonical JSON has no NaN or Infinity');
    return JSON.stringify(v) ?? 'null';
  }
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** The canonical bytes of an entry: every field but its own hash. */
export function entryBytes(e: Omit<AuditEntry, 'hash'>): string {
  const { seq, ts, actor, action, reason, rolloutId, inputs, prev } = e;
  return canonicalJson({ seq, ts, actor, action, reason, rolloutId, inputs, prev });
}

export function hashEntry(e: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(entryBytes(e), 'utf8').digest('hex');
}

/** Builds the entry that follows `previous` (undefined for the first one). */
export function chainEntry(previous: AuditEntry | undefined, rec: AuditRecord, ts: string): AuditEntry {
  const body: Omit<AuditEntry, 'hash'> = {
    seq: (previous?.seq ?? 0) + 1,
    ts,
    actor: rec.actor,
    action: rec.action,
    ...(rec.reason !== undefined ? { reason: rec.reason } : {}),
    ...(rec.rolloutId !== undefined ? { rolloutId: rec.rolloutId } : {}),
    inputs: rec.inputs,
    prev: previous?.hash ?? GENESIS,
  };
  return { ...body, hash: hashEntry(body) };
}

export type ChainVerdict =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; brokenAt: number; problem: string };

/** Walks the chain in seq order; the first entry that does not verify is named with its reason. */
export function verifyChain(entries: readonly AuditEntry[]): ChainVerdict {
  let prevHash = GENESIS;
  let expectSeq = 1;
  for (const e of entries) {
    const fail = (problem: string): ChainVerdict => ({ ok: false, entries: entries.length, brokenAt: e.seq, problem });
    if (e.seq !== expectSeq) return fail(`entry ${e.seq} follows entry ${expectSeq - 1}: entr${e.seq - expectSeq === 1 ? 'y' : 'ies'} ${expectSeq}${e.seq - expectSeq > 1 ? `-${e.seq - 1}` : ''} removed`);
    if (e.prev !== prevHash) return fail(`entry ${e.seq} does not chain to entry ${e.seq - 1} (prev ${e.prev.slice(0, 12)}…, expected ${prevHash.slice(0, 12)}…): entry ${e.seq - 1} was changed`);
    if (hashEntry(e) !== e.hash) return fail(`entry ${e.seq}'s content does not match its hash: entry ${e.seq} was changed`);
    prevHash = e.hash;
    expectSeq++;
  }
  return { ok: true, entries: entries.length, head: prevHash };
}
