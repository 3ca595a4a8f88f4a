/**
 * `rpa-fleet model publish` (sign a model and publish it retained: chunks first, manifest last) and
 * `rpa-fleet models list` (the manifests on the broker, with their signature status).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { AgentError } from '../../common/errors.js';
import { isSemver } from '../../common/semver.js';
import { isValidTopicSegment } from '../../common/topics.js';
import { MAX_CHUNK_SIZE, ROLES, type Role } from '../../common/wire.js';
import { loadSigningKey } from '../../fleet/keys.js';
import { scannedOnnx } from '../../common/graph-scan.js';
import { buildManifest, DEFAULT_CHUNK_SIZE, parseModelMetadata, signManifest } from '../../fleet/manifest.js';
import { DEFAULT_MAX_IN_FLIGHT, listModels, publishModel, type PublishProgress } from '../../fleet/publisher.js';
import { parseFlags, parseSize, reportError, type Command, type CommandIO, type Parsed, type AnyCommand } from '../command.js';
import { ModelRegistry } from '../../fleet/registry/registry.js';
import { assertBrokerVersionFree } from '../../fleet/registry/resolve.js';
import { actorOf, auditHelp, auditOptions, parseAuditFlags, recordAction, withFleetDb, type AuditFlags } from './audit.js';
import { dbPath } from './controller.js';
import { brokerHelp, brokerOptions, connectFromFlags, formatBytes, listValues, parseBrokerFlags, trustFromFile, type BrokerFlags } from './connect.js';
import { parseVariantArgs, variantHelp, variantOptions, type VariantArgs } from './model-variants.js';
import { buildSigned } from './model-build.js';

export interface ModelPublishArgs {
  file: string;
  role?: Role;
  name?: string;
  version?: string;
  keys: string[];
  chunkSize: number;
  metadata?: string;
  /** HTTPS origins put in the signed manifest (--origin, repeatable) */
  origins?: string[];
  maxInFlight: number;
  saveEnvelope?: string;
  broker: BrokerFlags;
  json: boolean;
  audit: AuditFlags;
  variants?: VariantArgs;
}

