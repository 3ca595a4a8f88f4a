/** rpa-fleet parsers: pure functions, no process spawned (CONVENTIONS.md "Tests"). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKeysGenerate } from '../../src/cli/fleet/keys.js';
import { parseTrustInit } from '../../src/cli/fleet/trust.js';
import { parseModelPublish, parseModelSign, parseModelsList, progressLine } from '../../src/cli/fleet/model.js';
import { parseReleasePublish, parseReleaseShow } from '../../src/cli/fleet/release.js';
import { parseBrokerFlags, listValues } from '../../src/cli/fleet/connect.js';
import { dbPath } from '../../src/cli/fleet/controller.js';

const B = ['--broker', 'mqtt://localhost:1883'];
const ok = <T>(r: { kind: string; value?: T; message?: string }): T => {
  assert.equal(r.kind, 'ok', r.message);
  return r.value as T;
};
const err = (r: { kind: string; message?: string }, re: RegExp) => {
  assert.equal(r.kind, 'error');
  assert.match(r.message!, re);
};

test('keys generate: role, out and name', () => {
  const audit = { db: dbPath({}) };
  assert.deepEqual(ok(parseKeysGenerate(['--role', 'models', '--out', 'k'])), { role: 'models', outDir: 'k', json: false, audit });
  assert.deepEqual(ok(parseKeysGenerate(['--role', 'releases', '--out', 'k', '--name', 'r2', '--json'])), { role: 'releases', outDir: 'k', name: 'r2', json: true, audit });
  assert.deepEqual(ok(parseKeysGenerate(['--role', 'approvers', '--out', 'k', '--name', 'alice', '--actor', 'alice@corp', '--reason', 'new approver', '--db', 'f.db'])), {
    role: 'approvers', outDir: 'k', name: 'alice', json: false, audit: { actor: 'alice@corp', reason: 'new approver', db: 'f.db' },
  });
  err(parseKeysGenerate(['--role', 'admin', '--out', 'k']), /models, releases, approvers/);
  err(parseKeysGenerate(['--role', 'models']), /--out/);
  err(parseKeysGenerate(['--role', 'models', '--out', 'k', '--name', '../x']), /--name/);
  err(parseKeysGenerate(['--role', 'models', '--out', 'k', '--bogus']), /bogus/);
  assert.equal(parseKeysGenerate(['--help']).kind, 'help');
});

test('trust init: key lists (comma and repeated), thresholds', () => {
  const v = ok(parseTrustInit(['--models', 'a.json,b.json', '--models', 'c.json', '--models-threshold', '2', '--releases', 'r.json', '--out', 't.json']));
  assert.deepEqual(v.models, ['a.json', 'b.json', 'c.json']);
  assert.equal(v.modelsThreshold, 2);
  assert.equal(v.releasesThreshold, 1);
  err(parseTrustInit(['--models', 'a.json', '--releases', 'r.json', '--out', 't.json', '--releases-threshold', '2']), /above/);
  err(parseTrustInit(['--models', 'a.json', '--releases', 'r.json', '--out', 't.json', '--models-threshold', '0']), /1 to 16/);
  err(parseTrustInit(['--releases', 'r.json', '--out', 't.json']), /--models/);
  err(parseTrustInit(['--models', 'a.json', '--releases', 'r.json']), /--out/);
});

test('model publish: file, identity, chunk size, keys, broker', () => {
  const v = ok(parseModelPublish(['m.onnx', '--role', 'detector', '--name', 'det', '--version', '1.2.0', '--key', 'k1,k2', '--chunk-size', '1MiB', ...B]));
  assert.equal(v.file, 'm.onnx');
  assert.deepEqual(v.keys, ['k1', 'k2']);
  assert.equal(v.chunkSize, 1024 * 1024);
  assert.equal(v.maxInFlight, 16);
  assert.equal(v.broker.prefix, 'rpa/v1');
  assert.equal(ok(parseModelPublish(['m.onnx', '--role', 'detector', '--name', 'd', '--version', '1.0.0', '--key', 'k', ...B])).chunkSize, 256 * 1024);
  // identity may come from the metadata file alone
  assert.equal(ok(parseModelPublish(['m.onnx', '--metadata', 'md.json', '--key', 'k', ...B])).metadata, 'md.json');
  err(parseModelPublish(['m.onnx', '--role', 'detector', '--name', 'd', '--key', 'k', ...B]), /--version/);
  err(parseModelPublish(['--role', 'detector', '--name', 'd', '--version', '1.0.0', '--key', 'k', ...B]), /FILE/);
  err(parseModelPublish(['a', 'b', '--metadata', 'm', '--key', 'k', ...B]), /one model file/);
  err(parseModelPublish(['m.onnx', '--role', 'segmenter', '--name', 'd', '--version', '1.0.0', '--key', 'k', ...B]), /--role/);
  err(parseModelPublish(['m.onnx', '--role', 'detector', '--name', 'd', '--version', 'v1', '--key', 'k', ...B]), /semantic version/);
  err(parseModelPublish(['m.onnx', '--role', 'detector', '--name', 'd', '--version', '1.0.0', '--key', 'k', '--chunk-size', '17MiB', ...B]), /chunk-size/);
  err(parseModelPublish(['m.onnx', '--role', 'detector', '--name', 'd', '--version', '1.0.0', '--key', 'k', '--chunk-size', 'lots', ...B]), /chunk-size/);
  err(parseModelPublish(['m.onnx', '--role', 'detector', '--name', 'd', '--version', '1.0.0', ...B]), /--key/);
  err(parseModelPublish(['m.onnx', '--role', 'detector', '--name', 'd', '--version', '1.0.0', '--key', 'k']), /--broker/);
});

test('broker flags: no password in the URL, one password source, TLS pair, prefix, version', () => {
  const v = parseBrokerFlags({ broker: 'mqtts://admin@broker:8883', 'password-env': 'PW', ca: 'ca.crt', prefix: 'acme/rpa/v1', 'mqtt-version': '4' });
  assert.ok(v.ok);
  if (v.ok) {
    assert.equal(v.value.username, 'admin');
    assert.equal(v.value.passwordEnv, 'PW');
    assert.equal(v.value.prefix, 'acme/rpa/v1');
    assert.equal(v.value.mqttVersion, 4);
  }
  const bad = (flags: Record<string, string>, re: RegExp) => {
    const r = parseBrokerFlags(flags);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, re);
  };
  bad({ broker: 'mqtt://u:secret@h:1883' }, /must not contain a password/);
  bad({ broker: 'not a url' }, /not a URL/);
  bad({ broker: 'http://h' }, /unsupported scheme/);
  bad({ broker: 'mqtt://h', 'password-env': 'A', 'password-store': 'B' }, /either/);
  bad({ broker: 'mqtt://h', 'password-env': 'MY-VAR=x' }, /variable name/);
  bad({ broker: 'mqtt://h', cert: 'c.crt' }, /--cert-key/);
  bad({ broker: 'mqtt://h', prefix: 'rpa/+/v1' }, /wildcards/);
  bad({ broker: 'mqtt://h', 'mqtt-version': '3' }, /5, 4 or auto/);
  assert.deepEqual(listValues(['a,b', ' c ', '']), ['a', 'b', 'c']);
});

test('models list and release show parse', () => {
  assert.equal(ok(parseModelsList([...B, '--trust', 't.json', '--json'])).trust, 't.json');
  err(parseModelsList([]), /--broker/);
  assert.equal(ok(parseReleaseShow(['--channel', 'stable', ...B])).channel, 'stable');
  err(parseReleaseShow([...B]), /--channel/);
  err(parseReleaseShow(['--channel', 'a/b', ...B]), /--channel/);
});

test('release publish: stable refs, candidate with rollout flags, expiry, seq', () => {
  const id = 'a'.repeat(64);
  const v = ok(parseReleasePublish(['--channel', 'stable', '--detector', 'det@1.2.0', '--classifier', id, '--key', 'r.key', ...B]));
  assert.deepEqual(v.stable, { detector: 'det@1.2.0', classifier: id });
  assert.deepEqual(v.candidates, {});
  assert.equal(v.expiresInMs, 7 * 86_400_000);
  assert.equal(v.replace, false);
  const c = ok(
    parseReleasePublish([
      '--channel', 'stable', '--detector', 'det@1.2.0', '--candidate-detector', 'det@1.3.0', '--percent', '5', '--rollout-id', 'r1',
      '--shadow', '--max-error-rate', '0.02', '--max-p95-ms', '80', '--expires', '12h', '--seq', '42', '--key', 'r.key', ...B,
    ]),
  );
  assert.deepEqual(c.candidates.detector, { ref: 'det@1.3.0', percent: 5, rolloutId: 'r1', shadow: true, maxErrorRate: 0.02, maxP95Ms: 80 });
  assert.equal(c.expiresInMs, 12 * 3_600_000);
  assert.equal(c.seq, 42);
  err(parseReleasePublish(['--detector', 'd@1.0.0', '--key', 'k', ...B]), /--channel/);
  err(parseReleasePublish(['--channel', 's', '--key', 'k', ...B]), /at least one model/);
  err(parseReleasePublish(['--channel', 's', '--detector', 'det', '--key', 'k', ...B]), /modelId or name@version/);
  err(parseReleasePublish(['--channel', 's', '--detector', 'd@1.0.0', '--percent', '5', '--key', 'k', ...B]), /--candidate-<role>/);
  err(parseReleasePublish(['--channel', 's', '--detector', 'd@1.0.0', '--candidate-detector', 'd@2.0.0', '--rollout-id', 'r', '--key', 'k', ...B]), /--percent/);
  err(parseReleasePublish(['--channel', 's', '--detector', 'd@1.0.0', '--candidate-detector', 'd@2.0.0', '--percent', '101', '--rollout-id', 'r', '--key', 'k', ...B]), /--percent/);
  err(parseReleasePublish(['--channel', 's', '--detector', 'd@1.0.0', '--candidate-detector', 'd@2.0.0', '--percent', '5', '--key', 'k', ...B]), /--rollout-id/);
  err(parseReleasePublish(['--channel', 's', '--detector', 'd@1.0.0', '--expires', 'soon', '--key', 'k', ...B]), /--expires/);
  err(parseReleasePublish(['--channel', 's', '--detector', 'd@1.0.0', '--seq', '0', '--key', 'k', ...B]), /--seq/);
  err(parseReleasePublish(['--channel', 's', '--detector', 'd@1.0.0', ...B]), /--key/);
});

test('progressLine draws the share sent and the rate', () => {
  const line = progressLine({ modelId: 'x', chunksSent: 1, chunksTotal: 4, bytesSent: 2_000_000, bytesTotal: 8_000_000, done: false }, 1000, 20);
  assert.match(line, /^\[#####-{15}\]  25%/);
  assert.match(line, /2\.0 MB\/s$/);
});

test('model sign: offline, --out required, broker flags refused', () => {
  const v = ok(parseModelSign(['m.onnx', '--metadata', 'md.json', '--key', 'k', '--out', 'env.json']));
  assert.equal(v.out, 'env.json');
  assert.equal(v.chunkSize, 256 * 1024);
  err(parseModelSign(['m.onnx', '--metadata', 'md.json', '--key', 'k']), /--out/);
  err(parseModelSign(['m.onnx', '--metadata', 'md.json', '--key', 'k', '--out', 'e.json', ...B]), /broker/);
});
