/** The industry profile in the tray (issue 21 §2): named when not the default, and a fallback said so. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trayViewOf } from '../../src/common/tray-state.js';
import { StatusSnapshotSchema } from '../../src/common/bridge.js';
import { scenarios } from './desktop-snapshots.js';

test('tray: a healthy agent names its profile; a profile the release lacks is said to use the default settings', () => {
  const s = scenarios.healthy();
  assert.equal(trayViewOf(s).reason, 'Healthy: 2 models active, connected.');
  s.agent.profile = { name: 'default', applied: 'default' };
  assert.equal(trayViewOf(s).reason, 'Healthy: 2 models active, connected.', 'the default profile is not named');
  s.agent.profile = { name: 'healthcare', applied: 'healthcare' };
  assert.equal(trayViewOf(s).reason, 'Healthy: 2 models active, connected; profile healthcare.');
  s.agent.profile = { name: 'retail', applied: 'default', reason: 'the release has no profile "retail": the default settings apply' };
  assert.equal(trayViewOf(s).reason, 'Healthy: 2 models active, connected; profile retail (default settings).');
  assert.equal(StatusSnapshotSchema.safeParse(s).success, true, 'the bridge carries it');
});
