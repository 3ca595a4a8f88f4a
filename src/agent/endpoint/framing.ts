/**
 * Newline-delimited frames over a byte stream (docs/BOT-API.md "Transport"). JSON text never contains a raw
 * newline (JSON.stringify escapes it), so `\n` ends a frame. Split with Buffer.indexOf (native), never a
 * per-byte loop in JS: this path carries every request at ≥ 10k calls/s.
 */

export interface FrameSink {
  frame(bytes: Buffer): void;
  /** a frame grew past the limit (reported once, as soon as it crosses it); its bytes are dropped up to the next newline */
  oversized(bytesSeen: number): void;
}

export class FrameDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  /** inside an oversized frame: drop bytes until the next newline */
  private discarding = false;

  constructor(public maxFrameBytes: number) {}

  /** bytes buffered for the frame not yet terminated */
  get pending(): number {
    return this.size;
  }

  push(chunk: Buffer, sink: FrameSink): void {
    let start = 0;
    const n = chunk.length;
    while (start < n) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? n : nl;
      const len = end - start;
      if (this.discarding) {
        // dropped: the rest of an oversized frame
      } else if (this.size + len > this.maxFrameBytes) {
        // Limit: report at once (a peer may never send the newline), free what was buffered, skip the rest.
        this.discarding = true;
        const seen = this.size + len;
        this.parts = [];
        this.size = 0;
        sink.oversized(seen);
      } else if (nl === -1) {
        this.parts.push(chunk.subarray(start, end));
        this.size += len;
      }
      if (nl === -1) return;
      // a frame ends here
      if (this.discarding) {
        this.discarding = false;
      } else {
        let frame: Buffer;
        if (this.parts.length === 0) frame = chunk.subarray(start, end);
        else {
          this.parts.push(chunk.subarray(start, end));
          frame = Buffer.concat(this.parts, this.size + len);
          this.parts = [];
          this.size = 0;
        }
        // blank lines (and a lone CR from a Windows client) are keep-alives, not frames
        if (frame.length > 0 && !(frame.length === 1 && frame[0] === 13)) sink.frame(frame);
      }
      start = nl + 1;
    }
  }
}

/** One outgoing frame per message; callers batch writes per tick (see ConnectionWriter). */
export function encodeFrame(msg: unknown): string {
  return JSON.stringify(msg) + '\n';
}
