/**
 * The channel quality gate (issue 20 §4): a channel can require evaluation evidence, e.g.
 * `detector.ap50 >= 0.85`. A release or rollout naming a model for that channel is refused unless the
 * model's provenance (signed by the models role, src/fleet/provenance.ts) carries passing figures.
 * Gates live in the fleet database (table channel_gates), shared by the CLI and the controller.
 */
import type Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { AgentError } from '../common/errors.js';
import type { ProvenanceStatement } from '../common/provenance.js';
import { ROLES, type Role } from '../common/wire.js';
import { readProvenance } from './provenance.js';
import type { VerifiedDocument } from './publisher.js';
import type { RoleTrust } from './trust.js';

export interface QualityGate {
  /** `<role>.<metric>`, e.g. detector.ap50, classifier.top1 */
  metric: string;
  min: number;
}

/** "detector.ap50=0.85" → { metric, min }; the metric must start with a role. */
export function parseMinQuality(text: string): QualityGate {
  const m = /^([a-z]+)\.([A-Za-z0-9_.-]{1,48})=(-?\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!m || !(ROLES as readonly string[]).includes(m[1]!)) throw new AgentError('bad_argument', `--min-quality ${JSON.stringify(text)}: use ROLE.METRIC=MIN, e.g. detector.ap50=0.85 (roles: ${ROLES.join(', ')})`);
  return { metric: `${m[1]}.${m[2]}`, min: Number(m[3]) };
}

function ensureTable(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS channel_gates (channel TEXT PRIMARY KEY, gates_json TEXT NOT NULL, updated INTEGER NOT NULL)');
}

export function setChannelGates(db: Database.Database, channel: string, gates: QualityGate[], now: number): void {
  ensureTable(db);
  if (gates.length === 0) db.prepare('DELETE FROM channel_gates WHERE channel = ?').run(channel);
  else db.prepare('INSERT INTO channel_gates (channel, gates_json, updated) VALUES (?, ?, ?) ON CONFLICT(channel) DO UPDATE SET gates_json = excluded.gates_json, updated = excluded.updated').run(channel, JSON.stringify(gates), now);
}

export function channelGates(db: Database.Database, channel: string): QualityGate[] {
  ensureTable(db);
  const row = db.prepare('SELECT gates_json FROM channel_gates WHERE channel = ?').get(channel) as { gates_json: string } | undefined;
  return row ? (JSON.parse(row.gates_json) as QualityGate[]) : [];
}

/**
 * Pure: refuses (quality_gate_failed / provenance_missing) unless `provenance` is validly signed and
 * every gate of `role` is met by its evaluation figures. The error carries the figures: the message
 * says measured < required and the set they were measured on; `details` has them as data
 * ({ channel, role, modelId, required, measured, set }) for the API's problem and the CLI's --json.
 */
export function checkQualityGate(channel: string, gates: readonly QualityGate[], role: Role, modelId: string, provenance: VerifiedDocument<ProvenanceStatement> | undefined): void {
  const mine = gates.filter((g) => g.metric.startsWith(`${role}.`));
  if (mine.length === 0) return;
  const need = mine.map((g) => `${g.metric} >= ${g.min}`).join(', ');
  const required = Object.fromEntries(mine.map((g) => [g.metric, g.min]));
  if (!provenance || provenance.signature !== 'valid' || !provenance.value) {
    const why = !provenance ? 'none is published' : `${provenance.signature}${provenance.error ? `: ${provenance.error.message}` : ''}`;
    throw new AgentError('provenance_missing', `channel ${channel} requires ${need}, but ${role} model ${modelId.slice(0, 12)}… has no validly signed provenance (${why})`, { channel, role, modelId, required, measured: null, set: null });
  }
  const evaluation = provenance.value.predicate.buildDefinition.externalParameters.evaluation;
  const figures = evaluation?.metrics ?? {};
  const failed = mine.filter((g) => !(typeof figures[g.metric] === 'number' && figures[g.metric]! >= g.min));
  if (failed.length) {
    const shown = failed.map((g) => `${g.metric} ${figures[g.metric] ?? 'missing'} < ${g.min}`).join(', ');
    const measured = Object.fromEntries(mine.map((g) => [g.metric, typeof figures[g.metric] === 'number' ? figures[g.metric]! : null]));
    throw new AgentError('quality_gate_failed', `channel ${channel} quality gate: ${role} model ${modelId.slice(0, 12)}… has ${shown}${evaluation ? ` (measured on ${evaluation.set.name})` : ' (no evaluation in its provenance)'}`, {
      channel,
      role,
      modelId,
      required,
      measured,
      failed: failed.map((g) => g.metric),
      set: evaluation?.set.name ?? null,
    });
  }
}

/** Where the signed evidence is read: a broker connection and the models role of the trust in force. */
export interface EvidenceSource {
  client: MqttClient;
  /** the trust in force's models keys; undefined = the caller was given no trust file */
  modelsTrust: RoleTrust | undefined;
  prefix?: string | undefined;
}

/**
 * THE quality-gate rule (issue 20 §4), one function for every path that can put a model in front of
 * agents: `release publish` (CLI and API), `rollout start` (local CLI, API, so also the remote CLI and
 * the web console) and the controller before a rollout's first wave. It reads the channel's gates from
 * the fleet database at call time (so a gate raised after a release applies to the next rollout), and
 * for each named model of a gated role reads its provenance from the broker, verified with the models
 * keys, and checks it (checkQualityGate). Without a way to read the evidence it refuses: a gated
 * channel never takes a model unchecked. `hint` says how this caller supplies the evidence source.
 */
export async function enforceQualityGate(db: Database.Database, channel: string, models: readonly { role: Role; modelId: string }[], source: EvidenceSource | undefined, hint = 'pass --broker URL and --trust FILE'): Promise<void> {
  const gates = channelGates(db, channel);
  const gated = models.filter((m) => gates.some((g) => g.metric.startsWith(`${m.role}.`)));
  if (gated.length === 0) return;
  const need = gates.map((g) => `${g.metric} >= ${g.min}`).join(', ');
  if (!source?.modelsTrust) throw new AgentError('bad_argument', `channel ${channel} has a quality gate (${need}): the models' signed evidence must be read from the broker and verified with the trust file's models keys; ${hint}`, { channel, required: Object.fromEntries(gates.map((g) => [g.metric, g.min])) });
  for (const m of gated) {
    checkQualityGate(channel, gates, m.role, m.modelId, await readProvenance(source.client, m.modelId, { trust: source.modelsTrust, ...(source.prefix ? { prefix: source.prefix } : {}) }));
  }
}