const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const modelOptions = {
  role: { type: 'string' },
  name: { type: 'string' },
  version: { type: 'string' },
  key: { type: 'string', multiple: true },
  'chunk-size': { type: 'string' },
  metadata: { type: 'string' },
  origin: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

type ModelIdentity = Pick<ModelPublishArgs, 'file' | 'role' | 'name' | 'version' | 'keys' | 'chunkSize' | 'metadata' | 'json' | 'origins'>;

/** The flags `model publish` and `model sign` share: the file, its identity, keys and chunking. */
function parseModelIdentity(v: Record<string, unknown>, positionals: string[]): { kind: 'ok'; value: ModelIdentity } | { kind: 'error'; message: string } {
  if (positionals.length !== 1) return { kind: 'error', message: positionals.length ? `one model file expected, got ${positionals.length}` : 'the model FILE is required' };
  const role = s(v['role']);
  if (role !== undefined && !(ROLES as readonly string[]).includes(role)) return { kind: 'error', message: `--role must be one of ${ROLES.join(', ')}` };
  const name = s(v['name']);
  if (name !== undefined && !isValidTopicSegment(name)) return { kind: 'error', message: '--name: letters, digits, ".", "_" or "-" (1-128)' };
  const version = s(v['version']);
  if (version !== undefined && !isSemver(version)) return { kind: 'error', message: `--version ${JSON.stringify(version)} is not a semantic version such as 1.2.0` };
  const metadata = s(v['metadata']);
  // role, name and version may come from the metadata file instead (checked when it is read)
  if (!metadata && (!role || !name || !version)) return { kind: 'error', message: '--role, --name and --version are required (or a --metadata file that has them)' };
  const keys = listValues(v['key']);
  if (keys.length === 0) return { kind: 'error', message: '--key FILE (a models private key) is required' };
  const cs = s(v['chunk-size']);
  const chunkSize = cs === undefined ? DEFAULT_CHUNK_SIZE : parseSize(cs);
  if (chunkSize === undefined || chunkSize > MAX_CHUNK_SIZE) return { kind: 'error', message: `--chunk-size ${cs}: a size such as 256KiB or 1MiB, at most 16MiB` };
  // DESIGN.md "Scale path": origins serve the same bytes over HTTPS only (agents refuse anything else)
  const origins = listValues(v['origin']);
  for (const o of origins) {
    let u: URL | undefined;
    try {
      u = new URL(o);
    } catch {
      u = undefined;
    }
    if (!u || u.protocol !== 'https:') return { kind: 'error', message: `--origin ${o}: an https:// URL` };
  }
  if (origins.length > 8) return { kind: 'error', message: '--origin: at most 8' };
  return {
    kind: 'ok',
    value: {
      file: positionals[0]!,
      ...(role ? { role: role as Role } : {}),
      ...(name ? { name } : {}),
      ...(version ? { version } : {}),
      keys,
      chunkSize,
      ...(metadata ? { metadata } : {}),
      ...(origins.length ? { origins } : {}),
      json: v['json'] === true,
    },
  };
}

export function parseModelPublish(argv: string[]): Parsed<ModelPublishArgs> {
  const r = parseFlags(argv, { ...brokerOptions, ...modelOptions, ...variantOptions, 'max-in-flight': { type: 'string' }, 'save-envelope': { type: 'string' }, ...auditOptions, db: { type: 'string' } }, true);
  if (r.kind !== 'ok') return r;
  const v = r.values;
  const id = parseModelIdentity(v, r.positionals);
  if (id.kind !== 'ok') return id;
  const mif = s(v['max-in-flight']);
  const maxInFlight = mif === undefined ? DEFAULT_MAX_IN_FLIGHT : Number(mif);
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > 1024) return { kind: 'error', message: '--max-in-flight is an integer from 1 to 1024' };
  const broker = parseBrokerFlags(v);
  if (!broker.ok) return { kind: 'error', message: broker.message };
  const saveEnvelope = s(v['save-envelope']);
  const audit = parseAuditFlags(v);
  if (!audit.ok) return { kind: 'error', message: audit.message };
  const variants = parseVariantArgs(v);
  if (!variants.ok) return { kind: 'error', message: variants.message };
  return { kind: 'ok', value: { ...id.value, maxInFlight, ...(saveEnvelope ? { saveEnvelope } : {}), broker: broker.value, audit: audit.value, variants: variants.value } };
}

/** One progress line, e.g. "[########------------]  40%  2.0/5.0 MiB  12.3 MB/s". Pure, for tests. */
export function progressLine(p: PublishProgress, elapsedMs: number, width = 20): string {
  const frac = p.bytesTotal ? p.bytesSent / p.bytesTotal : 1;
  const fill = Math.round(frac * width);
  const rate = elapsedMs > 0 ? p.bytesSent / 1e6 / (elapsedMs / 1000) : 0;
  return `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${formatBytes(p.bytesSent)}/${formatBytes(p.bytesTotal)}  ${rate.toFixed(1)} MB/s`;
}

/** A bar redrawn in place on a terminal; a plain line per 10 % otherwise; nothing with --json. */
function progressReporter(io: CommandIO, json: boolean): { onProgress: (p: PublishProgress) => void; finish: () => void } {
  const started = performance.now();
  if (json) return { onProgress: () => undefined, finish: () => undefined };
  if (io.isTTY) {
    let last = 0;
    return {
      onProgress: (p) => {
        const now = performance.now();
        if (now - last < 100 && p.chunksSent < p.chunksTotal) return; // redraw at most 10×/s
        last = now;
        process.stderr.write(`\r${progressLine(p, now - started)}${p.done ? ' manifest' : ''}`);
      },
      finish: () => process.stderr.write('\n'),
    };
  }
  let nextDecile = 1;
  return {
    onProgress: (p) => {
      if (p.done) return;
      const frac = p.bytesTotal ? p.bytesSent / p.bytesTotal : 1;
      if (frac * 10 >= nextDecile || p.chunksSent === p.chunksTotal) {
        nextDecile = Math.floor(frac * 10) + 1;
        io.err(`progress ${progressLine(p, performance.now() - started)}  chunk ${p.chunksSent}/${p.chunksTotal}`);
      }
    },
    finish: () => undefined,
  };
}

