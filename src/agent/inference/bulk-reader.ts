/**
 * The session process's end of the bulk pipe (issue 17 §2): a big model's bytes arrive as a plain byte stream
 * on an extra pipe beside the IPC channel (session-spawner.ts `bulk`), announced on the channel by `load_bulk`
 * ({ gid, total }) in the order they are written. Over the channel itself, every 1 MiB part was V8-serialised
 * into a fresh buffer on the agent's event loop (the one serving the bots' detects) — a copy per part and
 * process, and 128 MiB of garbage per 64 MiB swap; the pipe is written straight from the agent's one copy.
 * Data that arrives before its announcement waits for it; a load waits until its bytes are all in.
 */
import { Socket } from 'node:net';

/** the environment variable naming the bulk pipe's file descriptor in a session process */
export const SESSION_BULK_FD_ENV = 'RPA_SESSION_BULK_FD';

interface Expected {
  gid: number;
  buf: Uint8Array;
  got: number;
}

export class BulkReader {
  private readonly queue: Expected[] = [];
  private readonly complete = new Map<number, Uint8Array>();
  private readonly waiting = new Map<number, (bytes: Uint8Array) => void>();
  /** bytes read before the `load_bulk` they belong to */
  private early: Uint8Array[] = [];

  /** reads `fd` (unref'd: the pipe never keeps this process alive); or fed by hand (`push`) */
  constructor(fd?: number) {
    if (fd === undefined) return;
    const s = new Socket({ fd, readable: true, writable: false });
    s.unref();
    s.on('data', (d: Buffer) => this.push(d));
    s.on('error', () => undefined); // the host went away: the IPC channel's disconnect ends this process
  }

  /** the channel announced the next `total` bytes on the pipe as load `gid`'s */
  expect(gid: number, total: number): void {
    this.queue.push({ gid, buf: new Uint8Array(total), got: 0 });
    const early = this.early;
    this.early = [];
    for (const d of early) this.push(d);
  }

  push(d: Uint8Array): void {
    let off = 0;
    while (off < d.length) {
      const head = this.queue[0];
      if (!head) {
        this.early.push(d.subarray(off));
        return;
      }
      const n = Math.min(d.length - off, head.buf.length - head.got);
      head.buf.set(d.subarray(off, off + n), head.got);
      head.got += n;
      off += n;
      if (head.got === head.buf.length) {
        this.queue.shift();
        const w = this.waiting.get(head.gid);
        this.waiting.delete(head.gid);
        if (w) w(head.buf);
        else this.complete.set(head.gid, head.buf);
      }
    }
  }

  /** load `gid`'s bytes, once they are all in */
  take(gid: number): Promise<Uint8Array> {
    const b = this.complete.get(gid);
    this.complete.delete(gid);
    if (b) return Promise.resolve(b);
    return new Promise((resolve) => this.waiting.set(gid, resolve));
  }
}
