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
import type { Socket } from 'node:net';
import { connectX11, request, pad4, type X11Setup } from './x11-conn.js';

export { parseDisplay, readXauthCookie } from './x11-conn.js';

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

class X11DamageWatcher implements ScreenChangeWatcher {
  private buf: Buffer = Buffer.alloc(0);
  private seq = 0;
  private readonly pending: Pending[] = [];
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

  async setup(x: X11Setup): Promise<void> {
    const { idBase, idMask, root } = x;

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
  let sock: Socket | undefined;
  try {
    const c = await connectX11(env, ROUND_TRIP_TIMEOUT_MS);
    sock = c.sock;
    const w = new X11DamageWatcher(sock);
    await w.setup(c.setup);
    return { watcher: w };
  } catch (e) {
    sock?.destroy();
    return { reason: e instanceof Error ? e.message : String(e) };
  }
}