const publish: Command<ModelPublishArgs> = {
  name: 'model publish',
  summary: 'sign an ONNX model and publish it to the broker (chunks, then manifest)',
  help: `FILE --role detector|classifier|similarity --name N --version X.Y.Z --key KEY --broker URL [options]

Reads the ONNX file, scans its graph (refusals: docs/SUPPLY-CHAIN.md §3), derives its contract (input/output names, dtypes, shapes) with onnxruntime,
adds what --metadata gives (labels, preprocess, postprocess, selfTest, baseline, latencyBudgetMs;
role/name/version too, so those flags become optional), signs the manifest with the models key(s)
and publishes retained, QoS 1: every chunk to <prefix>/models/<modelId>/chunks/<n>, then the
signed manifest to <prefix>/models/<modelId>/manifest (last, so agents never see a manifest
whose chunks are missing). modelId is the file's sha256. Prints the modelId.

The registry in the fleet database binds NAME@VERSION to these bytes forever, before anything is
sent: other bytes under an existing NAME@VERSION (in the registry or on the broker) are refused
with version_exists; the same bytes again are accepted (idempotent: safe to retry).

Options:
  --role R                detector, classifier or similarity
  --name N --version V    model name (letters, digits . _ -) and semantic version
  --key FILE[,FILE]       models private key(s) (PEM from \`keys generate\`); several for a threshold
  --metadata FILE         metadata JSON (assets/models/<role>/metadata.json format)
  --chunk-size SIZE       chunk size, e.g. 256KiB (default) or 1MiB; at most 16MiB
  --origin URL            an https:// URL serving the same file (byte ranges), put in the signed manifest:
                          agents fetch from it and fall back to the broker's chunks (repeatable, at most 8)
${variantHelp}
  --max-in-flight N       unacknowledged chunk publishes (default ${DEFAULT_MAX_IN_FLIGHT})
  --save-envelope FILE    also write the signed manifest envelope (for bundling with an installer)
  --json                  print {ok, modelId, role, name, version, size, chunks, ...}; no progress
${brokerHelp}
${auditHelp}

Examples:
  rpa-fleet model publish detector.onnx --role detector --name ui-detector --version 1.2.0 \\
      --key ~/.rpa-keys/models.key --broker mqtts://broker:8883 --ca ca.crt \\
      --username rpa-admin --password-env RPA_BROKER_PASSWORD
  rpa-fleet model publish assets/models/classifier/model.onnx \\
      --metadata assets/models/classifier/metadata.json --key models.key --broker mqtt://localhost:1883 --json`,
  parse: parseModelPublish,
  async run(a, io) {
    const { built, envelope, keys } = await buildSigned(a);
    if (a.saveEnvelope) await writeFile(a.saveEnvelope, JSON.stringify(envelope, null, 2) + '\n');
    const m = built.manifest;
    if (!a.json) io.err(`publishing ${m.role} ${m.name}@${m.version} (${formatBytes(m.size)}, ${built.chunks.length} chunks of ${formatBytes(m.chunkSize)}) as ${built.modelId}`);
    const client = await connectFromFlags(a.broker, io);
    const progress = progressReporter(io, a.json);
    try {
      return await withFleetDb(a.audit.db, async (db) => {
        const registry = new ModelRegistry(db);
        // [issue 16 §3] bind name@version before any byte is sent; refused (version_exists) for other bytes
        if (!registry.get(m.name, m.version)) await assertBrokerVersionFree(client, m, { prefix: a.broker.prefix, signal: io.signal });
        const fresh = registry.bind(m, envelope, actorOf(a.audit, io), Date.now());
        const r = await publishModel(client, { manifestEnvelope: envelope, chunks: built.chunks, ...(built.variantChunks ? { variantChunks: built.variantChunks } : {}), prefix: a.broker.prefix, maxInFlight: a.maxInFlight, onProgress: progress.onProgress, signal: io.signal });
        progress.finish();
        recordAction(db, a.audit, io, 'model.publish', { model: `${m.name}@${m.version}`, role: m.role, modelId: r.modelId, size: m.size, signedBy: keys.map((k) => k.keyid), broker: a.broker.url, republished: !fresh });
        const mbps = r.bytes / 1e6 / (r.elapsedMs / 1000);
        if (a.json) {
          io.out(
            JSON.stringify({
              ok: true,
              modelId: r.modelId,
              role: m.role,
              name: m.name,
              version: m.version,
              size: m.size,
              chunkSize: m.chunkSize,
              chunks: r.chunks,
              manifestTopic: r.manifestTopic,
              manifestBytes: built.manifestBytes,
              variants: (m.variants ?? []).map((x) => ({ name: x.name, precision: x.precision, sha256: x.sha256, size: x.size })),
              signedBy: keys.map((k) => k.keyid),
              elapsedMs: Math.round(r.elapsedMs),
              mbPerSec: Number(mbps.toFixed(2)),
            }),
          );
        } else {
          io.err(`published in ${(r.elapsedMs / 1000).toFixed(2)} s (${mbps.toFixed(1)} MB/s); manifest at ${r.manifestTopic}`);
          io.out(r.modelId);
        }
        return 0;
      });
    } finally {
      await client.endAsync().catch(() => undefined);
    }
  },
};

