#!/usr/bin/env node
/**
 * `npm start`: runs the tray app where Electron's binary is present, and says plainly what is missing
 * where it is not (issue 7). Builds the main process, the preload and the status window with esbuild
 * first (a few hundred ms), then launches Electron. Arguments after `--` go to the app, e.g.
 *   npm start -- --config /etc/rpa-edge-agent/desktop.json
 * Note: require('electron') would try to download the binary when it is missing, so the path is read
 * from node_modules/electron/path.txt directly.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function electronBinary(electronDir = join(root, 'node_modules', 'electron')) {
  if (!existsSync(join(electronDir, 'package.json'))) {
    return { ok: false, why: 'the electron package is not installed (node_modules/electron is missing): run `npm ci`.' };
  }
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) {
    return {
      ok: false,
      why:
        "Electron's binary is not installed (node_modules/electron/dist is missing; its download is blocked on this machine).\n" +
        '  To run the tray app: on a machine with internet, run `npx install-electron` (or `node node_modules/electron/install.js`),\n' +
        '  or copy an Electron ' + JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version + ' build into node_modules/electron/dist and write its executable name to node_modules/electron/path.txt,\n' +
        '  or point ELECTRON_OVERRIDE_DIST_PATH at an unpacked Electron.\n' +
        '  Everything except the tray and window runs without it: `npx rpa-agent run --config agent.json` (headless agent),\n' +
        '  and the status window is tested in headless Chromium: `npm test -- test/e2e/status-window-states.test.ts`.',
    };
  }
  const exe = readFileSync(pathFile, 'utf8').trim();
  const full = process.env.ELECTRON_OVERRIDE_DIST_PATH ? join(process.env.ELECTRON_OVERRIDE_DIST_PATH, exe) : join(electronDir, 'dist', exe);
  try {
    accessSync(full, constants.X_OK);
  } catch {
    return { ok: false, why: `Electron's binary ${full} is missing or not executable: reinstall it with \`npx install-electron\` on a machine with internet.` };
  }
  return { ok: true, path: full };
}

export async function buildDesktop() {
  const { build } = await import('esbuild');
  const { buildRenderer, buildPreload } = await import('./build-renderer.mjs');
  await buildRenderer();
  await buildPreload();
  // Main process: bundled ESM with every package left external (native modules load from node_modules).
  await build({
    entryPoints: [join(root, 'src', 'desktop', 'main.ts')],
    outfile: join(root, 'dist', 'desktop', 'main.mjs'),
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: ['node22'],
    sourcemap: true,
    logLevel: 'warning',
  });
  return join(root, 'dist', 'desktop', 'main.mjs');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bin = electronBinary();
  if (!bin.ok) {
    console.error(`npm start: cannot start the tray app.\n  ${bin.why}`);
    process.exit(1);
  }
  const main = await buildDesktop();
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // would start Electron as plain Node instead of the app
  const child = spawn(bin.path, [main, ...process.argv.slice(2)], { stdio: 'inherit', env });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
}
