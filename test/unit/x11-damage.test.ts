/**
 * The X11 change signal's pure parts: DISPLAY parsing and the Xauthority reader (a file written here in the
 * format xauth writes). The live protocol is tested against Xvfb in test/integration/vision-capture.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createX11ChangeWatcher, parseDisplay, readXauthCookie } from '../../src/agent/vision/x11-damage.js';

function entry(family: number, address: string, number: string, name: string, data: Buffer): Buffer {
  const f = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  return Buffer.concat([Buffer.from([family >> 8, family & 0xff]), f(Buffer.from(address)), f(Buffer.from(number)), f(Buffer.from(name)), f(data)]);
}

test('parseDisplay: local displays only', () => {
  assert.deepEqual(parseDisplay(':99'), { number: '99', screen: 0, socket: '/tmp/.X11-unix/X99' });
  assert.deepEqual(parseDisplay(':0.1'), { number: '0', screen: 1, socket: '/tmp/.X11-unix/X0' });
  assert.deepEqual(parseDisplay('unix:3'), { number: '3', screen: 0, socket: '/tmp/.X11-unix/X3' });
  assert.equal(parseDisplay('remote:0'), undefined);
  assert.equal(parseDisplay('10.0.0.1:0'), undefined);
  assert.equal(parseDisplay(''), undefined);
  assert.equal(parseDisplay(undefined), undefined);
});

test('readXauthCookie: this host and display first, then a wildcard; other displays, names and a truncated file are handled', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xauth-'));
  try {
    const mine = Buffer.alloc(16, 1);
    const wild = Buffer.alloc(16, 2);
    const file = join(dir, 'Xauthority');
    writeFileSync(
      file,
      Buffer.concat([
        entry(256, 'host-a', '5', 'MIT-MAGIC-COOKIE-1', Buffer.alloc(16, 9)), // another display
        entry(256, 'host-a', '7', 'XDM-AUTHORIZATION-1', Buffer.alloc(16, 8)), // another scheme
        entry(65535, '', '7', 'MIT-MAGIC-COOKIE-1', wild),
        entry(256, 'host-a', '7', 'MIT-MAGIC-COOKIE-1', mine),
      ]),
    );
    assert.deepEqual(readXauthCookie(file, '7', 'host-a'), mine);
    assert.deepEqual(readXauthCookie(file, '7', 'host-b'), wild, 'another host: the wildcard entry');
    assert.equal(readXauthCookie(file, '6', 'host-a'), undefined);
    assert.equal(readXauthCookie(join(dir, 'missing'), '7'), undefined);
    const whole = entry(256, 'host-a', '7', 'MIT-MAGIC-COOKIE-1', mine);
    writeFileSync(file, Buffer.concat([entry(65535, '', '7', 'MIT-MAGIC-COOKIE-1', wild), whole.subarray(0, whole.length - 5)]));
    assert.deepEqual(readXauthCookie(file, '7', 'host-a'), wild, 'a truncated entry is ignored');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('createX11ChangeWatcher: no display, a remote display, another X screen, or no server answer → no watcher, with the reason', async () => {
  assert.match((await createX11ChangeWatcher({})).reason ?? '', /no DISPLAY/);
  assert.match((await createX11ChangeWatcher({ DISPLAY: 'remote:0' })).reason ?? '', /not a local display/);
  assert.match((await createX11ChangeWatcher({ DISPLAY: ':0.1' })).reason ?? '', /only screen 0/);
  const r = await createX11ChangeWatcher({ DISPLAY: ':65000' });
  assert.equal(r.watcher, undefined);
  assert.match(r.reason ?? '', /ENOENT|ECONNREFUSED/);
});

test('X11 grabber: BGRX words become RGBA (alpha 255) aligned or not; only the 32-bit LSB-first RGB layout is taken', async () => {
  const { bgrxToRgbaInPlace, unsupportedLayout } = await import('../../src/agent/vision/x11-grab.js');
  const bgrx = [0x30, 0x20, 0x10, 0x00, 0x03, 0x02, 0x01, 0x7f];
  const aligned = Uint8Array.from(bgrx);
  bgrxToRgbaInPlace(aligned);
  assert.deepEqual([...aligned], [0x10, 0x20, 0x30, 0xff, 0x01, 0x02, 0x03, 0xff]);
  const backing = new Uint8Array(9);
  backing.set(bgrx, 1);
  const unaligned = backing.subarray(1);
  bgrxToRgbaInPlace(unaligned);
  assert.deepEqual([...unaligned], [0x10, 0x20, 0x30, 0xff, 0x01, 0x02, 0x03, 0xff]);
  const ok = { idBase: 0, idMask: 0, imageByteOrder: 0, formats: [{ depth: 24, bitsPerPixel: 32, scanlinePad: 32 }], root: 1, rootWidth: 10, rootHeight: 10, rootDepth: 24, rootVisual: { id: 2, redMask: 0xff0000, greenMask: 0xff00, blueMask: 0xff } };
  assert.equal(unsupportedLayout(ok), undefined);
  assert.match(unsupportedLayout({ ...ok, rootDepth: 16 }) ?? '', /depth 16/);
  assert.match(unsupportedLayout({ ...ok, formats: [{ depth: 24, bitsPerPixel: 24, scanlinePad: 32 }] }) ?? '', /32-bit/);
  assert.match(unsupportedLayout({ ...ok, imageByteOrder: 1 }) ?? '', /MSB/);
  assert.match(unsupportedLayout({ ...ok, rootVisual: { id: 2, redMask: 0xff, greenMask: 0xff00, blueMask: 0xff0000 } }) ?? '', /not 8-bit RGB/);
});
