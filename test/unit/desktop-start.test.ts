/**
 * `npm start` (scripts/start-desktop.mjs): where Electron's binary is missing it says so plainly and
 * exits 1; the main-process bundle it would launch builds. A fake Electron layout in a temp dir stands
 * in for the real package so both the missing and the present cases are checked here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// @ts-expect-error -- plain .mjs script without type declarations
import { electronBinary, buildDesktop } from '../../scripts/start-desktop.mjs';

const root = resolve(import.meta.dirname, '..', '..');
type Found = { ok: true; path: string } | { ok: false; why: string };
const find = electronBinary as (dir?: string) => Found;

test('npm start: a missing Electron binary is reported in plain words (simulated: fake electron package layout)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'electron-'));
  try {
    assert.match((find(dir) as { why: string }).why, /electron package is not installed/);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ version: '45.4.1' }));
    const missing = find(dir);
    assert.equal(missing.ok, false);
    assert.match((missing as { why: string }).why, /Electron's binary is not installed[\s\S]*npx install-electron[\s\S]*45\.4\.1/);
    writeFileSync(join(dir, 'path.txt'), 'electron');
    assert.match((find(dir) as { why: string }).why, /missing or not executable/);
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'electron'), '#!/bin/sh\n');
    chmodSync(join(dir, 'dist', 'electron'), 0o755);
    assert.deepEqual(find(dir), { ok: true, path: join(dir, 'dist', 'electron') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm start on this machine: exits 1 and names what is missing when the binary is absent', { skip: find().ok ? 'Electron binary present here' : undefined }, () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'start-desktop.mjs')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot start the tray app[\s\S]*Electron's binary is not installed/);
});

test('npm start: the main process, preload and window bundle (what Electron would load)', async () => {
  const main = await (buildDesktop as () => Promise<string>)();
  const js = readFileSync(main, 'utf8');
  assert.match(js, /from "electron"/);
  assert.match(js, /requestSingleInstanceLock/);
  assert.ok(existsSync(join(root, 'dist', 'desktop', 'preload.cjs')));
  assert.ok(existsSync(join(root, 'renderer', 'dist', 'app.js')));
});
