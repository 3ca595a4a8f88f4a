/**
 * `rpa-fleet model publish --origin URL`: the origins go into the signed manifest (DESIGN.md "Scale
 * path"); only https URLs are accepted (agents refuse anything else, and the manifest schema too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelPublish } from '../../src/cli/fleet/model.js';
import { buildManifest } from '../../src/fleet/manifest.js';
import { ModelManifestSchema } from '../../src/common/wire.js';
import { fixture } from './agent-harness.js';

const B = ['--broker', 'mqtt://localhost:1883'];
const base = ['m.onnx', '--role', 'detector', '--name', 'd', '--version', '1.0.0', '--key', 'k', ...B];

test('model publish --origin: repeatable https URLs; http, junk and more than 8 are usage errors', () => {
  const r = parseModelPublish([...base, '--origin', 'https://cdn.example.com/m/1', '--origin', 'https://b.example.com/x?sig=1']);
  assert.equal(r.kind, 'ok');
  assert.deepEqual(r.kind === 'ok' && r.value.origins, ['https://cdn.example.com/m/1', 'https://b.example.com/x?sig=1']);
  const none = parseModelPublish(base);
  assert.equal(none.kind === 'ok' && none.value.origins, undefined);
  for (const bad of ['http://cdn.example.com/m', 'ftp://x/y', 'not a url']) {
    const e = parseModelPublish([...base, '--origin', bad]);
    assert.equal(e.kind, 'error', bad);
    assert.match(e.kind === 'error' ? e.message : '', /--origin/);
  }
  const many = parseModelPublish([...base, ...Array.from({ length: 9 }, (_, i) => ['--origin', `https://o${i}.example.com/m`]).flat()]);
  assert.equal(many.kind, 'error');
});

test('buildManifest: origins land in the manifest (merged with the metadata ones, no duplicates) and pass the schema', async () => {
  const built = await buildManifest({
    bytes: fixture('tiny-a.onnx'),
    role: 'detector',
    name: 'tiny',
    version: '1.0.0',
    origins: ['https://cdn.example.com/a', 'https://meta.example.com/a'],
    metadata: { origins: ['https://meta.example.com/a'] } as never,
  });
  assert.deepEqual(built.manifest.origins, ['https://meta.example.com/a', 'https://cdn.example.com/a']);
  assert.equal(ModelManifestSchema.parse(built.manifest).origins?.length, 2);
  const plain = await buildManifest({ bytes: fixture('tiny-a.onnx'), role: 'detector', name: 'tiny', version: '1.0.0' });
  assert.equal('origins' in plain.manifest, false);
});
