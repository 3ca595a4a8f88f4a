/**
 * Harness for the status-window tests: serves renderer/ over loopback HTTP with the same resolver and
 * security headers as the rpa:// protocol handler, launches Debian's Chromium headless through
 * playwright-core, injects the test adapter in place of the preload, and routes its messages to a real
 * StatusPresenter through the real sender-checking IPC dispatcher.
 */
import { createServer, type Server } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createIpcDispatcher, type StatusSnapshot } from '../../src/common/bridge.js';
import { resolveAppAsset, SECURITY_HEADERS } from '../../src/desktop/app-scheme-files.js';
import type { StatusPresenter } from '../../src/desktop/status-presenter.js';
// @ts-expect-error -- plain .mjs build script without type declarations
import { buildRenderer } from '../../scripts/build-renderer.mjs';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const RENDERER_DIR = join(ROOT, 'renderer');
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'status-window');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install chromium)`;
}

export async function startServer(): Promise<{ origin: string; server: Server; requests: string[]; close(): Promise<void> }> {
  await (buildRenderer as (o?: object) => Promise<unknown>)();
  const requests: string[] = [];
  let origin = '';
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const asset = resolveAppAsset(new URL(req.url ?? '/', origin).toString(), RENDERER_DIR, origin);
    if (!asset) {
      res.writeHead(404, SECURITY_HEADERS).end();
      return;
    }
    readFile(asset.path).then(
      (body) => res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': asset.mimeType }).end(body),
      () => res.writeHead(404, SECURITY_HEADERS).end(),
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { origin, server, requests, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

let adapterJs: string | undefined;
async function adapterScript(): Promise<string> {
  if (!adapterJs) {
    const r = await build({ entryPoints: [join(ROOT, 'test', 'e2e', 'status-window-adapter.ts')], bundle: true, write: false, format: 'iife', platform: 'browser', target: ['chrome120'], logLevel: 'warning' });
    adapterJs = r.outputFiles[0]!.text;
  }
  return adapterJs;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface WindowUnderTest {
  context: BrowserContext;
  page: Page;
  /** CSP violations and page errors seen so far */
  problems: string[];
  push(s: StatusSnapshot): Promise<void>;
  close(): Promise<void>;
}

export async function openWindow(
  browser: Browser,
  origin: string,
  presenter: StatusPresenter,
  opts: { colorScheme?: 'light' | 'dark'; width?: number; height?: number; deviceScaleFactor?: number } = {},
): Promise<WindowUnderTest> {
  const context = await browser.newContext({
    colorScheme: opts.colorScheme ?? 'light',
    viewport: { width: opts.width ?? 1000, height: opts.height ?? 900 },
    deviceScaleFactor: opts.deviceScaleFactor ?? 1,
    locale: 'en-GB',
    timezoneId: 'UTC',
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  const dispatch = createIpcDispatcher(presenter.handlers, origin);
  // The sender is the calling frame's URL, as Electron's event.senderFrame.url.
  await page.exposeBinding('__rpaInvoke', (source, channel: string, request: unknown) => dispatch(source.frame.url(), channel, request));
  await page.addInitScript({ content: await adapterScript() });
  const push = async (s: StatusSnapshot) => {
    await page.evaluate(([c, p]) => (globalThis as unknown as { __rpaPush(c: string, p: unknown): void }).__rpaPush(c, p), ['status:changed', s] as const);
  };
  const unsub = presenter.subscribe((s) => void push(s).catch(() => {}));
  await page.goto(`${origin}index.html`);
  return {
    context,
    page,
    problems,
    push,
    async close() {
      unsub();
      await context.close();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
