/**
 * Content-addressed model store (DESIGN.md "Agent core"): `blobs/<modelId>` holds the model encrypted
 * with AES-256-GCM under the at-rest key from the OS credential store. A blob is written to a temp file,
 * fsynced and renamed into place, so a crash leaves either the whole blob or none. Models are only ever
 * decrypted into memory. Downloads assemble in `partial/<modelId>.part` (chunks at their offsets).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync, constants as fsc } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../../common/errors.js';

const MAGIC = Buffer.from('RPAB', 'ascii');
const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + 1 + IV_BYTES;
const READ_PIECE = 1 << 20;

export class BlobStore {
  readonly blobsDir: string;
  readonly partialDir: string;
  readonly tmpDir: string;

  /** `key` is the 32-byte at-rest key; it never leaves this object and is never logged. */
  constructor(
    readonly root: string,
    private readonly key: Uint8Array,
  ) {
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

  /** Decrypts a blob into memory and checks it still hashes to its modelId (store_corrupt otherwise). */
  async read(modelId: string): Promise<Uint8Array> {
    let data: Buffer;
    try {
      data = await readFile(this.blobPath(modelId));
    } catch (e) {
      throw new AgentError('not_found', `model ${modelId} is not in the store: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (data.length < HEADER_BYTES + TAG_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC) || data[MAGIC.length] !== FORMAT_VERSION)
      throw new AgentError('store_corrupt', `blob ${modelId} has no valid header`);
    const iv = data.subarray(MAGIC.length + 1, HEADER_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(modelId, 'ascii'));
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(HEADER_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new AgentError('store_corrupt', `blob ${modelId} fails authentication (tampered, or a different key)`);
    }
    const digest = createHash('sha256').update(plain).digest('hex');
    if (digest !== modelId) throw new AgentError('store_corrupt', `blob ${modelId} decrypts to sha256 ${digest}`);
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
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
