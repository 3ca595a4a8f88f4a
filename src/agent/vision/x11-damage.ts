/**
 * Change signal for the frame cache on X11 (issue 4 §6, "cache hit ≤ 2 ms"): the X server's DAMAGE
 * extension tells us whether anything was drawn on the screen since a point in time, so an unchanged
 * screen needs no capture at all (a full 1080p grab is ~17 ms of CPU here). Pure TypeScript over the X11
 * wire protocol (a unix socket; MIT-MAGIC-COOKIE-1 from XAUTHORITY), no native module.
 *
 * Soundness (a stale frame must never be served):
 * - one damage object on the root window at level NonEmpty: the server sends one DamageNotify when the
 *   damage region goes from empty to non-empty, covering every window drawn on the screen;
 * - `reset()` sends DamageSubtract (region := empty) and waits for a round trip, so the subtract is
 *   processed before the caller grabs the screen; a change during or after the grab leaves damage and
 *   an event, so the next call grabs again (at worst one grab too many, never one too few);
 * - `unchangedSinceReset()` first makes a round trip: the X server is single-threaded and writes to a
 *   connection in order, so every DamageNotify caused by drawing processed before our request is read
 *   before its reply;
 * - any protocol error, a closed connection or a slow reply makes the watcher unusable for good: the
 *   capturer then grabs and compares pixels as before.
 * Windows has the same signal in DXGI Desktop Duplication (dirty rects); that needs a native module and a
 * Windows desktop, neither of which exists here (see docs/BENCHMARKS-vision.md).
 */
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';

export interface ScreenChangeWatcher {
  /** Clears the change state; resolves once the X server has processed it (grab after this). */
  reset(): Promise<void>;
  /** true when nothing was drawn on the screen since the last reset() */
  unchangedSinceReset(): Promise<boolean>;
  /**
   * A counter that moves whenever the monitor layout changes (RandR screen, CRTC or output events), as far
   * as events have been read (unchangedSinceReset() reads all up to now); undefined when the server
   * cannot report layout changes.
   */
  layoutGeneration(): number | undefined;
  readonly usable: boolean;
  close(): void;
}

interface Pending {
  seq: number;
  resolve(reply: Buffer): void;
  reject(e: Error): void;
}

const X_QUERY_EXTENSION = 98;
const X_GET_INPUT_FOCUS = 43;
const DAMAGE_QUERY_VERSION = 0;
const DAMAGE_CREATE = 1;
const DAMAGE_SUBTRACT = 3;
const DAMAGE_REPORT_NON_EMPTY = 3;
const RR_QUERY_VERSION = 0;
const RR_SELECT_INPUT = 4;
const RR_SCREEN_CHANGE_MASK = 1;
const RR_CRTC_CHANGE_MASK = 2;
const RR_OUTPUT_CHANGE_MASK = 4;
const ROUND_TRIP_TIMEOUT_MS = 1000;

const pad4 = (n: number) => (4 - (n % 4)) % 4;

/**
 * A fixed-size request: the opcode, the byte after it (an extension's minor opcode; unused in a core
 * request), the length, then 32-bit fields. A CARD8 or CARD16 field followed by its padding is the same
 * little-endian word, so every request used here is opcode, minor and words.
 */
