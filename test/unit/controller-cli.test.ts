import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRolloutStart } from '../../src/cli/fleet/rollout.js';
import { parseController } from '../../src/cli/fleet/controller.js';
import { parseStatus } from '../../src/cli/fleet/status.js';
import { parseFeedbackExport } from '../../src/cli/fleet/feedback.js';
import { controlRollout, startRollout } from '../../src/fleet/controller/controller.js';
import { DEFAULT_SPEC } from '../../src/fleet/controller/judge.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

test('rollout start: the issue\'s full command line parses into a spec', () => {
  const r = parseRolloutStart(['--channel', 'prod', '--role', 'detector', '--candidate', A, '--waves', '1,5,25,50,100', '--wave-min-duration', '30m', '--min-agents', '20', '--max-error-rate', '0.01', '--max-p95-ms', '100', '--min-agreement', '0.9', '--shadow-first', '--approve-each-wave', '--db', '/tmp/x.db']);
  assert.equal(r.kind, 'ok');
  if (r.kind !== 'ok') return;
  const s = r.value.spec;
  assert.deepEqual(s.waves, [1, 5, 25, 50, 100]);
  assert.equal(s.waveMinDurationMs, 30 * 60_000);
  assert.equal(s.minAgents, 20);
  assert.equal(s.maxErrorRate, 0.01);
  assert.equal(s.maxP95Ms, 100);
  assert.equal(s.minAgreement, 0.9);
  assert.equal(s.shadowFirst, true);
  assert.equal(s.approveEachWave, true);
  assert.equal(r.value.db, '/tmp/x.db');
});

test('rollout start: --selector and repeatable --window (issue 16 §6)', () => {
  const r = parseRolloutStart(['--channel', 'prod', '--role', 'detector', '--candidate', A, '--selector', 'site=berlin,dept in (finance,hr)', '--window', 'Mon-Fri 22:00-05:00 UTC', '--window', 'Sat,Sun 00:00-24:00']);
  assert.equal(r.kind, 'ok');
  if (r.kind !== 'ok') return;
  assert.equal(r.value.spec.selector, 'site=berlin,dept in (finance,hr)');
  assert.deepEqual(r.value.spec.windows, ['Mon-Fri 22:00-05:00 UTC', 'Sat,Sun 00:00-24:00']);
  const plain = parseRolloutStart(['--channel', 'prod', '--role', 'detector', '--candidate', A]);
  assert.ok(plain.kind === 'ok' && plain.value.spec.selector === undefined && plain.value.spec.windows === undefined);
});

test('rollout start: usage errors are reported, not thrown', () => {
  const base = ['--channel', 'prod', '--role', 'detector', '--candidate', A];
  const err = (argv: string[]) => {
    const r = parseRolloutStart(argv);
    assert.equal(r.kind, 'error', JSON.stringify(argv));
    return r.kind === 'error' ? r.message : '';
  };
  assert.match(err([...base, '--waves', '50,5,100']), /ascending/);
  assert.match(err([...base, '--waves', '1,5']), /last wave/);
  assert.match(err([...base, '--max-error-rate', '2']), /0 to 1/);
  assert.match(err([...base, '--wave-min-duration', 'soon']), /duration/);
  assert.match(err([...base, '--min-agreement', '0.9']), /--shadow-first/);
  assert.match(err(['--channel', 'prod', '--role', 'painter', '--candidate', A]), /--role/);
  assert.match(err(['--channel', 'prod', '--role', 'detector', '--candidate', 'det@1.0.0']), /resolved on the broker/);
  assert.match(err(['--channel', 'prod', '--role', 'detector', '--candidate', 'not a ref']), /NAME@VERSION/);
  const byName = parseRolloutStart(['--channel', 'prod', '--role', 'detector', '--candidate', 'det@1.0.0', '--broker', 'mqtt://localhost:1883']);
  assert.equal(byName.kind === 'ok' && byName.value.candidateRef, 'det@1.0.0');
  assert.match(err([...base, '--bogus']), /Unknown option/);
  assert.match(err([...base, '--selector', 'site==berlin']), /^--selector: selector "site==berlin"/);
  assert.match(err([...base, '--window', 'Mon-Fri 22:00']), /^--window: maintenance window/);
  assert.match(err([...base, '--min-agents', '0']), /--min-agents must be a number from 1/);
  assert.equal(parseRolloutStart(['--help']).kind, 'help');
});

