/**
 * `rpa-fleet models show|deprecate|yank NAME@VERSION` (issue 16 §3): the registry in the fleet
 * database, where each name@version is bound to one modelId forever.
 */
import { AgentError } from '../../common/errors.js';
import { fromBase64 } from '../../common/bytes.js';
import { PAYLOAD_TYPE_MODEL } from '../../common/dsse.js';
import { ModelManifestSchema } from '../../common/wire.js';
import { decodeSigned } from '../../fleet/publisher.js';
import { ModelRegistry, parseModelRef, type ModelMark, type RegistryEntry } from '../../fleet/registry/registry.js';
import { readTrustFile, roleTrust } from '../../fleet/trust.js';
import { parseFlags, type Command, type Parsed, type AnyCommand } from '../command.js';
import { actorOf, auditHelp, auditOptions, parseAuditFlags, recordAction, withFleetDb, type AuditFlags } from './audit.js';
import { dbHelp, dbOption, dbPath } from './controller.js';
import { brokerHelp, brokerOptions, parseBrokerFlags, type BrokerFlags } from './connect.js';
import { provenanceView } from './supply.js';

export interface ModelShowArgs {
  ref: string;
  trust?: string;
  db: string;
  json: boolean;
  /** with --broker: also the model's signed provenance (issue 20 §2) */
  broker?: BrokerFlags;
}

