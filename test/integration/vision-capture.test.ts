/**
 * Screen capture through node-screenshots under a real X server (Xvfb; `npm test` runs inside xvfb-run,
 * and this file starts its own Xvfb on a free display when DISPLAY is unset), with real Chromium showing a
 * page with known colours at known screen positions. Also a simulated two-monitor desktop with DPI scale 2
 * (simulated: Xvfb has one screen) for the screen-pixel mapping.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PreprocessSchema, PostprocessSchema } from '../../src/common/wire.js';
import { createScreenCapturer, type MonitorHandle, type ScreenCapturer } from '../../src/agent/vision/capture.js';
import { createX11ChangeWatcher, type ScreenChangeWatcher } from '../../src/agent/vision/x11-damage.js';
import { createX11Grabber, type ScreenGrabber } from '../../src/agent/vision/x11-grab.js';
import { VisionPipeline } from '../../src/agent/vision/pipeline.js';
import { createOrtRunner } from '../../src/agent/vision/ort-runner.js';
import type { VisionModelSpec } from '../../src/agent/vision/types.js';

const MODELS = join(import.meta.dirname, '..', 'fixtures', 'models');
const children: ChildProcess[] = [];
let display = '';
let xvfb: ChildProcess | undefined;
let profile = '';

function killGroup(c: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (c.pid && c.exitCode === null) {
    try {
      process.kill(-c.pid, signal);
    } catch {
      /* already gone */
    }
  }
}

before(async () => {
  // Always an X server of its own (Xvfb -displayfd picks a free display): under `npm test` the shared xvfb-run
  // display also shows other test files' Chromium windows, and this file reads pixels outside its own window (the
  // bare root) and compares two grabs of the whole screen — a window of another test drawn there made both fail
  // (full suite, 2026-12-07 04:20 UTC).
  xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], detached: true });
  const fd = xvfb.stdio[3]!;
  display = await new Promise<string>((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not report its display within 10 s')), 10_000);
    fd.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${got.trim()}`);
      }
    });
    xvfb!.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}) before reporting its display`));
    });
  });
  process.env.DISPLAY = display;
  profile = mkdtempSync(join(tmpdir(), 'vision-capture-'));
  // orange page, a blue 200x100 block at page (100, 100); the window sits at screen (0, 0) without decorations (no WM)
  const html = '<body style="margin:0;background:rgb(255,128,0)"><div style="position:absolute;left:100px;top:100px;width:200px;height:100px;background:rgb(0,0,255)"></div></body>';
  const chromium = spawn(
    '/usr/bin/chromium',
    ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--disable-background-networking', `--user-data-dir=${profile}`, '--window-position=0,0', '--window-size=800,600', `--app=data:text/html,${encodeURIComponent(html)}`],
    { stdio: 'ignore', detached: true, env: { ...process.env, DISPLAY: display } },
  );
  children.push(chromium);
});

