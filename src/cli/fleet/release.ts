/**
 * `rpa-fleet release publish` (sign and publish a channel's release: stable model per role and an
 * optional candidate rollout) and `rpa-fleet release show` (read it back and verify it).
 */
import { AgentError } from '../../common/errors.js';
import { isValidTopicSegment } from '../../common/topics.js';
import { ROLES, type Release, type Role } from '../../common/wire.js';
import { loadSigningKey } from '../../fleet/keys.js';
import { showRelease } from '../../fleet/publisher.js';
import { ModelRegistry } from '../../fleet/registry/registry.js';
import { publishReleaseOp } from '../../fleet/api/release-ops.js';
import { ReleasePublishBodySchema, type ReleasePublishBody } from '../../fleet/api/schemas.js';
import { auditHelp, auditOptions, parseAuditFlags, recordAction, withFleetDb, type AuditFlags } from './audit.js';
import { parseProfileFlags } from './profile-flag.js';
import type { Profiles } from '../../common/profiles.js';
import { parseDuration, parseFlags, type Command, type Parsed, type AnyCommand } from '../command.js';
import { brokerHelp, brokerOptions, connectFromFlags, listValues, parseBrokerFlags, trustFromFile, type BrokerFlags } from './connect.js';

export interface CandidateArgs {
  ref: string;
  percent: number;
  rolloutId: string;
  shadow: boolean;
  maxErrorRate?: number;
  maxP95Ms?: number;
  minAgreement?: number;
}

export interface ReleasePublishArgs {
  channel: string;
  /** model reference (modelId or name@version) per role */
  stable: Partial<Record<Role, string>>;
  candidates: Partial<Record<Role, CandidateArgs>>;
  expiresInMs: number;
  keys: string[];
  seq?: number;
  note?: string;
  /** industry profiles (--profile, issue 21 §2); absent: the current release's are carried over */
  profiles?: Profiles;
  trust?: string;
  /** do not carry over roles this release does not name */
  replace: boolean;
  /** the same release as the API's request body (ReleasePublishBodySchema) */
  body: ReleasePublishBody;
  broker: BrokerFlags;
  json: boolean;
  audit: AuditFlags;
}

const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const MODEL_REF = /^([0-9a-f]{64}|[A-Za-z0-9._-]{1,128}@[0-9A-Za-z.+-]{1,64})$/;

function num(v: unknown, flag: string, min: number, max: number): number | undefined | string {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= min && n <= max ? n : `${flag} must be a number from ${min} to ${max}`;
}

/** The flags of `release publish` that describe the release (shared by the local and the remote verb). */
export const releaseBodyOptions = {
  channel: { type: 'string' },
  detector: { type: 'string' },
  classifier: { type: 'string' },
  similarity: { type: 'string' },
  'candidate-detector': { type: 'string' },
  'candidate-classifier': { type: 'string' },
  'candidate-similarity': { type: 'string' },
  percent: { type: 'string' },
  'rollout-id': { type: 'string' },
  shadow: { type: 'boolean' },
  'max-error-rate': { type: 'string' },
  'max-p95-ms': { type: 'string' },
  'min-agreement': { type: 'string' },
  expires: { type: 'string' },
  seq: { type: 'string' },
  note: { type: 'string' },
  replace: { type: 'boolean' },
  profile: { type: 'string', multiple: true },
} as const;

type BodyParts = Pick<ReleasePublishArgs, 'channel' | 'stable' | 'candidates' | 'expiresInMs' | 'seq' | 'note' | 'replace' | 'body' | 'profiles'>;

/**
 * Pure: the flags → the request body of POST /api/v1/releases, validated with the API's own schema
 * (ReleasePublishBodySchema): the CLI and the API accept the same releases.
 */