function request(opcode: number, minor: number, ...words: number[]): Buffer {
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

class X11DamageWatcher implements ScreenChangeWatcher {
  private buf: Buffer = Buffer.alloc(0);
  private seq = 0;
  private readonly pending: Pending[] = [];
  private setupDone?: (b: Buffer) => void;
  private broken = false;
  private damaged = true;
  private major = 0;
  private firstEvent = 0;
  private randrFirstEvent = 0;
  private layoutGen = 0;
  private damage = 0;

  constructor(private readonly sock: Socket) {
    sock.on('data', (d) => this.onData(d));
    sock.on('error', () => this.fail());
    sock.on('close', () => this.fail());
    sock.unref(); // idle, it never keeps the process alive; ref'd while a reply is awaited
  }

  get usable(): boolean {
    return !this.broken;
  }

  private fail(): void {
    if (this.broken) return;
    this.broken = true;
    for (const p of this.pending.splice(0)) p.reject(new Error('X11 connection lost'));
    this.sock.destroy();
  }

  close(): void {
    this.fail();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    if (this.setupDone) {
      if (this.buf.length < 8) return;
      const total = 8 + this.buf.readUInt16LE(6) * 4;
      if (this.buf.length < total) return;
      const reply = this.buf.subarray(0, total);
      this.buf = this.buf.subarray(total);
      const done = this.setupDone;
      this.setupDone = undefined;
      this.sock.unref();
      done(reply);
    }
    while (this.buf.length >= 32) {
      const code = this.buf[0]! & 0x7f;
      // replies and generic events (35) carry extra 4-byte words
      const extra = code === 1 || code === 35 ? this.buf.readUInt32LE(4) * 4 : 0;
      if (this.buf.length < 32 + extra) return;
      const msg = this.buf.subarray(0, 32 + extra);
      this.buf = this.buf.subarray(32 + extra);
      if (code === 0) {
        // an error: the watcher cannot be trusted any more
        this.fail();
        return;
      }
      if (code === 1) {
        const seq = msg.readUInt16LE(2);
        const i = this.pending.findIndex((p) => p.seq === seq);
        if (i >= 0) {
          const [p] = this.pending.splice(i, 1);
          if (this.pending.length === 0) this.sock.unref();
          p!.resolve(msg);
        }
        continue;
      }
      if (this.firstEvent && code === this.firstEvent) this.damaged = true; // DamageNotify
      // RRScreenChangeNotify, RRNotify (CRTC / output changes)
      else if (this.randrFirstEvent && (code === this.randrFirstEvent || code === this.randrFirstEvent + 1)) this.layoutGen++;
    }
  }

  private send(req: Buffer, wantsReply: boolean): Promise<Buffer> | undefined {
    if (this.broken) throw new Error('X11 watcher is not usable');
    this.seq = (this.seq + 1) & 0xffff;
    const seq = this.seq;
    this.sock.write(req);
    if (!wantsReply) return undefined;
    this.sock.ref();
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('X11 reply timed out'));
        this.fail();
      }, ROUND_TRIP_TIMEOUT_MS);
      timer.unref();
      this.pending.push({
        seq,
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  layoutGeneration(): number | undefined {
    return this.randrFirstEvent ? this.layoutGen : undefined;
  }

  private async queryExtension(name: string): Promise<{ major: number; firstEvent: number } | undefined> {
    const ext = Buffer.from(name, 'latin1');
    const q = Buffer.alloc(8 + ext.length + pad4(ext.length));
    q[0] = X_QUERY_EXTENSION;
    q.writeUInt16LE(q.length / 4, 2);
    q.writeUInt16LE(ext.length, 4);
    ext.copy(q, 8);
    const r = await this.send(q, true)!;
    return r[8] === 1 ? { major: r[9]!, firstEvent: r[10]! } : undefined;
  }

  private roundTrip(): Promise<Buffer> {
    return this.send(request(X_GET_INPUT_FOCUS, 0), true)!;
  }

  /** A request without a reply whose error must stop the set-up: its error arrives before the round trip's reply. */
  private async sendChecked(req: Buffer, what: string): Promise<void> {
    this.send(req, false);
    await this.roundTrip();
    if (this.broken) throw new Error(`${what} failed`);
  }

  async setup(cookie: Buffer | undefined): Promise<void> {
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
      const timer = setTimeout(() => reject(new Error('X11 connection setup timed out')), ROUND_TRIP_TIMEOUT_MS);
      timer.unref();
      this.setupDone = (b) => {
        clearTimeout(timer);
        resolve(b);
      };
      this.sock.ref();
      this.sock.write(req);
    });
    if (reply[0] !== 1) throw new Error(`X11 connection refused (status ${reply[0]}): ${reply.subarray(8, 8 + reply[1]!).toString('latin1')}`);
    const idBase = reply.readUInt32LE(12);
    const idMask = reply.readUInt32LE(16);
    const vendorLen = reply.readUInt16LE(24);
    const formats = reply[29]!;
    const root = reply.readUInt32LE(40 + vendorLen + pad4(vendorLen) + 8 * formats);

    const damageExt = await this.queryExtension('DAMAGE');
    if (!damageExt) throw new Error('the X server has no DAMAGE extension');
    this.major = damageExt.major;
    await this.send(request(this.major, DAMAGE_QUERY_VERSION, 1, 1), true);
    this.damage = (idBase | (1 & idMask)) >>> 0;
    this.firstEvent = damageExt.firstEvent;
    await this.sendChecked(request(this.major, DAMAGE_CREATE, this.damage, root, DAMAGE_REPORT_NON_EMPTY), 'DamageCreate');
    // monitor layout changes (RandR 1.2+): lets the capturer keep its monitor list between calls
    const randr = await this.queryExtension('RANDR');
    if (randr) {
      const vr = await this.send(request(randr.major, RR_QUERY_VERSION, 1, 2), true)!;
      if (vr.readUInt32LE(8) > 1 || vr.readUInt32LE(12) >= 2) {
        await this.sendChecked(request(randr.major, RR_SELECT_INPUT, root, RR_SCREEN_CHANGE_MASK | RR_CRTC_CHANGE_MASK | RR_OUTPUT_CHANGE_MASK), 'RRSelectInput');
        this.randrFirstEvent = randr.firstEvent;
      }
    }
    this.damaged = true; // nothing captured yet
  }

  async reset(): Promise<void> {
    // repair = None, parts = None: the damage region becomes empty
    this.send(request(this.major, DAMAGE_SUBTRACT, this.damage, 0, 0), false);
    await this.roundTrip();
    // events read before this reply (damage before the subtract) have run; later ones set it again
    this.damaged = false;
  }

  async unchangedSinceReset(): Promise<boolean> {
    if (this.broken) return false;
    try {
      await this.roundTrip();
    } catch {
      return false;
    }
    return !this.broken && !this.damaged;
  }
}

/**
 * Connects to the X server of $DISPLAY and watches the root window for drawing. Undefined (with the
 * reason) when there is no local X display, no DAMAGE extension, or the server refuses us.
 */
export async function createX11ChangeWatcher(env: NodeJS.ProcessEnv = process.env): Promise<{ watcher?: ScreenChangeWatcher; reason?: string }> {
  const d = parseDisplay(env.DISPLAY);
  if (!d) return { reason: env.DISPLAY ? `DISPLAY ${env.DISPLAY} is not a local display` : 'no DISPLAY' };
  // the watcher watches screen 0's root window; another screen would be watched wrongly, so not at all
  if (d.screen !== 0) return { reason: `DISPLAY ${env.DISPLAY} names X screen ${d.screen}; only screen 0 is watched` };
  const cookie = readXauthCookie(env.XAUTHORITY || join(homedir(), '.Xauthority'), d.number);
  let sock: Socket | undefined;
  try {
    sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect(d.socket);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    sock.setNoDelay?.(true);
    const w = new X11DamageWatcher(sock);
    await w.setup(cookie);
    return { watcher: w };
  } catch (e) {
    sock?.destroy();
    return { reason: e instanceof Error ? e.message : String(e) };
  }
}
