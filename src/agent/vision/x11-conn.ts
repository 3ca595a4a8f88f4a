/**
 * The X11 wire protocol basics shared by the change watcher (x11-damage.ts) and the screen grabber
 * (x11-grab.ts): DISPLAY and Xauthority parsing, the connection set-up (MIT-MAGIC-COOKIE-1) over the local
 * unix socket, and what the set-up reply says about screen 0. Pure TypeScript, no native module.
 */
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';

export const pad4 = (n: number) => (4 - (n % 4)) % 4;

/**
 * A fixed-size request: the opcode, the byte after it (an extension's minor opcode or a core request's
 * one-byte field), the length, then 32-bit fields. A CARD8 or CARD16 field followed by its padding is the
 * same little-endian word, so every request used here is opcode, minor and words.
 */
export function request(opcode: number, minor: number, ...words: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * words.length);
  b[0] = opcode;
  b[1] = minor;
  b.writeUInt16LE(b.length / 4, 2);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, 4 + 4 * i));
  return b;
}

/** Parses DISPLAY (":1", ":1.0", "unix:1"); undefined for a TCP display (not supported here). */
export function parseDisplay(display: string | undefined): { number: string; screen: number; socket: string } | undefined {
  const m = /^(unix)?:(\d+)(?:\.(\d+))?$/.exec(display ?? '');
  if (!m) return undefined;
  return { number: m[2]!, screen: Number(m[3] ?? 0), socket: `/tmp/.X11-unix/X${m[2]}` };
}

/** Reads MIT-MAGIC-COOKIE-1 for a local display from an Xauthority file; undefined if none is listed. */
export function readXauthCookie(file: string, displayNumber: string, host = hostname()): Buffer | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  let p = 0;
  const field = (): Buffer => {
    if (p + 2 > buf.length) throw new RangeError('truncated');
    const n = buf.readUInt16BE(p);
    p += 2;
    if (p + n > buf.length) throw new RangeError('truncated');
    const v = buf.subarray(p, p + n);
    p += n;
    return v;
  };
  let fallback: Buffer | undefined;
  try {
    while (p < buf.length) {
      if (p + 2 > buf.length) break;
      const family = buf.readUInt16BE(p);
      p += 2;
      const address = field().toString('latin1');
      const number = field().toString('latin1');
      const name = field().toString('latin1');
      const data = field();
      if (name !== 'MIT-MAGIC-COOKIE-1' || (number !== '' && number !== displayNumber)) continue;
      // FamilyLocal (256) with this host first; FamilyWild (65535) or any other local entry as a fallback
      if (family === 256 && address === host) return Buffer.from(data);
      if (family === 256 || family === 65535) fallback ??= Buffer.from(data);
    }
  } catch {
    // a truncated file: use what was found
  }
  return fallback;
}

/** What the connection set-up reply says about the server and screen 0. */
export interface X11Setup {
  idBase: number;
  idMask: number;
  /** 0 = LSBFirst */
  imageByteOrder: number;
  /** ZPixmap formats: bits per pixel and scanline pad per depth */
  formats: { depth: number; bitsPerPixel: number; scanlinePad: number }[];
  root: number;
  rootWidth: number;
  rootHeight: number;
  rootDepth: number;
  /** the root visual's channel masks (undefined if the reply does not list it) */
  rootVisual?: { id: number; redMask: number; greenMask: number; blueMask: number };
}

