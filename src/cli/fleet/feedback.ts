/**
 * `rpa-fleet feedback export`: writes the corrections agents sent (issue 6) as a dataset directory:
 * `feedback.jsonl` (one correction a line, image replaced by its file name) and `images/<agent>-<id>.png`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseFlags, type Command, type Parsed, type AnyCommand } from '../command.js';
import { dbHelp, dbOption, dbPath, openFleetStore } from './db.js';

interface ExportArgs {
  out: string;
  since?: string;
  db: string;
  json: boolean;
}

export function parseFeedbackExport(argv: string[]): Parsed<ExportArgs> {
  const r = parseFlags(argv, { ...dbOption, out: { type: 'string' }, since: { type: 'string' }, json: { type: 'boolean' } });
  if (r.kind !== 'ok') return r;
  const out = r.values['out'];
  if (typeof out !== 'string' || !out) return { kind: 'error', message: '--out DIR is required' };
  const since = r.values['since'];
  if (since !== undefined && Number.isNaN(Date.parse(String(since)))) return { kind: 'error', message: '--since is an ISO date (e.g. 2026-01-31)' };
  return { kind: 'ok', value: { out, ...(since !== undefined ? { since: new Date(String(since)).toISOString() } : {}), db: dbPath(r.values), json: r.values['json'] === true } };
}

const exportCmd: Command<ExportArgs> = {
  name: 'feedback export',
  summary: 'write collected corrections as a dataset (JSONL + PNG crops)',
  help: `--out DIR [--since DATE] [--db FILE] [--json]\n${dbHelp}`,
  parse: parseFeedbackExport,
  async run(a, io) {
    const store = openFleetStore(a.db);
    try {
      const items = store.feedbackAll(a.since);
      await mkdir(join(a.out, 'images'), { recursive: true });
      const lines: string[] = [];
      let images = 0;
      for (const f of items) {
        const { imagePng, ...rest } = f;
        let image: string | undefined;
        if (imagePng) {
          image = `images/${f.agentId}-${f.id.replace(/[^A-Za-z0-9._-]/g, '_')}.png`;
          await writeFile(join(a.out, image), Buffer.from(imagePng, 'base64'));
          images++;
        }
        lines.push(JSON.stringify({ ...rest, ...(image ? { image } : {}) }));
      }
      await writeFile(join(a.out, 'feedback.jsonl'), lines.join('\n') + (lines.length ? '\n' : ''));
      io.out(a.json ? JSON.stringify({ ok: true, out: a.out, items: items.length, images }) : `wrote ${items.length} corrections (${images} images) to ${a.out}`);
      return 0;
    } finally {
      store.close();
    }
  },
};

export const commands: AnyCommand[] = [exportCmd];
