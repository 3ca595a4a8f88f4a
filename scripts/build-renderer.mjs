#!/usr/bin/env node
/**
 * Bundles the browser and preload code with esbuild (already installed as tsx's dependency):
 *   renderer/main.ts        → renderer/dist/app.js      (status window, loaded via rpa://status/)
 *   renderer/styles.css     → renderer/dist/styles.css  (bundled with the base it @imports, src/common/styles/base.css,
 *                                                        which the web console shares)
 *   src/desktop/preload.ts  → dist/desktop/preload.cjs  (sandboxed preload: one file, only `electron` external)
 *   src/console/main.ts     → dist/console/app.js       (the controller's web console; scripts/build-console.mjs)
 * Usage: node scripts/build-renderer.mjs [--preload]   (npm run build:renderer)
 */
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConsole } from './build-console.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildRenderer({ outdir = join(root, 'renderer', 'dist'), minify = false } = {}) {
  const r = await build({
    entryPoints: [join(root, 'renderer', 'main.ts')],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome120'],
    sourcemap: true,
    minify,
    metafile: true,
    logLevel: 'warning',
  });
  // one stylesheet from the app origin (CSP style-src 'self'): the @import is resolved here, not at load time
  const css = await build({ entryPoints: [join(root, 'renderer', 'styles.css')], outfile: join(outdir, 'styles.css'), bundle: true, target: ['chrome120'], metafile: true, logLevel: 'warning' });
  return { outfile: join(outdir, 'app.js'), inputs: [...Object.keys(r.metafile.inputs), ...Object.keys(css.metafile.inputs)] };
}

/** A sandboxed preload can require only a few modules (electron, events, timers, url), so it is bundled. */
export async function buildPreload({ outfile = join(root, 'dist', 'desktop', 'preload.cjs') } = {}) {
  const entry = join(root, 'src', 'desktop', 'preload.ts');
  if (!existsSync(entry)) return undefined;
  await build({ entryPoints: [entry], outfile, bundle: true, format: 'cjs', platform: 'node', target: ['node22'], external: ['electron'], sourcemap: true, logLevel: 'warning' });
  return { outfile };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await buildRenderer({ minify: process.argv.includes('--minify') });
  console.log(`renderer → ${r.outfile} (${r.inputs.length} inputs)`);
  if (process.argv.includes('--preload')) {
    const p = await buildPreload();
    console.log(p ? `preload → ${p.outfile}` : 'preload: src/desktop/preload.ts not found');
  }
  const c = await buildConsole();
  console.log(`console → ${c.outdir} (${c.inputs.length} inputs)`);
}
