/**
 * Content-addressed model store (DESIGN.md "Agent core"): `blobs/<modelId>` holds the model encrypted
 * with AES-256-GCM under the at-rest key from the OS credential store. Models are only ever decrypted
 * into memory. A crash leaves either the whole blob or none: a blob only appears by rename.
 *
 * Two on-disk formats:
 *  - v1 (whole-file GCM): written by `commitPartial` from a plaintext partial file, via temp + fsync +
 *    rename. Kept for blobs stored by earlier versions and for the plaintext partial API.
 *  - v2 (chunked GCM, `SealedPartial`): each chunk of the manifest is sealed on its own at a fixed
 *    offset, as it arrives. The download's partial file IS the blob being built, so no plaintext ever
 *    touches the disk and storing it is an fsync + rename instead of a second full read/hash/encrypt
 *    pass (issue 2: that pass was ~40 % of the agent's distribution time). Nonce = per-file random salt
 *    ‖ chunk index; a chunk index is only ever rewritten with the same verified plaintext (its sha256 is
 *    checked first), so a nonce never covers two different plaintexts. The AAD binds modelId, layout
 *    and index, so a swapped, moved, reordered or truncated blob fails to decrypt (store_corrupt).
 * The formats' constants and chunk crypto: blob-format.ts; reading a blob back (paced, issue 17 §2): blob-read.ts.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, fdatasync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, readdirSync, renameSync, rmSync, statSync, writeSync, constants as fsc } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../../common/errors.js';
import { fetchPacer } from '../fetch-pacing.js';
import { aadOf, FORMAT_CHUNKED, FORMAT_VERSION, IV_BYTES, MAGIC, nonceOf, openChunk, READ_PIECE, SALT_BYTES, TAG_BYTES, v2Header, V2_HEADER_BYTES, type BlobLayout } from './blob-format.js';
import { readBlob } from './blob-read.js';

export type { BlobLayout } from './blob-format.js';

export interface BlobStoreOptions {
  /** awaited between the ~1 MiB pieces of a read's decrypt + sha256 (default: the download pacer, fetch-pacing.ts) */
  pace?: () => Promise<void>;
}

export class BlobStore {
  readonly blobsDir: string;
  readonly partialDir: string;
  readonly tmpDir: string;

  private readonly pace: () => Promise<void>;

