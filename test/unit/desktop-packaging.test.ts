/**
 * electron-builder.yml and the generated icons: the invariants issue 7 §6 asks for, checked on the real
 * files (electron-builder itself cannot run here: no Electron binary, no network).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
// js-yaml comes with electron-updater (which parses latest.yml with it); loaded untyped on purpose.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(s: string): unknown };
type Cfg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const cfg = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Cfg;

test('packaging: fixed appId, per-machine NSIS, Linux AppImage', () => {
  assert.equal(cfg['appId'], 'com.rpa-edge.agent');
  assert.equal(cfg['nsis'].perMachine, true);
  assert.equal(cfg['nsis'].oneClick, false);
  assert.deepEqual(cfg['win'].target.map((t: Cfg) => t.target), ['nsis']);
  assert.deepEqual(cfg['linux'].target.map((t: Cfg) => t.target), ['AppImage']);
  assert.ok(existsSync(join(root, cfg['nsis'].include)), 'the NSIS include exists');
  const nsh = readFileSync(join(root, cfg['nsis'].include), 'utf8');
  assert.match(nsh, /icacls "\$INSTDIR\\resources\\trust\\trust\.json" \/inheritance:r .*\*S-1-5-32-545:R/, 'users get read-only on the trust file');
});

test('packaging: native modules unpacked from asar; models and trust file as extra resources', () => {
  assert.equal(cfg['asar'], true);
  for (const m of ['onnxruntime-node', 'better-sqlite3', 'sharp', 'keytar']) {
    assert.ok((cfg['asarUnpack'] as string[]).includes(`node_modules/${m}/**`), m);
  }
  const extra = cfg['extraResources'] as Cfg[];
  assert.deepEqual(extra.map((e) => e.to), ['models', 'trust']);
});

test('packaging: Electron fuses — runAsNode off, NODE_OPTIONS and --inspect off, asar integrity on', () => {
  const f = cfg['electronFuses'];
  assert.equal(f.runAsNode, false);
  assert.equal(f.enableNodeOptionsEnvironmentVariable, false);
  assert.equal(f.enableNodeCliInspectArguments, false);
  assert.equal(f.enableEmbeddedAsarIntegrityValidation, true);
  assert.equal(f.onlyLoadAppFromAsar, true);
  assert.equal(f.grantFileProtocolExtraPrivileges, false);
});

test('packaging: signing comes from the environment; no secret in the file; update feed from env', () => {
  const text = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
  assert.match(text, /WIN_CSC_LINK/);
  assert.match(text, /WIN_CSC_KEY_PASSWORD/);
  // no certificate file or password baked into the config itself
  assert.equal(cfg['win'].certificateFile, undefined);
  assert.equal(cfg['win'].certificatePassword, undefined);
  assert.equal(cfg['win'].signtoolOptions.certificatePassword, undefined);
  assert.equal(cfg['win'].signtoolOptions.certificateFile, undefined);
  assert.equal(cfg['win'].signtoolOptions.signingHashAlgorithms[0], 'sha256');
  assert.equal(cfg['publish'][0].provider, 'generic');
  assert.equal(cfg['publish'][0].url, '${env.RPA_UPDATE_URL}');
});

test('icons: every tray state has a PNG and a multi-size .ico; the app icon exists', () => {
  const dir = join(root, 'assets', 'icons');
  for (const state of ['healthy', 'updating', 'degraded', 'offline', 'error']) {
    const png = readFileSync(join(dir, `tray-${state}.png`));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), 32, `${state}.png is 32 px wide`);
    const ico = readFileSync(join(dir, `tray-${state}.ico`));
    assert.equal(ico.readUInt16LE(2), 1, 'type icon');
    const n = ico.readUInt16LE(4);
    const sizes = Array.from({ length: n }, (_, i) => ico.readUInt8(6 + i * 16) || 256);
    assert.deepEqual(sizes, [16, 20, 24, 32, 48]);
    // each directory entry points at a PNG of the declared length
    for (let i = 0; i < n; i++) {
      const len = ico.readUInt32LE(6 + i * 16 + 8);
      const off = ico.readUInt32LE(6 + i * 16 + 12);
      assert.equal(ico.subarray(off + 1, off + 4).toString('latin1'), 'PNG');
      assert.ok(off + len <= ico.length);
    }
  }
  assert.ok(existsSync(join(root, cfg['win'].icon)));
  assert.ok(existsSync(join(root, cfg['linux'].icon)));
});

test('packaging: electron, aedes and tsx are devDependencies (electron-builder ships `dependencies` only and refuses electron there)', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; main: string };
  for (const p of ['electron', 'aedes', 'tsx']) {
    assert.equal(pkg.dependencies[p], undefined, `${p} is not a runtime dependency`);
    assert.ok(pkg.devDependencies[p], `${p} is a devDependency`);
  }
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; dependencies?: Record<string, string>; devDependencies?: Record<string, string> }> };
  assert.deepEqual(lock.packages['']!.dependencies, pkg.dependencies, 'package-lock.json agrees with package.json');
  for (const p of ['electron', 'aedes', 'tsx']) assert.equal(lock.packages[`node_modules/${p}`]?.dev, true, `the lock marks ${p} dev-only`);
});

/** Every source file Electron's main reaches through relative imports (static and dynamic), from src/desktop/main.ts. */
function mainImportClosure(): string[] {
  const seen = new Set<string>();
  const queue = ['src/desktop/main.ts'];
  while (queue.length) {
    const f = queue.shift()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const text = readFileSync(join(root, f), 'utf8');
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)\.js'/g)) {
      queue.push(relative(root, resolve(root, dirname(f), `${m[1]}.ts`)));
    }
  }
  return [...seen];
}

test('packaging: `files` holds what main.js loads — its compiled import closure, the worker it spawns, the preload — and no CLI or fleet code', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
  const files = cfg['files'] as string[];
  const dirs = files.filter((f) => f.startsWith('dist/src/') && f.endsWith('/**/*.js')).map((f) => f.slice(0, -'**/*.js'.length));
  const shipped = (distPath: string) => files.includes(distPath) || dirs.some((d) => distPath.startsWith(d));
  assert.equal(pkg.main, 'dist/src/desktop/main.js');
  assert.ok(shipped(pkg.main), 'the main entry');
  const closure = mainImportClosure();
  assert.ok(closure.length > 20, `main.ts reaches the agent service (${closure.length} files)`);
  for (const f of [...closure, 'src/agent/inference/session-worker.ts']) {
    assert.ok(existsSync(join(root, f)), f);
    assert.ok(shipped(`dist/${f.replace(/\.ts$/, '.js')}`), `${f} is packaged`);
  }
  assert.ok(!closure.some((f) => f.startsWith('src/cli/') || f.startsWith('src/fleet/')), 'main does not reach the CLIs or the fleet tools');
  assert.ok(!dirs.some((d) => d.startsWith('dist/src/cli') || d.startsWith('dist/src/fleet')), 'neither are packaged');
  assert.ok(files.includes('dist/desktop/preload.cjs'), 'the bundled preload main.ts loads');
  for (const f of files.filter((x) => x.startsWith('renderer/'))) assert.ok(f.includes('dist/') || existsSync(join(root, f)), f);
  assert.equal(cfg['asar'], true);
  assert.ok((cfg['extraResources'] as Cfg[]).some((e) => e.from === 'assets/models' && e.to === 'models'), 'baseline models as extra resources');
});
