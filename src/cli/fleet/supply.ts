/**
 * Supply-chain verbs (issue 20 §2, §4; docs/SUPPLY-CHAIN.md):
 *   rpa-fleet model attest REF --provenance FILE --key MODELS.key   sign + publish a model's provenance
 *   rpa-fleet models show REF --broker URL                           (registry.ts) adds the verified provenance
 *   rpa-fleet channel set CHANNEL --min-quality ROLE.METRIC=MIN     the channel's quality gate
 *   rpa-fleet channel show CHANNEL                                   its gate
 */
import { readFile } from 'node:fs/promises';
import { AgentError } from '../../common/errors.js';
import { isValidTopicSegment } from '../../common/topics.js';
import { loadSigningKey } from '../../fleet/keys.js';
import { parseProvenanceFor, publishProvenance, readProvenance, signProvenance } from '../../fleet/provenance.js';
import { resolveModelRef } from '../../fleet/publisher.js';
import { channelGates, parseMinQuality, setChannelGates, type QualityGate } from '../../fleet/quality-gate.js';
import { parseFlags, reportError, type Command, type CommandIO, type Parsed, type AnyCommand } from '../command.js';
import { auditHelp, auditOptions, parseAuditFlags, recordAction, withFleetDb, type AuditFlags } from './audit.js';
import { brokerHelp, brokerOptions, connectFromFlags, listValues, parseBrokerFlags, trustFromFile, type BrokerFlags } from './connect.js';

export interface AttestArgs {
  ref: string;
  provenance: string;
  keys: string[];
  trust?: string;
  broker: BrokerFlags;
  json: boolean;
  audit: AuditFlags;
}

export function parseAttest(argv: string[]): Parsed<AttestArgs> {
  const r = parseFlags(argv, { ...brokerOptions, provenance: { type: 'string' }, key: { type: 'string', multiple: true }, trust: { type: 'string' }, json: { type: 'boolean' }, ...auditOptions, db: { type: 'string' } }, true);
  if (r.kind !== 'ok') return r;
  if (r.positionals.length !== 1) return { kind: 'error', message: 'give exactly one model: a modelId or name@version' };
  const provenance = r.values['provenance'];
  if (typeof provenance !== 'string' || !provenance) return { kind: 'error', message: '--provenance FILE (the in-toto statement the training script wrote) is required' };
  const keys = listValues(r.values['key']);
  if (keys.length === 0) return { kind: 'error', message: '--key MODELS.key is required' };
  const broker = parseBrokerFlags(r.values);
  if (!broker.ok) return { kind: 'error', message: broker.message };
  const audit = parseAuditFlags(r.values);
  if (!audit.ok) return { kind: 'error', message: audit.message };
  const trust = typeof r.values['trust'] === 'string' ? r.values['trust'] : undefined;
  return { kind: 'ok', value: { ref: r.positionals[0]!, provenance, keys, ...(trust ? { trust } : {}), broker: broker.value, json: r.values['json'] === true, audit: audit.value } };
}

const attest: Command<AttestArgs> = {
  name: 'model attest',
  summary: 'sign a model\'s provenance (in-toto statement, SLSA provenance v1) and publish it beside the manifest',
  help: `MODEL --provenance FILE --key MODELS.key [--trust FILE] --broker URL [--json]

MODEL is a modelId or name@version already published. FILE is the unsigned in-toto statement written
by \`npm run provenance\` (the training recipe calls it): recipe and commit, dataset manifest hash,
evaluation figures with their set, parent model. Its subject must be MODEL's sha256. It is signed by
the models key(s) and published retained on {prefix}/models/{modelId}/provenance; channel quality gates
(\`rpa-fleet channel set --min-quality\`) read its evaluation figures.

${brokerHelp}
${auditHelp}`,
  parse: parseAttest,
  async run(a, io) {
    try {
      const keys = await Promise.all(a.keys.map((k) => loadSigningKey(k, 'models')));
      let json: unknown;
      try {
        json = JSON.parse(await readFile(a.provenance, 'utf8'));
      } catch (e) {
        throw new AgentError('bad_argument', `cannot read ${a.provenance} as JSON: ${(e as Error).message}`);
      }
      const client = await connectFromFlags(a.broker, io);
      try {
        const trust = await trustFromFile(a.trust, 'models', client, a.broker.prefix);
        return await withFleetDb(a.audit.db, async (db) => {
          const entry = await resolveModelRef(client, a.ref, undefined, { prefix: a.broker.prefix, ...(trust ? { trust } : {}) });
          const statement = parseProvenanceFor(json, entry.modelId, a.provenance);
          const topic = await publishProvenance(client, entry.modelId, signProvenance(statement, keys), a.broker.prefix);
          const evaluation = statement.predicate.buildDefinition.externalParameters.evaluation;
          recordAction(db, a.audit, io, 'model.attest', { modelId: entry.modelId, topic, signedBy: keys.map((k) => k.keyid), evaluation });
          io.out(a.json ? JSON.stringify({ ok: true, modelId: entry.modelId, topic, evaluation }) : `provenance of ${entry.modelId.slice(0, 12)}… published on ${topic}`);
          return 0;
        });
      } finally {
        await client.endAsync().catch(() => {});
      }
    } catch (e) {
      return reportError(e, io, a.json);
    }
  },
};