export function releaseBodyFromFlags(v: Record<string, unknown>): { ok: true; value: BodyParts } | { ok: false; message: string } {
  const fail = (message: string) => ({ ok: false as const, message });
  const channel = s(v['channel']);
  if (!channel) return fail('--channel NAME is required (e.g. stable)');
  if (!isValidTopicSegment(channel)) return fail('--channel: letters, digits, ".", "_" or "-"');
  const stable: Partial<Record<Role, string>> = {};
  const candidateRefs: Partial<Record<Role, string>> = {};
  for (const role of ROLES) {
    const ref = s(v[role]);
    if (ref !== undefined) {
      if (!MODEL_REF.test(ref)) return fail(`--${role} ${JSON.stringify(ref)}: a 64-hex modelId or name@version`);
      stable[role] = ref;
    }
    const cref = s(v[`candidate-${role}`]);
    if (cref !== undefined) {
      if (!MODEL_REF.test(cref)) return fail(`--candidate-${role} ${JSON.stringify(cref)}: a 64-hex modelId or name@version`);
      candidateRefs[role] = cref;
    }
  }
  const replace = v['replace'] === true;
  if (Object.keys(stable).length === 0 && Object.keys(candidateRefs).length === 0) {
    return fail('name at least one model: --detector, --classifier or --similarity (modelId or name@version)');
  }
  const rolloutFlags = ['percent', 'rollout-id', 'shadow', 'max-error-rate', 'max-p95-ms', 'min-agreement'].filter((f) => v[f] !== undefined);
  const candidates: Partial<Record<Role, CandidateArgs>> = {};
  if (Object.keys(candidateRefs).length === 0) {
    if (rolloutFlags.length) return fail(`--${rolloutFlags[0]} needs a --candidate-<role> model`);
  } else {
    const percent = num(v['percent'], '--percent', 0, 100);
    if (typeof percent === 'string') return fail(percent);
    if (percent === undefined) return fail('--percent P is required with a candidate (0-100)');
    const rolloutId = s(v['rollout-id']);
    if (!rolloutId) return fail('--rollout-id ID is required with a candidate (it seeds which agents are in the cohort)');
    if (!isValidTopicSegment(rolloutId)) return fail('--rollout-id: letters, digits, ".", "_" or "-"');
    const maxErrorRate = num(v['max-error-rate'], '--max-error-rate', 0, 1);
    const maxP95Ms = num(v['max-p95-ms'], '--max-p95-ms', 0.001, 600_000);
    const minAgreement = num(v['min-agreement'], '--min-agreement', 0, 1);
    for (const x of [maxErrorRate, maxP95Ms, minAgreement]) if (typeof x === 'string') return fail(x);
    for (const [role, ref] of Object.entries(candidateRefs) as [Role, string][]) {
      candidates[role] = {
        ref,
        percent,
        rolloutId,
        shadow: v['shadow'] === true,
        ...(maxErrorRate !== undefined ? { maxErrorRate: maxErrorRate as number } : {}),
        ...(maxP95Ms !== undefined ? { maxP95Ms: maxP95Ms as number } : {}),
        ...(minAgreement !== undefined ? { minAgreement: minAgreement as number } : {}),
      };
    }
  }
  const exp = s(v['expires']) ?? '7d';
  const expiresInMs = parseDuration(exp);
  if (expiresInMs === undefined || expiresInMs <= 0) return fail(`--expires ${JSON.stringify(exp)}: a duration such as 7d, 12h or 30m`);
  let seq: number | undefined;
  if (v['seq'] !== undefined) {
    seq = Number(v['seq']);
    if (!Number.isSafeInteger(seq) || seq < 1) return fail('--seq is a positive integer');
  }
  const note = s(v['note']);
  if (note !== undefined && note.length > 1024) return fail('--note is at most 1024 characters');
  // industry profiles (issue 21 §2): absent = the current release's profiles are carried over
  const pr = parseProfileFlags(Array.isArray(v['profile']) ? (v['profile'] as string[]) : []);
  if (!pr.ok) return fail(pr.message);
  const profiles = pr.profiles;
  const reason = s(v['reason']);
  const checked = ReleasePublishBodySchema.safeParse({ channel, stable, candidates, expiresInMs, ...(seq !== undefined ? { seq } : {}), ...(note !== undefined ? { note } : {}), replace, ...(profiles ? { profiles } : {}), ...(reason?.trim() ? { reason } : {}) });
  if (!checked.success) return fail(checked.error.issues.map((i) => `${i.path.join('.') || 'release'}: ${i.message}`).join('; '));
  return { ok: true, value: { channel, stable, candidates, expiresInMs, ...(seq !== undefined ? { seq } : {}), ...(note !== undefined ? { note } : {}), replace, ...(profiles ? { profiles } : {}), body: checked.data } };
}

export function parseReleasePublish(argv: string[]): Parsed<ReleasePublishArgs> {
  const r = parseFlags(argv, { ...brokerOptions, ...releaseBodyOptions, key: { type: 'string', multiple: true }, trust: { type: 'string' }, json: { type: 'boolean' }, ...auditOptions, db: { type: 'string' } });
  if (r.kind !== 'ok') return r;
  const v = r.values;
  const b = releaseBodyFromFlags(v);
  if (!b.ok) return { kind: 'error', message: b.message };
  const keys = listValues(v['key']);
  if (keys.length === 0) return { kind: 'error', message: '--key FILE (a releases private key) is required' };
  const broker = parseBrokerFlags(v);
  if (!broker.ok) return { kind: 'error', message: broker.message };
  const trust = s(v['trust']);
  const audit = parseAuditFlags(v);
  if (!audit.ok) return { kind: 'error', message: audit.message };
  return { kind: 'ok', value: { ...b.value, audit: audit.value, keys, ...(trust ? { trust } : {}), broker: broker.value, json: v['json'] === true } };
}

