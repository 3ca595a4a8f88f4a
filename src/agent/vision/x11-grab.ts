/**
 * Screen grab on X11 with one core GetImage request (ZPixmap) over our own unix-socket connection, the pixels
 * read straight into one buffer and turned into RGBA in place. node-screenshots (xcap) does the same request
 * through xcb but then converts and copies the image twice more; measured on the busy 1080p screen under Xvfb
 * (docs/BENCHMARKS.md, issue 15 §3) this grab costs about a third of its wall and CPU time.
 *
 * Used only for the common true-colour layout — 24-bit depth stored as 32 bits per pixel, least significant
 * byte first, root visual masks R 0xff0000 / G 0xff00 / B 0xff (memory order B, G, R, X) — which is what Xvfb
 * and Xorg give on x86. Anything else, an X error, a closed connection or a slow reply makes the grabber
 * unusable for good, and the capturer grabs through node-screenshots as before.
 */
import type { Socket } from 'node:net';
import { connectX11, request, type X11Setup } from './x11-conn.js';

export interface ScreenRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ScreenGrabber {
  /** the root window's size: rectangles must lie inside it */
  readonly rootWidth: number;
  readonly rootHeight: number;
  readonly usable: boolean;
  /** RGBA pixels (alpha 255) of a rectangle of the root window, row-major, width·4 bytes per row */
  grab(r: ScreenRect): Promise<Buffer>;
  close(): void;
}

const X_GET_IMAGE = 73;
const Z_PIXMAP = 2;
/** a 1080p reply is 8 MB; on a loaded machine the server may take a while to send it */
const GRAB_TIMEOUT_MS = 5000;

/** Why `setup` does not describe the one layout this grabber converts (undefined when it does). */
export function unsupportedLayout(setup: X11Setup): string | undefined {
  const fmt = setup.formats.find((f) => f.depth === setup.rootDepth);
  const v = setup.rootVisual;
  if (setup.rootDepth !== 24) return `root depth ${setup.rootDepth}`;
  if (!fmt || fmt.bitsPerPixel !== 32 || fmt.scanlinePad !== 32) return 'no 32-bit pixmap format for depth 24';
  if (setup.imageByteOrder !== 0) return 'MSB-first image byte order';
  if (!v || v.redMask !== 0xff0000 || v.greenMask !== 0xff00 || v.blueMask !== 0xff) return 'root visual is not 8-bit RGB';
  return undefined;
}

/**
 * BGRX words (X11 memory order B, G, R, X) → RGBA with alpha 255, in place. 32-bit words on a little-endian
 * host; byte by byte otherwise or for an unaligned buffer.
 */
