import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trayMenuOf, trayViewOf, tooltipOf, TOOLTIP_MAX, TRAY_STATES, type TrayMenuItem } from '../../src/common/tray-state.js';
import { scenarios } from './desktop-snapshots.js';

const time = (iso: string) => iso.slice(11, 16);

test('tray: each scenario maps to its state, icon and one-line reason', () => {
  const cases: Array<[keyof typeof scenarios, (typeof TRAY_STATES)[number], RegExp]> = [
    ['healthy', 'healthy', /^Healthy: 2 models active, connected\.$/],
    ['fetching', 'updating', /^Element detector: Downloading ui-detector 1\.5\.0 \(42 %\)\.$/],
    ['verifying', 'updating', /^Element detector: Verifying ui-detector 1\.5\.0\.$/],
    ['canary', 'healthy', /^Healthy/],
    ['rolledBack', 'degraded', /^Element detector: The new model was too slow on this machine/],
    ['degradedCpu', 'degraded', /running on the processor \(cpu\)/],
    ['rejected', 'degraded', /The update channel has not been refreshed in time; keeping the current model\./],
    ['releaseExpired', 'degraded', /The update channel has not been refreshed in time; keeping the current model\./],
    ['offline', 'offline', /^Offline from the update server since 14:15; detection keeps working\.$/],
    ['error', 'error', /^Element detector: The new model gave wrong answers on its self-test/],
    ['paused', 'degraded', /^Detection paused until 14:45\.$/],
  ];
  for (const [name, state, reason] of cases) {
    const v = trayViewOf(scenarios[name](), { formatTime: time });
    assert.equal(v.state, state, name);
    assert.match(v.reason, reason, name);
    assert.equal(v.icon, `tray-${state}`);
    assert.ok(v.tooltip.startsWith('RPA Edge Agent — '), name);
    assert.ok(v.tooltip.length <= TOOLTIP_MAX, name);
    assert.ok(!v.reason.includes('\n'), `${name}: one line`);
  }
});

test('tray: precedence error > offline > updating > degraded', () => {
  const s = scenarios.fetching();
  s.broker = { state: 'offline' };
  assert.equal(trayViewOf(s).state, 'offline');
  s.fatal = { code: 'bad_config', message: 'x' };
  assert.equal(trayViewOf(s).state, 'error');
  assert.match(trayViewOf(s).reason, /settings are invalid/);
  const r = scenarios.rolledBack();
  r.roles[1]!.status = { ...r.roles[1]!.status, state: 'fetching', pending: { modelId: 'e'.repeat(64), progress: 0.1 } };
  assert.equal(trayViewOf(r).state, 'updating');
  const closed = scenarios.healthy();
  closed.endpoint.listening = false;
  assert.equal(trayViewOf(closed).state, 'error');
});

test('tray: tooltip is truncated to the Windows limit with an ellipsis', () => {
  const t = tooltipOf('x'.repeat(300));
  assert.equal(t.length, TOOLTIP_MAX);
  assert.ok(t.endsWith('…'));
  assert.equal(tooltipOf('short'), 'RPA Edge Agent — short');
});

function labels(items: TrayMenuItem[]): string[] {
  return items.map((i) => (i.kind === 'separator' ? '---' : `${i.label}${i.enabled ? '' : ' [disabled]'}`));
}

test('tray menu: default has Open status, Pause 15 min, Check for update, Copy diagnostics, Quit', () => {
  assert.deepEqual(labels(trayMenuOf(scenarios.healthy(), { formatTime: time })), [
    'Open status',
    '---',
    'Pause detection for 15 min',
    'Check for agent update',
    'Copy diagnostics',
    '---',
    'Quit',
  ]);
});

test('tray menu: paused shows Resume with the end time', () => {
  const items = trayMenuOf(scenarios.paused(), { formatTime: time });
  const resume = items.find((i) => i.kind === 'item' && i.action === 'resume-detection');
  assert.ok(resume && resume.kind === 'item');
  assert.equal(resume.label, 'Resume detection (paused until 14:45)');
  assert.ok(!items.some((i) => i.kind === 'item' && i.action === 'pause-detection'));
});

test('tray menu: a downloaded update is offered, but disabled while a bot is mid-request', () => {
  const idle = trayMenuOf(scenarios.updateReady(0)).find((i) => i.kind === 'item' && i.action === 'install-update');
  assert.ok(idle && idle.kind === 'item' && idle.enabled);
  assert.equal(idle.label, 'Restart to update to 0.2.0');
  const busy = trayMenuOf(scenarios.updateReady(2)).find((i) => i.kind === 'item' && i.action === 'install-update');
  assert.ok(busy && busy.kind === 'item' && !busy.enabled);
  assert.match(busy.label, /a bot is busy/);
});

test('tray menu: check-update is disabled while checking or downloading', () => {
  const s = scenarios.healthy();
  for (const [state, enabled] of [['checking', false], ['downloading', false], ['idle', true], ['error', true], ['disabled', false]] as const) {
    s.update = { state, currentVersion: '0.1.0', progress: state === 'downloading' ? 0.5 : undefined };
    const item = trayMenuOf(s).find((i) => i.kind === 'item' && i.action === 'check-update');
    assert.ok(item && item.kind === 'item');
    assert.equal(item.enabled, enabled, state);
  }
});