/** Parses a successful set-up reply (X11 protocol, "Connection Setup"): screen 0 only. */
export function parseSetup(reply: Buffer): X11Setup {
  const vendorLen = reply.readUInt16LE(24);
  const nFormats = reply[29]!;
  const formatsAt = 40 + vendorLen + pad4(vendorLen);
  const formats = Array.from({ length: nFormats }, (_, i) => ({ depth: reply[formatsAt + 8 * i]!, bitsPerPixel: reply[formatsAt + 8 * i + 1]!, scanlinePad: reply[formatsAt + 8 * i + 2]! }));
  const s = formatsAt + 8 * nFormats;
  const setup: X11Setup = {
    idBase: reply.readUInt32LE(12),
    idMask: reply.readUInt32LE(16),
    imageByteOrder: reply[30]!,
    formats,
    root: reply.readUInt32LE(s),
    rootWidth: reply.readUInt16LE(s + 20),
    rootHeight: reply.readUInt16LE(s + 22),
    rootDepth: reply[s + 38]!,
  };
  const rootVisualId = reply.readUInt32LE(s + 32);
  // allowed depths follow the 40-byte screen: depth, pad, visual count, pad, then 24-byte visuals
  let p = s + 40;
  for (let d = 0; d < reply[s + 39]! && p + 8 <= reply.length; d++) {
    const nVisuals = reply.readUInt16LE(p + 2);
    p += 8;
    for (let v = 0; v < nVisuals && p + 24 <= reply.length; v++, p += 24) {
      if (reply.readUInt32LE(p) === rootVisualId) setup.rootVisual = { id: rootVisualId, redMask: reply.readUInt32LE(p + 8), greenMask: reply.readUInt32LE(p + 12), blueMask: reply.readUInt32LE(p + 16) };
    }
  }
  return setup;
}

/**
 * Connects to the local X server of `env.DISPLAY` (screen 0 only) and completes the set-up with the
 * Xauthority cookie, within `timeoutMs`. Rejects with the reason (no display, a remote display, another
 * screen, refused, no answer). The socket is returned with no listener attached.
 */
export async function connectX11(env: NodeJS.ProcessEnv = process.env, timeoutMs = 1000): Promise<{ sock: Socket; setup: X11Setup }> {
  const d = parseDisplay(env.DISPLAY);
  if (!d) throw new Error(env.DISPLAY ? `DISPLAY ${env.DISPLAY} is not a local display` : 'no DISPLAY');
  // screen 0's root window is what we use; another screen would be used wrongly, so not at all
  if (d.screen !== 0) throw new Error(`DISPLAY ${env.DISPLAY} names X screen ${d.screen}; only screen 0 is used`);
  const cookie = readXauthCookie(env.XAUTHORITY || join(homedir(), '.Xauthority'), d.number);
  const sock = await new Promise<Socket>((resolve, reject) => {
    const s = connect(d.socket);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  try {
    sock.setNoDelay?.(true);
    const name = cookie ? Buffer.from('MIT-MAGIC-COOKIE-1', 'latin1') : Buffer.alloc(0);
    const data = cookie ?? Buffer.alloc(0);
    const req = Buffer.alloc(12 + name.length + pad4(name.length) + data.length + pad4(data.length));
    req[0] = 0x6c; // 'l': little-endian
    req.writeUInt16LE(11, 2);
    req.writeUInt16LE(0, 4);
    req.writeUInt16LE(name.length, 6);
    req.writeUInt16LE(data.length, 8);
    name.copy(req, 12);
    data.copy(req, 12 + name.length + pad4(name.length));
    const reply = await new Promise<Buffer>((resolve, reject) => {
      let buf: Buffer = Buffer.alloc(0);
      const done = (e?: Error, b?: Buffer) => {
        clearTimeout(timer);
        sock.off('data', onData);
        sock.off('error', onError);
        sock.off('close', onClose);
        if (e) reject(e);
        else resolve(b!);
      };
      const onData = (chunk: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        if (buf.length < 8) return;
        const total = 8 + buf.readUInt16LE(6) * 4;
        // the server sends nothing else before our first request
        if (buf.length >= total) done(undefined, buf.subarray(0, total));
      };
      const onError = (e: Error) => done(e);
      const onClose = () => done(new Error('X11 connection closed during set-up'));
      const timer = setTimeout(() => done(new Error('X11 connection setup timed out')), timeoutMs);
      timer.unref();
      sock.on('data', onData);
      sock.once('error', onError);
      sock.once('close', onClose);
      sock.write(req);
    });
    if (reply[0] !== 1) throw new Error(`X11 connection refused (status ${reply[0]}): ${reply.subarray(8, 8 + reply[1]!).toString('latin1')}`);
    return { sock, setup: parseSetup(reply) };
  } catch (e) {
    sock.destroy();
    throw e;
  }
}
