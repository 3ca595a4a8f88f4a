#!/usr/bin/env node
// Family "webwin" of issue 15's real-program dataset: Windows-look web applications (7.css, 98.css, xp.css,
// @fluentui/web-components, office-ui-fabric-core) rendered in headless Chromium and labelled from the DOM with the
// UIA box rule (lib/labeller.mjs, boxRule 'uia').
//
//   node scripts/dataset/webwin.mjs [--out DIR] [--app ID]...        (npm run dataset:webwin)
//
// Apps: scripts/dataset/apps/webwin.json ([{app, toolkit, description, split}], split by lib/split.mjs's rule —
// the file is checked against the rule before anything is rendered). Each app is one page,
// scripts/dataset/webwin/<app>.html, which defines window.webwinStates = { <state>: () => void | Promise }: each
// state is applied to a freshly loaded page (a tab switched, a menu open, a dialog, disabled controls, a list
// scrolled). Every state is rendered under every variant of VARIANTS (theme x scale x viewport).
// Output: DIR/<app>/<state>_<theme>_<scale>.{png,json}, DIR = $RPA_DATA_DIR/real-apps/webwin (default
// <repo>/.data/datasets/real-apps/webwin); an app's folder is emptied before it is rebuilt.
// Themes: light; dark and hc where the framework has them (Fluent's webDarkTheme and teamsHighContrastTheme). Chromium's
// forced colours were tried as a high-contrast theme for the CSS frameworks and dropped: they strip the box-shadows
// that draw 98.css/xp.css borders and check boxes, so controls lose their outline — nothing like Windows' own.
// Ignore regions: the labeller runs with ignoreRegions, so a sample may carry `"ignore": [[x1,y1,x2,y2], ...]` (image
// pixels, written only when non-empty): the visible strips of controls that an open menu, dialog or pop-up hides too
// much of to keep — one covered in its middle or a corner with less than half left showing (a panel over one whole side
// still just trims the box), or one whose own pixels are at fewer than 2 of its 3 sample points (dropped before this
// too, silently). Each strip is the box minus the covering panels' rectangles (bands above, below, left and right of
// each, as the AT-SPI harvester's geometry.py `pieces`), cut the same way around the dropped control's own controls that
// stay labelled (a list row's check box and name link), strips under 3 CSS px left out. A panel's rectangle is the box
// painted where it covers (a Fluent dialog's panel, not its 0 x 0 host; a sticky header cell, not its scrolled-away
// <thead>), found for the strips on points at most 16 CSS px apart, so a narrow one (a 46 px "select all" header cell)
// is not missed; a modal dialog's translucent backdrop hides nothing, so a control it only dims is ignored whole. The evaluation drops
// unmatched detections at least half inside one (scripts/eval/real-metrics.ts), training masks them.
import { mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseCliOrExit } from './lib/cli.mjs';
import { createRequire } from 'node:module';
import { labelPageInBrowser } from './lib/labeller.mjs';
import { npmLocalFile, nodeModulesRoot } from './lib/npm-local.mjs';
import { splitOfList } from './lib/split.mjs';
import { LAUNCH_ARGS } from './lib/chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const require = createRequire(join(repo, 'package.json'));
const { chromium } = require('playwright-core');

export const FAMILY = 'webwin';
export const APPS_FILE = join(here, 'apps', `${FAMILY}.json`);
export const PAGES_DIR = join(here, FAMILY);
// theme x scale x viewport (CSS px); (theme, scale) is unique so it names the file. A framework without a dark or
// high-contrast theme skips those rows.
export const VARIANTS = [
  { theme: 'light', scale: 1, viewport: { width: 1366, height: 768 } },
  { theme: 'light', scale: 1.25, viewport: { width: 1536, height: 864 } },
  { theme: 'light', scale: 1.5, viewport: { width: 1280, height: 720 } },
  { theme: 'light', scale: 2, viewport: { width: 960, height: 540 } },
  { theme: 'dark', scale: 1, viewport: { width: 1440, height: 900 } },
  { theme: 'dark', scale: 1.5, viewport: { width: 1280, height: 800 } },
  { theme: 'hc', scale: 1, viewport: { width: 1280, height: 800 } },
  { theme: 'hc', scale: 1.25, viewport: { width: 1366, height: 768 } },
];
const PAGE_URL = 'https://webwin.local/app.html';
const THEMED_TOOLKITS = new Set(['@fluentui/web-components']);

export function variantsFor(toolkit) {
  return VARIANTS.filter((v) => v.theme === 'light' || THEMED_TOOLKITS.has(toolkit));
}

export function defaultOutDir(env = process.env) {
  return env.RPA_DATA_DIR ? join(env.RPA_DATA_DIR, 'real-apps', FAMILY) : join(repo, '.data', 'datasets', 'real-apps', FAMILY);
}

export function parseArgs(argv, env = process.env) {
  const args = { out: defaultOutDir(env), apps: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--out' && v) { args.out = v; i++; } else if (a === '--app' && v) { args.apps.push(v); i++; } else throw new Error(`unknown or incomplete argument ${a}`);
  }
  return args;
}

/** The apps list, checked: every entry complete, a page for each, and the split exactly the sha256 rule's (apps added
 * after the split, field addedAfterSplit, are train: lib/split.mjs splitOfList). */
