/**
 * The agent's local registry in SQLite (better-sqlite3, WAL): stored models, the per-role state
 * machine, the last accepted release per channel (rollback attack) and chunk-level fetch progress
 * (resume after a crash). DESIGN.md "Agent core". WAL lets `rpa-agent status` read while the agent runs.
 */
import Database from 'better-sqlite3';
import { AgentError } from '../../common/errors.js';
import { releaseSeqAdvances } from '../../common/release-rules.js';
import { ModelManifestSchema, ReleaseSchema, type Cohort, type ModelManifest, type Release, type Role, type RoleState } from '../../common/wire.js';

export const REGISTRY_FILE = 'registry.sqlite';

export interface StoredModel {
  modelId: string;
  role: Role;
  name: string;
  version: string;
  size: number;
  manifest: ModelManifest;
  storedAt: string;
  lastActiveAt: string | undefined;
}

export interface RoleRow {
  role: Role;
  state: RoleState;
  activeModelId: string | undefined;
  previousModelId: string | undefined;
  pendingModelId: string | undefined;
  pendingProgress: number | undefined;
  cohort: Cohort | undefined;
  rolloutId: string | undefined;
  provider: string | undefined;
  lastErrorCode: string | undefined;
  lastErrorMessage: string | undefined;
  updatedAt: string;
}

export interface AcceptedRelease {
  channel: string;
  seq: number;
  digest: string;
  release: Release;
  acceptedAt: string;
}

