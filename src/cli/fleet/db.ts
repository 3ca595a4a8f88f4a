/**
 * Where the fleet database is (issue 16 §5 "Operable"): `--db FILE`, else `$RPA_FLEET_DB`, else a
 * per-user default (XDG data dir on Linux, %LOCALAPPDATA% on Windows, Application Support on macOS),
 * so every verb finds the same file whatever the current directory. A verb never creates an empty
 * database silently: only `rpa-fleet init` and `rpa-fleet controller --init` create one; every other
 * verb fails with `fleet_db_missing` and says how to create it or where to point.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, win32 } from 'node:path';
import { AgentError } from '../../common/errors.js';
import { ControllerStore } from '../../fleet/controller/store.js';

export const dbOption = { db: { type: 'string' as const } };
export const dbHelp = `  --db FILE               the fleet database (default $RPA_FLEET_DB, else the per-user data dir:
                          ~/.local/share/rpa-fleet/fleet.db on Linux; \`rpa-fleet init\` creates it)`;

/** Pure: the per-user default location of the fleet database for a platform and environment. */
export function defaultFleetDbPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (platform === 'win32') return win32.join(env['LOCALAPPDATA'] || win32.join(home, 'AppData', 'Local'), 'rpa-fleet', 'fleet.db');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'rpa-fleet', 'fleet.db');
  const xdg = env['XDG_DATA_HOME'];
  // XDG Base Directory spec: a relative $XDG_DATA_HOME is invalid and must be ignored.
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local', 'share'), 'rpa-fleet', 'fleet.db');
}

/** Pure: --db, then $RPA_FLEET_DB, then the per-user default. */
export function dbPath(v: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof v['db'] === 'string' && v['db'] !== '') return v['db'];
  const fromEnv = env['RPA_FLEET_DB'];
  return fromEnv ? fromEnv : defaultFleetDbPath(env);
}

/**
 * Opens the fleet database. Without `create` a missing file is a `fleet_db_missing` error (SQLite would
 * otherwise create an empty database wherever a mistyped path points, and the verb would report an
 * empty fleet as if it were the truth).
 */
export function openFleetStore(path: string, opts: { create?: boolean } = {}): ControllerStore {
  if (!existsSync(path)) {
    if (!opts.create) {
      throw new AgentError(
        'fleet_db_missing',
        `no fleet database at ${path}: create it with \`rpa-fleet init --db ${path}\` (or start the controller with --init), ` +
          'or point --db / RPA_FLEET_DB at the controller\'s database',
        { path },
      );
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }
  return new ControllerStore(path);
}

export function withFleetStore<T>(path: string, fn: (s: ControllerStore) => Promise<T>): Promise<T> {
  let s: ControllerStore;
  try {
    s = openFleetStore(path);
  } catch (e) {
    return Promise.reject(e);
  }
  return fn(s).finally(() => s.close());
}
