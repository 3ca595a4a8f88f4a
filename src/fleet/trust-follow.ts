/**
 * The fleet controller follows trust statements while it runs (issue 20 §1): after `rpa-fleet trust
 * rotate` / `trust revoke` it verifies each retained `{prefix}/trust/{version}` statement with the rule
 * the agents use (common/trust-follow.ts → common/trust-chain.ts) and from then on verifies releases,
 * signed approvals and the models' provenance with the keys in force — a revoked approver key's
 * approvals stop counting at once. It never goes back a version: accepted statements are kept in the
 * fleet database (table trust_statements) and re-verified from the installed trust file at every start,
 * as an agent keeps them in `<dataDir>/trust/`; the local CLI verbs read the same table.
 */
import type Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import type { Ed25519Verifier } from '../common/dsse.js';
import { nodeEd25519Verifier } from '../common/node/ed25519.js';
import { initialTrustState, roleKeysOf, type TrustRefusal, type TrustState } from '../common/trust-chain.js';
import { TrustFollower, type TrustStep } from '../common/trust-follow.js';
import type { TrustFile } from '../common/trust-file.js';
import { DEFAULT_TOPIC_PREFIX, topics as topicsOf } from '../common/topics.js';
import type { RoleTrust } from './trust.js';

/** The keys in force, read at each use (they change when a statement is accepted). */
export interface TrustInForce {
  readonly version: number;
  releases(): RoleTrust | undefined;
  models(): RoleTrust | undefined;
  /** approver keys: each valid signature of a distinct key counts once (the rollout's policy says how many) */
  approvers(): RoleTrust | undefined;
}

function ensureTable(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS trust_statements (version INTEGER PRIMARY KEY, raw BLOB NOT NULL, accepted INTEGER NOT NULL)');
}

function storedStatements(db: Database.Database): Map<number, Uint8Array> {
  ensureTable(db);
  const rows = db.prepare('SELECT version, raw FROM trust_statements ORDER BY version').all() as { version: number; raw: Buffer }[];
  return new Map(rows.map((r) => [r.version, new Uint8Array(r.raw)]));
}

/** Keys of a role under `state` (revoked ones dropped); approvers count one signature per key. */
function keysOf(state: TrustState, role: 'releases' | 'models' | 'approvers'): RoleTrust | undefined {
  const k = roleKeysOf(state, role);
  if (!k) return undefined;
  return role === 'approvers' ? { keys: k.keys, threshold: 1 } : k;
}

/** A fixed trust state as a TrustInForce (the local CLI verbs, tests). */
export function trustInForceOf(state: TrustState): TrustInForce {
  return { version: state.version, releases: () => keysOf(state, 'releases'), models: () => keysOf(state, 'models'), approvers: () => keysOf(state, 'approvers') };
}

/**
 * The trust the controller last accepted, from the fleet database: the statements it stored, re-verified
 * from the installed file (no broker needed; `rollout approve` on the same database uses it).
 */
export function trustInForceFromDb(db: Database.Database, installed: TrustFile, verifier: Ed25519Verifier = nodeEd25519Verifier): TrustState {
  const f = new TrustFollower(initialTrustState(installed), verifier);
  f.restore(storedStatements(db));
  return f.state;
}

export interface FollowedTrustOptions {
  installed: TrustFile;
  client: MqttClient;
  /** where accepted statements are kept (the fleet database); without it only in memory */
  db?: Database.Database;
  prefix?: string;
  clock?: () => number;
  verifier?: Ed25519Verifier;
  /** a statement was accepted (step.accepted non-empty) or refused (step.refused) */
  onStep?: (step: TrustStep) => void;
}

export class FollowedTrust implements TrustInForce {
  readonly #o: FollowedTrustOptions;
  readonly #follower: TrustFollower;
  readonly #t;
  readonly #reported = new Set<string>();
  readonly #onMessage = (topic: string, payload: Buffer) => this.#receive(topic, payload);
  #started = false;

  constructor(o: FollowedTrustOptions) {
    this.#o = o;
    this.#t = topicsOf(o.prefix ?? DEFAULT_TOPIC_PREFIX);
    this.#follower = new TrustFollower(initialTrustState(o.installed), o.verifier ?? nodeEd25519Verifier);
    if (o.db) this.#follower.restore(storedStatements(o.db));
  }

  get state(): TrustState {
    return this.#follower.state;
  }

  get version(): number {
    return this.#follower.state.version;
  }

  releases(): RoleTrust | undefined {
    return keysOf(this.state, 'releases');
  }

  models(): RoleTrust | undefined {
    return keysOf(this.state, 'models');
  }

  approvers(): RoleTrust | undefined {
    return keysOf(this.state, 'approvers');
  }

  /** Subscribes to every retained trust statement (one topic per version, so a restart catches up). */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#o.client.on('message', this.#onMessage);
    await this.#o.client.subscribeAsync(this.#t.allTrust(), { qos: 1 });
  }

  #receive(topic: string, payload: Buffer): void {
    const version = this.#t.parseTrustTopic(topic);
    if (version === undefined) return;
    const step = this.#follower.offer(version, new Uint8Array(payload), (this.#o.clock ?? Date.now)());
    if (!step) return;
    if (step.accepted.length && this.#o.db) {
      ensureTable(this.#o.db);
      const put = this.#o.db.prepare('INSERT OR IGNORE INTO trust_statements (version, raw, accepted) VALUES (?, ?, ?)');
      const now = (this.#o.clock ?? Date.now)();
      this.#o.db.transaction(() => step.accepted.forEach((a) => put.run(a.version, Buffer.from(a.raw), now)))();
    }
    // a retained statement comes again on every reconnect: report each refusal once
    if (step.accepted.length === 0 && step.refused && !this.#firstReport(step.refused, payload)) return;
    this.#o.onStep?.(step);
  }

  #firstReport(r: TrustRefusal, payload: Buffer): boolean {
    const key = `${r.version}:${r.code}:${payload.length}:${payload.subarray(-32).toString('hex')}`;
    if (this.#reported.has(key)) return false;
    if (this.#reported.size >= 256) this.#reported.clear();
    this.#reported.add(key);
    return true;
  }

  async close(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#o.client.off('message', this.#onMessage);
    await this.#o.client.unsubscribeAsync(this.#t.allTrust()).catch(() => undefined);
  }
}
