/**
 * The audit log (DESIGN.md "Trust rules": every accept and every rejection is a line in the audit log):
 * JSON lines in `<dataDir>/logs/audit-YYYY-MM-DD.jsonl`, rotated daily by winston-daily-rotate-file.
 * Callers pass events only; secrets never reach this file.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';

export interface AuditLog {
  write(entry: Record<string, unknown>): void;
  close(): Promise<void>;
}

export function auditDir(dataDir: string): string {
  return join(dataDir, 'logs');
}

export function createAuditLog(dataDir: string, opts: { maxFiles?: string } = {}): AuditLog {
  const dir = auditDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const transport = new DailyRotateFile({
    dirname: dir,
    filename: 'audit-%DATE%.jsonl',
    datePattern: 'YYYY-MM-DD',
    maxFiles: opts.maxFiles ?? '30d',
    utc: true,
    createSymlink: false,
    auditFile: join(dir, '.rotate-audit.json'),
  });
  const logger = winston.createLogger({ level: 'info', format: winston.format.json(), transports: [transport] });
  let closed = false;
  return {
    write(entry) {
      if (!closed) logger.info({ message: String(entry.type ?? 'event'), ...entry });
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => {
        // 'finish' fires once every line is flushed to the file.
        transport.on('finish', () => resolve());
        logger.end();
        setTimeout(resolve, 2000).unref();
      });
    },
  };
}