after(async () => {
  for (const c of children.reverse()) killGroup(c);
  if (xvfb) {
    // SIGTERM lets Xvfb remove its socket and lock file
    const exited = new Promise((r) => xvfb!.once('exit', r));
    killGroup(xvfb, 'SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    killGroup(xvfb);
  }
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** The RGB of one pixel of an RGBA frame. */
const px = (f: { data: Buffer; width: number }, x: number, y: number) => [...f.data.subarray((y * f.width + x) * 4, (y * f.width + x) * 4 + 3)];

/**
 * Waits for the page and returns where its blue block is on the screen. Chromium draws its own title bar
 * when no window manager runs, so the page's screen offset is found, not assumed; its size is checked.
 */
async function waitForPage(cap: ScreenCapturer): Promise<{ x: number; y: number }> {
  for (let i = 0; i < 150; i++) {
    const [f] = await cap.capture({ kind: 'screen' });
    let x1 = Infinity, y1 = Infinity, x2 = -1, y2 = -1;
    for (let y = 0; y < Math.min(f!.height, 800); y++) {
      for (let x = 0; x < Math.min(f!.width, 900); x++) {
        const p = (y * f!.width + x) * 4;
        if (f!.data[p] === 0 && f!.data[p + 1] === 0 && f!.data[p + 2] === 255) {
          x1 = Math.min(x1, x); y1 = Math.min(y1, y); x2 = Math.max(x2, x); y2 = Math.max(y2, y);
        }
      }
    }
    if (x2 - x1 + 1 === 200 && y2 - y1 + 1 === 100) return { x: x1, y: y1 };
    await sleep(100);
  }
  throw new Error('Chromium page never appeared on the X display');
}

test('monitors, full-screen, monitor and region capture under X11 (Xvfb + Chromium), through either grabber', async () => {
  for (const grabber of ['node-screenshots', 'auto'] as const) await captureChecks(await createScreenCapturer(undefined, { grabber }));
});

async function captureChecks(cap: ScreenCapturer): Promise<void> {
  const mons = cap.monitors();
  assert.equal(mons.length, 1);
  assert.deepEqual([mons[0]!.x, mons[0]!.y, mons[0]!.width, mons[0]!.height, mons[0]!.scaleFactor], [0, 0, 1920, 1080, 1]);
  const blue = await waitForPage(cap);
  const [screen] = await cap.capture({ kind: 'screen' });
  assert.deepEqual([screen!.width, screen!.height, screen!.channels, screen!.originX, screen!.originY, screen!.pixelScale], [1920, 1080, 4, 0, 0, 1]);
  // page (100, 100) is the blue block's corner, so the page's own origin is blue − 100
  assert.deepEqual(px(screen!, blue.x - 50, blue.y + 150), [255, 128, 0], 'RGBA order: the orange page');
  assert.deepEqual(px(screen!, blue.x + 100, blue.y + 50), [0, 0, 255], 'the blue block');
  assert.deepEqual(px(screen!, 1500, 900), [0, 0, 0], 'outside the window: the bare root');
  const [mon] = await cap.capture({ kind: 'monitor', index: 0 });
  assert.equal(mon!.monitor.id, mons[0]!.id);
  // a 40x20 region whose (10, 10) is the blue block's corner
  const [reg] = await cap.capture({ kind: 'region', x: blue.x - 10, y: blue.y - 10, width: 40, height: 20 });
  assert.deepEqual([reg!.width, reg!.height, reg!.originX, reg!.originY], [40, 20, blue.x - 10, blue.y - 10]);
  assert.deepEqual(px(reg!, 5, 5), [255, 128, 0]);
  assert.deepEqual(px(reg!, 15, 15), [0, 0, 255]);
  await assert.rejects(cap.capture({ kind: 'region', x: 5000, y: 5000, width: 10, height: 10 }), /no monitor/);
  cap.close?.();
}

test('the X11 GetImage grabber gives the same RGBA bytes as node-screenshots; a failing grabber falls back to it', async () => {
  const fast = await createScreenCapturer(undefined, { changeSignal: 'off', grabber: 'auto' });
  const slow = await createScreenCapturer(undefined, { changeSignal: 'off' });
  try {
    assert.equal(fast.captureStats?.().grabber, 'x11-getimage', 'Xvfb: 24-bit depth stored as 32 bits, LSB first');
    assert.equal(slow.captureStats?.().grabber, 'node-screenshots', 'the default');
    await waitForPage(fast);
    // the page is still once found; compare a grab of each way (retried in case Chromium repainted between them)
    let same = false;
    for (let i = 0; i < 20 && !same; i++) {
      const [a] = await fast.capture({ kind: 'screen' });
      const [b] = await slow.capture({ kind: 'screen' });
      assert.deepEqual([a!.width, a!.height, a!.channels, a!.pixelScale], [b!.width, b!.height, b!.channels, b!.pixelScale]);
      same = a!.data.equals(b!.data);
      if (!same) await sleep(100);
    }
    assert.ok(same, 'byte-identical frames, alpha included');
    const direct = await createX11Grabber({ ...process.env, DISPLAY: display });
    assert.ok(direct.grabber);
    await assert.rejects(direct.grabber.grab({ x: 1900, y: 0, width: 40, height: 10 }), /not inside/);
    const part = await direct.grabber.grab({ x: 10, y: 20, width: 30, height: 5 });
    const [full] = await slow.capture({ kind: 'screen' });
    assert.ok(part.equals(Buffer.concat(Array.from({ length: 5 }, (_, r) => full!.data.subarray(((20 + r) * 1920 + 10) * 4, ((20 + r) * 1920 + 40) * 4)))), 'a rectangle of the root window');
    direct.grabber.close();
    assert.equal(direct.grabber.usable, false);
    await assert.rejects(direct.grabber.grab({ x: 0, y: 0, width: 1, height: 1 }), /not usable/);
  } finally {
    fast.close?.();
    slow.close?.();
  }
  // a grabber that fails (connection lost mid-grab) is dropped: this and later captures go through node-screenshots
  let usable = true;
  const failing: ScreenGrabber = {
    rootWidth: 1920,
    rootHeight: 1080,
    get usable() {
      return usable;
    },
    grab: async () => {
      usable = false;
      throw new Error('X11 connection lost');
    },
    close: () => undefined,
  };
  const cap = await createScreenCapturer(undefined, { changeSignal: 'off', grabber: failing });
  const [f] = await cap.capture({ kind: 'screen' });
  assert.deepEqual([f!.width, f!.height, px(f!, 1500, 900)], [1920, 1080, [0, 0, 0]]);
  assert.equal(cap.captureStats?.().grabber, 'node-screenshots');
  cap.close?.();
});

test('detect on the live screen and on a region: boxes come back in screen pixels; the still screen hits the cache', async () => {
  const cap = await createScreenCapturer();
  await waitForPage(cap);
  const ort = await createOrtRunner({ detector: join(MODELS, 'detector-const-320.onnx') });
  const spec: VisionModelSpec = {
    inputName: 'images',
    preprocess: PreprocessSchema.parse({ inputWidth: 320, inputHeight: 320 }),
    postprocess: PostprocessSchema.parse({ format: 'yolov8', scoreThreshold: 0.25, iouThreshold: 0.45 }),
    labels: ['element'],
  };
  const vp = new VisionPipeline({ runner: ort.runner, specs: (r) => (r === 'detector' ? spec : undefined), capturer: cap });
  try {
    const a = await vp.detect({ source: { kind: 'screen' } });
    // const-320 box A: input [60,90,100,110]; 1920x1080 → r 1/6, top 70 → screen [360,120,600,240]
    assert.equal(a.elements.length, 2);
    assert.deepEqual(a.elements[0]!.box.map((v) => Math.round(v)), [360, 120, 600, 240]);
    assert.equal(a.cached, false);
    const b = await vp.detect({ source: { kind: 'screen' } });
    assert.equal(b.cached, true, 'nothing moved on the screen');
    // region 640x640 at (100, 50): scale 2 → box A at region [120,180,200,220] → screen +origin
    const r = await vp.detect({ source: { kind: 'region', x: 100, y: 50, width: 640, height: 640 } });
    assert.deepEqual(r.elements[0]!.box.map((v) => Math.round(v)), [220, 230, 300, 270]);
    assert.deepEqual(r.frames[0], { x: 100, y: 50, width: 640, height: 640, pixelScale: 1, monitorId: cap.monitors()[0]!.id });
  } finally {
    vp.close();
    await ort.close();
  }
});

/** A monitor whose captured image is solid `rgb`, with a reported (logical) size and a pixel ratio. */
function fakeMonitor(id: number, x: number, y: number, w: number, h: number, ratio: number, primary: boolean): MonitorHandle {
  const iw = w * ratio;
  const ih = h * ratio;
  return {
    id: () => id,
    name: () => `sim${id}`,
    x: () => x,
    y: () => y,
    width: () => w,
    height: () => h,
    rotation: () => 0,
    scaleFactor: () => ratio,
    isPrimary: () => primary,
    captureImage: async () => ({ width: iw, height: ih, toRawSync: () => Buffer.alloc(iw * ih * 4, 7) }),
  };
}

test('two monitors, one at DPI scale 2 (simulated: Xvfb has one screen): one frame each, boxes mapped to screen pixels', async () => {
  const cap = await createScreenCapturer(() => [fakeMonitor(1, 0, 0, 1920, 1080, 1, true), fakeMonitor(2, 1920, 0, 960, 540, 2, false)]);
  const ort = await createOrtRunner({ detector: join(MODELS, 'detector-const-320.onnx') });
  const spec: VisionModelSpec = {
    inputName: 'images',
    preprocess: PreprocessSchema.parse({ inputWidth: 320, inputHeight: 320 }),
    postprocess: PostprocessSchema.parse({ format: 'yolov8' }),
    labels: ['element'],
  };
  const vp = new VisionPipeline({ runner: ort.runner, specs: (r) => (r === 'detector' ? spec : undefined), capturer: cap });
  try {
    const res = await vp.detect({ source: { kind: 'screen' } });
    assert.equal(res.frames.length, 2);
    assert.deepEqual(res.frames[1], { x: 1920, y: 0, width: 1920, height: 1080, pixelScale: 2, monitorId: 2 });
    assert.equal(res.elements.length, 4);
    // monitor 2: image px [360,120,600,240] / 2 + (1920, 0)
    assert.deepEqual(res.elements[2]!.box.map((v) => Math.round(v)), [2100, 60, 2220, 120]);
    assert.equal(res.elements[2]!.monitorScale, 2);
    const only2 = await vp.detect({ source: { kind: 'monitor', id: 2 } });
    assert.equal(only2.frames.length, 1);
    assert.equal(only2.cached, true, 'monitor 2 frame unchanged since the screen call');
  } finally {
    vp.close();
    await ort.close();
  }
});

test('X11 DAMAGE change signal: a still screen is reused without a grab; painting the root window is seen at once', async () => {
  const cap = await createScreenCapturer();
  try {
    assert.equal(cap.captureStats?.().changeSignal, 'x11-damage', 'Xvfb has the DAMAGE extension');
    const direct = await createX11ChangeWatcher({ ...process.env, DISPLAY: display });
    assert.equal(typeof direct.watcher?.layoutGeneration(), 'number', 'and RandR: layout changes are reported');
    direct.watcher?.close();
    await waitForPage(cap);
    // wait until Chromium has finished painting: two captures in a row with no grab between them
    let still = false;
    for (let i = 0; i < 100 && !still; i++) {
      const g = cap.captureStats!().grabs;
      await cap.capture({ kind: 'screen' });
      still = cap.captureStats!().grabs === g;
      if (!still) await sleep(50);
    }
    assert.ok(still, 'the screen settles and is then reused');
    const before = cap.captureStats!();
    const [a] = await cap.capture({ kind: 'screen' });
    const [r] = await cap.capture({ kind: 'region', x: 1400, y: 800, width: 10, height: 10 });
    assert.deepEqual([cap.captureStats!().grabs, cap.captureStats!().reused], [before.grabs, before.reused + 2], 'no grab while nothing is drawn');
    assert.deepEqual(px(a!, 1500, 900), [0, 0, 0]);
    assert.deepEqual(px(r!, 5, 5), [0, 0, 0]);
    // another X client paints the bare root: the very next capture must grab and show it
    execFileSync('xsetroot', ['-solid', 'rgb:10/20/30'], { env: { ...process.env, DISPLAY: display } });
    const [b] = await cap.capture({ kind: 'screen' });
    assert.equal(cap.captureStats!().grabs, before.grabs + 1, 'the drawing forced a grab');
    assert.deepEqual(px(b!, 1500, 900), [0x10, 0x20, 0x30], 'never the stale frame');
    execFileSync('xsetroot', ['-solid', 'black'], { env: { ...process.env, DISPLAY: display } });
    const [c] = await cap.capture({ kind: 'screen' });
    assert.deepEqual(px(c!, 1500, 900), [0, 0, 0]);
  } finally {
    cap.close?.();
  }
  // 'off', and a watcher that has died: every capture grabs, as without a signal
  const off = await createScreenCapturer(undefined, { changeSignal: 'off' });
  assert.equal(off.captureStats?.().changeSignal, 'none');
  const dead = await createScreenCapturer();
  dead.close?.();
  assert.equal(dead.captureStats?.().changeSignal, 'none');
  await dead.capture({ kind: 'screen' });
  await dead.capture({ kind: 'screen' });
  assert.deepEqual([dead.captureStats!().grabs, dead.captureStats!().reused], [2, 0]);
});

test('change signal bookkeeping (simulated watcher and monitors): held frames and the monitor list are reused only while nothing changed', async () => {
  let damaged = false;
  let gen = 0;
  let resets = 0;
  const watcher: ScreenChangeWatcher = {
    usable: true,
    reset: async () => {
      resets++;
      damaged = false;
    },
    unchangedSinceReset: async () => !damaged,
    layoutGeneration: () => gen,
    close: () => undefined,
  };
  let lists = 0;
  let width = 960;
  const cap = await createScreenCapturer(
    () => {
      lists++;
      return [fakeMonitor(1, 0, 0, 1920, 1080, 1, true), fakeMonitor(2, 1920, 0, width, 540, 1, false)];
    },
    { changeSignal: watcher },
  );
  const s = () => cap.captureStats!();
  await cap.capture({ kind: 'screen' });
  assert.deepEqual([s().grabs, s().reused, resets, lists], [2, 0, 1, 1], 'first call: reset, then both monitors grabbed');
  await cap.capture({ kind: 'screen' });
  await cap.capture({ kind: 'monitor', id: 2 });
  const [r] = await cap.capture({ kind: 'region', x: 1930, y: 10, width: 20, height: 20 });
  assert.deepEqual([r!.width, r!.originX], [20, 1930]);
  cap.monitors();
  assert.deepEqual([s().grabs, s().reused, resets, lists], [2, 4, 1, 1], 'nothing drawn, same layout: no grab, no re-listing');
  damaged = true;
  await cap.capture({ kind: 'monitor', id: 1 });
  assert.deepEqual([s().grabs, resets], [3, 2], 'drawing: reset, then a grab');
  await cap.capture({ kind: 'screen' });
  assert.deepEqual([s().grabs, s().reused], [5, 4], 'monitor 2 was held from before that reset: grabbed again, with monitor 1');
  gen++;
  width = 1280;
  const [, m2] = await cap.capture({ kind: 'screen' });
  assert.equal(lists, 2, 'a RandR event: the layout is listed again');
  assert.equal(m2!.width, 1280);
  assert.deepEqual([s().grabs, s().reused, resets], [7, 4, 4], 'a geometry change: reset, both grabbed (a frame held across a reset could not be proved current later)');
  await cap.capture({ kind: 'screen' });
  assert.deepEqual([s().grabs, s().reused, lists], [7, 6, 2], 'and then reused again');
  cap.close?.();
});
