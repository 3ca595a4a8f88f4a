import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { AgentError } from '../../src/common/errors.js';
import type { ModelManifest, Release } from '../../src/common/wire.js';
import { BlobStore } from '../../src/agent/store/blob-store.js';
import { Registry, hasChunk } from '../../src/agent/store/registry.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const tmp = () => mkdtempSync(join(tmpdir(), 'rpa-store-'));

function manifestFor(bytes: Uint8Array, chunkSize: number): ModelManifest {
  const chunks: string[] = [];
  for (let o = 0; o < bytes.length; o += chunkSize) chunks.push(sha(bytes.subarray(o, o + chunkSize)));
  return {
    schemaVersion: 1,
    role: 'detector',
    name: 'm',
    version: '1.0.0',
    sha256: sha(bytes),
    size: bytes.length,
    chunkSize,
    chunkSha256: chunks,
    contract: { inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }] },
    labels: [],
    created: '2026-01-01T00:00:00.000Z',
  };
}

test('blob store: chunks at offsets → commit checks size and sha256 → AES-GCM blob that decrypts to the exact bytes', async () => {
  const dir = tmp();
  try {
    const key = randomBytes(32);
    const store = new BlobStore(dir, key);
    const bytes = randomBytes(10_000);
    const id = sha(bytes);
    const f = store.openPartial(id);
    for (const i of [2, 0, 1]) f.writeChunk(i * 4096, bytes.subarray(i * 4096, (i + 1) * 4096)); // any order
    f.close();
    await store.commitPartial(id, { size: bytes.length, sha256: id });
    assert.ok(store.hasBlob(id));
    const raw = readFileSync(store.blobPath(id));
    assert.equal(raw.indexOf(bytes.subarray(0, 64)), -1, 'not plaintext at rest');
    assert.deepEqual(Buffer.from(await store.read(id)), bytes);
    // another key cannot read it; a flipped byte is store_corrupt
    await assert.rejects(new BlobStore(dir, randomBytes(32)).read(id), (e: AgentError) => e.code === 'store_corrupt');
    raw[100] = raw[100]! ^ 1;
    writeFileSync(store.blobPath(id), raw);
    await assert.rejects(store.read(id), (e: AgentError) => e.code === 'store_corrupt');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('blob store: a partial file of the wrong size or hash never becomes a blob', async () => {
  const dir = tmp();
  try {
    const store = new BlobStore(dir, randomBytes(32));
    const bytes = randomBytes(5000);
    const id = sha(bytes);
    const f = store.openPartial(id);
    f.writeChunk(0, bytes);
    f.close();
    await assert.rejects(store.commitPartial(id, { size: 4999, sha256: id }), (e: AgentError) => e.code === 'size_mismatch');
    await assert.rejects(store.commitPartial(id, { size: 5000, sha256: sha(randomBytes(4)) }), (e: AgentError) => e.code === 'sha256_mismatch');
    assert.equal(store.hasBlob(id), false);
    assert.deepEqual(store.listBlobs(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('registry: release seq only goes up; fetch bitmap survives reopen; role rows merge patches', () => {
  const dir = tmp();
  try {
    const file = join(dir, 'r.sqlite');
    let reg = Registry.open(file);
    const rel = (seq: number): Release => ({ schemaVersion: 1, channel: 'stable', seq, issued: '2026-01-01T00:00:00.000Z', expires: '2027-01-01T00:00:00.000Z', roles: {} });
    reg.acceptRelease('stable', 3, 'd3', rel(3), 'now');
    assert.throws(() => reg.acceptRelease('stable', 3, 'dx', rel(3), 'now'), (e: AgentError) => e.code === 'release_replayed');
    assert.throws(() => reg.acceptRelease('stable', 2, 'd2', rel(2), 'now'), (e: AgentError) => e.code === 'release_replayed');
    reg.acceptRelease('stable', 4, 'd4', rel(4), 'now');
    const m = manifestFor(randomBytes(1000), 100);
    reg.beginFetch(m, 'now');
    reg.markChunk(m.sha256, 0, 'now');
    reg.markChunk(m.sha256, 9, 'now');
    reg.markChunk(m.sha256, 9, 'now'); // rewritten after a crash: counted as written, not as held twice
    reg.updateRole('detector', { state: 'fetching', pendingModelId: m.sha256, pendingProgress: 0.2 }, 'now');
    reg.updateRole('detector', { pendingProgress: 0.5 }, 'now');
    reg.close();
    reg = Registry.open(file, { readonly: true });
    assert.equal(reg.getAcceptedRelease('stable')?.seq, 4);
    const f = reg.getFetch(m.sha256)!;
    assert.equal(f.have, 2);
    assert.equal(f.chunksWritten, 3);
    assert.ok(hasChunk(f.bitmap, 0) && hasChunk(f.bitmap, 9) && !hasChunk(f.bitmap, 5));
    const role = reg.getRole('detector')!;
    assert.equal(role.state, 'fetching');
    assert.equal(role.pendingModelId, m.sha256);
    assert.equal(role.pendingProgress, 0.5);
    reg.close();
    // a changed manifest for the same id restarts the bitmap
    reg = Registry.open(file);
    const again = reg.beginFetch(m, 'now');
    assert.equal(again.have, 2);
    const other = reg.beginFetch({ ...m, chunkSize: 200, chunkSha256: m.chunkSha256.slice(0, 5) }, 'now');
    assert.equal(other.have, 0);
    reg.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