export function parseModelShow(argv: string[]): Parsed<ModelShowArgs> {
  const r = parseFlags(argv, { ...dbOption, ...brokerOptions, trust: { type: 'string' }, json: { type: 'boolean' } }, true);
  if (r.kind !== 'ok') return r;
  if (r.positionals.length !== 1) return { kind: 'error', message: 'one NAME@VERSION (or NAME@latest, or a modelId) is required' };
  try {
    parseModelRef(r.positionals[0]!);
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
  const trust = r.values['trust'];
  const broker = r.values['broker'] !== undefined ? parseBrokerFlags(r.values) : undefined;
  if (broker && !broker.ok) return { kind: 'error', message: broker.message };
  return { kind: 'ok', value: { ref: r.positionals[0]!, ...(typeof trust === 'string' ? { trust } : {}), db: dbPath(r.values), json: r.values['json'] === true, ...(broker?.ok ? { broker: broker.value } : {}) } };
}

function describeMarks(e: RegistryEntry): string[] {
  return e.marks.map((m) => `  ${m.mark} at ${m.ts} by ${m.actor}: ${m.reason}`);
}

const show: Command<ModelShowArgs> = {
  name: 'models show',
  summary: 'one registered model: its signed manifest, who published it and when, deprecations and yanks',
  help: `NAME@VERSION|NAME@latest|MODEL_ID [--trust trust.json] [--db FILE] [--broker URL ...] [--json]

Reads the registry in the fleet database. Prints the binding (name@version → modelId, role), who
published it and when, its state (active, deprecated, yanked, with who, when and why) and the
manifest exactly as it was signed. With --trust the signature is verified against the models role.
With --broker it also prints the model's provenance (in-toto statement, SLSA provenance v1: recipe and
commit, dataset hash, parent, evaluation figures), verified with --trust (rpa-fleet model attest).
${dbHelp}
${brokerHelp}`,
  parse: parseModelShow,
  async run(a, io) {
    const trust = a.trust ? roleTrust(await readTrustFile(a.trust), 'models') : undefined;
    return withFleetDb(a.db, async (db) => {
      const e = new ModelRegistry(db).resolve(a.ref);
      if (!e) throw new AgentError('not_found', `${a.ref} is not in the registry`);
      const doc = decodeSigned('registry', Buffer.from(JSON.stringify(e.envelope)), PAYLOAD_TYPE_MODEL, ModelManifestSchema, 'manifest', trust);
      const manifest = JSON.parse(Buffer.from(fromBase64(e.envelope.payload)).toString('utf8')) as unknown;
      const prov = a.broker ? await provenanceView({ broker: a.broker, ...(a.trust ? { trust: a.trust } : {}) }, e.modelId, io) : undefined;
      if (a.json) {
        io.out(JSON.stringify({ ...(prov ? { provenance: prov.json } : {}), ok: doc.signature !== 'invalid', model: `${e.name}@${e.version}`, modelId: e.modelId, role: e.role, state: e.state, publishedBy: e.publishedBy, publishedAt: e.publishedAt, marks: e.marks, signature: doc.signature, signedBy: doc.signedBy, keyids: e.envelope.signatures.map((s) => s.keyid), manifest, envelope: e.envelope, ...(doc.error ? { error: doc.error } : {}) }));
      } else {
        io.out(`${e.name}@${e.version}  ${e.role}  ${e.state.toUpperCase()}  model ${e.modelId}`);
        io.out(`  published by ${e.publishedBy} at ${e.publishedAt}`);
        for (const l of describeMarks(e)) io.out(l);
        io.out(`  signature: ${doc.signature}${doc.error ? ` (${doc.error.code}: ${doc.error.message})` : ''}; keyid(s) ${e.envelope.signatures.map((s) => (s.keyid || '?').slice(0, 16)).join(', ')}`);
        for (const l of prov?.lines ?? []) io.out(l);
        io.out('  signed manifest:');
        for (const l of JSON.stringify(manifest, null, 2).split('\n')) io.out(`    ${l}`);
      }
      return doc.signature === 'invalid' ? 1 : 0;
    });
  },
};

export interface ModelMarkArgs {
  name: string;
  version: string;
  audit: AuditFlags & { reason: string };
  json: boolean;
}

export function parseModelMark(argv: string[], verb: 'deprecate' | 'yank'): Parsed<ModelMarkArgs> {
  const r = parseFlags(argv, { ...dbOption, ...auditOptions, json: { type: 'boolean' } }, true);
  if (r.kind !== 'ok') return r;
  if (r.positionals.length !== 1) return { kind: 'error', message: `one NAME@VERSION to ${verb} is required` };
  let p;
  try {
    p = parseModelRef(r.positionals[0]!);
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
  if (p.kind !== 'version') return { kind: 'error', message: `${verb} names one exact NAME@VERSION, not ${p.ref}` };
  const audit = parseAuditFlags(r.values);
  if (!audit.ok) return { kind: 'error', message: audit.message };
  const reason = audit.value.reason?.trim();
  if (!reason) return { kind: 'error', message: `--reason TEXT is required: say why you ${verb} ${p.ref}` };
  return { kind: 'ok', value: { name: p.name!, version: p.version!, audit: { ...audit.value, reason }, json: r.values['json'] === true } };
}

function markCommand(verb: 'deprecate' | 'yank', mark: ModelMark, summary: string, effect: string): Command<ModelMarkArgs> {
  return {
    name: `models ${verb}`,
    summary,
    help: `NAME@VERSION --reason TEXT [--actor NAME] [--db FILE] [--json]

${effect}
The mark is appended to the registry (never edited away) and recorded in the audit log.
${auditHelp}`,
    parse: (argv) => parseModelMark(argv, verb),
    async run(a, io) {
      return withFleetDb(a.audit.db, async (db) => {
        const e = new ModelRegistry(db).mark(a.name, a.version, mark, a.audit.reason, actorOf(a.audit, io), Date.now());
        recordAction(db, a.audit, io, `model.${verb}`, { model: `${e.name}@${e.version}`, modelId: e.modelId, role: e.role });
        if (a.json) io.out(JSON.stringify({ ok: true, model: `${e.name}@${e.version}`, modelId: e.modelId, state: e.state, marks: e.marks }));
        else io.out(`${e.name}@${e.version} is now ${e.state}\n${describeMarks(e).join('\n')}`);
        return 0;
      });
    },
  };
}

export const commands: AnyCommand[] = [
  show,
  markCommand('deprecate', 'deprecated', 'mark NAME@VERSION deprecated (still usable by name; never picked as @latest)', 'A deprecated model can still be released by its exact NAME@VERSION (with a warning), but\nNAME@latest no longer picks it.'),
  markCommand('yank', 'yanked', 'yank NAME@VERSION: it can no longer enter a new release or rollout', 'A yanked model cannot enter a new release (`release publish`, `rollout start` refuse it with\nmodel_yanked) and agents still running it are marked YANKED in `status` and `agents list`.'),
];
