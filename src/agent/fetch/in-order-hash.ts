/**
 * The whole-file sha256 of a model fetched out of order (DESIGN.md "Trust rules": size and sha256 of the
 * assembled file before it becomes a blob). Chunks are hashed in order while the contiguous prefix grows;
 * a chunk arriving ahead of it waits in a bounded buffer, or is read back from the sealed file later.
 */
import { createHash, type Hash } from 'node:crypto';
import { AgentError } from '../../common/errors.js';

export class InOrderHash {
  private readonly hash: Hash = createHash('sha256');
  private next = 0;
  private bytes = 0;
  /** chunks read back from disk (0 on an in-order fresh download) */
  readBack = 0;
  private readonly ahead = new Map<number, Uint8Array>();
  private aheadBytes = 0;

  constructor(
    private readonly total: number,
    private readonly bufferBytes: number,
    /** is chunk i held (verified and written)? */
    private readonly held: (index: number) => boolean,
    /** reads chunk i back from the sealed file */
    private readonly readChunk: (index: number) => Uint8Array,
  ) {}

  /** A verified chunk just written: the next one goes straight in; later ones wait (bounded) or are re-read. */
  feed(index: number, data: Uint8Array): void {
    if (index === this.next) {
      this.hash.update(data);
      this.bytes += data.length;
      this.next++;
      this.advance();
    } else if (index > this.next && this.aheadBytes + data.length <= this.bufferBytes) {
      this.ahead.set(index, data);
      this.aheadBytes += data.length;
    } // else: read back from the sealed file when the prefix reaches it
  }

  /** Hashes every held chunk the prefix reaches. */
  advance(signal?: AbortSignal): void {
    this.advanceBy(signal, Infinity);
  }

  /** Hashes held chunks the prefix reaches until about `maxBytes` were hashed. */
  private advanceBy(signal: AbortSignal | undefined, maxBytes: number): void {
    const start = this.bytes;
    while (this.next < this.total && this.held(this.next) && this.bytes - start < maxBytes) {
      if (signal?.aborted) throw new AgentError('aborted', 'model verification cancelled');
      const i = this.next;
      let piece = this.ahead.get(i);
      if (piece) {
        this.ahead.delete(i);
        this.aheadBytes -= piece.length;
      } else {
        piece = this.readChunk(i); // resumed chunks, or ones that arrived too far ahead
        this.readBack++;
      }
      this.hash.update(piece);
      this.bytes += piece.length;
      this.next++;
    }
  }

  /**
   * After every chunk is held: hashes the rest and returns the digest with how far it got. What is left (a resumed
   * download's chunks, read back and decrypted from the sealed file) goes in steps of about `pieceBytes`, with
   * `pace` awaited between them: done in one go, a resumed 64 MiB model held the event loop for ~100 ms (issue 17 §2).
   */
  async finish(signal?: AbortSignal, pace: () => Promise<void> = async () => undefined, pieceBytes = 1 << 20): Promise<{ complete: boolean; bytes: number; sha256: string }> {
    for (;;) {
      const from = this.bytes;
      this.advanceBy(signal, pieceBytes);
      if (this.bytes === from || this.next >= this.total || !this.held(this.next)) break;
      await pace();
    }
    return { complete: this.next === this.total, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  clear(): void {
    this.ahead.clear();
    this.aheadBytes = 0;
  }
}
