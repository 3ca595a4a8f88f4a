import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { installDecision, nextCheckDelayMs } from '../../src/desktop/update-policy.js';
import { createShutdown } from '../../src/desktop/shutdown.js';
import { parseDesktopConfig, desktopConfigCandidates } from '../../src/desktop/desktop-config.js';
import { displayBrokerUrl, EndpointCounter } from '../../src/desktop/agent-source.js';
import { resolveAppAsset, CONTENT_SECURITY_POLICY } from '../../src/desktop/app-scheme-files.js';
import { AgentError } from '../../src/common/errors.js';
// @ts-expect-error -- plain .mjs build script without type declarations
import { buildPreload } from '../../scripts/build-renderer.mjs';

const root = resolve(import.meta.dirname, '..', '..');

test('update policy: install only when downloaded and no bot request is in flight', () => {
  const ready = { state: 'ready' as const, currentVersion: '0.1.0', availableVersion: '0.2.0' };
  assert.deepEqual(installDecision(ready, 0, 'user'), { install: true });
  assert.deepEqual(installDecision(ready, 0, 'quit'), { install: true });
  const busy = installDecision(ready, 2, 'user');
  assert.equal(busy.install, false);
  assert.match(!busy.install ? busy.reason : '', /2 requests/);
  assert.equal(installDecision({ state: 'downloading', currentVersion: '0.1.0', progress: 0.5 }, 0, 'user').install, false);
});

test('update policy: check at start, then daily', () => {
  const day = 24 * 3_600_000;
  assert.equal(nextCheckDelayMs(undefined, 1_000, 24), 0);
  assert.equal(nextCheckDelayMs(0, 1_000, 24), day - 1_000);
  assert.equal(nextCheckDelayMs(0, 2 * day, 24), 0);
});

test('shutdown: steps run once, in order; a failing or stuck step does not stop the rest', async () => {
  const order: string[] = [];
  const s = createShutdown(
    [
      { name: 'drain', run: () => void order.push('drain') },
      { name: 'stuck', run: (signal) => new Promise<void>((ok) => signal.addEventListener('abort', () => (order.push('stuck aborted'), ok()))) },
      { name: 'fails', run: () => { throw new Error('boom'); } },
      { name: 'close agent', run: async () => void order.push('close agent') },
    ],
    { stepTimeoutMs: 50 },
  );
  const [a, b] = await Promise.all([s.run('quit'), s.run('session-end')]);
  assert.equal(a, b, 'a second trigger (logoff during quit) waits for the same run');
  assert.deepEqual(order, ['drain', 'stuck aborted', 'close agent']);
  assert.deepEqual(a.steps.map((x) => [x.name, x.ok]), [['drain', true], ['stuck', false], ['fails', false], ['close agent', true]]);
  assert.match(a.steps[1]!.error ?? '', /timed out after 50 ms/);
  assert.equal(a.reason, 'quit');
});

test('desktop config: generic/S3 feeds validated, https only, agent config path resolved', () => {
  const c = parseDesktopConfig({ agentConfig: 'agent.json', update: { feed: { provider: 'generic', url: 'https://updates.corp.example/rpa' } } }, '/etc/rpa');
  assert.equal(c.agentConfig, resolve('/etc/rpa', 'agent.json'));
  assert.equal(c.update.checkIntervalHours, 24);
  assert.equal(c.update.feed?.provider === 'generic' && c.update.feed.channel, 'latest');
  const s3 = parseDesktopConfig({ agentConfig: '/a.json', update: { feed: { provider: 's3', bucket: 'rpa-updates', region: 'eu-west-1' } } });
  assert.equal(s3.update.feed?.provider, 's3');
  assert.throws(() => parseDesktopConfig({ agentConfig: 'a', update: { feed: { provider: 'generic', url: 'http://plain.example' } } }), (e: unknown) => e instanceof AgentError && e.code === 'bad_config');
  assert.throws(() => parseDesktopConfig({ agentConfig: 'a', surprise: 1 }), /desktop config/);
  assert.deepEqual(desktopConfigCandidates(['--config', 'x.json'], { RPA_DESKTOP_CONFIG: 'y.json', ProgramData: 'D:\\PD' }, 'win32'), ['x.json', 'y.json', 'D:\\PD\\RPA Edge Agent\\desktop.json']);
});

test('agent source: broker credentials never reach the window; request rate over a sliding minute', () => {
  assert.equal(displayBrokerUrl('mqtts://agent7:s3cret@broker.corp:8883'), 'mqtts://broker.corp:8883');
  assert.equal(displayBrokerUrl('mqtt://127.0.0.1:1883'), 'mqtt://127.0.0.1:1883');
  let t = 0;
  const c = new EndpointCounter(() => t);
  c.requestStarted();
  t = 30_000;
  c.requestStarted();
  c.requestEnded();
  assert.equal(c.perMinute(), 2);
  assert.equal(c.inFlight, 1);
  t = 61_000;
  assert.equal(c.perMinute(), 1);
});

test('app scheme: serves only allow-listed renderer files on the app origin', () => {
  const dir = join(root, 'renderer');
  assert.equal(resolveAppAsset('rpa://status/', dir)?.path, join(dir, 'index.html'));
  assert.equal(resolveAppAsset('rpa://status/dist/app.js', dir)?.mimeType, 'text/javascript; charset=utf-8');
  // the built stylesheet (base bundled in); its source and the base it imports are not served
  assert.equal(resolveAppAsset('rpa://status/dist/styles.css', dir)?.mimeType, 'text/css; charset=utf-8');
  for (const bad of ['rpa://status/styles.css', 'rpa://status/../src/common/styles/base.css', 'rpa://status/../package.json', 'rpa://status/%2e%2e/package.json', 'rpa://status/main.ts', 'rpa://other/index.html', 'file:///etc/passwd', 'rpa://status/dist/..%2f..%2fpackage.json', 'rpa://status/%E0%A4%A']) {
    assert.equal(resolveAppAsset(bad, dir), undefined, bad);
  }
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-(inline|eval)/);
  // The page's <meta> CSP and the header agree on the script and style sources.
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  assert.match(html, /script-src 'self'; style-src 'self'/);
});

test('preload bundle: one file requiring only electron (a sandboxed preload cannot load other modules)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'preload-'));
  try {
    const r = (await (buildPreload as (o: object) => Promise<{ outfile: string } | undefined>)({ outfile: join(dir, 'preload.cjs') }))!;
    const js = readFileSync(r.outfile, 'utf8');
    const requires = [...js.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(requires)], ['electron']);
    assert.match(js, /exposeInMainWorld/);
    assert.doesNotMatch(js, /exposeInMainWorld\([^)]*ipcRenderer\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
