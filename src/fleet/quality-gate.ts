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
 * every gate of `role` is met by its evaluation figures. The error message carries the figures.
 */
export function checkQualityGate(channel: string, gates: readonly QualityGate[], role: Role, modelId: string, provenance: VerifiedDocument<ProvenanceStatement> | undefined): void {
  const mine = gates.filter((g) => g.metric.startsWith(`${role}.`));
  if (mine.length === 0) return;
  const need = mine.map((g) => `${g.metric} >= ${g.min}`).join(', ');
  if (!provenance || provenance.signature !== 'valid' || !provenance.value) {
    const why = !provenance ? 'none is published' : `${provenance.signature}${provenance.error ? `: ${provenance.error.message}` : ''}`;
    throw new AgentError('provenance_missing', `channel ${channel} requires ${need}, but ${role} model ${modelId.slice(0, 12)}… has no validly signed provenance (${why})`, { channel, gates: mine });
  }
  const evaluation = provenance.value.predicate.buildDefinition.externalParameters.evaluation;
  const figures = evaluation?.metrics ?? {};
  const failed = mine.filter((g) => !(typeof figures[g.metric] === 'number' && figures[g.metric]! >= g.min));
  if (failed.length) {
    const shown = failed.map((g) => `${g.metric} ${figures[g.metric] ?? 'missing'} < ${g.min}`).join(', ');
    throw new AgentError('quality_gate_failed', `channel ${channel} quality gate: ${role} model ${modelId.slice(0, 12)}… has ${shown}${evaluation ? ` (measured on ${evaluation.set.name})` : ' (no evaluation in its provenance)'}`, { channel, gates: mine, figures, set: evaluation?.set.name });
  }
}

/** Reads (verified) provenance from the broker for every named model and checks the channel's gates. */
export async function enforceQualityGate(client: MqttClient, db: Database.Database, channel: string, models: readonly { role: Role; modelId: string }[], modelsTrust: RoleTrust | undefined, prefix?: string): Promise<void> {
  const gates = channelGates(db, channel);
  if (gates.length === 0) return;
  if (!modelsTrust) throw new AgentError('bad_argument', `channel ${channel} has a quality gate; pass --trust FILE so the models' signed evidence can be verified`);
  for (const m of models) {
    if (!gates.some((g) => g.metric.startsWith(`${m.role}.`))) continue;
    checkQualityGate(channel, gates, m.role, m.modelId, await readProvenance(client, m.modelId, { trust: modelsTrust, ...(prefix ? { prefix } : {}) }));
  }
}
