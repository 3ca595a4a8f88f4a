/** The model registry (issue 16 §3) on a real SQLite file: bound forever, marks, latest, refs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DsseEnvelope } from '../../src/common/dsse.js';
import type { ModelManifest, Role } from '../../src/common/wire.js';
import { openFleetDb } from '../../src/fleet/fleet-db.js';
import { ModelRegistry, parseModelRef, pickLatest } from '../../src/fleet/registry/registry.js';

const T0 = Date.parse('2026-12-06T10:00:00Z');
const id = (c: string) => c.repeat(64);
// Only the fields the registry reads; the envelope is stored verbatim.
const manifest = (name: string, version: string, sha: string, role: Role = 'detector') => ({ name, version, sha256: sha, role }) as unknown as ModelManifest;
const env = (tag: string): DsseEnvelope => ({ payloadType: 'application/vnd.rpa-edge.model+json', payload: Buffer.from(tag).toString('base64'), signatures: [{ keyid: 'k', sig: 'AA==' }] });

function withRegistry(fn: (r: ModelRegistry, db: ReturnType<typeof openFleetDb>) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'registry-'));
  const db = openFleetDb(join(dir, 'fleet.db'));
  try {
    fn(new ModelRegistry(db), db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('model refs: hex id, name@version, name@latest; anything else is bad_argument', () => {
  assert.equal(parseModelRef(id('a')).kind, 'id');
  assert.deepEqual(parseModelRef('ui-detector@1.2.0'), { kind: 'version', ref: 'ui-detector@1.2.0', name: 'ui-detector', version: '1.2.0' });
  assert.deepEqual(parseModelRef('ui-detector@latest'), { kind: 'latest', ref: 'ui-detector@latest', name: 'ui-detector' });
  assert.throws(() => parseModelRef('ui-detector'), { code: 'bad_argument' });
  assert.throws(() => parseModelRef('ui-detector@v1'), { code: 'bad_argument' });
});

test('pickLatest: highest by semver among active versions of the role; pre-releases rank below', () => {
  const e = (version: string, state: 'active' | 'deprecated' | 'yanked' = 'active', role: Role = 'detector') => ({ version, state, role });
  assert.equal(pickLatest([e('1.2.0'), e('1.10.0'), e('1.9.9')])?.version, '1.10.0');
  assert.equal(pickLatest([e('2.0.0', 'yanked'), e('1.5.0', 'deprecated'), e('1.4.0')])?.version, '1.4.0');
  assert.equal(pickLatest([e('2.0.0-rc.1'), e('1.9.0')])?.version, '2.0.0-rc.1');
  assert.equal(pickLatest([e('2.0.0-rc.1'), e('2.0.0')])?.version, '2.0.0');
  assert.equal(pickLatest([e('3.0.0', 'active', 'classifier'), e('1.0.0')], 'detector')?.version, '1.0.0');
  assert.equal(pickLatest([e('1.0.0', 'yanked')]), undefined);
});

test('bind: name@version is bound to one modelId forever; same bytes again are idempotent', () => {
  withRegistry((reg, db) => {
    assert.equal(reg.bind(manifest('det', '1.0.0', id('a')), env('a'), 'alice', T0), true);
    assert.equal(reg.bind(manifest('det', '1.0.0', id('a')), env('a2'), 'bob', T0 + 1), false, 'same bytes: idempotent');
    assert.throws(() => reg.bind(manifest('det', '1.0.0', id('b')), env('b'), 'bob', T0 + 2), { code: 'version_exists' });
    assert.throws(() => reg.bind(manifest('det', '1.0.0', id('a'), 'classifier'), env('c'), 'bob', T0 + 3), { code: 'version_exists' });
    const e = reg.get('det', '1.0.0')!;
    assert.equal(e.modelId, id('a'));
    assert.equal(e.publishedBy, 'alice');
    assert.equal(e.publishedAt, new Date(T0).toISOString());
    assert.equal(Buffer.from(e.envelope.payload, 'base64').toString(), 'a', 'the first signed manifest is kept');
    // SQLite refuses to move or remove a binding, whoever asks
    assert.throws(() => db.prepare("UPDATE registry_models SET model_id = ? WHERE name = 'det'").run(id('b')), /bound forever/);
    assert.throws(() => db.prepare("DELETE FROM registry_models WHERE name = 'det'").run(), /bound forever/);
    assert.equal(reg.get('det', '1.0.0')!.modelId, id('a'));
  });
});

test('marks: deprecate and yank are appended with actor and reason; latest skips them; yanked() finds the bytes; labels', () => {
  withRegistry((reg, db) => {
    reg.bind(manifest('det', '1.0.0', id('a')), env('a'), 'alice', T0);
    reg.bind(manifest('det', '1.1.0', id('b')), env('b'), 'alice', T0);
    reg.bind(manifest('det', '1.2.0', id('c')), env('c'), 'alice', T0);
    reg.bind(manifest('cls', '9.0.0', id('d'), 'classifier'), env('d'), 'alice', T0);
    assert.equal(reg.resolve('det@latest', 'detector')!.version, '1.2.0');
    const y = reg.mark('det', '1.2.0', 'yanked', 'wrong labels', 'bob', T0 + 1000);
    assert.equal(y.state, 'yanked');
    assert.deepEqual(y.marks, [{ mark: 'yanked', reason: 'wrong labels', actor: 'bob', ts: new Date(T0 + 1000).toISOString() }]);
    assert.equal(reg.resolve('det@latest')!.version, '1.1.0');
    reg.mark('det', '1.1.0', 'deprecated', 'superseded', 'bob', T0 + 2000);
    assert.equal(reg.resolve('det@latest')!.version, '1.0.0');
    assert.equal(reg.resolve('det@1.1.0')!.state, 'deprecated', 'an exact version still resolves');
    assert.equal(reg.yanked(id('c'))?.version, '1.2.0');
    assert.equal(reg.yanked(id('b')), undefined);
    assert.throws(() => reg.resolve('cls@latest', 'detector'), { code: 'not_found' });
    assert.throws(() => reg.mark('det', '9.9.9', 'yanked', 'x', 'bob', T0), { code: 'not_found' });
    assert.throws(() => reg.mark('det', '1.0.0', 'yanked', ' ', 'bob', T0), { code: 'bad_argument' });
    assert.throws(() => db.prepare('DELETE FROM registry_marks').run(), /append-only/);
    assert.equal(reg.label(id('a')), 'det@1.0.0');
    assert.equal(reg.label(id('f')), 'ffffffffffff…');
  });
});
