/**
 * Screen capture (DESIGN.md "Vision pipeline": all monitors, DPI-aware) through node-screenshots 0.2.x.
 *
 * Screen pixels are the coordinate system of the monitors' reported x/y (the one the OS uses for input in a
 * DPI-aware process). Each monitor is captured as its own frame with its origin and `pixelScale` = captured
 * image pixels per screen pixel (1 where the OS reports physical sizes, as on Windows with per-monitor DPI
 * awareness and on X11; >1 where it reports logical sizes), so every box can be mapped back exactly:
 * screen = origin + imagePx / pixelScale. A whole-desktop request yields one frame per monitor, detected one
 * by one, rather than a composite letterboxed into one small detector input.
 */
import { loadSharp } from './sharp-lazy.js';
import { AgentError } from '../../common/errors.js';
import type { CaptureSource, Frame, MonitorInfo } from './types.js';
import { createX11ChangeWatcher, type ScreenChangeWatcher } from './x11-damage.js';
import { createX11Grabber, type ScreenGrabber } from './x11-grab.js';

/** The slice of node-screenshots we use (so a test can substitute a simulated multi-monitor desktop). */
export interface MonitorHandle {
  id(): number;
  name(): string;
  x(): number;
  y(): number;
  width(): number;
  height(): number;
  rotation(): number;
  scaleFactor(): number;
  isPrimary(): boolean;
  captureImage(): Promise<{ width: number; height: number; toRawSync(copy?: boolean | null): Buffer; cropSync?(x: number, y: number, w: number, h: number): unknown }>;
}

export interface ScreenCapturer {
  monitors(): MonitorInfo[];
  /** One frame per monitor touched by the source; region frames are cut to the region. */
  capture(source: Extract<CaptureSource, { kind: 'screen' | 'monitor' | 'region' }>, opts?: { signal?: AbortSignal }): Promise<CapturedFrame[]>;
  /** grabs made and frames reused because the screen provably had not changed (see x11-damage.ts) */
  captureStats?(): CaptureStats;
  close?(): void;
}

export interface CaptureStats {
  /** the change signal in use: 'x11-damage', or 'none' (every capture grabs) */
  changeSignal: 'x11-damage' | 'none';
  /** how pixels are grabbed: our own X11 GetImage, or node-screenshots */
  grabber?: 'x11-getimage' | 'node-screenshots';
  grabs: number;
  reused: number;
}

export interface CapturerOptions {
  /**
   * How to tell that the screen has not changed without grabbing it. 'auto' (default): the X server's
   * DAMAGE extension when $DISPLAY is a local X11 display, none elsewhere (Windows would need DXGI dirty
   * rects, a native module not built here); 'off'; or a watcher (tests).
   */
  changeSignal?: 'auto' | 'off' | ScreenChangeWatcher;
  /**
   * How pixels are grabbed. 'node-screenshots' (default); 'auto': one X11 GetImage on our own connection
   * (x11-grab.ts) when $DISPLAY is a local X11 display with the usual 32-bit layout, node-screenshots otherwise
   * and whenever that grabber fails; or a grabber (tests). Not the default: alone it measured at a third to
   * two thirds of node-screenshots' cost, but inside the busy-screen benchmark on the shared machine it cost as
   * much or more (docs/BENCHMARKS.md, issue 15 §3), so it stays opt-in until a quiet run decides.
   */
  grabber?: 'auto' | 'node-screenshots' | ScreenGrabber;
}

export interface CapturedFrame extends Frame {
  monitor: MonitorInfo;
}

export function monitorInfo(m: MonitorHandle): MonitorInfo {
  return { id: m.id(), name: m.name(), x: m.x(), y: m.y(), width: m.width(), height: m.height(), scaleFactor: m.scaleFactor(), rotation: m.rotation(), isPrimary: m.isPrimary() };
}

/**
 * Builds a capturer over node-screenshots, loaded lazily so headless code paths never touch X11/GDI.
 * `listMonitors` substitutes the monitors (tests); then no change signal is used unless one is passed.
 */
