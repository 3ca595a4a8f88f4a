/**
 * `rpa-fleet init`: creates the fleet database (issue 16 §5: verbs never create an empty one silently).
 * Idempotent: an existing database is left as it is and reported.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseFlags, type Command, type Parsed, type AnyCommand } from '../command.js';
import { dbHelp, dbOption, dbPath, openFleetStore } from './db.js';

export interface InitArgs {
  db: string;
  json: boolean;
}

export function parseInit(argv: string[], env: NodeJS.ProcessEnv = process.env): Parsed<InitArgs> {
  const r = parseFlags(argv, { ...dbOption, json: { type: 'boolean' } });
  if (r.kind !== 'ok') return r;
  return { kind: 'ok', value: { db: dbPath(r.values, env), json: r.values['json'] === true } };
}

const init: Command<InitArgs> = {
  name: 'init',
  summary: 'create the fleet database (the controller and every other verb use it)',
  help: `[--db FILE] [--json]

Creates the fleet database the controller keeps its state in, with its folder (mode 0700). Running it
again on an existing database changes nothing.
${dbHelp}

Example:
  rpa-fleet init                         # the per-user default
  export RPA_FLEET_DB=/srv/rpa/fleet.db && rpa-fleet init`,
  parse: (argv) => parseInit(argv),
  async run(a, io) {
    const existed = existsSync(a.db);
    openFleetStore(a.db, { create: true }).close();
    const path = resolve(a.db);
    io.out(a.json ? JSON.stringify({ ok: true, db: path, created: !existed }) : existed ? `fleet database ${path} already exists; nothing changed` : `created fleet database ${path}`);
    return 0;
  },
};

export const commands: AnyCommand[] = [init];
