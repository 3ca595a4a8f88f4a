/**
 * A controller as an admin meets it, for the web console's tests and benchmark: real Mosquitto, signed
 * models (also bound in the registry, so the models page has provenance), a release on `prod`,
 * simulated agents (src/fleet/sim, real MQTT clients), the real FleetController on a SQLite file, the
 * real API server (src/fleet/api/server.ts) on loopback with the console's files and event stream,
 * bearer tokens per role, and Debian's Chromium through playwright-core.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DEFAULT_TOPIC_PREFIX } from '../../src/common/topics.js';
import { ApiContext } from '../../src/fleet/api/context.js';
import { startApiServer, type ApiServer } from '../../src/fleet/api/server.js';
import { FleetController } from '../../src/fleet/controller/controller.js';
import { ControllerStore } from '../../src/fleet/controller/store.js';
import { buildManifest, signManifest } from '../../src/fleet/manifest.js';
import { connectBroker } from '../../src/fleet/mqtt.js';
import { publishModel } from '../../src/fleet/publisher.js';
import { ModelRegistry } from '../../src/fleet/registry/registry.js';
import { makeSimKeys, publishSimRelease, startFleetSim, type FleetSim, type SimKeys } from '../../src/fleet/sim/index.js';
import { ProfileBook } from '../../src/fleet/sim/profiles.js';
import { consoleHttp, type ConsoleHttp } from '../../src/fleet/web/console-http.js';
import { startMosquitto, type TestBroker } from '../helpers/brokers.js';
import { CHROMIUM, CHROMIUM_ARGS } from './status-window-harness.js';
// @ts-expect-error -- plain .mjs build script without type declarations
import { buildConsole } from '../../scripts/build-console.mjs';

export { chromiumMissing } from './status-window-harness.js';

export interface ConsoleWorld {
  broker: TestBroker;
  keys: SimKeys;
  stable: string;
  candidate: string;
  store: ControllerStore;
  ctl: FleetController;
  api: ApiServer;
  web: ConsoleHttp;
  fleet: FleetSim;
  profiles: ProfileBook;
  /** bearer tokens by role; their names are the audit actors */
  tokens: { operator: string; approver: string; viewer: string };
  logs: string[];
  close(): Promise<void>;
}

async function waitFor<T>(f: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Signs, publishes on the broker and binds in the registry (what `rpa-fleet model publish` does). */
async function publishRegistered(client: MqttClient, keys: SimKeys, registry: ModelRegistry, name: string, version: string): Promise<string> {
  const built = await buildManifest({
    bytes: new Uint8Array(randomBytes(4000)),
    role: 'detector',
    name,
    version,
    chunkSize: 1024,
    readContract: async () => ({ inputs: [{ name: 'x', dtype: 'float32' as const, shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32' as const, shape: [1, 4] }] }),
  });
  const envelope = signManifest(built.manifest, [keys.models]);
  await publishModel(client, { manifestEnvelope: envelope, chunks: built.chunks });
  registry.bind(built.manifest, envelope, 'ci-publisher', Date.now());
  return built.modelId;
}

export async function startConsoleWorld(opts: { agents: number; windowMs?: number; tickMs?: number }): Promise<ConsoleWorld> {
  await (buildConsole as () => Promise<unknown>)();
  const broker = await startMosquitto();
  const keys = makeSimKeys();
  const dir = mkdtempSync(join(tmpdir(), 'rpa-console-'));
  const store = new ControllerStore(join(dir, 'fleet.db'));
  const registry = new ModelRegistry(store.db);
  const admin = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion });
  const stable = await publishRegistered(admin, keys, registry, 'ui-detector', '1.0.0');
  const candidate = await publishRegistered(admin, keys, registry, 'ui-detector', '1.1.0');
  await publishSimRelease(admin, { keys, channel: 'prod', roles: { detector: { stable } } });
  const ctlClient = await connectBroker({ url: broker.url, protocolVersion: broker.protocolVersion, mqttOptions: { reconnectPeriod: 200 } });
  const logs: string[] = [];
  const ctl = new FleetController({ client: ctlClient, store, releaseKeys: [keys.releases], tickMs: opts.tickMs ?? 200, onLog: (l) => logs.push(l) });
  await ctl.start();
  const ctx = new ApiContext({ store, broker: { client: ctlClient, releaseKeys: [keys.releases], prefix: DEFAULT_TOPIC_PREFIX }, log: (l) => logs.push(l) });
  const web = consoleHttp(ctx);
  const api = await startApiServer(ctx, { host: '127.0.0.1', port: 0, insecureHttp: true, extra: web.extra });
  const now = Date.now();
  const tokens = {
    operator: ctx.tokens.create('olivia-operator', 'operator', 'test', now).token,
    approver: ctx.tokens.create('adam-approver', 'approver', 'test', now).token,
    viewer: ctx.tokens.create('vera-viewer', 'viewer', 'test', now).token,
  };
  const profiles = new ProfileBook();
  const fleet = await startFleetSim({
    url: broker.url, count: opts.agents, channel: 'prod', idPrefix: 'ws-ber-', trust: keys.trust, profiles, windowMs: opts.windowMs ?? 300, requestsPerWindow: 20,
    mqtt: { protocolVersion: broker.protocolVersion }, labels: (i) => ({ site: i % 2 ? 'berlin' : 'hamburg', dept: 'finance' }),
  });
  const close = async () => {
    web.close();
    await api.close();
    await ctl.close();
    ctlClient.end(true);
    admin.end(true);
    await fleet.close();
    store.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => fleet.countActive('detector', stable) === opts.agents, 30_000, 'agents on the stable model');
    await waitFor(() => (ctl.flushIngest(), store.agents().filter((a) => a.online).length === opts.agents), 15_000, 'controller sees every agent');
  } catch (e) {
    await close();
    throw e;
  }
  return { broker, keys, stable, candidate, store, ctl, api, web, fleet, profiles, tokens, logs, close };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface ConsoleTab {
  context: BrowserContext;
  page: Page;
  /** page errors, console errors and CSP violations seen so far */
  problems: string[];
  /** every URL the page requested (same-origin check) */
  requests: string[];
}

export async function openConsole(browser: Browser, origin: string, opts: { colorScheme?: 'light' | 'dark'; width?: number; height?: number; deviceScaleFactor?: number } = {}): Promise<ConsoleTab> {
  const context = await browser.newContext({ colorScheme: opts.colorScheme ?? 'light', viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 }, deviceScaleFactor: opts.deviceScaleFactor ?? 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|403|404)/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${origin}/`);
  return { context, page, problems, requests };
}

export async function signIn(tab: ConsoleTab, token: string): Promise<void> {
  await tab.page.fill('#token', token);
  await tab.page.click('#signin button[type=submit]');
  await tab.page.waitForSelector('#nav:not([hidden])');
}