/**
 * The verified provenance of a model, for `rpa-fleet models show --broker` (src/cli/fleet/registry.ts):
 * the JSON to add and the lines to print.
 */
export async function provenanceView(a: { broker: BrokerFlags; trust?: string }, modelId: string, io: CommandIO): Promise<{ json: unknown; lines: string[] }> {
  const client = await connectFromFlags(a.broker, io);
  try {
    const trust = await trustFromFile(a.trust, 'models', client, a.broker.prefix);
    const prov = await readProvenance(client, modelId, { prefix: a.broker.prefix, ...(trust ? { trust } : {}) });
    if (!prov) return { json: null, lines: ['  provenance: none published (rpa-fleet model attest)'] };
    const lines = [`  provenance: signature ${prov.signature}${prov.signedBy.length ? ` by ${prov.signedBy.map((k) => k.slice(0, 16)).join(', ')}` : ''}${prov.error ? ` (${prov.error.code}: ${prov.error.message})` : ''}`];
    const p = prov.value?.predicate.buildDefinition.externalParameters;
    if (p) {
      lines.push(`    recipe     ${p.recipe} @ ${p.commit}`, `    dataset    ${p.dataset.manifest} sha256 ${p.dataset.sha256}`);
      if (p.parent) lines.push(`    parent     ${p.parent.name}@${p.parent.version} (${p.parent.sha256.slice(0, 12)}…)`);
      if (p.evaluation) lines.push(`    evaluation ${Object.entries(p.evaluation.metrics).map(([k, v]) => `${k}=${v}`).join(', ')} on ${p.evaluation.set.name}`);
    }
    return { json: { signature: prov.signature, signedBy: prov.signedBy, statement: prov.value, ...(prov.error ? { error: prov.error } : {}) }, lines };
  } finally {
    await client.endAsync().catch(() => {});
  }
}

export interface ChannelSetArgs {
  channel: string;
  gates: QualityGate[];
  clear: boolean;
  json: boolean;
  audit: AuditFlags;
}

export function parseChannelSet(argv: string[]): Parsed<ChannelSetArgs> {
  const r = parseFlags(argv, { 'min-quality': { type: 'string', multiple: true }, clear: { type: 'boolean' }, json: { type: 'boolean' }, ...auditOptions, db: { type: 'string' } }, true);
  if (r.kind !== 'ok') return r;
  const channel = r.positionals[0];
  if (r.positionals.length !== 1 || !channel || !isValidTopicSegment(channel)) return { kind: 'error', message: 'give exactly one CHANNEL (letters, digits, ".", "_" or "-")' };
  const gates: QualityGate[] = [];
  try {
    for (const g of listValues(r.values['min-quality'])) gates.push(parseMinQuality(g));
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
  const clear = r.values['clear'] === true;
  if (!clear && gates.length === 0) return { kind: 'error', message: 'give --min-quality ROLE.METRIC=MIN (repeatable), or --clear' };
  if (clear && gates.length) return { kind: 'error', message: '--clear and --min-quality do not mix' };
  const audit = parseAuditFlags(r.values);
  if (!audit.ok) return { kind: 'error', message: audit.message };
  return { kind: 'ok', value: { channel, gates, clear, json: r.values['json'] === true, audit: audit.value } };
}

const channelSet: Command<ChannelSetArgs> = {
  name: 'channel set',
  summary: 'require signed evaluation evidence for a channel (quality gate)',
  help: `CHANNEL --min-quality ROLE.METRIC=MIN [--min-quality ...] | --clear [--json]

From then on \`release publish\` and the controller's rollouts refuse a model for CHANNEL unless its
provenance (signed by the models role: \`rpa-fleet model attest\`) carries evaluation figures meeting
every gate of its role: quality_gate_failed (with the figures) or provenance_missing.
The gate replaces the channel's previous one. Stored in the fleet database.

Examples:
  rpa-fleet channel set prod --min-quality detector.ap50=0.85 --min-quality classifier.top1=0.9
  rpa-fleet channel set prod --clear
${auditHelp}`,
  parse: parseChannelSet,
  async run(a, io) {
    try {
      return await withFleetDb(a.audit.db, async (db) => {
        setChannelGates(db, a.channel, a.gates, Date.now());
        recordAction(db, a.audit, io, 'channel.set', { channel: a.channel, gates: a.gates });
        io.out(a.json ? JSON.stringify({ ok: true, channel: a.channel, gates: a.gates }) : a.gates.length ? `channel ${a.channel} requires ${a.gates.map((g) => `${g.metric} >= ${g.min}`).join(', ')}` : `channel ${a.channel} has no quality gate`);
        return 0;
      });
    } catch (e) {
      return reportError(e, io, a.json);
    }
  },
};

export const commands: AnyCommand[] = [attest, channelSet];
