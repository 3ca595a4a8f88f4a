/**
 * The wine family's enumerator, for real: builds wineenum.dll (its C type table generated from typemap.json),
 * the injector and our win32-settings program with mingw-w64, runs the program in a throwaway Wine prefix on this
 * test's X display, injects the enumerator and checks that every window it saw got the type the JS reading of the
 * same table gives, and that the known controls come out as the issue 15 types with their checked state.
 * Skipped, with the reason, where Wine or mingw-w64 is not installed (CI: scripts/setup.sh does not install them;
 * `bash scripts/dataset/wine/build.sh` does).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyWindow, loadTypemap, typemapCHeader } from '../../scripts/dataset/wine/typemap.mjs';

const here = resolve(import.meta.dirname, '..', '..', 'scripts', 'dataset', 'wine');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['wine', 'wineserver', 'x86_64-w64-mingw32-gcc'].filter((c) => !has(c));
const skip = missing.length > 0 ? `${missing.join(', ')} not installed (bash scripts/dataset/wine/build.sh installs them)`
  : !process.env.DISPLAY ? 'no X display (npm test runs inside xvfb-run)' : false;

type Rec = { kind: string; cls?: string; style?: number; text?: string; type: string | null; role?: string; checked?: boolean;
  box?: number[] };

test('the injected enumerator maps every window by the same table as the JS reading and finds the known controls',
  { skip, timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wineenum-'));
    const env = { ...process.env, WINEPREFIX: join(dir, 'prefix'), WINEARCH: 'win64', WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
    const win = (p: string) => 'Z:' + p.replaceAll('/', '\\');
    const rules = loadTypemap();
    try {
      writeFileSync(join(dir, 'typemap.h'), typemapCHeader(rules));
      const cc = (args: string[]) => execFileSync('x86_64-w64-mingw32-gcc', ['-O2', '-static-libgcc', ...args], { stdio: 'pipe' });
      cc(['-I', dir, '-shared', '-o', join(dir, 'wineenum.dll'), ...['dllmain', 'walk', 'items', 'menus', 'json'].map((f) => join(here, 'src', `${f}.c`)),
        '-lcomctl32', '-luser32']);
      cc(['-municode', '-o', join(dir, 'wineinject.exe'), join(here, 'src', 'inject.c'), '-lpsapi']);
      cc(['-municode', '-mwindows', '-o', join(dir, 'settings.exe'), join(here, 'apps', 'settings.c'), '-lcomctl32', '-lgdi32', '-lshell32']);
      execFileSync('wineboot', ['-i'], { env, stdio: 'ignore', timeout: 180_000 });
      const app = spawn('wine', [join(dir, 'settings.exe'), 'mixed'], { env, stdio: 'ignore', detached: false });
      const out = join(dir, 'out.jsonl');
      let records: Rec[] = [];
      for (let i = 0; i < 60 && records.length === 0; i++) {
        await sleep(1000);
        const r = spawnSync('wine', [join(dir, 'wineinject.exe'), win(join(dir, 'wineenum.dll')), 'title:Preferences', win(out)],
          { env, stdio: 'ignore', timeout: 60_000 });
        if (r.status === 0 && existsSync(out)) records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec);
      }
      app.kill();
      assert.ok(records.length > 0, 'the enumerator ran inside the program');

      const windows = records.filter((r) => r.kind === 'window');
      assert.ok(windows.length >= 35, `${windows.length} child windows seen`);
      for (const w of windows) {
        assert.equal(w.type, classifyWindow(rules, w.cls!, w.style! >>> 0, w.text!).type, `${w.cls} ${w.style!.toString(16)} "${w.text}"`);
      }
      const el = (type: string, text: string) => records.find((r) => r.kind === 'element' && r.type === type && r.text === text);
      assert.equal(el('checkbox', '&Start with the system')?.checked, true);
      assert.equal(el('checkbox', 'Show tray &icon')?.checked, false);
      assert.ok(el('checkbox', 'Right-aligned option'), 'a right-text check box is a check box');
      assert.ok(records.some((r) => r.role === 'Button' && r.type === 'checkbox' && r.text === 'Sync &folders (partial)'), '3-state box');
      assert.equal(el('toggle', 'Toggle')?.checked, true, 'a push-like check box is a toggle');
      assert.equal(el('radio', '&Normal window')?.checked, true);
      assert.equal(el('radio', 'Ma&ximized')?.checked, false);
      assert.ok(el('button', 'OK') && el('button', 'Flat button'), 'push buttons');
      assert.ok(records.some((r) => r.kind === 'element' && r.type === 'icon_button' && r.role === 'Button'), 'the icon-only button');
      assert.equal(records.filter((r) => r.kind === 'element' && r.text === 'General').length, 0, 'a group box is not an element');
      assert.equal(el('text_input', 'secret'), undefined, 'a password field does not carry its text');
      assert.ok(el('text_input', 'operator01'));
      assert.equal(records.filter((r) => r.type === 'dropdown' && r.kind === 'element').length, 2, 'drop-down and drop-down list');
      const rows = records.filter((r) => r.kind === 'element' && r.role === 'ListBox.item');
      assert.ok(rows.some((r) => r.text === 'alpha.example.org') && rows.some((r) => r.text === 'Imperial'), 'list box and simple-combo rows');
      assert.ok(!rows.some((r) => r.text === 'kappa.example.org'), 'a row scrolled out of view is not an element');
      const caption = records.filter((r) => r.kind === 'element' && r.role?.startsWith('TitleBar.'));
      assert.equal(caption.length, 3, 'close, maximize, minimize');
      for (const r of records.filter((x) => x.kind === 'element')) {
        const [x1, y1, x2, y2] = r.box!;
        assert.ok(x2! > x1! && y2! > y1!, `${r.role} ${r.text}: non-empty box`);
      }
    } finally {
      spawnSync('wineserver', ['-k'], { env, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    }
  });