export function bgrxToRgbaInPlace(data: Uint8Array): void {
  const words = data.byteLength >>> 2;
  if (LITTLE_ENDIAN && data.byteOffset % 4 === 0) {
    // a signed view: an unsigned one turns every word with the top bit set into a double (same bits stored)
    const w = new Int32Array(data.buffer, data.byteOffset, words);
    for (let i = 0; i < words; i++) {
      const x = w[i]!;
      w[i] = 0xff000000 | ((x & 0xff) << 16) | (x & 0xff00) | ((x >>> 16) & 0xff);
    }
    return;
  }
  for (let i = 0; i < words * 4; i += 4) {
    const b = data[i]!;
    data[i] = data[i + 2]!;
    data[i + 2] = b;
    data[i + 3] = 255;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

interface PendingGrab {
  seq: number;
  bytes: number;
  resolve(b: Buffer): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

class X11Grabber implements ScreenGrabber {
  private seq = 0;
  private broken = false;
  private readonly pending: PendingGrab[] = [];
  /** bytes of the next message header (32) not yet complete */
  private head: Buffer = Buffer.alloc(0);
  /** the reply body being filled */
  private body: { out: Buffer; got: number; p: PendingGrab } | undefined;
  readonly rootWidth: number;
  readonly rootHeight: number;

  constructor(
    private readonly sock: Socket,
    private readonly setup: X11Setup,
  ) {
    this.rootWidth = setup.rootWidth;
    this.rootHeight = setup.rootHeight;
    sock.on('data', (d) => this.onData(d));
    sock.on('error', () => this.fail(new Error('X11 connection error')));
    sock.on('close', () => this.fail(new Error('X11 connection lost')));
    sock.unref(); // ref'd while a grab is awaited
  }

  get usable(): boolean {
    return !this.broken;
  }

  close(): void {
    this.fail(new Error('the X11 grabber is closed'));
  }

  private fail(e: Error): void {
    if (this.broken) return;
    this.broken = true;
    if (this.body) this.pending.unshift(this.body.p);
    this.body = undefined;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.sock.destroy();
  }

  grab(r: ScreenRect): Promise<Buffer> {
    if (this.broken) return Promise.reject(new Error('the X11 grabber is not usable'));
    if (!(r.x >= 0 && r.y >= 0 && r.width > 0 && r.height > 0 && r.x + r.width <= this.rootWidth && r.y + r.height <= this.rootHeight)) {
      return Promise.reject(new Error(`rectangle ${JSON.stringify(r)} is not inside the ${this.rootWidth}x${this.rootHeight} root window`));
    }
    this.seq = (this.seq + 1) & 0xffff;
    const seq = this.seq;
    // GetImage(format ZPixmap, drawable root, x, y, width, height, plane mask all)
    this.sock.write(request(X_GET_IMAGE, Z_PIXMAP, this.setup.root, (r.x & 0xffff) | (r.y << 16), r.width | (r.height << 16), 0xffffffff));
    this.sock.ref();
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error('X11 GetImage timed out')), GRAB_TIMEOUT_MS);
      this.pending.push({ seq, bytes: r.width * r.height * 4, resolve, reject, timer });
    });
  }

  private onData(d: Buffer): void {
    let i = 0;
    while (i < d.length && !this.broken) {
      if (this.body) {
        const n = Math.min(d.length - i, this.body.out.length - this.body.got);
        d.copy(this.body.out, this.body.got, i, i + n);
        this.body.got += n;
        i += n;
        if (this.body.got === this.body.out.length) this.finish();
        continue;
      }
      const need = 32 - this.head.length;
      const take = Math.min(need, d.length - i);
      this.head = Buffer.concat([this.head, d.subarray(i, i + take)]);
      i += take;
      if (this.head.length < 32) return;
      const h = this.head;
      this.head = Buffer.alloc(0);
      this.message(h);
    }
  }

  /** A complete 32-byte message header: an error, a GetImage reply header, or an event (none selected). */
  private message(h: Buffer): void {
    const code = h[0]! & 0x7f;
    if (code === 0) {
      this.fail(new Error(`X11 error ${h[1]} on GetImage`));
      return;
    }
    if (code !== 1) return;
    const p = this.pending.shift();
    if (!p || h.readUInt16LE(2) !== p.seq) {
      if (p) this.pending.unshift(p);
      this.fail(new Error('X11 reply out of order'));
      return;
    }
    const len = h.readUInt32LE(4) * 4;
    if (len !== p.bytes) {
      this.pending.unshift(p);
      this.fail(new Error(`GetImage returned ${len} bytes, expected ${p.bytes}`));
      return;
    }
    this.body = { out: Buffer.allocUnsafe(len), got: 0, p };
    if (len === 0) this.finish();
  }

  private finish(): void {
    const { out, p } = this.body!;
    this.body = undefined;
    clearTimeout(p.timer);
    if (this.pending.length === 0) this.sock.unref();
    bgrxToRgbaInPlace(out);
    p.resolve(out);
  }
}

/**
 * Opens a grabber on the local X display of `env.DISPLAY`. Undefined (with the reason) when there is no
 * local X display, the server refuses us, or its pixel layout is not the one converted here.
 */
export async function createX11Grabber(env: NodeJS.ProcessEnv = process.env): Promise<{ grabber?: ScreenGrabber; reason?: string }> {
  try {
    const { sock, setup } = await connectX11(env);
    const why = unsupportedLayout(setup);
    if (why) {
      sock.destroy();
      return { reason: `unsupported X pixel layout: ${why}` };
    }
    return { grabber: new X11Grabber(sock, setup) };
  } catch (e) {
    return { reason: e instanceof Error ? e.message : String(e) };
  }
}
