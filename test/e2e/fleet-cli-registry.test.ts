/**
 * E2E (issue 16 §3-4): the registry and the audit log through the real `rpa-fleet` binary, an
 * in-process aedes broker and real SQLite files: version_exists, models show/deprecate/yank,
 * release publish name@latest and its yank refusal, yanked agents in status, audit and audit verify.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { openFleetDb } from '../../src/fleet/fleet-db.js';
import { startAedes } from '../helpers/brokers.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'rpa-fleet.js');
const fixture = (n: string) => join(root, 'test', 'fixtures', 'models', n);
const idOf = (n: string) => createHash('sha256').update(readFileSync(fixture(n))).digest('hex');
type Run = { code: number; stdout: string; stderr: string };
function rpaFleet(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000, env: { ...process.env, ...env } }, (e, stdout, stderr) => res({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }));
  });
}
const json = (r: Run) => JSON.parse(r.stdout) as Record<string, any>;

test('registry via rpa-fleet: name@version bound forever, show, deprecate, yank, name@latest, yanked refused and marked, all audited', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-registry-'));
  const broker = await startAedes();
  const db = join(dir, 'fleet.db');
  const env = { RPA_FLEET_DB: db, RPA_FLEET_ACTOR: 'alice@corp' };
  const run = (args: string[], e: Record<string, string> = env) => rpaFleet(args, e);
  try {
    // no fleet database: an audited verb refuses (and creates none) rather than record into nowhere
    const missing = await run(['keys', 'generate', '--role', 'models', '--out', join(dir, 'nokeys'), '--json']);
    assert.equal(missing.code, 1);
    assert.equal(json(missing).error.code, 'fleet_db_missing');
    assert.match(json(missing).error.message, /rpa-fleet init/);
    assert.equal(existsSync(db), false);
    openFleetDb(db).close(); // as `rpa-fleet init` does
    for (const role of ['models', 'releases']) assert.equal((await run(['keys', 'generate', '--role', role, '--out', dir])).code, 0);
    const trust = join(dir, 'trust.json');
    assert.equal((await run(['trust', 'init', '--models', join(dir, 'models.pub.json'), '--releases', join(dir, 'releases.pub.json'), '--out', trust])).code, 0);
    const pub = (file: string, version: string, e = env) => run(['model', 'publish', fixture(file), '--role', 'detector', '--name', 'tiny', '--version', version, '--key', join(dir, 'models.key'), '--broker', broker.url, '--json'], e);
    assert.equal((await pub('tiny-a.onnx', '1.0.0')).code, 0);
    // [issue 16 §3] other bytes under an existing name@version: refused, nothing published
    const clash = await pub('tiny-b.onnx', '1.0.0');
    assert.equal(clash.code, 1);
    assert.equal(json(clash).error.code, 'version_exists');
    const list0 = json(await run(['models', 'list', '--broker', broker.url, '--json']));
    assert.deepEqual(list0.models.map((m: { modelId: string }) => m.modelId), [idOf('tiny-a.onnx')], 'the other bytes never reached the broker');
    const again = await pub('tiny-a.onnx', '1.0.0');
    assert.equal(again.code, 0, 'the same bytes again are idempotent');
    // a fresh database still refuses a name@version the broker already holds for other bytes
    openFleetDb(join(dir, 'other.db')).close();
    const other = await pub('tiny-b.onnx', '1.0.0', { ...env, RPA_FLEET_DB: join(dir, 'other.db') });
    assert.equal(other.code, 1, 'the broker already holds tiny@1.0.0 for other bytes');
    assert.equal(json(other).error.code, 'version_exists');
    assert.equal((await pub('tiny-b.onnx', '1.1.0')).code, 0);
    assert.equal((await pub('slow.onnx', '1.2.0')).code, 0);

    const shown = await run(['models', 'show', 'tiny@1.0.0', '--trust', trust, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const s = json(shown);
    assert.deepEqual([s.model, s.modelId, s.publishedBy, s.state, s.signature], ['tiny@1.0.0', idOf('tiny-a.onnx'), 'alice@corp', 'active', 'valid']);
    assert.equal(s.manifest.sha256, idOf('tiny-a.onnx'));
    assert.ok(Date.parse(s.publishedAt) > Date.now() - 120_000);
    const text = await run(['models', 'show', 'tiny@latest']);
    assert.match(text.stdout, /^tiny@1\.2\.0 {2}detector {2}ACTIVE/);
    assert.match(text.stdout, /published by alice@corp at 20\d\d-/);
    assert.match(text.stdout, /signed manifest:\n\s+\{/);
    assert.equal(json(await run(['models', 'show', 'tiny@9.9.9', '--json'])).error.code, 'not_found');

    const rel = (ref: string, e = env) => run(['release', 'publish', '--channel', 'prod', '--detector', ref, '--key', join(dir, 'releases.key'), '--broker', broker.url, '--trust', trust, '--json'], e);
    const r1 = await rel('tiny@latest');
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(json(r1).release.roles.detector.stable, idOf('slow.onnx'));
    // yank: refused in a new release, skipped by @latest; --reason is required
    assert.equal((await run(['models', 'yank', 'tiny@1.2.0'])).code, 2);
    const y = await run(['models', 'yank', 'tiny@1.2.0', '--reason', 'wrong labels', '--actor', 'bob@corp', '--json']);
    assert.equal(y.code, 0, y.stderr);
    assert.equal(json(y).state, 'yanked');
    const refused = await rel('tiny@1.2.0');
    assert.equal(refused.code, 1);
    assert.equal(json(refused).error.code, 'model_yanked');
    assert.match(json(refused).error.message, /bob@corp.*wrong labels/);
    assert.equal(json(await rel(idOf('slow.onnx'))).error.code, 'model_yanked', 'by modelId too');
    assert.equal(json(await rel('tiny@latest')).release.roles.detector.stable, idOf('tiny-b.onnx'));
    assert.equal((await run(['models', 'deprecate', 'tiny@1.1.0', '--reason', 'superseded'])).code, 0);
    assert.equal(json(await rel('tiny@latest')).release.roles.detector.stable, idOf('tiny-a.onnx'));
    const dep = await rel('tiny@1.1.0');
    assert.equal(dep.code, 0, 'a deprecated version named exactly is allowed');
    assert.match(dep.stderr, /warning: tiny@1\.1\.0 is deprecated \(superseded\)/);
    const table = await run(['models', 'list', '--broker', broker.url]);
    assert.match(table.stdout, /detector\s+tiny@1\.2\.0\s+yanked/);
    assert.match(table.stdout, /detector\s+tiny@1\.1\.0\s+deprecated/);

    // agents still running the yanked model are marked in status and agents list
    const store = new ControllerStore(db);
    const status = (agentId: string, modelId: string) => store.putStatus({ agentId, online: true, ts: new Date().toISOString(), agentVersion: '0.1.0', channel: 'prod', roles: { detector: { state: 'active', modelId, name: 'tiny', version: 'x' } } }, Date.now());
    status('ws-1', idOf('slow.onnx'));
    status('ws-2', idOf('tiny-a.onnx'));
    store.close();
    const st = await run(['status']);
    assert.match(st.stdout, /YANKED tiny@1\.2\.0 \(detector\) still runs on ws-1: wrong labels/);
    assert.doesNotMatch(st.stdout, /still runs on ws-2/);
    const agents = json(await run(['agents', 'list', '--json'])).agents as { agentId: string; yanked: unknown[] }[];
    assert.deepEqual(agents.map((a) => [a.agentId, a.yanked.length]), [['ws-1', 1], ['ws-2', 0]]);
    const list = (await run(['agents', 'list'])).stdout;
    assert.match(list, /ws-1 .* YANKED:detector=tiny@1\.2\.0/);
    // models by name@version from the registry, never bare hex ids (issue 16 §5), though the agent reported version 'x'
    assert.match(list, /ws-1 .* detector=tiny@1\.2\.0\/\?/);
    assert.doesNotMatch(list, /detector=[0-9a-f]{12}/);

    // every admin action above is in the audit log, with its actor
    const audit = json(await run(['audit', '--json'])).entries as { action: string; actor: string; reason?: string; inputs: Record<string, unknown> }[];
    const actions = audit.map((e) => e.action);
    assert.deepEqual(actions.slice(0, 3), ['keys.generate', 'keys.generate', 'trust.init']);
    assert.equal(actions.filter((a) => a === 'model.publish').length, 4, 'the refused publish is not recorded as a publish');
    assert.deepEqual(actions.filter((a) => a.startsWith('model.') && a !== 'model.publish'), ['model.yank', 'model.deprecate']);
    assert.equal(actions.filter((a) => a === 'release.publish').length, 4);
    const yank = audit.find((e) => e.action === 'model.yank')!;
    assert.deepEqual([yank.actor, yank.reason, yank.inputs['model']], ['bob@corp', 'wrong labels', 'tiny@1.2.0']);
    assert.ok(audit.every((e) => e.actor === 'alice@corp' || e.actor === 'bob@corp'));
    assert.deepEqual(json(await run(['audit', '--actor', 'bob@corp', '--json'])).entries.map((e: { action: string }) => e.action), ['model.yank']);
    assert.match((await run(['audit', '--since', '1h'])).stdout, /#1 20\d\d-.* alice@corp keys\.generate/);
    const ok = await run(['audit', 'verify']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`audit log intact: ${audit.length} entries, head [0-9a-f]{64}`));
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rpa-fleet audit verify: exit 1 naming the entry whose row was changed behind the triggers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-audit-'));
  const db = join(dir, 'fleet.db');
  const env = { RPA_FLEET_DB: db };
  openFleetDb(db).close();
  try {
    for (const [role, name] of [['models', 'm'], ['releases', 'r'], ['approvers', 'a']]) {
      assert.equal((await rpaFleet(['keys', 'generate', '--role', role!, '--out', dir, '--name', name!, '--reason', `key ${name}`], env)).code, 0);
    }
    const entries = json(await rpaFleet(['audit', '--json'], env)).entries as { actor: string; reason: string }[];
    assert.equal(entries.length, 3);
    assert.match(entries[0]!.actor, /^.+@.+$/, 'the default actor is the OS user@host');
    assert.equal(entries[2]!.reason, 'key a');
    const raw = new Database(db);
    assert.throws(() => raw.prepare("UPDATE audit_log SET reason = 'x' WHERE seq = 2").run(), /append-only/);
    raw.exec('DROP TRIGGER audit_log_no_update');
    raw.prepare("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 2").run();
    raw.close();
    const broken = await rpaFleet(['audit', 'verify'], env);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /error\[audit_chain_broken\]: audit log broken at entry 2 of 3: entry 2's content does not match its hash/);
    const j = await rpaFleet(['audit', 'verify', '--json'], env);
    assert.equal(json(j).error.details.brokenAt, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