export async function createScreenCapturer(listMonitors?: () => MonitorHandle[], opts: CapturerOptions = {}): Promise<ScreenCapturer> {
  let list = listMonitors;
  if (!list) {
    const mod = (await import('node-screenshots')) as unknown as { Monitor: { all(): MonitorHandle[] } } & { default?: { Monitor: { all(): MonitorHandle[] } } };
    const Monitor = mod.Monitor ?? mod.default?.Monitor;
    if (!Monitor) throw new AgentError('internal', 'node-screenshots has no Monitor export');
    list = () => Monitor.all();
  }
  const signal = opts.changeSignal ?? (listMonitors ? 'off' : 'auto');
  let watcher: ScreenChangeWatcher | undefined;
  if (typeof signal === 'object') watcher = signal;
  else if (signal === 'auto' && process.platform === 'linux') watcher = (await createX11ChangeWatcher()).watcher;
  const how = opts.grabber ?? 'node-screenshots';
  let grabber: ScreenGrabber | undefined;
  if (typeof how === 'object') grabber = how;
  else if (how === 'auto' && process.platform === 'linux') grabber = (await createX11Grabber()).grabber;
  return new MonitorCapturer(list, watcher, grabber);
}

/** The frame grabbed last for one monitor, valid while the change watcher reports no drawing. */
interface HeldFrame {
  info: MonitorInfo;
  frame: CapturedFrame;
}

/** The monitors as last listed: handles and their geometry read once (each getter is a native X/GDI query). */
interface Layout {
  handles: MonitorHandle[];
  infos: MonitorInfo[];
  /** the watcher's layout generation when listed (undefined: never reused) */
  gen: number | undefined;
  at: number;
}

/** A listed layout is reused only while the watcher reports no RandR change, and never for longer than this. */
const LAYOUT_MAX_AGE_MS = 1000;

class MonitorCapturer implements ScreenCapturer {
  private held = new Map<number, HeldFrame>();
  private layoutCache: Layout | undefined;
  private grabs = 0;
  private reused = 0;

  constructor(
    private readonly list: () => MonitorHandle[],
    private readonly watcher?: ScreenChangeWatcher,
    private readonly grabber?: ScreenGrabber,
  ) {}

  /**
   * The monitor layout. Listing it costs ~1 ms on X11 (every getter of every monitor queries the server),
   * so with a change watcher that reports RandR events the list is kept while the layout generation is
   * the same (as far as events have been read) and it is younger than LAYOUT_MAX_AGE_MS.
   */
  private layout(): Layout {
    const gen = this.watcher?.usable ? this.watcher.layoutGeneration() : undefined;
    const c = this.layoutCache;
    if (c && gen !== undefined && c.gen === gen && performance.now() - c.at < LAYOUT_MAX_AGE_MS) return c;
    const handles = this.list();
    const fresh: Layout = { handles, infos: handles.map(monitorInfo), gen, at: performance.now() };
    this.layoutCache = gen === undefined ? undefined : fresh;
    return fresh;
  }

  monitors(): MonitorInfo[] {
    return this.layout().infos.map((i) => ({ ...i }));
  }

  captureStats(): CaptureStats {
    return { changeSignal: this.watcher?.usable ? 'x11-damage' : 'none', grabber: this.grabber?.usable ? 'x11-getimage' : 'node-screenshots', grabs: this.grabs, reused: this.reused };
  }

  close(): void {
    this.watcher?.close();
    this.grabber?.close();
    this.held.clear();
    this.layoutCache = undefined;
  }

  async capture(source: Extract<CaptureSource, { kind: 'screen' | 'monitor' | 'region' }>, opts: { signal?: AbortSignal } = {}): Promise<CapturedFrame[]> {
    const w = this.watcher?.usable ? this.watcher : undefined;
    // one round trip first: every damage and layout event up to now has been read after it
    const unchanged = w ? await w.unchangedSinceReset() : false;
    const { handles, infos } = this.layout();
    if (handles.length === 0) throw new AgentError('not_found', 'no monitor to capture (is a display attached?)');
    let idx = handles.map((_, i) => i);
    if (source.kind === 'monitor') {
      if (source.id !== undefined) idx = idx.filter((i) => infos[i]!.id === source.id);
      else if (source.index !== undefined) idx = handles[source.index] ? [source.index] : [];
      else idx = [Math.max(0, infos.findIndex((m) => m.isPrimary))];
    }
    if (source.kind === 'region') {
      if (!(source.width > 0 && source.height > 0)) throw new AgentError('bad_argument', 'region width and height must be positive');
      idx = idx.filter((i) => intersects(infos[i]!, source));
    }
    if (idx.length === 0) throw new AgentError('not_found', `no monitor matches ${JSON.stringify(source)}`);
    const full = await this.grab(
      idx.map((i) => handles[i]!),
      idx.map((i) => infos[i]!),
      unchanged,
      opts,
    );
    // frames may be held for reuse: callers get them read-only (a region is a copy)
    return source.kind === 'region' ? full.map((f) => cropFrame(f, source)) : full;
  }

