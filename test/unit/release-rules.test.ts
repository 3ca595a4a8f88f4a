/**
 * The shared release/manifest/chunk rules (src/common/release-rules.ts): the agent core, the simulator and the
 * publisher decide with these. Pure functions on real manifests built by the fleet library.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { AgentError } from '../../src/common/errors.js';
import { checkManifest, chooseRoleTarget, chunkMismatch, judgeRelease, modelsNamed, releaseExpired, releaseSeqAdvances } from '../../src/common/release-rules.js';
import type { Release } from '../../src/common/wire.js';
import { buildManifest } from '../../src/fleet/manifest.js';
import { inCandidateCohort } from '../../src/common/bucket.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const sha = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const now = Date.parse('2026-01-01T00:00:00Z');

function release(seq: number, o: Partial<Release> = {}): Release {
  return { schemaVersion: 1, channel: 'stable', seq, issued: '2025-12-31T00:00:00Z', expires: '2026-01-02T00:00:00Z', roles: { detector: { stable: A } }, ...o };
}

test('judgeRelease: channel, repeat, seq (replay) and expiry, in that order', () => {
  const last = { seq: 5, digest: 'd5' };
  assert.deepEqual(judgeRelease(release(6), { channel: 'stable', digest: 'd6', last, now }), { kind: 'accept' });
  assert.deepEqual(judgeRelease(release(1), { channel: 'stable', digest: 'x', now }), { kind: 'accept' }, 'nothing accepted yet');
  assert.deepEqual(judgeRelease(release(5), { channel: 'stable', digest: 'd5', last, now }), { kind: 'repeat' });
  const code = (v: ReturnType<typeof judgeRelease>) => (v.kind === 'reject' ? v.error.code : v.kind);
  assert.equal(code(judgeRelease(release(5), { channel: 'stable', digest: 'other', last, now })), 'release_replayed', 'same seq, other bytes');
  assert.equal(code(judgeRelease(release(4), { channel: 'stable', digest: 'd4', last, now })), 'release_replayed');
  assert.equal(code(judgeRelease(release(6, { channel: 'beta' }), { channel: 'stable', digest: 'd6', last, now })), 'release_wrong_channel');
  const expired = judgeRelease(release(6, { expires: '2025-12-31T12:00:00Z' }), { channel: 'stable', digest: 'd6', last, now });
  assert.equal(code(expired), 'release_expired');
  assert.equal(expired.kind === 'reject' && expired.expired, true);
  assert.equal(releaseSeqAdvances(3, undefined), true);
  assert.equal(releaseSeqAdvances(3, 3), false);
  assert.equal(releaseExpired({ expires: new Date(now).toISOString() }, now), true, 'expires == now is expired');
});

test('chooseRoleTarget: stable, candidate by bucket, shadow beside stable, a rolled-back candidate not retaken', () => {
  const cand = { modelId: B, rolloutId: 'r1', percent: 100, shadow: false, gates: { maxErrorRate: 0.01, maxLatencyP95Ms: 100, guardWindowSec: 60, minSamples: 20 } };
  assert.deepEqual(chooseRoleTarget({ stable: A }, 'ag', {}), { modelId: A, cohort: 'stable' });
  assert.deepEqual(chooseRoleTarget({ stable: A, candidate: cand }, 'ag', {}), { modelId: B, cohort: 'candidate', rolloutId: 'r1' });
  assert.deepEqual(chooseRoleTarget({ stable: A, candidate: { ...cand, shadow: true } }, 'ag', {}), { modelId: A, cohort: 'stable', shadow: { modelId: B, rolloutId: 'r1' } });
  assert.deepEqual(chooseRoleTarget({ stable: A, candidate: cand }, 'ag', {}, () => true), { modelId: A, cohort: 'stable' });
  assert.deepEqual(chooseRoleTarget({ stable: A, candidate: { ...cand, percent: 0 } }, 'ag', {}), { modelId: A, cohort: 'stable' }, '0 %: nobody');
  // the bucket rule decides at a percent between
  const inAt = (agentId: string) => chooseRoleTarget({ stable: A, candidate: { ...cand, percent: 50 } }, agentId, {}).cohort === 'candidate';
  const ids = Array.from({ length: 40 }, (_, i) => `w-${i}`);
  for (const id of ids) assert.equal(inAt(id), inCandidateCohort(id, 'r1', 50), id);
  assert.ok(ids.some(inAt) && !ids.every(inAt), 'some in, some out at 50 %');
  assert.deepEqual(chooseRoleTarget({ stable: A, candidate: { ...cand, selector: 'site=berlin' } }, 'ag', { site: 'paris' }), { modelId: A, cohort: 'stable' }, 'selector');
  assert.deepEqual([...modelsNamed(release(1, { roles: { detector: { stable: A, candidate: cand }, classifier: { stable: A } } }))].sort(), [A, B]);
});

test('checkManifest and chunkMismatch: the manifest describes the model asked for; each chunk has its hash and length', async () => {
  const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'models', 'tiny-a.onnx')));
  const { manifest, chunks, modelId } = await buildManifest({ bytes, role: 'detector', name: 't', version: '1.0.0', chunkSize: 64 });
  const max = bytes.length + 1;
  const codeOf = (f: () => void) => {
    try {
      f();
      return 'ok';
    } catch (e) {
      return (e as AgentError).code;
    }
  };
  assert.equal(codeOf(() => checkManifest(manifest, { modelId, role: 'detector', maxModelBytes: max })), 'ok');
  assert.equal(codeOf(() => checkManifest(manifest, { modelId: A, maxModelBytes: max })), 'sha256_mismatch');
  assert.equal(codeOf(() => checkManifest(manifest, { modelId, role: 'classifier', maxModelBytes: max })), 'model_role_mismatch');
  assert.equal(codeOf(() => checkManifest(manifest, { modelId, maxModelBytes: bytes.length - 1 })), 'model_too_large');
  assert.equal(codeOf(() => checkManifest({ ...manifest, chunkSha256: manifest.chunkSha256.slice(1) }, { modelId, maxModelBytes: max })), 'chunk_count_mismatch');
  chunks.forEach((c, i) => assert.equal(chunkMismatch(manifest, i, c, sha), undefined, `chunk ${i}`));
  assert.equal(chunkMismatch(manifest, 0, chunks[1]!, sha)?.code, 'chunk_hash_mismatch');
  const short = chunks[1]!.slice(0, 4);
  assert.equal(chunkMismatch({ ...manifest, chunkSha256: [manifest.chunkSha256[0]!, sha(short), ...manifest.chunkSha256.slice(2)] }, 1, short, sha)?.code, 'size_mismatch');
  assert.equal(chunkMismatch(manifest, chunks.length, chunks[0]!, sha)?.code, 'chunk_unexpected');
});