test('controller, status and feedback parsers', () => {
  assert.equal(parseController(['--broker', 'mqtt://localhost:1883']).kind, 'error', 'a releases key is required');
  const c = parseController(['--broker', 'mqtt://localhost:1883', '--key', 'r.key', '--metrics-port', '9464', '--shared-group', 'ctl']);
  assert.equal(c.kind, 'ok');
  if (c.kind === 'ok') {
    assert.equal(c.value.metricsPort, 9464);
    assert.equal(c.value.sharedGroup, 'ctl');
  }
  assert.equal(parseController(['--broker', 'mqtt://u:pw@localhost', '--key', 'r.key']).kind, 'error', 'no password in the URL');
  assert.equal(parseStatus(['--since', 'x']).kind, 'error');
  assert.equal(parseFeedbackExport([]).kind, 'error');
  assert.equal(parseFeedbackExport(['--out', 'd', '--since', 'not-a-date']).kind, 'error');
});

test('rollout rows: start needs a known stable, one active rollout per channel, guarded transitions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-ctl-cli-'));
  const store = new ControllerStore(join(dir, 'f.db'));
  try {
    const spec = { ...DEFAULT_SPEC, channel: 'prod', role: 'detector' as const, candidate: A };
    assert.throws(() => startRollout(store, spec, 1), /no release with a stable detector/);
    store.putRelease({ schemaVersion: 1, channel: 'prod', seq: 3, issued: new Date(0).toISOString(), expires: new Date(1e12).toISOString(), roles: { detector: { stable: B } } }, 1);
    const id = startRollout(store, spec, 2);
    assert.equal(store.rollout(id)!.spec.stable, B, 'stable comes from the channel release');
    assert.throws(() => startRollout(store, spec, 3), /already active/);
    assert.throws(() => controlRollout(store, id, 'resume', 4), /cannot resume/);
    assert.equal(controlRollout(store, id, 'abort', 5).state, 'aborted', 'abort before the first release needs no rollback');
    assert.throws(() => controlRollout(store, 'nope', 'pause', 6), /no rollout/);
    // targeting is validated when recorded, whoever records it
    assert.throws(() => startRollout(store, { ...spec, channel: 'prod', selector: 'site in berlin' }, 7), (e: Error & { code?: string }) => e.code === 'bad_argument' && /selector/.test(e.message));
    assert.throws(() => startRollout(store, { ...spec, windows: ['Mon 22:00-05:00 CET'] }, 7), (e: Error & { code?: string }) => e.code === 'bad_argument' && /zone/.test(e.message));
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('controller log for trust statements (issue 20 §1): accepted with revocations, refused with its code, and a warning when its own releases key is out', async () => {
  const { describeTrustStep } = await import('../../src/cli/fleet/controller.js');
  const { generateSigningKey } = await import('../../src/fleet/signer.js');
  const { keyIdOf } = await import('../../src/common/dsse.js');
  const mine = generateSigningKey();
  const next = generateSigningKey();
  const role = (k: typeof mine) => ({ threshold: 1, keys: [{ publicKey: Buffer.from(k.publicKey).toString('base64') }] });
  const v1 = { version: 1, roles: { root: role(next), models: role(next), releases: role(mine) }, revoked: [] };
  const v2 = { version: 2, roles: { root: role(next), models: role(next), releases: role(next) }, revoked: [keyIdOf(mine.publicKey)] };
  const accepted = describeTrustStep({ before: v1, state: v2, accepted: [{ version: 2, raw: new Uint8Array(), statement: {} as never }], newlyRevoked: v2.revoked }, [mine]);
  assert.match(accepted, /^trust version 1 → 2; revoked [0-9a-f]{16}…: releases, approvals and provenance are verified with the new keys/);
  assert.match(accepted, /WARNING: this controller's releases key [0-9a-f]{16}… is not in force any more .* restart it with the new releases key/);
  assert.doesNotMatch(describeTrustStep({ before: v1, state: v2, accepted: [{ version: 2, raw: new Uint8Array(), statement: {} as never }], newlyRevoked: [] }, [next]), /WARNING/, 'a controller holding the new key is not warned');
  const refused = describeTrustStep({ before: v1, state: v1, accepted: [], newlyRevoked: [], refused: { version: 2, code: 'trust_root_untrusted', message: 'no valid root signature' } }, [mine]);
  assert.equal(refused, 'trust statement 2 refused [trust_root_untrusted]: no valid root signature; trust version 1 stays in force');
});
