/**
 * The AT-SPI harvester end to end on a real GTK 3 program: gtk3-widget-factory under its own Xvfb display and
 * session bus with accessibility on, harvested once (first screen only). The boxes must land on drawn widgets:
 * every box holds drawn pixels (not flat background), a check box's box starts with its indicator, and the
 * widget factory's known controls come out with the brief's types and check states.
 * Needs python3-pyatspi, gtk-3-examples, Xvfb, dbus-run-session (scripts/setup.sh installs them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';

const root = resolve(import.meta.dirname, '..', '..');
const missing = [
  ['/usr/bin/python3', 'Debian python3'], ['/usr/lib/python3/dist-packages/pyatspi', 'python3-pyatspi'], ['/usr/lib/python3/dist-packages/PIL', 'python3-pil'],
  ['/usr/bin/gtk3-widget-factory', 'gtk-3-examples'], ['/usr/bin/Xvfb', 'xvfb'], ['/usr/bin/dbus-run-session', 'dbus'],
  ['/usr/libexec/at-spi-bus-launcher', 'at-spi2-core'],
].filter(([p]) => !existsSync(p!)).map(([, name]) => name);
const skip = missing.length ? `not installed: ${missing.join(', ')}` : false;

type El = { id: number; box: [number, number, number, number]; type: string; checked?: boolean; text?: string; role?: string };
type Sample = { width: number; height: number; family: string; app: string; split: string; theme: string; scale: number; elements: El[] };

/** Standard deviation of the grey level inside a box of a raw RGB buffer. */
function spread(raw: Buffer, width: number, [x1, y1, x2, y2]: number[]): number {
  let n = 0, s = 0, s2 = 0;
  for (let y = y1!; y < y2!; y++) {
    for (let x = x1!; x < x2!; x++) {
      const i = (y * width + x) * 3;
      const g = (raw[i]! + raw[i + 1]! + raw[i + 2]!) / 3;
      n++; s += g; s2 += g * g;
    }
  }
  return Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
}

test('gtk3-widget-factory harvested over AT-SPI: typed boxes land on the drawn widgets', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atspi-it-'));
  try {
    const appsFile = join(dir, 'apps.json');
    writeFileSync(appsFile, JSON.stringify([{ app: 'gtk3-widget-factory', toolkit: 'gtk3', description: 'test', split: 'train' }]));
    // a loaded machine (CI) can take well over the app's usual 15 s to show its first accessible window
    const run = spawnSync('bash', [join(root, 'scripts/dataset/native/session.sh'), '/usr/bin/python3', '-m', 'atspi_harvest.harvest',
      '--out', dir, '--apps-file', appsFile, '--variants', 'light@1', '--main-only', '--min-startup', '120'],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 170_000, encoding: 'utf8' });
    assert.equal(run.status, 0, `harvest exited ${run.status ?? run.signal}: ${(run.stderr ?? '').slice(-2000)}`);
    const stem = join(dir, 'gtk3-widget-factory', 'main_light_1');
    const s = JSON.parse(readFileSync(stem + '.json', 'utf8')) as Sample;
    assert.equal(s.family, 'atspi');
    assert.equal(s.app, 'gtk3-widget-factory');
    assert.equal(s.theme, 'light');
    const { data, info } = await sharp(stem + '.png').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [s.width, s.height]);

    const count = (t: string) => s.elements.filter((e) => e.type === t).length;
    for (const [t, min] of [['checkbox', 6], ['radio', 6], ['dropdown', 5], ['text_input', 3], ['toggle', 4], ['spin_button', 2],
      ['slider', 3], ['progress_bar', 3], ['tab', 6], ['header_item', 4], ['list_item', 4], ['icon_button', 3]] as const) {
      assert.ok(count(t) >= min, `${t}: ${count(t)} < ${min}`);
    }
    const checks = s.elements.filter((e) => e.type === 'checkbox');
    assert.ok(checks.some((c) => c.checked) && checks.some((c) => !c.checked), 'both checked and unchecked boxes');
    // a check box's box is the control WITH its label ('checkbutton'), wider than tall
    assert.ok(checks.every((c) => c.text === 'checkbutton' && c.box[2] - c.box[0] > 3 * (c.box[3] - c.box[1])));

    for (const e of s.elements) {
      const [x1, y1, x2, y2] = e.box;
      assert.ok(x1 >= 0 && y1 >= 0 && x2 <= s.width && y2 <= s.height && x2 - x1 >= 4 && y2 - y1 >= 4, `box in image: ${JSON.stringify(e)}`);
    }
    // something is drawn inside (nearly) every box; flat background would mean a box off its widget
    const flat = s.elements.filter((e) => spread(data, info.width, e.box) < 4);
    assert.ok(flat.length <= s.elements.length * 0.05, `flat boxes: ${JSON.stringify(flat)}`);
    // the indicator sits at the left edge of a check box's box: the left square holds drawn pixels
    for (const c of checks) {
      const h = c.box[3] - c.box[1];
      assert.ok(spread(data, info.width, [c.box[0], c.box[1], c.box[0] + h, c.box[3]]) > 10, `indicator of ${JSON.stringify(c)}`);
    }
    // control (the measure bites): the same boxes moved into the 12 px margin the capture keeps around the
    // window (flat desktop/shadow) measure flat
    const moved = checks.map((c) => [s.width - 10, c.box[1], s.width - 2, c.box[3]]);
    assert.ok(moved.every((b) => spread(data, info.width, b) < 4), 'boxes off the widgets are flat');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
