/**
 * The model registry (issue 16 §3; DESIGN.md "Fleet controller": "`name@version` names one modelId
 * forever"). A table in the fleet database binds each name@version to the modelId (sha256) and the
 * signed manifest it was first published with. The binding is written BEFORE the bytes go to the
 * broker, so two admins racing with different bytes cannot both win; the same bytes again are
 * idempotent. SQLite triggers refuse any UPDATE or DELETE of a binding, and deprecations and yanks
 * are appended as marks (also append-only), never edits.
 */
import type Database from 'better-sqlite3';
import { AgentError } from '../../common/errors.js';
import { compareSemver, isSemver } from '../../common/semver.js';
import type { DsseEnvelope } from '../../common/dsse.js';
import type { ModelManifest, Role } from '../../common/wire.js';

export type ModelMark = 'deprecated' | 'yanked';
export type ModelState = 'active' | ModelMark;

export interface MarkRow {
  mark: ModelMark;
  reason: string;
  actor: string;
  ts: string;
}

export interface RegistryEntry {
  name: string;
  version: string;
  modelId: string;
  role: Role;
  envelope: DsseEnvelope;
  publishedBy: string;
  publishedAt: string;
  /** yanked dominates deprecated */
  state: ModelState;
  marks: MarkRow[];
}

export interface ParsedRef {
  kind: 'id' | 'version' | 'latest';
  ref: string;
  name?: string;
  version?: string;
}

/** `<64 hex>`, `name@version` or `name@latest`. */
export function parseModelRef(ref: string): ParsedRef {
  if (/^[0-9a-f]{64}$/.test(ref)) return { kind: 'id', ref };
  const m = /^([A-Za-z0-9._-]{1,128})@([0-9A-Za-z.+-]{1,64})$/.exec(ref);
  if (!m) throw new AgentError('bad_argument', `model reference ${JSON.stringify(ref)}: use a 64-hex modelId, name@version or name@latest`);
  if (m[2] === 'latest') return { kind: 'latest', ref, name: m[1]! };
  if (!isSemver(m[2]!)) throw new AgentError('bad_argument', `model reference ${ref}: ${m[2]} is not a semantic version (or "latest")`);
  return { kind: 'version', ref, name: m[1]!, version: m[2]! };
}

/** Pure: the highest version by semver that is neither yanked nor deprecated (optionally of one role). */
export function pickLatest<T extends { version: string; state: ModelState; role: Role }>(entries: readonly T[], role?: Role): T | undefined {
  return entries
    .filter((e) => e.state === 'active' && (!role || e.role === role))
    .sort((a, b) => compareSemver(b.version, a.version))[0];
}

interface Row {
  name: string;
  version: string;
  model_id: string;
  role: Role;
  envelope_json: string;
  published_by: string;
  published_at: string;
}