export interface FetchRecord {
  modelId: string;
  role: Role;
  chunkCount: number;
  /** one bit per chunk: set once the chunk is verified, written and fsynced */
  bitmap: Uint8Array;
  have: number;
  /** chunks written over the whole life of this fetch, across restarts (resume evidence) */
  chunksWritten: number;
  manifest: ModelManifest;
  startedAt: string;
  updatedAt: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS releases (
  channel TEXT PRIMARY KEY, seq INTEGER NOT NULL, digest TEXT NOT NULL, release_json TEXT NOT NULL, accepted_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS models (
  model_id TEXT PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, size INTEGER NOT NULL,
  manifest_json TEXT NOT NULL, stored_at TEXT NOT NULL, last_active_at TEXT);
CREATE TABLE IF NOT EXISTS roles (
  role TEXT PRIMARY KEY, state TEXT NOT NULL, active_model_id TEXT, previous_model_id TEXT, pending_model_id TEXT,
  pending_progress REAL, cohort TEXT, rollout_id TEXT, provider TEXT, last_error_code TEXT, last_error_message TEXT,
  updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fetches (
  model_id TEXT PRIMARY KEY, role TEXT NOT NULL, chunk_count INTEGER NOT NULL, bitmap BLOB NOT NULL, have INTEGER NOT NULL,
  chunks_written INTEGER NOT NULL, manifest_json TEXT NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL);
`;

type Row = Record<string, unknown>;
const opt = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (v as T));

export class Registry {
  private readonly db: Database.Database;
  readonly readonly: boolean;

  /**
   * Prepared statements by their SQL: preparing compiles the statement each time, and the bots' every request reads
   * the active model's row (issue 17 §2: the agent's CPU beside a swap went partly here).
   */
  private readonly statements = new Map<string, Database.Statement>();
  /** parsed manifests by model: a manifest is content-addressed, so its JSON text is parsed and checked once */
  private readonly manifests = new Map<string, { json: string; manifest: ModelManifest }>();

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /** the manifest of a row, parsed (zod) once per distinct JSON text */
  private manifestOf(modelId: string, json: string): ModelManifest {
    const hit = this.manifests.get(modelId);
    if (hit && hit.json === json) return hit.manifest;
    const manifest = ModelManifestSchema.parse(JSON.parse(json));
    if (this.manifests.size >= 64) this.manifests.clear();
    this.manifests.set(modelId, { json, manifest });
    return manifest;
  }

  private constructor(db: Database.Database, readonly: boolean) {
    this.db = db;
    this.readonly = readonly;
  }

  static open(file: string, opts: { readonly?: boolean } = {}): Registry {
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    } catch (e) {
      throw new AgentError(opts.readonly ? 'not_found' : 'internal', `cannot open registry ${file}: ${(e as Error).message}`);
    }
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL'); // readers (rpa-agent status) never block the agent
      db.pragma('synchronous = FULL'); // a committed chunk bit must survive power loss: it says the bytes are on disk
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
    } else {
      db.pragma('busy_timeout = 5000');
    }
    return new Registry(db, opts.readonly ?? false);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // --- meta -------------------------------------------------------------------------------------
  getMeta(key: string): string | undefined {
    const r = this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined;
    return opt<string>(r?.value);
  }
  setMeta(key: string, value: string): void {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }
  /** Next value of a persisted counter (e.g. the per-agent event seq, so consumers can drop duplicates). */
  nextCounter(key: string): number {
    return this.db.transaction(() => {
      const n = Number(this.getMeta(key) ?? '0');
      this.setMeta(key, String(n + 1));
      return n;
    })();
  }

  // --- releases ---------------------------------------------------------------------------------
  getAcceptedRelease(channel: string): AcceptedRelease | undefined {
    const r = this.stmt('SELECT * FROM releases WHERE channel = ?').get(channel) as Row | undefined;
    if (!r) return undefined;
    return {
      channel: r.channel as string,
      seq: r.seq as number,
      digest: r.digest as string,
      release: ReleaseSchema.parse(JSON.parse(r.release_json as string)),
      acceptedAt: r.accepted_at as string,
    };
  }
  /** Records an accepted release; refuses (release_replayed) unless seq is above the stored one. */
  acceptRelease(channel: string, seq: number, digest: string, release: Release, now: string): void {
    this.db.transaction(() => {
      const cur = this.stmt('SELECT seq FROM releases WHERE channel = ?').get(channel) as Row | undefined;
      // the same seq rule as the intake (common/release-rules.ts), again inside the transaction
      if (cur && !releaseSeqAdvances(seq, cur.seq as number)) throw new AgentError('release_replayed', `release seq ${seq} is not above ${cur.seq as number}`);
      this.stmt(
        `INSERT INTO releases (channel, seq, digest, release_json, accepted_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(channel) DO UPDATE SET seq = excluded.seq, digest = excluded.digest, release_json = excluded.release_json, accepted_at = excluded.accepted_at`,
      ).run(channel, seq, digest, JSON.stringify(release), now);
    })();
  }

  // --- models -----------------------------------------------------------------------------------
  private toModel(r: Row): StoredModel {
    return {
      modelId: r.model_id as string,
      role: r.role as Role,
      name: r.name as string,
      version: r.version as string,
      size: r.size as number,
      manifest: this.manifestOf(r.model_id as string, r.manifest_json as string),
      storedAt: r.stored_at as string,
      lastActiveAt: opt<string>(r.last_active_at),
    };
  }
  getModel(modelId: string): StoredModel | undefined {
    const r = this.stmt('SELECT * FROM models WHERE model_id = ?').get(modelId) as Row | undefined;
    return r ? this.toModel(r) : undefined;
  }
  listModels(role?: Role): StoredModel[] {
    const rows = (role
      ? this.stmt('SELECT * FROM models WHERE role = ? ORDER BY COALESCE(last_active_at, stored_at) DESC').all(role)
      : this.stmt('SELECT * FROM models ORDER BY role, COALESCE(last_active_at, stored_at) DESC').all()) as Row[];
    return rows.map((r) => this.toModel(r));
  }
  putModel(manifest: ModelManifest, now: string): void {
    this.stmt(
      `INSERT INTO models (model_id, role, name, version, size, manifest_json, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(model_id) DO NOTHING`,
    ).run(manifest.sha256, manifest.role, manifest.name, manifest.version, manifest.size, JSON.stringify(manifest), now);
  }
  touchModel(modelId: string, now: string): void {
    this.stmt('UPDATE models SET last_active_at = ? WHERE model_id = ?').run(now, modelId);
  }
  deleteModel(modelId: string): void {
    this.stmt('DELETE FROM models WHERE model_id = ?').run(modelId);
  }

  // --- roles ------------------------------------------------------------------------------------
  getRole(role: Role): RoleRow | undefined {
    const r = this.stmt('SELECT * FROM roles WHERE role = ?').get(role) as Row | undefined;
    return r ? this.toRole(r) : undefined;
  }
  listRoles(): RoleRow[] {
    return (this.stmt('SELECT * FROM roles ORDER BY role').all() as Row[]).map((r) => this.toRole(r));
  }
  private toRole(r: Row): RoleRow {
    return {
      role: r.role as Role,
      state: r.state as RoleState,
      activeModelId: opt(r.active_model_id),
      previousModelId: opt(r.previous_model_id),
      pendingModelId: opt(r.pending_model_id),
      pendingProgress: opt(r.pending_progress),
      cohort: opt(r.cohort),
      rolloutId: opt(r.rollout_id),
      provider: opt(r.provider),
      lastErrorCode: opt(r.last_error_code),
      lastErrorMessage: opt(r.last_error_message),
      updatedAt: r.updated_at as string,
    };
  }
  /** Merges `patch` into the role's row (null clears a field). */
  updateRole(role: Role, patch: Partial<{ [K in keyof Omit<RoleRow, 'role' | 'updatedAt'>]: RoleRow[K] | null }>, now: string): RoleRow {
    return this.db.transaction(() => {
      const cur = this.getRole(role);
      const next: RoleRow = {
        role,
        state: 'idle',
        activeModelId: undefined,
        previousModelId: undefined,
        pendingModelId: undefined,
        pendingProgress: undefined,
        cohort: undefined,
        rolloutId: undefined,
        provider: undefined,
        lastErrorCode: undefined,
        lastErrorMessage: undefined,
        ...cur,
        updatedAt: now,
      };
      for (const [k, v] of Object.entries(patch)) (next as unknown as Record<string, unknown>)[k] = v === null ? undefined : v;
      this.stmt(
        `INSERT INTO roles (role, state, active_model_id, previous_model_id, pending_model_id, pending_progress, cohort, rollout_id, provider,
           last_error_code, last_error_message, updated_at) VALUES (@role, @state, @active, @previous, @pending, @progress, @cohort, @rollout, @provider, @code, @message, @now)
         ON CONFLICT(role) DO UPDATE SET state = @state, active_model_id = @active, previous_model_id = @previous, pending_model_id = @pending,
           pending_progress = @progress, cohort = @cohort, rollout_id = @rollout, provider = @provider, last_error_code = @code,
           last_error_message = @message, updated_at = @now`,
      ).run({
          role,
          state: next.state,
          active: next.activeModelId ?? null,
          previous: next.previousModelId ?? null,
          pending: next.pendingModelId ?? null,
          progress: next.pendingProgress ?? null,
          cohort: next.cohort ?? null,
          rollout: next.rolloutId ?? null,
          provider: next.provider ?? null,
          code: next.lastErrorCode ?? null,
          message: next.lastErrorMessage ?? null,
          now,
        });
      return next;
    })();
  }

  // --- fetch progress ---------------------------------------------------------------------------
  private toFetch(r: Row): FetchRecord {
    return {
      modelId: r.model_id as string,
      role: r.role as Role,
      chunkCount: r.chunk_count as number,
      bitmap: new Uint8Array(r.bitmap as Buffer),
      have: r.have as number,
      chunksWritten: r.chunks_written as number,
      manifest: ModelManifestSchema.parse(JSON.parse(r.manifest_json as string)),
      startedAt: r.started_at as string,
      updatedAt: r.updated_at as string,
    };
  }
  getFetch(modelId: string): FetchRecord | undefined {
    const r = this.stmt('SELECT * FROM fetches WHERE model_id = ?').get(modelId) as Row | undefined;
    return r ? this.toFetch(r) : undefined;
  }
  listFetches(): FetchRecord[] {
    return (this.stmt('SELECT * FROM fetches').all() as Row[]).map((r) => this.toFetch(r));
  }
  /** Starts (or keeps, when the same manifest is already being fetched) the fetch record of a model. */
  beginFetch(manifest: ModelManifest, now: string): FetchRecord {
    return this.db.transaction(() => {
      const cur = this.getFetch(manifest.sha256);
      if (cur && cur.chunkCount === manifest.chunkSha256.length && JSON.stringify(cur.manifest) === JSON.stringify(manifest)) return cur;
      const n = manifest.chunkSha256.length;
      this.stmt('DELETE FROM fetches WHERE model_id = ?').run(manifest.sha256);
      this.stmt(
        `INSERT INTO fetches (model_id, role, chunk_count, bitmap, have, chunks_written, manifest_json, started_at, updated_at)
         VALUES (?, ?, ?, ?, 0, 0, ?, ?, ?)`,
      ).run(manifest.sha256, manifest.role, n, Buffer.alloc(Math.ceil(n / 8)), JSON.stringify(manifest), now, now);
      return this.getFetch(manifest.sha256)!;
    })();
  }
  /** Marks chunk `index` as verified and durable (call only after the bytes are fsynced). */
  markChunk(modelId: string, index: number, now: string): { have: number; chunksWritten: number } {
    return this.db.transaction(() => {
      const r = this.stmt('SELECT bitmap, have, chunks_written FROM fetches WHERE model_id = ?').get(modelId) as Row | undefined;
      if (!r) throw new AgentError('internal', `no fetch record for ${modelId}`);
      const bitmap = Buffer.from(r.bitmap as Buffer);
      const byte = index >> 3;
      const bit = 1 << (index & 7);
      let have = r.have as number;
      const written = (r.chunks_written as number) + 1;
      if (!((bitmap[byte] ?? 0) & bit)) {
        bitmap[byte] = (bitmap[byte] ?? 0) | bit;
        have++;
      }
      this.stmt('UPDATE fetches SET bitmap = ?, have = ?, chunks_written = ?, updated_at = ? WHERE model_id = ?').run(bitmap, have, written, now, modelId);
      return { have, chunksWritten: written };
    })();
  }
  /** Marks several durable chunks in one transaction (group commit: one fsync for the batch). */
  markChunks(modelId: string, indices: readonly number[], now: string): { have: number; chunksWritten: number } {
    return this.db.transaction(() => {
      const r = this.stmt('SELECT bitmap, have, chunks_written FROM fetches WHERE model_id = ?').get(modelId) as Row | undefined;
      if (!r) throw new AgentError('internal', `no fetch record for ${modelId}`);
      const bitmap = Buffer.from(r.bitmap as Buffer);
      let have = r.have as number;
      for (const index of indices) {
        const byte = index >> 3;
        const bit = 1 << (index & 7);
        if (!((bitmap[byte] ?? 0) & bit)) {
          bitmap[byte] = (bitmap[byte] ?? 0) | bit;
          have++;
        }
      }
      const written = (r.chunks_written as number) + indices.length;
      this.stmt('UPDATE fetches SET bitmap = ?, have = ?, chunks_written = ?, updated_at = ? WHERE model_id = ?').run(bitmap, have, written, now, modelId);
      return { have, chunksWritten: written };
    })();
  }
  /**
   * markChunks with `synchronous = NORMAL` for this one commit (issue 2: a FULL commit per batch blocked
   * the event loop ~10 ms each). Safe for chunk bits: their bytes were fsynced before, so a commit lost
   * to power loss only forgets chunks (re-downloaded); a bit can never outlive its bytes. The next FULL
   * commit (or checkpoint) makes it durable anyway.
   */
  markChunksRelaxed(modelId: string, indices: readonly number[], now: string): { have: number; chunksWritten: number } {
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.markChunks(modelId, indices, now);
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }
  deleteFetch(modelId: string): void {
    this.stmt('DELETE FROM fetches WHERE model_id = ?').run(modelId);
  }
}

export function hasChunk(bitmap: Uint8Array, index: number): boolean {
  return ((bitmap[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
}