  /** `key` is the 32-byte at-rest key; it never leaves the store (this file and blob-read.ts) and is never logged. */
  constructor(
    readonly root: string,
    private readonly key: Uint8Array,
    opts: BlobStoreOptions = {},
  ) {
    this.pace = opts.pace ?? (() => fetchPacer.step());
    if (key.length !== 32) throw new AgentError('internal', 'the at-rest model key must be 32 bytes');
    this.blobsDir = join(root, 'blobs');
    this.partialDir = join(root, 'partial');
    this.tmpDir = join(root, 'tmp');
    for (const d of [this.blobsDir, this.partialDir, this.tmpDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
    // Temp files are never valid state: whatever a crash left here is garbage.
    for (const f of readdirSync(this.tmpDir)) rmSync(join(this.tmpDir, f), { force: true });
  }

  blobPath(modelId: string): string {
    return join(this.blobsDir, modelId);
  }
  partialPath(modelId: string): string {
    return join(this.partialDir, `${modelId}.part`);
  }
  hasBlob(modelId: string): boolean {
    try {
      return statSync(this.blobPath(modelId)).isFile();
    } catch {
      return false;
    }
  }

  /** Opens (creating, never truncating) the partial file of a download. */
  openPartial(modelId: string): PartialFile {
    const fd = openSync(this.partialPath(modelId), fsc.O_RDWR | fsc.O_CREAT, 0o600);
    return new PartialFile(fd);
  }
  removePartial(modelId: string): void {
    rmSync(this.partialPath(modelId), { force: true });
  }
  listPartials(): string[] {
    return readdirSync(this.partialDir)
      .filter((f) => f.endsWith('.part'))
      .map((f) => f.slice(0, -'.part'.length));
  }

  /**
   * Checks the assembled partial file against the manifest's size and sha256 (DESIGN.md "Trust rules":
   * the whole file must match), then encrypts it into `blobs/<modelId>` via temp + fsync + rename.
   */
  async commitPartial(modelId: string, expected: { size: number; sha256: string }, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const src = await open(this.partialPath(modelId), 'r');
    const tmp = join(this.tmpDir, `${modelId}.${process.pid}.${randomBytes(4).toString('hex')}`);
    let out: Awaited<ReturnType<typeof open>> | undefined;
    try {
      const { size } = await src.stat();
      if (size !== expected.size) throw new AgentError('size_mismatch', `assembled model is ${size} bytes, the manifest says ${expected.size}`, { size, expected: expected.size });
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.key, iv);
      cipher.setAAD(Buffer.from(modelId, 'ascii')); // binds the ciphertext to its name: a swapped blob fails to decrypt
      const hash = createHash('sha256');
      out = await open(tmp, 'wx', 0o600);
      await out.write(Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION]), iv]));
      const buf = Buffer.allocUnsafe(READ_PIECE);
      let pos = 0;
      while (pos < size) {
        if (opts.signal?.aborted) throw new AgentError('aborted', 'model store write cancelled');
        const { bytesRead } = await src.read(buf, 0, Math.min(READ_PIECE, size - pos), pos);
        if (bytesRead === 0) break;
        const piece = buf.subarray(0, bytesRead);
        hash.update(piece);
        const enc = cipher.update(piece);
        if (enc.length) await out.write(enc);
        pos += bytesRead;
      }
      const digest = hash.digest('hex');
      if (digest !== expected.sha256) throw new AgentError('sha256_mismatch', `assembled model sha256 is ${digest}, the manifest says ${expected.sha256}`, { sha256: digest });
      const fin = cipher.final();
      if (fin.length) await out.write(fin);
      await out.write(cipher.getAuthTag());
      await out.sync();
      await out.close();
      out = undefined;
      renameSync(tmp, this.blobPath(modelId));
      fsyncDir(this.blobsDir);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    } finally {
      await out?.close().catch(() => {});
      await src.close();
    }
  }

  /**
   * Opens the sealed (v2) partial file of a download, creating it when it is missing or is not a v2 file
   * of this layout (a crash before the first fsync, or a plaintext partial from an earlier version).
   * `fresh` says it was (re)created: then no chunk of it can be trusted, whatever a registry says.
   */
  openSealedPartial(modelId: string, layout: BlobLayout): { file: SealedPartial; fresh: boolean } {
    const path = this.partialPath(modelId);
    const fd = openSync(path, fsc.O_RDWR | fsc.O_CREAT, 0o600);
    try {
      const head = Buffer.alloc(V2_HEADER_BYTES);
      const got = fstatSync(fd).size >= V2_HEADER_BYTES ? readSync(fd, head, 0, V2_HEADER_BYTES, 0) : 0;
      const ok =
        got === V2_HEADER_BYTES &&
        head.subarray(0, MAGIC.length).equals(MAGIC) &&
        head[MAGIC.length] === FORMAT_CHUNKED &&
        head.readUInt32BE(16) === layout.chunkSize &&
        Number(head.readBigUInt64BE(20)) === layout.size;
      if (ok) return { file: new SealedPartial(fd, this.key, modelId, layout, Buffer.from(head.subarray(8, 8 + SALT_BYTES))), fresh: false };
      ftruncateSync(fd, 0);
      const salt = randomBytes(SALT_BYTES);
      writeAll(fd, v2Header(salt, layout), 0);
      fsyncDir(this.partialDir); // the file's name must survive a crash as long as its chunk bits do
      return { file: new SealedPartial(fd, this.key, modelId, layout, salt), fresh: true };
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /**
   * Moves a finished sealed partial into `blobs/<modelId>`. The caller has checked every chunk against
   * the manifest and the whole file against its size and sha256 (DESIGN.md "Trust rules") first; this
   * makes it durable (fsync, rename, fsync of both directories), in that order, each step on the libuv pool: a
   * synchronous fsync of 64 MiB held the event loop — and the bots' requests — for 35 ms here (issue 17 §2).
   */
  async commitSealedPartial(modelId: string, layout: BlobLayout): Promise<void> {
    const path = this.partialPath(modelId);
    const fh = await open(path, 'r+');
    try {
      const expected = V2_HEADER_BYTES + layout.size + TAG_BYTES * Math.ceil(layout.size / layout.chunkSize);
      const { size } = await fh.stat();
      if (size !== expected) throw new AgentError('size_mismatch', `sealed partial is ${size} bytes, its layout needs ${expected}`, { size, expected });
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(path, this.blobPath(modelId));
    await fsyncDirAsync(this.blobsDir);
    await fsyncDirAsync(this.partialDir);
  }

  /** Decrypts a blob into memory and checks it still hashes to its modelId (store_corrupt otherwise), paced (blob-read.ts). */
  read(modelId: string): Promise<Uint8Array> {
    return readBlob(this.blobPath(modelId), this.key, modelId, this.pace);
  }

  removeBlob(modelId: string): void {
    rmSync(this.blobPath(modelId), { force: true });
  }
  listBlobs(): string[] {
    return readdirSync(this.blobsDir).filter((f) => /^[0-9a-f]{64}$/.test(f));
  }
}

/** A download in progress: chunks are written at their offsets and made durable before they count. */
export class PartialFile {
  constructor(private fd: number | undefined) {}
  /** Writes a chunk at its offset; it is durable only after the next `sync()`. */
  writeChunk(offset: number, data: Uint8Array): void {
    if (this.fd === undefined) throw new AgentError('internal', 'partial file is closed');
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
  }
  /** The chunk bits in the registry may only be set once their bytes are on disk: call before marking. */
  sync(): void {
    if (this.fd === undefined) throw new AgentError('internal', 'partial file is closed');
    fdatasyncSync(this.fd);
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * A download sealed chunk by chunk (blob format v2) at fixed offsets. A chunk is durable only after the
 * next `sync()`; the registry's chunk bits may only be set after it (DESIGN.md "Agent core").
 */
export class SealedPartial {
  constructor(
    private fd: number | undefined,
    private readonly key: Uint8Array,
    private readonly modelId: string,
    private readonly layout: BlobLayout,
    private readonly salt: Buffer,
  ) {}

  private offsetOf(index: number): number {
    return V2_HEADER_BYTES + index * (this.layout.chunkSize + TAG_BYTES);
  }
  private lengthOf(index: number): number {
    return Math.min(this.layout.chunkSize, this.layout.size - index * this.layout.chunkSize);
  }
  private open(): number {
    if (this.fd === undefined) throw new AgentError('internal', 'partial file is closed');
    return this.fd;
  }

  /** Encrypts a verified chunk and writes it at its slot. */
  writeChunk(index: number, plain: Uint8Array): void {
    const fd = this.open();
    if (plain.length !== this.lengthOf(index)) throw new AgentError('size_mismatch', `chunk ${index} is ${plain.length} bytes, its slot holds ${this.lengthOf(index)}`);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonceOf(this.salt, index));
    cipher.setAAD(aadOf(this.modelId, this.layout, index));
    const ct = cipher.update(plain);
    cipher.final();
    const off = this.offsetOf(index);
    writeAll(fd, ct, off);
    writeAll(fd, cipher.getAuthTag(), off + plain.length);
  }

  /** Reads a chunk back and decrypts it (store_corrupt if it fails authentication). */
  readChunk(index: number): Buffer {
    const fd = this.open();
    const len = this.lengthOf(index);
    const buf = Buffer.allocUnsafe(len + TAG_BYTES);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, this.offsetOf(index) + got);
      if (n === 0) throw new AgentError('store_corrupt', `partial ${this.modelId} ends inside chunk ${index}`);
      got += n;
    }
    return openChunk(this.key, this.modelId, this.layout, this.salt, index, buf.subarray(0, len), buf.subarray(len));
  }

  /** fdatasync on the libuv pool, so chunks keep arriving (and being written) while it runs. */
  sync(): Promise<void> {
    const fd = this.open();
    return new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function writeAll(fd: number, data: Uint8Array, offset: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
}

async function fsyncDirAsync(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // not supported on every platform (Windows): the rename itself is still atomic
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported on every platform (Windows): the rename itself is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function newModelKey(): string {
  return randomBytes(32).toString('base64');
}