export interface ModelSignArgs {
  file: string;
  role?: Role;
  name?: string;
  version?: string;
  keys: string[];
  chunkSize: number;
  metadata?: string;
  out: string;
  json: boolean;
}

export function parseModelSign(argv: string[]): Parsed<ModelSignArgs> {
  const r = parseFlags(argv, { ...modelOptions, out: { type: 'string' } }, true);
  if (r.kind !== 'ok') return r;
  const id = parseModelIdentity(r.values, r.positionals);
  if (id.kind !== 'ok') return id;
  const out = s(r.values['out']);
  if (!out) return { kind: 'error', message: '--out FILE is required (where to write the signed manifest envelope)' };
  return { kind: 'ok', value: { ...id.value, out } };
}

const sign: Command<ModelSignArgs> = {
  name: 'model sign',
  summary: 'sign an ONNX model offline: write its DSSE manifest envelope to a file',
  help: `FILE --role R --name N --version X.Y.Z --key KEY --out ENVELOPE.json [--metadata FILE] [--chunk-size SIZE] [--json]

Builds and signs the manifest exactly as \`model publish\` does, without a broker, and writes the
DSSE envelope (payloadType ${'application/vnd.rpa-edge.model+json'}) to --out. Use it to bundle a
baseline model and its signed manifest with the agent installer (assets/), or to sign on an
offline machine. Prints the modelId.

Examples:
  rpa-fleet model sign assets/models/detector/model.onnx --metadata assets/models/detector/metadata.json \\
      --key models.key --out assets/models/detector/manifest.dsse.json`,
  parse: parseModelSign,
  async run(a, io) {
    const { built, envelope, keys } = await buildSigned(a);
    await writeFile(a.out, JSON.stringify(envelope, null, 2) + '\n');
    const m = built.manifest;
    if (a.json) {
      io.out(JSON.stringify({ ok: true, modelId: built.modelId, role: m.role, name: m.name, version: m.version, size: m.size, chunks: built.chunks.length, out: a.out, signedBy: keys.map((k) => k.keyid) }));
    } else {
      io.err(`signed ${m.role} ${m.name}@${m.version} (${formatBytes(m.size)}, ${built.chunks.length} chunks); envelope written to ${a.out}`);
      io.out(built.modelId);
    }
    return 0;
  },
};