export class ModelRegistry {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS registry_models (
        name TEXT NOT NULL, version TEXT NOT NULL, model_id TEXT NOT NULL, role TEXT NOT NULL,
        envelope_json TEXT NOT NULL, published_by TEXT NOT NULL, published_at TEXT NOT NULL,
        PRIMARY KEY (name, version));
      CREATE INDEX IF NOT EXISTS registry_models_id ON registry_models (model_id);
      CREATE TRIGGER IF NOT EXISTS registry_models_no_update BEFORE UPDATE ON registry_models
        BEGIN SELECT RAISE(ABORT, 'name@version is bound forever: UPDATE refused'); END;
      CREATE TRIGGER IF NOT EXISTS registry_models_no_delete BEFORE DELETE ON registry_models
        BEGIN SELECT RAISE(ABORT, 'name@version is bound forever: DELETE refused'); END;
      CREATE TABLE IF NOT EXISTS registry_marks (
        id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, version TEXT NOT NULL,
        mark TEXT NOT NULL CHECK (mark IN ('deprecated', 'yanked')), reason TEXT NOT NULL, actor TEXT NOT NULL, ts TEXT NOT NULL);
      CREATE TRIGGER IF NOT EXISTS registry_marks_no_update BEFORE UPDATE ON registry_marks
        BEGIN SELECT RAISE(ABORT, 'registry marks are append-only: UPDATE refused'); END;
      CREATE TRIGGER IF NOT EXISTS registry_marks_no_delete BEFORE DELETE ON registry_marks
        BEGIN SELECT RAISE(ABORT, 'registry marks are append-only: DELETE refused'); END;`);
  }

  /**
   * Binds manifest.name@manifest.version to manifest.sha256. Returns false when the same model was
   * already bound (idempotent); throws version_exists when other bytes (or another role) hold it.
   */
  bind(manifest: ModelManifest, envelope: DsseEnvelope, actor: string, now: number): boolean {
    const tx = this.#db.transaction((): boolean => {
      const cur = this.get(manifest.name, manifest.version);
      if (cur) {
        // [issue 16 §3] name@version is bound to one modelId forever
        if (cur.modelId !== manifest.sha256 || cur.role !== manifest.role) {
          throw new AgentError('version_exists', `${manifest.name}@${manifest.version} is already bound to ${cur.role} model ${cur.modelId.slice(0, 12)}… (published by ${cur.publishedBy} at ${cur.publishedAt}); publish these bytes under a new version`, { modelId: cur.modelId });
        }
        return false;
      }
      this.#db
        .prepare('INSERT INTO registry_models (name, version, model_id, role, envelope_json, published_by, published_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(manifest.name, manifest.version, manifest.sha256, manifest.role, JSON.stringify(envelope), actor, new Date(now).toISOString());
      return true;
    });
    return tx.immediate();
  }

  get(name: string, version: string): RegistryEntry | undefined {
    const r = this.#db.prepare('SELECT * FROM registry_models WHERE name = ? AND version = ?').get(name, version) as Row | undefined;
    return r ? this.#entry(r) : undefined;
  }

  /** Every name@version bound to these bytes (usually one). */
  byModelId(modelId: string): RegistryEntry[] {
    return (this.#db.prepare('SELECT * FROM registry_models WHERE model_id = ? ORDER BY name, version').all(modelId) as Row[]).map((r) => this.#entry(r));
  }

  list(name?: string): RegistryEntry[] {
    const rows = (name ? this.#db.prepare('SELECT * FROM registry_models WHERE name = ?').all(name) : this.#db.prepare('SELECT * FROM registry_models').all()) as Row[];
    return rows.map((r) => this.#entry(r)).sort((a, b) => a.name.localeCompare(b.name) || compareSemver(a.version, b.version));
  }

  /** Resolves name@version or name@latest to its entry; a 64-hex id to its entries' first (or undefined). */
  resolve(ref: string, role?: Role): RegistryEntry | undefined {
    const p = parseModelRef(ref);
    if (p.kind === 'id') return this.byModelId(ref)[0];
    if (p.kind === 'version') return this.get(p.name!, p.version!);
    const latest = pickLatest(this.list(p.name), role);
    if (!latest) throw new AgentError('not_found', `${ref}: no ${role ?? ''} version of ${p.name} in the registry that is neither yanked nor deprecated`.replace(/ {2}/g, ' '));
    return latest;
  }

  mark(name: string, version: string, mark: ModelMark, reason: string, actor: string, now: number): RegistryEntry {
    const cur = this.get(name, version);
    if (!cur) throw new AgentError('not_found', `${name}@${version} is not in the registry`);
    if (!reason.trim()) throw new AgentError('bad_argument', `--reason is required to ${mark === 'yanked' ? 'yank' : 'deprecate'} a model`);
    this.#db.prepare('INSERT INTO registry_marks (name, version, mark, reason, actor, ts) VALUES (?, ?, ?, ?, ?, ?)').run(name, version, mark, reason, actor, new Date(now).toISOString());
    return this.get(name, version)!;
  }

  /** The yanked entry for these bytes, if any name@version that binds them is yanked. */
  yanked(modelId: string): RegistryEntry | undefined {
    return this.byModelId(modelId).find((e) => e.state === 'yanked');
  }

  /** `name@version` for display; the short hex id only for bytes the registry does not know. */
  label(modelId: string | undefined): string {
    if (!modelId) return '-';
    const e = this.byModelId(modelId)[0];
    return e ? `${e.name}@${e.version}` : `${modelId.slice(0, 12)}…`;
  }

  #entry(r: Row): RegistryEntry {
    const marks = this.#db.prepare('SELECT mark, reason, actor, ts FROM registry_marks WHERE name = ? AND version = ? ORDER BY id').all(r.name, r.version) as MarkRow[];
    const state: ModelState = marks.some((m) => m.mark === 'yanked') ? 'yanked' : marks.some((m) => m.mark === 'deprecated') ? 'deprecated' : 'active';
    return {
      name: r.name,
      version: r.version,
      modelId: r.model_id,
      role: r.role,
      envelope: JSON.parse(r.envelope_json) as DsseEnvelope,
      publishedBy: r.published_by,
      publishedAt: r.published_at,
      state,
      marks,
    };
  }
}