export function loadApps(file = APPS_FILE) {
  const apps = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(apps) || apps.length === 0) throw new Error(`${file}: not a non-empty array`);
  const rule = splitOfList(apps);
  for (const a of apps) {
    for (const k of ['app', 'toolkit', 'description', 'split']) if (typeof a[k] !== 'string' || !a[k]) throw new Error(`${file}: ${a.app ?? '?'} lacks ${k}`);
    if (a.split !== rule.get(a.app)) throw new Error(`${file}: ${a.app} is "${a.split}" but the sha256 rule (apps added after the split: train) says "${rule.get(a.app)}"`);
  }
  return apps;
}

// Fluent's themes are objects of design tokens from @fluentui/tokens (a dependency of @fluentui/web-components, hoisted
// or nested under it), read here in Node and handed to the page's setTheme, so no script of that package is served.
// Without them a Fluent page renders unthemed (transparent controls), so a Fluent app refuses to render instead.
export async function fluentThemes(root) {
  for (const dir of [join(root, '@fluentui', 'tokens'), join(root, '@fluentui', 'web-components', 'node_modules', '@fluentui', 'tokens')]) {
    try {
      const t = await import(pathToFileURL(join(dir, 'lib', 'index.js')).href);
      if (t.webLightTheme && t.webDarkTheme && t.teamsHighContrastTheme) return { light: t.webLightTheme, dark: t.webDarkTheme, hc: t.teamsHighContrastTheme };
    } catch {
      // not at this place; try the next
    }
  }
  return null;
}

function toImageBox(box, width, height) {
  const [x1, y1, x2, y2] = box.map((v) => Math.round(v));
  return [Math.max(0, x1), Math.max(0, y1), Math.min(width, x2), Math.min(height, y2)];
}

async function renderApp(browser, app, outDir, themes) {
  const html = readFileSync(join(PAGES_DIR, `${app.app}.html`), 'utf8');
  const dir = join(outDir, app.app);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let n = 0;
  if (THEMED_TOOLKITS.has(app.toolkit) && !themes) throw new Error(`${app.app}: @fluentui/tokens not found under ${nodeModulesRoot()}; Fluent pages would render unthemed`);
  for (const variant of variantsFor(app.toolkit)) {
    const ctx = await browser.newContext({ deviceScaleFactor: variant.scale, viewport: variant.viewport });
    await ctx.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('data:')) return route.continue();
      // the app's page itself, from a URL of its own so that every state starts in a fresh document
      if (url === PAGE_URL) return route.fulfill({ status: 200, contentType: 'text/html', body: html });
      const f = npmLocalFile(url, nodeModulesRoot());
      return f ? route.fulfill({ status: 200, contentType: f.contentType, body: f.body }) : route.abort();
    });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error(`${app.app}: page error ${e.message}`));
    await page.goto(PAGE_URL, { waitUntil: 'load' });
    const states = await page.evaluate(() => Object.keys(window.webwinStates || { main: null }));
    for (const state of states) {
      await page.emulateMedia({ colorScheme: variant.theme === 'light' ? 'light' : 'dark', reducedMotion: 'reduce' });
      await page.goto(PAGE_URL, { waitUntil: 'load' });
      await page.evaluate(async ({ theme, fluent }) => {
        document.documentElement.classList.add(theme);
        document.documentElement.dataset.theme = theme;
        if (window.webwinFluentReady) {
          const { setTheme } = await window.webwinFluentReady;
          if (fluent) setTheme(fluent);
        }
        await document.fonts.ready;
      }, { theme: variant.theme, fluent: themes?.[variant.theme] ?? null });
      await page.evaluate(async (s) => {
        const fn = window.webwinStates?.[s];
        if (fn) await fn();
        await document.fonts.ready;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      }, state);
      const raw = await page.evaluate(labelPageInBrowser, { boxRule: 'uia', ignoreRegions: true });
      const png = await page.screenshot({ type: 'png', animations: 'disabled', caret: 'hide' });
      const width = Math.round(variant.viewport.width * variant.scale);
      const height = Math.round(variant.viewport.height * variant.scale);
      const elements = raw.elements.map((e) => ({ ...e, box: toImageBox(e.box, width, height) }))
        .filter((e) => e.box[2] - e.box[0] >= 2 && e.box[3] - e.box[1] >= 2);
      const ignore = raw.ignore.map((b) => toImageBox(b, width, height)).filter((b) => b[2] - b[0] >= 2 && b[3] - b[1] >= 2);
      const stem = `${state}_${variant.theme}_${variant.scale}`;
      writeFileSync(join(dir, `${stem}.png`), png);
      const label = { width, height, scale: variant.scale, theme: variant.theme, kind: FAMILY, page: `${app.app}.html`,
        family: FAMILY, app: app.app, toolkit: app.toolkit, split: app.split, state, viewport: variant.viewport, elements,
        ...(ignore.length ? { ignore } : {}) };
      writeFileSync(join(dir, `${stem}.json`), JSON.stringify(label));
      n++;
    }
    await ctx.close();
  }
  return n;
}

async function main() {
  const args = parseCliOrExit(import.meta.url, (argv) => parseArgs(argv));
  const all = loadApps();
  const apps = args.apps.length ? all.filter((a) => args.apps.includes(a.app)) : all;
  if (args.apps.length && apps.length !== args.apps.length) throw new Error(`unknown app in ${args.apps.join(', ')}`);
  const themes = await fluentThemes(nodeModulesRoot());
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: LAUNCH_ARGS });
  const t0 = Date.now();
  let total = 0;
  try {
    for (const app of apps) {
      const t = Date.now();
      const n = await renderApp(browser, app, args.out, themes);
      total += n;
      console.error(`${app.app}: ${n} samples in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  } finally {
    await browser.close();
  }
  console.error(`done: ${total} samples of ${apps.length} apps in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${args.out}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