export interface ModelsListArgs {
  db: string;
  broker: BrokerFlags;
  trust?: string;
  json: boolean;
}

export function parseModelsList(argv: string[]): Parsed<ModelsListArgs> {
  const r = parseFlags(argv, { ...brokerOptions, trust: { type: 'string' }, json: { type: 'boolean' }, db: { type: 'string' } });
  if (r.kind !== 'ok') return r;
  const broker = parseBrokerFlags(r.values);
  if (!broker.ok) return { kind: 'error', message: broker.message };
  const trust = s(r.values['trust']);
  return { kind: 'ok', value: { db: dbPath(r.values), broker: broker.value, ...(trust ? { trust } : {}), json: r.values['json'] === true } };
}

const list: Command<ModelsListArgs> = {
  name: 'models list',
  summary: 'list the model manifests published on the broker',
  help: `--broker URL [--trust trust.json] [--json]

Reads every retained manifest under <prefix>/models/+/manifest. With --trust, each signature is
verified against the trust file's models keys and threshold (SIG = valid or invalid, with the
reason); without, SIG is "unverified". STATE comes from the registry in the fleet database (--db):
active, deprecated, yanked, or "unregistered" for bytes it has never bound.

Options:
  --trust FILE            trust file (from \`trust init\`) to verify signatures with
  --json                  print {ok, models:[{modelId, role, name, version, size, chunks, created, signature, error?}]}
${brokerHelp}

Examples:
  rpa-fleet models list --broker mqtt://localhost:1883 --trust trust.json
  rpa-fleet models list --broker mqtts://broker:8883 --ca ca.crt --username rpa-admin --password-env PW --json`,
  parse: parseModelsList,
  async run(a, io) {
    const client = await connectFromFlags(a.broker, io);
    try {
      const trust = await trustFromFile(a.trust, 'models', client, a.broker.prefix);
      const entries = await listModels(client, { prefix: a.broker.prefix, trust, signal: io.signal });
      // read-only view: consult the registry only when the fleet database exists (never create it here)
      const states = new Map<string, string>();
      if (existsSync(a.db)) {
        await withFleetDb(a.db, async (db) => {
          const reg = new ModelRegistry(db);
          for (const e of entries) states.set(e.modelId, reg.byModelId(e.modelId).find((x) => x.name === e.value?.name && x.version === e.value?.version)?.state ?? 'unregistered');
        });
      }
      const rows = entries.map((e) => ({
        modelId: e.modelId,
        role: e.value?.role,
        name: e.value?.name,
        version: e.value?.version,
        size: e.value?.size,
        chunks: e.value?.chunkSha256.length,
        created: e.value?.created,
        state: states.get(e.modelId) ?? 'unregistered',
        signature: e.signature,
        signedBy: e.signedBy,
        ...(e.error ? { error: e.error } : {}),
      }));
      if (a.json) {
        io.out(JSON.stringify({ ok: true, models: rows }));
        return 0;
      }
      if (rows.length === 0) {
        io.out('no model manifests on the broker');
        return 0;
      }
      const table = [['ROLE', 'MODEL', 'STATE', 'MODEL ID', 'SIZE', 'SIG', 'CREATED']];
      for (const r of rows) {
        table.push([r.role ?? '?', `${r.name ?? '?'}@${r.version ?? '?'}`, r.state, r.modelId.slice(0, 16), r.size !== undefined ? formatBytes(r.size) : '?', r.signature + (r.error ? ` (${r.error.code})` : ''), r.created ?? '']);
      }
      const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
      for (const row of table) io.out(row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
      return 0;
    } finally {
      await client.endAsync().catch(() => undefined);
    }
  },
};

export const commands: AnyCommand[] = [publish, sign, list];
