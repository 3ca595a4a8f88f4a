#!/usr/bin/env node
// Dataset generator: renders UI pages in headless Chromium and labels every interactive element from the DOM.
//
//   node scripts/dataset/generate.mjs --out DIR --seed-start N --count M [--kind synthetic|real] [--variants K]
//                                     [--box-rule uia|legacy]
//
// --box-rule: uia (default since issue 15's round 2): the element follows UI Automation — a check box or radio is
//            boxed with its label, list rows, sliders, spin buttons... get their own types (lib/labeller.mjs);
//            legacy: the generator's labels before issue 15 (a check box is its indicator only).
//
// synthetic: seeds N..N+M-1, each a randomised page (see lib/synthetic.mjs). Variant v of a seed is the SAME
//            DOM under another theme/scale (v=0: the seed's base theme and scale; v=1: the other theme and
//            the scale two steps further), so element ids pair up across variants for similarity training.
// real:      the hand-written pages in scripts/dataset/real/*.html (sorted), page index = seed; seeds
//            N..N+M-1 select pages (modulo the page count); every page under K variants (default 4).
// thirdparty: the same for scripts/dataset/thirdparty/*.html — pages styled by published CSS frameworks
//            (Bootstrap, Bulma, Pico, Water.css, Primer from node_modules, served to the page as
//            https://npm.local/<package path>; nothing is fetched from the network).
// Output per sample: <kind>_<seed>_v<variant>.png and .json
//   {width,height,scale,theme,seed,variant,kind,page,viewport,elements:[{id,box:[x1,y1,x2,y2],type,checked?,text?}]}
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { buildSyntheticPage } from './lib/synthetic.mjs';
import { labelPageInBrowser } from './lib/labeller.mjs';
import { pageFiles } from './lib/pages.mjs';
import { npmStylesheet } from './lib/npm-local.mjs';
import { LAUNCH_ARGS } from './lib/chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', '..', 'package.json'));
const { chromium } = require('playwright-core');

export const SCALES = [1, 1.25, 1.5, 2];
// Fixed variant table for real pages: theme x scale x viewport (CSS px).
const REAL_VARIANTS = [
  { theme: 'light', scale: 1, viewport: { width: 1366, height: 768 } },
  { theme: 'dark', scale: 1.5, viewport: { width: 1366, height: 768 } },
  { theme: 'light', scale: 1.25, viewport: { width: 1536, height: 864 } },
  { theme: 'dark', scale: 2, viewport: { width: 1920, height: 1080 } },
  { theme: 'dark', scale: 1, viewport: { width: 1280, height: 720 } },
  { theme: 'light', scale: 2, viewport: { width: 1440, height: 900 } },
];

// https://npm.local/<package>/<path>.css -> that stylesheet from node_modules (lib/npm-local.mjs; this generator's
// pages get stylesheets only).
export { npmStylesheet };

export function parseArgs(argv) {
  const args = { out: null, seedStart: 0, count: 1, kind: 'synthetic', variants: null, boxRule: 'uia' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--out') { args.out = v; i++; } else if (a === '--seed-start') { args.seedStart = Number(v); i++; } else if (a === '--count') { args.count = Number(v); i++; } else if (a === '--kind') { args.kind = v; i++; } else if (a === '--variants') { args.variants = Number(v); i++; } else if (a === '--box-rule') { args.boxRule = v; i++; } else throw new Error(`unknown argument ${a}`);
  }
  if (!args.out) throw new Error('--out DIR is required');
  if (!['synthetic', 'real', 'thirdparty'].includes(args.kind)) throw new Error('--kind must be synthetic, real or thirdparty');
  if (!['uia', 'legacy'].includes(args.boxRule)) throw new Error('--box-rule must be uia or legacy');
  args.variants ??= args.kind === 'synthetic' ? 1 : 4;
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.out, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: LAUNCH_ARGS });
  const pages = new Map(); // one context per deviceScaleFactor (it is fixed per context)
  const pageFor = async (scale) => {
    if (!pages.has(scale)) {
      const ctx = await browser.newContext({ deviceScaleFactor: scale, viewport: { width: 1280, height: 720 }, javaScriptEnabled: true });
      await ctx.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('data:')) return route.continue();
        const css = npmStylesheet(url);
        return css === null ? route.abort() : route.fulfill({ status: 200, contentType: 'text/css', body: css });
      });
      pages.set(scale, await ctx.newPage());
    }
    return pages.get(scale);
  };
  const realDir = join(here, args.kind);
  const realPages = args.kind === 'synthetic' ? [] : pageFiles(args.kind);
  const t0 = Date.now();
  let n = 0;
  for (let seed = args.seedStart; seed < args.seedStart + args.count; seed++) {
    for (let v = 0; v < args.variants; v++) {
      let html;
      let theme;
      let scale;
      let viewport;
      let pageName;
      if (args.kind === 'synthetic') {
        const p = buildSyntheticPage(seed);
        theme = v % 2 === 0 ? p.baseTheme : (p.baseTheme === 'light' ? 'dark' : 'light');
        scale = SCALES[(p.baseScaleIndex + 2 * v + (v >= 2 ? 1 : 0)) % SCALES.length];
        viewport = p.viewport;
        html = p.html.replace('__THEME__', theme);
        pageName = p.kind;
      } else {
        pageName = realPages[seed % realPages.length];
        const rv = REAL_VARIANTS[v % REAL_VARIANTS.length];
        ({ theme, scale, viewport } = rv);
        html = readFileSync(join(realDir, pageName), 'utf8');
      }
      const page = await pageFor(scale);
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
      await page.setContent(html, { waitUntil: 'load' });
      if (args.kind !== 'synthetic') {
        // Real pages pick their theme from prefers-color-scheme, a class on <html> or the attribute their
        // framework reads (Pico/Bulma data-theme, Bootstrap data-bs-theme, Primer data-color-mode).
        await page.evaluate((t) => {
          const h = document.documentElement;
          h.classList.add(t);
          Object.assign(h.dataset, { theme: t, bsTheme: t, colorMode: t });
        }, theme);
      }
      await page.evaluate(() => document.fonts.ready);
      const elements = await page.evaluate(labelPageInBrowser, { boxRule: args.boxRule });
      const base = `${args.kind}_${seed}_v${v}`;
      const png = await page.screenshot({ type: 'png', animations: 'disabled', caret: 'hide' });
      writeFileSync(join(args.out, `${base}.png`), png);
      const width = Math.round(viewport.width * scale);
      const height = Math.round(viewport.height * scale);
      const label = { width, height, scale, theme, seed, variant: v, kind: args.kind, page: pageName, viewport, boxRule: args.boxRule, elements };
      writeFileSync(join(args.out, `${base}.json`), JSON.stringify(label));
      n++;
    }
    if ((seed - args.seedStart) % 50 === 49) console.error(`${n} samples, ${((Date.now() - t0) / n).toFixed(0)} ms/sample`);
  }
  await browser.close();
  console.error(`done: ${n} samples in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${args.out}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
