/** Where the fleet database is, and that verbs never create an empty one (issue 16 §5). Pure + real SQLite files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dbPath, defaultFleetDbPath, openFleetStore } from '../../src/cli/fleet/db.js';
import { parseInit } from '../../src/cli/fleet/init.js';
import { parseController } from '../../src/cli/fleet/controller.js';
import { AgentError } from '../../src/common/errors.js';

test('fleet db: --db, then RPA_FLEET_DB, then the per-user default (never the current directory)', () => {
  const env = { RPA_FLEET_DB: '/srv/rpa/fleet.db', XDG_DATA_HOME: '/home/ann/.data' };
  assert.equal(dbPath({ db: '/x/f.db' }, env), '/x/f.db');
  assert.equal(dbPath({}, env), '/srv/rpa/fleet.db');
  assert.equal(dbPath({}, { XDG_DATA_HOME: '/home/ann/.data' }), '/home/ann/.data/rpa-fleet/fleet.db');
  assert.equal(defaultFleetDbPath({}, 'linux', '/home/ann'), '/home/ann/.local/share/rpa-fleet/fleet.db');
  assert.equal(defaultFleetDbPath({ XDG_DATA_HOME: 'relative' }, 'linux', '/home/ann'), '/home/ann/.local/share/rpa-fleet/fleet.db', 'a relative XDG_DATA_HOME is ignored');
  assert.equal(defaultFleetDbPath({ LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local' }, 'win32', 'C:\\Users\\ann'), 'C:\\Users\\ann\\AppData\\Local\\rpa-fleet\\fleet.db');
  assert.equal(defaultFleetDbPath({}, 'darwin', '/Users/ann'), '/Users/ann/Library/Application Support/rpa-fleet/fleet.db');
  const i = parseInit([], { RPA_FLEET_DB: '/srv/rpa/fleet.db' });
  assert.deepEqual(i, { kind: 'ok', value: { db: '/srv/rpa/fleet.db', json: false } });
  const c = parseController(['--broker', 'mqtt://localhost:1883', '--key', 'r.key', '--db', '/x.db', '--init']);
  assert.equal(c.kind === 'ok' && c.value.init, true);
  const c2 = parseController(['--broker', 'mqtt://localhost:1883', '--key', 'r.key', '--db', '/x.db']);
  assert.equal(c2.kind === 'ok' && c2.value.init, false);
});

test('fleet db: a missing file is fleet_db_missing and stays missing; create makes it with its folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rpa-fleet-db-'));
  try {
    const path = join(dir, 'nested', 'fleet.db');
    assert.throws(() => openFleetStore(path), (e: unknown) => e instanceof AgentError && e.code === 'fleet_db_missing' && /rpa-fleet init --db/.test(e.message));
    assert.equal(existsSync(path), false, 'no empty database was created');
    openFleetStore(path, { create: true }).close();
    assert.equal(existsSync(path), true);
    const s = openFleetStore(path);
    assert.deepEqual(s.agents(), []);
    s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
