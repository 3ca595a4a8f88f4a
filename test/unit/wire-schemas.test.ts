// Issue 22 §3: the committed JSON Schemas under docs/schemas/ are generated from the zod contracts; this fails when
// they drift from the code (run `npm run schemas` and commit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAll, diffAgainstDisk } from '../../scripts/schemas/generate.js';

test('docs/schemas matches the zod contracts in src/common (run `npm run schemas` when this fails)', () => {
  assert.deepEqual(diffAgainstDisk(renderAll()), []);
});

test('the drift check notices a changed, a missing and a stale schema (so the test above can fail)', () => {
  const rendered = renderAll();
  const [first] = rendered.keys();
  const changed = new Map(rendered);
  changed.set(first!, rendered.get(first!)!.replace('"type"', '"typ"'));
  assert.deepEqual(diffAgainstDisk(changed), [`${first} differs from the zod contract`]);
  const missing = new Map(rendered);
  missing.set('not-there.schema.json', '{}\n');
  assert.deepEqual(diffAgainstDisk(missing), ['not-there.schema.json is missing']);
  const fewer = new Map(rendered);
  fewer.delete(first!);
  assert.deepEqual(diffAgainstDisk(fewer), [`${first} has no zod contract any more (stale)`]);
});

test('every wire payload schema is a draft 2020-12 object schema with a title', () => {
  for (const [file, text] of renderAll()) {
    const s = JSON.parse(text) as Record<string, unknown>;
    assert.equal(s.$schema, 'https://json-schema.org/draft/2020-12/schema', file);
    assert.ok(typeof s.title === 'string' && s.title.length > 0, file);
  }
});
