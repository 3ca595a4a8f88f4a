// Issue 22 §3: the committed JSON Schemas under docs/schemas/ are generated from the zod contracts; this fails when
// they drift from the code (run `npm run schemas` and commit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAll, renderExamples, diffAgainstDisk, EXAMPLE_DIR } from '../../scripts/schemas/generate.js';
import { protocolExamples } from '../../scripts/schemas/examples.js';
import { verifyEnvelope } from '../../src/common/dsse.js';
import { PAYLOAD_TYPE_MODEL, PAYLOAD_TYPE_RELEASE } from '../../src/common/dsse.js';
import { fromBase64 } from '../../src/common/bytes.js';
import { TrustFileSchema } from '../../src/common/trust-file.js';
import { ModelManifestSchema, ReleaseSchema } from '../../src/common/wire.js';
import { nodeEd25519Verifier } from '../../src/fleet/signer.js';

test('docs/schemas matches the zod contracts in src/common (run `npm run schemas` when this fails)', () => {
  assert.deepEqual(diffAgainstDisk(renderAll()), []);
});

test('the drift check notices a changed, a missing and a stale schema (so the test above can fail)', () => {
  const rendered = renderAll();
  const [first] = rendered.keys();
  const changed = new Map(rendered);
  changed.set(first!, rendered.get(first!)!.replace('"type"', '"typ"'));
  assert.deepEqual(diffAgainstDisk(changed), [`${first} differs from what the code makes`]);
  const missing = new Map(rendered);
  missing.set('not-there.schema.json', '{}\n');
  assert.deepEqual(diffAgainstDisk(missing), ['not-there.schema.json is missing']);
  const fewer = new Map(rendered);
  fewer.delete(first!);
  assert.deepEqual(diffAgainstDisk(fewer), [`${first} is no longer made by the code (stale)`]);
});

test('every wire payload schema is a draft 2020-12 object schema with a title', () => {
  for (const [file, text] of renderAll()) {
    const s = JSON.parse(text) as Record<string, unknown>;
    assert.equal(s.$schema, 'https://json-schema.org/draft/2020-12/schema', file);
    assert.ok(typeof s.title === 'string' && s.title.length > 0, file);
  }
});

test('docs/protocol/examples matches what the code makes (run `npm run schemas` when this fails)', () => {
  assert.deepEqual(diffAgainstDisk(renderExamples(), EXAMPLE_DIR, '.json'), []);
});

test('the worked envelopes verify under the example trust file and parse to their payload examples; a changed byte does not', () => {
  const ex = protocolExamples();
  const trust = TrustFileSchema.parse(ex.get('trust-file.json'));
  const keys = (role: 'models' | 'releases') => trust.roles[role].keys.map((k) => ({ publicKey: fromBase64(k.publicKey) }));
  const cases = [
    ['model-manifest', PAYLOAD_TYPE_MODEL, 'models', ModelManifestSchema],
    ['release', PAYLOAD_TYPE_RELEASE, 'releases', ReleaseSchema],
  ] as const;
  for (const [name, type, role, schema] of cases) {
    const env = ex.get(`${name}.envelope.json`) as { payload: string };
    const v = verifyEnvelope(env, type, keys(role), 1, nodeEd25519Verifier);
    assert.deepEqual(schema.parse(JSON.parse(new TextDecoder().decode(v.payload))), ex.get(`${name}.payload.json`));
    const tampered = { ...env, payload: Buffer.from(new TextDecoder().decode(fromBase64(env.payload)).replace('"seq":42', '"seq":43').replace('2.0.0', '2.0.1')).toString('base64') };
    assert.throws(() => verifyEnvelope(tampered, type, keys(role), 1, nodeEd25519Verifier), { code: 'bad_signature' });
    // the other role's key does not count (keys are per role)
    assert.throws(() => verifyEnvelope(env, type, keys(role === 'models' ? 'releases' : 'models'), 1, nodeEd25519Verifier));
  }
});
