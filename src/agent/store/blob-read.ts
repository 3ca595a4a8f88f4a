/**
 * Reading a model back from the store (DESIGN.md "Agent core": models are only ever decrypted into memory) without
 * holding up the event loop that serves the bots (issue 17 §2): a v2 blob is read in ~1 MiB blocks of chunks, each
 * chunk authenticated (AES-GCM) and the whole hashed (sha256 must equal the modelId), with `pace` awaited between
 * blocks — the download's budget (src/agent/fetch-pacing.ts step). Done in one go, a 64 MiB model held this thread
 * for a few hundred ms, and the whole file read at once was one more 64 MiB buffer for the GC.
 */
import { createDecipheriv, createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { AgentError } from '../../common/errors.js';
import { FORMAT_CHUNKED, FORMAT_VERSION, HEADER_BYTES, MAGIC, openChunk, READ_PIECE, READ_YIELD_BYTES, SALT_BYTES, TAG_BYTES, V2_HEADER_BYTES } from './blob-format.js';

/** Decrypts the blob at `path` into memory and checks it still hashes to its modelId (store_corrupt otherwise). */
export async function readBlob(path: string, key: Uint8Array, modelId: string, pace: () => Promise<void>): Promise<Uint8Array> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new AgentError('not_found', `model ${modelId} is not in the store: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const head = Buffer.alloc(V2_HEADER_BYTES);
    const fileSize = (await fh.stat()).size;
    if (fileSize >= V2_HEADER_BYTES) await fh.read(head, 0, V2_HEADER_BYTES, 0);
    if (head.subarray(0, MAGIC.length).equals(MAGIC) && head[MAGIC.length] === FORMAT_CHUNKED) return await readSealed(key, modelId, pace, fh, fileSize, head);
    return await readWhole(key, modelId, pace, await fh.readFile());
  } finally {
    await fh.close();
  }
}

/** v1: one GCM stream over the whole file, decrypted and hashed in ~1 MiB pieces with `pace` between them */
async function readWhole(key: Uint8Array, modelId: string, pace: () => Promise<void>, data: Buffer): Promise<Uint8Array> {
  if (data.length < HEADER_BYTES + TAG_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC) || data[MAGIC.length] !== FORMAT_VERSION)
    throw new AgentError('store_corrupt', `blob ${modelId} has no valid header`);
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(MAGIC.length + 1, HEADER_BYTES));
  decipher.setAAD(Buffer.from(modelId, 'ascii'));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  const body = data.subarray(HEADER_BYTES, data.length - TAG_BYTES);
  const plain = Buffer.allocUnsafe(body.length);
  const hash = createHash('sha256');
  for (let off = 0; off < body.length; off += READ_PIECE) {
    const piece = decipher.update(body.subarray(off, off + READ_PIECE));
    piece.copy(plain, off);
    hash.update(piece);
    if (off + READ_PIECE < body.length) await pace();
  }
  try {
    decipher.final();
  } catch {
    throw new AgentError('store_corrupt', `blob ${modelId} fails authentication (tampered, or a different key)`);
  }
  const digest = hash.digest('hex');
  if (digest !== modelId) throw new AgentError('store_corrupt', `blob ${modelId} decrypts to sha256 ${digest}`);
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
}

/**
 * Read in ~1 MiB blocks of chunks, each decrypted and hashed, paced between blocks: in one go a 64 MiB model held this
 * thread (and the bots) for a few hundred ms, and the whole file read at once was one more 64 MiB buffer (issue 17 §2).
 */
async function readSealed(key: Uint8Array, modelId: string, pace: () => Promise<void>, fh: FileHandle, fileSize: number, head: Buffer): Promise<Uint8Array> {
  const salt = Buffer.from(head.subarray(8, 8 + SALT_BYTES));
  const chunkSize = head.readUInt32BE(16);
  const size = Number(head.readBigUInt64BE(20));
  const n = chunkSize > 0 ? Math.ceil(size / chunkSize) : -1;
  if (n < 0 || fileSize !== V2_HEADER_BYTES + size + TAG_BYTES * n) throw new AgentError('store_corrupt', `blob ${modelId} has the wrong length for its layout`);
  const plain = Buffer.allocUnsafe(size);
  const hash = createHash('sha256');
  const per = Math.max(1, Math.floor(READ_YIELD_BYTES / (chunkSize + TAG_BYTES))); // chunks per block
  const block = Buffer.allocUnsafe(Math.min(n, per) * (chunkSize + TAG_BYTES));
  for (let first = 0; first < n; first += per) {
    const off = V2_HEADER_BYTES + first * (chunkSize + TAG_BYTES);
    const want = Math.min(block.length, fileSize - off);
    const { bytesRead } = await fh.read(block, 0, want, off);
    if (bytesRead !== want) throw new AgentError('store_corrupt', `blob ${modelId} ends inside chunk ${first}`);
    for (let i = first; i < Math.min(n, first + per); i++) {
      const len = Math.min(chunkSize, size - i * chunkSize);
      const at = (i - first) * (chunkSize + TAG_BYTES);
      const piece = openChunk(key, modelId, { size, chunkSize }, salt, i, block.subarray(at, at + len), block.subarray(at + len, at + len + TAG_BYTES));
      piece.copy(plain, i * chunkSize);
      hash.update(piece);
    }
    if (first + per < n) await pace();
  }
  const digest = hash.digest('hex');
  if (digest !== modelId) throw new AgentError('store_corrupt', `blob ${modelId} decrypts to sha256 ${digest}`);
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
}