/** Models show as name@version (with their modelId) when the registry knows them. */
function describeRelease(rel: Release, registry?: ModelRegistry): string[] {
  const name = (id: string) => (registry && registry.byModelId(id)[0] ? `${registry.label(id)} (${id})` : id);
  const lines = [`channel ${rel.channel}  seq ${rel.seq}  issued ${rel.issued}  expires ${rel.expires}`];
  for (const role of ROLES) {
    const rr = rel.roles[role];
    if (!rr) continue;
    lines.push(`  ${role.padEnd(10)} stable ${name(rr.stable)}`);
    const c = rr.candidate;
    if (c) {
      lines.push(
        `  ${''.padEnd(10)} candidate ${name(c.modelId)} ${c.percent}%${c.shadow ? ' (shadow)' : ''} rollout ${c.rolloutId}; gates: error rate ≤ ${c.gates.maxErrorRate}, p95 ≤ ${c.gates.maxLatencyP95Ms} ms${c.gates.minAgreement !== undefined ? `, agreement ≥ ${c.gates.minAgreement}` : ''}`,
      );
    }
  }
  if (rel.note) lines.push(`  note: ${rel.note}`);
  for (const [p, settings] of Object.entries(rel.profiles ?? {})) lines.push(`  profile ${p}: ${JSON.stringify(settings)}`);
  return lines;
}

const publish: Command<ReleasePublishArgs> = {
  name: 'release publish',
  summary: 'sign and publish a channel release (stable models, optional candidate rollout)',
  help: `--channel C --detector REF [--classifier REF] [--similarity REF] --key KEY --broker URL [options]

REF is name@version, name@latest (the highest version by semver that is neither deprecated nor
yanked) or a modelId (64 hex), looked up in the registry (fleet database) and checked against the
signed manifest on the broker (\`model publish\`), role included. A yanked model is refused
(model_yanked); a deprecated one named exactly is allowed with a warning. Reads the channel's current retained release, verifies it (with --trust, else
with the signing keys) and publishes seq = current + 1 (retained, QoS 1, signed with the releases
key). Roles this release does not name are carried over from the current release unless --replace.
Publishing a role without --candidate-<role> ends that role's rollout (agents return to stable).

Options:
  --channel C                 channel name, e.g. stable or pilot
  --detector/--classifier/--similarity REF   stable model per role
  --candidate-detector REF    (and -classifier, -similarity) candidate model under rollout
  --percent P                 share of agents (0-100) that take the candidate
  --rollout-id ID             seeds the agents' cohort buckets; keep it while raising percent
  --shadow                    candidate runs in shadow (results compared, not returned)
  --max-error-rate X          agent-local guard: error rate limit (0-1, default 0.01)
  --max-p95-ms MS             agent-local guard: latency p95 limit (default 100)
  --min-agreement X           agent-local guard in shadow: minimum agreement with stable (0-1)
  --expires DURATION          e.g. 7d (default), 12h; agents keep the active models after it
  --key FILE[,FILE]           releases private key(s); several for a threshold
  --seq N                     explicit sequence number (replaces an unverifiable current release)
  --note TEXT                 free text carried in the signed release
  --profile NAME:K=V[,K=V]    industry profile settings in the signed release (repeatable; default: the
                              current release's profiles carried over). K: detector.minScore,
                              classifier.minScore, guard.maxErrorRate, guard.minAgreement (0-1),
                              guard.maxLatencyP95Ms, models.<role> (modelId). Agents of another profile
                              use the "default" profile's settings (or the manifests').
  --trust FILE                trust file to verify the current release and the manifests with
  --replace                   do not carry over roles from the current release
  --json                      print {ok, channel, seq, previousSeq, topic, release}
${brokerHelp}
${auditHelp}

Examples:
  rpa-fleet release publish --channel stable --detector ui-detector@1.2.0 \\
      --classifier ui-classifier@1.0.0 --expires 7d --key releases.key --broker mqtt://localhost:1883
  rpa-fleet release publish --channel stable --detector ui-detector@1.2.0 \\
      --candidate-detector ui-detector@1.3.0 --percent 5 --rollout-id det-1.3.0 \\
      --max-error-rate 0.02 --max-p95-ms 80 --key releases.key --broker mqtts://broker:8883 --ca ca.crt`,
  parse: parseReleasePublish,
  async run(a, io) {
    const keys = await Promise.all(a.keys.map((k) => loadSigningKey(k, 'releases')));
    const client = await connectFromFlags(a.broker, io);
    try {
      const [modelsTrust, releasesTrust] = await Promise.all([trustFromFile(a.trust, 'models', client, a.broker.prefix), trustFromFile(a.trust, 'releases', client, a.broker.prefix)]);
      return await withFleetDb(a.audit.db, async (db) => {
        const registry = new ModelRegistry(db);
        const r = await publishReleaseOp({ client, registry, db, keys, prefix: a.broker.prefix, modelsTrust, releasesTrust, body: a.body, warn: io.err, signal: io.signal });
        const { labels, modelIds } = r;
      recordAction(db, a.audit, io, 'release.publish', { channel: a.channel, seq: r.release.seq, models: labels, modelIds, ...(a.note !== undefined ? { note: a.note } : {}), broker: a.broker.url });
      if (a.json) {
        io.out(JSON.stringify({ ok: true, channel: a.channel, seq: r.release.seq, previousSeq: r.previousSeq ?? null, keptRoles: r.keptRoles, topic: r.topic, signedBy: keys.map((k) => k.keyid), release: r.release }));
      } else {
        io.out(`published release seq ${r.release.seq} on ${r.topic}${r.previousSeq !== undefined ? ` (previous seq ${r.previousSeq})` : ' (first release on this channel)'}`);
        if (r.keptRoles.length) io.out(`  carried over from the previous release: ${r.keptRoles.join(', ')}`);
        for (const l of describeRelease(r.release, registry)) io.out(l);
      }
      return 0;
      });
    } finally {
      await client.endAsync().catch(() => undefined);
    }
  },
};

