/** `rpa-fleet trust init`: the agents' trust file (trusted keys and a threshold per role). */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { AgentError } from '../../common/errors.js';
import { readPublicKeyFile } from '../../fleet/keys.js';
import { buildTrustFile } from '../../fleet/trust.js';
import { parseFlags, reportError, type Command, type Parsed, type AnyCommand } from '../command.js';
import { auditHelp, auditOptions, parseAuditFlags, recordAction, withFleetDb, type AuditFlags } from './audit.js';
import { listValues } from './connect.js';

export interface TrustInitArgs {
  models: string[];
  modelsThreshold: number;
  releases: string[];
  releasesThreshold: number;
  approvers: string[];
  root: string[];
  rootThreshold: number;
  out: string;
  force: boolean;
  json: boolean;
  audit: AuditFlags;
}

function threshold(v: unknown, flag: string): number | string {
  if (v === undefined) return 1;
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 && n <= 16 ? n : `${flag} must be an integer from 1 to 16`;
}

export function parseTrustInit(argv: string[]): Parsed<TrustInitArgs> {
  const r = parseFlags(argv, {
    models: { type: 'string', multiple: true },
    'models-threshold': { type: 'string' },
    releases: { type: 'string', multiple: true },
    'releases-threshold': { type: 'string' },
    approvers: { type: 'string', multiple: true },
    root: { type: 'string', multiple: true },
    'root-threshold': { type: 'string' },
    ...auditOptions,
    db: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (r.kind !== 'ok') return r;
  const models = listValues(r.values['models']);
  const releases = listValues(r.values['releases']);
  const approvers = listValues(r.values['approvers']);
  const root = listValues(r.values['root']);
  const rootT = threshold(r.values['root-threshold'], '--root-threshold');
  if (typeof rootT === 'string') return { kind: 'error', message: rootT };
  if (root.length && rootT > root.length) return { kind: 'error', message: `--root-threshold ${rootT} is above the ${root.length} root key(s) given` };
  if (models.length === 0) return { kind: 'error', message: '--models PUB[,PUB...] is required' };
  if (releases.length === 0) return { kind: 'error', message: '--releases PUB[,PUB...] is required' };
  const mt = threshold(r.values['models-threshold'], '--models-threshold');
  const rt = threshold(r.values['releases-threshold'], '--releases-threshold');
  if (typeof mt === 'string') return { kind: 'error', message: mt };
  if (typeof rt === 'string') return { kind: 'error', message: rt };
  if (mt > models.length) return { kind: 'error', message: `--models-threshold ${mt} is above the ${models.length} models key(s) given` };
  if (rt > releases.length) return { kind: 'error', message: `--releases-threshold ${rt} is above the ${releases.length} releases key(s) given` };
  const out = r.values['out'];
  if (typeof out !== 'string' || !out) return { kind: 'error', message: '--out FILE is required' };
  const audit = parseAuditFlags(r.values);
  if (!audit.ok) return { kind: 'error', message: audit.message };
  return { kind: 'ok', value: { models, modelsThreshold: mt, releases, releasesThreshold: rt, approvers, root, rootThreshold: rootT, out, force: r.values['force'] === true, json: r.values['json'] === true, audit: audit.value } };
}

const init: Command<TrustInitArgs> = {
  name: 'trust init',
  summary: 'write the agents\' trust file from public key files',
  help: `--models PUB[,PUB...] [--models-threshold N] --releases PUB[,PUB...] [--releases-threshold N] [--approvers PUB,...] [--root PUB,... [--root-threshold N]] --out FILE [--force] [--json]

Builds the trust file agents install read-only (trusted Ed25519 keys and a signature threshold
for the "models" and "releases" roles). PUB is a .pub.json written by \`rpa-fleet keys generate\`;
a key whose file says another role is refused. Thresholds default to 1.

Options:
  --models PUB,...          public key files of the models role (repeatable)
  --models-threshold N      distinct valid signatures a manifest needs (default 1)
  --releases PUB,...        public key files of the releases role (repeatable)
  --releases-threshold N    distinct valid signatures a release needs (default 1)
  --approvers PUB,...       public key files of the approvers role: people who sign approvals of gated
                            rollout waves (\`rollout start --approvals N\`); read by the controller only
  --root PUB,...            public key files of the root role: they sign trust statements, so the
                            keys can later rotate over the wire (rpa-fleet trust rotate / revoke)
  --root-threshold N        distinct root signatures a trust statement needs (default 1)
  --out FILE                where to write trust.json (refuses to overwrite without --force)
  --json                    print {path, models:{threshold,keyids}, releases:{threshold,keyids}, approvers?}
${auditHelp}

Examples:
  rpa-fleet trust init --models keys/models.pub.json --releases keys/releases.pub.json --out trust.json
  rpa-fleet trust init --models a.pub.json,b.pub.json --models-threshold 2 \\
      --releases r.pub.json --out /etc/rpa-agent/trust.json`,
  parse: parseTrustInit,
  async run(a, io) {
    try {
      const models = await Promise.all(a.models.map(readPublicKeyFile));
      const releases = await Promise.all(a.releases.map(readPublicKeyFile));
      const approvers = await Promise.all(a.approvers.map(readPublicKeyFile));
      const root = await Promise.all(a.root.map(readPublicKeyFile));
      const trust = buildTrustFile({ models, modelsThreshold: a.modelsThreshold, releases, releasesThreshold: a.releasesThreshold, approvers, root, rootThreshold: a.rootThreshold });
      if (!a.force && existsSync(a.out)) {
        throw new AgentError('bad_argument', `${a.out} already exists; pass --force to replace it`);
      }
      await writeFile(a.out, JSON.stringify(trust, null, 2) + '\n', { mode: 0o644 });
      const summary = {
        path: a.out,
        models: { threshold: trust.roles.models.threshold, keyids: models.map((k) => k.keyid) },
        releases: { threshold: trust.roles.releases.threshold, keyids: releases.map((k) => k.keyid) },
        ...(approvers.length ? { approvers: { keyids: approvers.map((k) => k.keyid) } } : {}),
        ...(root.length ? { root: { threshold: a.rootThreshold, keyids: root.map((k) => k.keyid) } } : {}),
      };
      await withFleetDb(a.audit.db, async (db) => void recordAction(db, a.audit, io, 'trust.init', { ...summary, force: a.force }));
      if (a.json) io.out(JSON.stringify({ ok: true, ...summary }));
      else {
        io.out(`wrote ${a.out}`);
        io.out(`  models:   ${summary.models.threshold} of ${models.length} key(s): ${summary.models.keyids.map((k) => k.slice(0, 16)).join(', ')}`);
        io.out(`  releases: ${summary.releases.threshold} of ${releases.length} key(s): ${summary.releases.keyids.map((k) => k.slice(0, 16)).join(', ')}`);
        if (approvers.length) io.out(`  approvers: ${approvers.length} key(s): ${approvers.map((k) => k.keyid.slice(0, 16)).join(', ')}`);
        if (root.length) io.out(`  root:     ${a.rootThreshold} of ${root.length} key(s): ${root.map((k) => k.keyid.slice(0, 16)).join(', ')}`);
      }
      return 0;
    } catch (e) {
      return reportError(e, io, a.json);
    }
  },
};

export const commands: AnyCommand[] = [init];
