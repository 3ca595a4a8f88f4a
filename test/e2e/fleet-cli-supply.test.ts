/**
 * E2E (issue 20 §2, §4): `npm run provenance` writes the in-toto/SLSA statement the training recipe emits,
 * `rpa-fleet model attest` signs and publishes it, `models show` prints it verified, `channel set
 * --min-quality` gates the channel, and `release publish` refuses a model without passing signed evidence
 * (figures in the error) and accepts one with it; `rollout start` applies the same rule, and a gate raised
 * after a release refuses the next rollout. Real binaries, aedes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startAedes } from '../helpers/brokers.js';
import { openFleetDb } from '../../src/fleet/fleet-db.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'rpa-fleet.js');
const fixture = (n: string) => join(root, 'test', 'fixtures', 'models', n);
const fleetDb = join(mkdtempSync(join(tmpdir(), 'fleet-cli-supply-db-')), 'fleet.db');
openFleetDb(fleetDb).close();
const run = (cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((res) => execFile(cmd, args, { timeout: 60_000, cwd: root, env: { ...process.env, RPA_FLEET_DB: fleetDb } }, (e, stdout, stderr) => res({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr })));
const rpaFleet = (args: string[]) => run(process.execPath, [bin, ...args]);
const provenance = (args: string[]) => run(process.execPath, ['--import', 'tsx', join(root, 'scripts/provenance/emit.ts'), ...args]);

test('provenance emitted, attested and shown; the channel quality gate refuses missing or failing evidence with the figures', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cli-supply-'));
  const broker = await startAedes();
  try {
    for (const role of ['models', 'releases']) assert.equal((await rpaFleet(['keys', 'generate', '--role', role, '--out', dir])).code, 0);
    const trust = join(dir, 'trust.json');
    assert.equal((await rpaFleet(['trust', 'init', '--models', join(dir, 'models.pub.json'), '--releases', join(dir, 'releases.pub.json'), '--out', trust])).code, 0);
    const b = ['--broker', broker.url];
    const publish = async (file: string, name: string) => {
      const r = await rpaFleet(['model', 'publish', fixture(file), '--role', 'detector', '--name', name, '--version', '1.0.0', '--key', join(dir, 'models.key'), ...b, '--json']);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).modelId as string;
    };
    const good = await publish('tiny-a.onnx', 'good');
    const weak = await publish('tiny-b.onnx', 'weak');
    const bare = await publish('detector-const-320.onnx', 'bare');
    const dataset = join(dir, 'dataset-manifest.json');
    writeFileSync(dataset, JSON.stringify({ apps: ['notepad'], screens: 3 }));
    const emit = async (file: string, name: string, ap50: number) => {
      const evalJson = join(dir, `${name}-eval.json`);
      writeFileSync(evalJson, JSON.stringify({ metrics: { 'detector.ap50': ap50, 'detector.recall': 0.9 } }));
      const out = join(dir, `${name}-provenance.json`);
      const r = await provenance(['--model', fixture(file), '--name', name, '--version', '1.0.0', '--recipe', 'scripts/train/detector.sh', '--dataset-manifest', dataset, '--eval-json', evalJson, '--eval-set', 'held-out-v3', '--commit', 'abcdef1', '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      return out;
    };
    const goodProv = await emit('tiny-a.onnx', 'good', 0.91);
    const weakProv = await emit('tiny-b.onnx', 'weak', 0.62);
    // a statement about other bytes is refused
    const mismatch = await rpaFleet(['model', 'attest', 'good@1.0.0', '--provenance', weakProv, '--key', join(dir, 'models.key'), ...b, '--json']);
    assert.equal(JSON.parse(mismatch.stdout).error.code, 'sha256_mismatch');
    for (const [ref, prov] of [['good@1.0.0', goodProv], ['weak@1.0.0', weakProv]]) {
      const r = await rpaFleet(['model', 'attest', ref!, '--provenance', prov!, '--key', join(dir, 'models.key'), '--trust', trust, ...b]);
      assert.equal(r.code, 0, r.stderr);
    }
    const show = await rpaFleet(['models', 'show', 'good@1.0.0', '--trust', trust, ...b]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /provenance: signature valid/);
    assert.match(show.stdout, /recipe {5}scripts\/train\/detector\.sh @ abcdef1/);
    assert.match(show.stdout, /evaluation detector\.ap50=0\.91, detector\.recall=0\.9 on held-out-v3/);
    const showJson = JSON.parse((await rpaFleet(['models', 'show', 'good@1.0.0', '--trust', trust, ...b, '--json'])).stdout);
    assert.equal(showJson.provenance.statement.predicateType, 'https://slsa.dev/provenance/v1');
    assert.equal(showJson.provenance.statement._type, 'https://in-toto.io/Statement/v1');

    const set = await rpaFleet(['channel', 'set', 'prod', '--min-quality', 'detector.ap50=0.85']);
    assert.equal(set.code, 0, set.stderr);
    const rel = (ref: string) => rpaFleet(['release', 'publish', '--channel', 'prod', '--detector', ref, '--key', join(dir, 'releases.key'), '--trust', trust, ...b, '--json']);
    const weakRel = JSON.parse((await rel('weak@1.0.0')).stdout);
    assert.equal(weakRel.error.code, 'quality_gate_failed');
    assert.match(weakRel.error.message, /detector\.ap50 0\.62 < 0\.85.*held-out-v3/);
    const bareRel = JSON.parse((await rel(bare)).stdout);
    assert.equal(bareRel.error.code, 'provenance_missing');
    const goodRel = await rel('good@1.0.0');
    assert.equal(goodRel.code, 0, goodRel.stdout + goodRel.stderr);
    // rollout start (local CLI): the same rule, before anything is recorded
    const start = (cand: string, extra: string[] = []) => rpaFleet(['rollout', 'start', '--channel', 'prod', '--role', 'detector', '--candidate', cand, '--stable', bare, '--waves', '50,100', ...extra, '--json']);
    const blind = JSON.parse((await start(weak)).stdout);
    assert.equal(blind.error.code, 'bad_argument', 'a gated channel is never started unchecked');
    assert.match(blind.error.message, /quality gate \(detector\.ap50 >= 0\.85\).*--broker URL and --trust FILE/);
    const weakStart = JSON.parse((await start(weak, ['--trust', trust, ...b])).stdout);
    assert.equal(weakStart.error.code, 'quality_gate_failed');
    assert.match(weakStart.error.message, /detector\.ap50 0\.62 < 0\.85 \(measured on held-out-v3\)/);
    assert.deepEqual(weakStart.error.details.measured, { 'detector.ap50': 0.62 });
    assert.equal(JSON.parse((await start(bare, ['--trust', trust, ...b])).stdout).error.code, 'provenance_missing');
    const goodStart = await start('good@1.0.0', ['--trust', trust, ...b]);
    assert.equal(goodStart.code, 0, goodStart.stdout + goodStart.stderr);
    assert.equal((await rpaFleet(['rollout', 'abort', JSON.parse(goodStart.stdout).rollout.id])).code, 0);
    // the gate raised after the release: the next rollout of the same model is refused with the new figure
    assert.equal((await rpaFleet(['channel', 'set', 'prod', '--min-quality', 'detector.ap50=0.95'])).code, 0);
    const raised = JSON.parse((await start('good@1.0.0', ['--trust', trust, ...b])).stdout);
    assert.equal(raised.error.code, 'quality_gate_failed');
    assert.match(raised.error.message, /detector\.ap50 0\.91 < 0\.95/);
    // another channel has no gate
    assert.equal((await rpaFleet(['release', 'publish', '--channel', 'dev', '--detector', 'weak@1.0.0', '--key', join(dir, 'releases.key'), ...b])).code, 0);
    assert.equal((await rpaFleet(['channel', 'set', 'prod', '--min-quality', 'nonsense'])).code, 2);
    assert.equal((await provenance(['--bogus'])).code, 2);
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