export interface ReleaseShowArgs {
  channel: string;
  trust?: string;
  broker: BrokerFlags;
  json: boolean;
}

export function parseReleaseShow(argv: string[]): Parsed<ReleaseShowArgs> {
  const r = parseFlags(argv, { ...brokerOptions, channel: { type: 'string' }, trust: { type: 'string' }, json: { type: 'boolean' } });
  if (r.kind !== 'ok') return r;
  const channel = s(r.values['channel']);
  if (!channel) return { kind: 'error', message: '--channel NAME is required' };
  if (!isValidTopicSegment(channel)) return { kind: 'error', message: '--channel: letters, digits, ".", "_" or "-"' };
  const broker = parseBrokerFlags(r.values);
  if (!broker.ok) return { kind: 'error', message: broker.message };
  const trust = s(r.values['trust']);
  return { kind: 'ok', value: { channel, ...(trust ? { trust } : {}), broker: broker.value, json: r.values['json'] === true } };
}

const show: Command<ReleaseShowArgs> = {
  name: 'release show',
  summary: 'show a channel\'s current release and whether its signature verifies',
  help: `--channel C --broker URL [--trust trust.json] [--json]

Reads the retained release of the channel. With --trust the signature is verified against the
trust file's releases keys and threshold (as an agent would); without, it is shown "unverified".
Exit 1 with not_found when the channel has no release, or with the verification error code when
the signature does not verify.

Options:
  --channel C             channel name
  --trust FILE            trust file to verify with
  --json                  print {ok, channel, signature, signedBy, expired, release, error?}
${brokerHelp}

Examples:
  rpa-fleet release show --channel stable --broker mqtt://localhost:1883 --trust trust.json
  rpa-fleet release show --channel pilot --broker mqtts://broker:8883 --ca ca.crt --json`,
  parse: parseReleaseShow,
  async run(a, io) {
    const client = await connectFromFlags(a.broker, io);
    try {
      const trust = await trustFromFile(a.trust, 'releases', client, a.broker.prefix);
      const entry = await showRelease(client, a.channel, { prefix: a.broker.prefix, trust, signal: io.signal });
      if (!entry) throw new AgentError('not_found', `channel ${a.channel} has no release`);
      const rel = entry.value;
      const expired = rel ? Date.parse(rel.expires) <= Date.now() : undefined;
      if (a.json) {
        io.out(
          JSON.stringify({
            ok: entry.signature !== 'invalid' && rel !== undefined,
            channel: a.channel,
            topic: entry.topic,
            signature: entry.signature,
            signedBy: entry.signedBy,
            expired: expired ?? null,
            release: rel ?? null,
            ...(entry.error ? { error: entry.error } : {}),
          }),
        );
      } else {
        io.out(`signature: ${entry.signature}${entry.signedBy.length ? ` (keyid ${entry.signedBy.map((k) => k.slice(0, 16)).join(', ')})` : ''}${entry.error ? ` — ${entry.error.code}: ${entry.error.message}` : ''}`);
        if (rel) {
          for (const l of describeRelease(rel)) io.out(l);
          if (expired) io.out('  EXPIRED: agents keep their active models and activate nothing new (release_expired)');
        }
      }
      if (entry.signature === 'invalid' || !rel) {
        if (!a.json) io.err(`error[${entry.error?.code ?? 'bad_payload'}]: the release on channel ${a.channel} is not valid`);
        return 1;
      }
      return 0;
    } finally {
      await client.endAsync().catch(() => undefined);
    }
  },
};

export const commands: AnyCommand[] = [publish, show];