  /**
   * Full frames of the chosen monitors. `unchanged`: the watcher has just reported no drawing since its
   * last reset; then frames held from the grab after that reset (same geometry) are returned without a grab.
   * Otherwise the watcher is reset first, then every chosen monitor grabbed, and only these frames are
   * held: frames from before the reset could no longer be proved current.
   */
  private async grab(chosen: MonitorHandle[], infos: MonitorInfo[], unchanged: boolean, opts: { signal?: AbortSignal }): Promise<CapturedFrame[]> {
    if (unchanged) {
      const held = infos.map((info) => {
        const h = this.held.get(info.id);
        return h && sameGeometry(h.info, info) ? h.frame : undefined;
      });
      if (held.every((f) => f !== undefined)) {
        this.reused += held.length;
        return held as CapturedFrame[];
      }
    }
    const w = this.watcher?.usable ? this.watcher : undefined;
    this.held.clear();
    if (w) {
      try {
        await w.reset();
      } catch {
        // the watcher is now unusable (it marks itself); grab as if there were none
      }
    }
    const frames: CapturedFrame[] = [];
    for (let i = 0; i < chosen.length; i++) {
      opts.signal?.throwIfAborted();
      const info = infos[i]!;
      frames.push({ ...(await this.grabOne(chosen[i]!, info)), originX: info.x, originY: info.y, monitor: info });
      this.grabs++;
    }
    if (w?.usable) for (const f of frames) this.held.set(f.monitor.id, { info: f.monitor, frame: f });
    return frames;
  }

  /**
   * RGBA pixels of one monitor: through the X11 grabber when it can take the monitor's rectangle of the root
   * window (then one image pixel per screen pixel), else node-screenshots; a grabber failure falls back.
   */
  private async grabOne(handle: MonitorHandle, info: MonitorInfo): Promise<Pick<Frame, 'data' | 'width' | 'height' | 'channels' | 'pixelScale'>> {
    const g = this.grabber;
    if (g?.usable && info.x >= 0 && info.y >= 0 && info.x + info.width <= g.rootWidth && info.y + info.height <= g.rootHeight) {
      try {
        return { data: await g.grab(info), width: info.width, height: info.height, channels: 4, pixelScale: 1 };
      } catch {
        // the grabber is unusable from now on; this and later grabs go through node-screenshots
      }
    }
    const img = await handle.captureImage();
    // toRawSync is a plain copy (~1 ms for 1080p); the async variant pays a thread-pool hop (~10 ms)
    const data = img.toRawSync();
    return { data, width: img.width, height: img.height, channels: 4, pixelScale: info.width > 0 ? img.width / info.width : 1 };
  }
}

function sameGeometry(a: MonitorInfo, b: MonitorInfo): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height && a.scaleFactor === b.scaleFactor && a.rotation === b.rotation;
}

function intersects(m: { x: number; y: number; width: number; height: number }, r: { x: number; y: number; width: number; height: number }): boolean {
  return m.x < r.x + r.width && r.x < m.x + m.width && m.y < r.y + r.height && r.y < m.y + m.height;
}

/** Cuts a screen-pixel region out of a monitor frame (rows copied; no re-encode). */
export function cropFrame<F extends Frame>(f: F, r: { x: number; y: number; width: number; height: number }): F {
  const s = f.pixelScale ?? 1;
  const x1 = Math.max(0, Math.floor((r.x - f.originX) * s));
  const y1 = Math.max(0, Math.floor((r.y - f.originY) * s));
  const x2 = Math.min(f.width, Math.ceil((r.x + r.width - f.originX) * s));
  const y2 = Math.min(f.height, Math.ceil((r.y + r.height - f.originY) * s));
  if (x2 <= x1 || y2 <= y1) throw new AgentError('bad_argument', 'region lies outside the frame');
  const w = x2 - x1;
  const h = y2 - y1;
  const out = Buffer.allocUnsafe(w * h * f.channels);
  const rowBytes = w * f.channels;
  for (let y = 0; y < h; y++) {
    const src = ((y1 + y) * f.width + x1) * f.channels;
    f.data.copy(out, y * rowBytes, src, src + rowBytes);
  }
  return { ...f, data: out, width: w, height: h, originX: f.originX + x1 / s, originY: f.originY + y1 / s };
}

/** Decodes a bot-supplied PNG (or any image sharp reads) to an RGB frame at the given screen origin. */
export async function frameFromImage(png: Buffer | Uint8Array, originX = 0, originY = 0): Promise<Frame> {
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(png).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels === 4 ? 4 : 3, originX, originY, pixelScale: 1 };
  } catch (e) {
    throw new AgentError('bad_image', `the image could not be decoded: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
  }
}
