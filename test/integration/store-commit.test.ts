/**
 * A finished download becoming a blob (BlobStore.commitSealedPartial, issue 17 §2): the fsync of the sealed file, the
 * rename and the fsyncs of both directories run on the libuv pool, in that order, so the agent's event loop — which
 * serves the bots — keeps turning meanwhile (synchronously, a 64 MiB commit held it 35 ms in the footprint bench's
 * profile). The layout's size check still comes first. Real files, real AES-GCM, the real store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { BlobStore } from '../../src/agent/store/blob-store.js';
import { AgentError } from '../../src/common/errors.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function partial(store: BlobStore, bytes: Uint8Array, chunkSize: number): { id: string; layout: { size: number; chunkSize: number } } {
  const id = sha(bytes);
  const layout = { size: bytes.length, chunkSize };
  const { file } = store.openSealedPartial(id, layout);
  for (let i = 0; i * chunkSize < bytes.length; i++) file.writeChunk(i, bytes.subarray(i * chunkSize, (i + 1) * chunkSize));
  file.close();
  return { id, layout };
}

test('commitSealedPartial: the event loop turns while the sealed file is synced, renamed and the directories synced; the blob then reads back exact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-store-commit-'));
  try {
    const store = new BlobStore(dir, randomBytes(32), { pace: async () => undefined });
    const bytes = randomBytes(8 << 20);
    const { id, layout } = partial(store, bytes, 256 * 1024);
    let turns = 0;
    let committed = false;
    const ticker = setInterval(() => void turns++, 0);
    try {
      const immediate = new Promise<boolean>((r) => setImmediate(() => r(committed)));
      const done = store.commitSealedPartial(id, layout).then(() => void (committed = true));
      assert.equal(await immediate, false, 'a callback queued after the call ran before the commit finished');
      await done;
    } finally {
      clearInterval(ticker);
    }
    assert.ok(turns >= 1, `timers ran during the commit (${turns})`);
    assert.ok(existsSync(store.blobPath(id)), 'the blob is in place');
    assert.ok(!existsSync(store.partialPath(id)), 'the partial is gone');
    assert.deepEqual(Buffer.from(await store.read(id)), bytes, 'the blob reads back exact');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('commitSealedPartial: a sealed file of the wrong length for its layout is size_mismatch and stays a partial (no blob)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-store-commit-'));
  try {
    const store = new BlobStore(dir, randomBytes(32), { pace: async () => undefined });
    const { id, layout } = partial(store, randomBytes(1 << 20), 256 * 1024);
    truncateSync(store.partialPath(id), 1000);
    await assert.rejects(store.commitSealedPartial(id, layout), (e: unknown) => e instanceof AgentError && e.code === 'size_mismatch');
    assert.ok(!existsSync(store.blobPath(id)), 'no blob');
    assert.ok(existsSync(store.partialPath(id)), 'still a partial');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
