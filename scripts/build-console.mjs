/**
 * Builds the web console (issue 19 §2) the same way as the status window: esbuild (tsx's own
 * dependency, no extra package) bundles src/console/main.ts into one browser script; the page and
 * stylesheet are copied beside it. The controller serves dist/console/ (src/fleet/web/assets.ts).
 *   src/console/main.ts                → dist/console/app.js (+ .map)
 *   src/console/styles.css             → dist/console/styles.css (bundled with the base it @imports,
 *                                        src/common/styles/base.css, which the status window shares)
 *   src/console/{index.html,icon.svg}  → dist/console/
 * Run by `npm run build:renderer` (scripts/build-renderer.mjs) and by the console tests and benchmark.
 */
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CONSOLE_SRC = join(root, 'src', 'console');
export const CONSOLE_DIST = join(root, 'dist', 'console');
export const CONSOLE_STATIC = ['index.html', 'icon.svg'];

export async function buildConsole({ outdir = CONSOLE_DIST, minify = true } = {}) {
  await mkdir(outdir, { recursive: true });
  const r = await build({
    entryPoints: [join(CONSOLE_SRC, 'main.ts')],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome120', 'firefox121', 'safari17'],
    sourcemap: true,
    minify,
    metafile: true,
    logLevel: 'warning',
  });
  // one stylesheet, served from the console's own origin (CSP style-src 'self'): the @import is resolved here
  const css = await build({ entryPoints: [join(CONSOLE_SRC, 'styles.css')], outfile: join(outdir, 'styles.css'), bundle: true, target: ['chrome120', 'firefox121', 'safari17'], metafile: true, logLevel: 'warning' });
  for (const f of CONSOLE_STATIC) await copyFile(join(CONSOLE_SRC, f), join(outdir, f));
  return { outdir, inputs: [...Object.keys(r.metafile.inputs), ...Object.keys(css.metafile.inputs)] };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await buildConsole();
  console.log(`console → ${r.outdir} (${r.inputs.length} inputs)`);
}
