/**
 * Disk full (issue 17 §1): the data dir's disk filling up must not crash the agent. A write that fails for
 * lack of space (ENOSPC, SQLite's SQLITE_FULL) is reported (`disk_full` event and status alert, by the
 * agent core), the download pauses, and this watch looks at the free space every `pollMs` until it grows,
 * then tells the agent to resume. At start a disk with less than `minFreeBytes` free counts as full.
 */
import { existsSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Timers } from './runtime.js';
import { Registry, REGISTRY_FILE } from './store/registry.js';

/** ENOSPC / EDQUOT from the file system, SQLITE_FULL from SQLite, anywhere in an error's cause chain. */
export function isDiskFull(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const x = cur as { code?: unknown; message?: unknown; cause?: unknown };
    // SQLITE_IOERR_SHMSIZE: a WAL index that cannot grow on a full tmpfs
    if (x.code === 'ENOSPC' || x.code === 'EDQUOT' || x.code === 'SQLITE_FULL' || x.code === 'SQLITE_IOERR_SHMSIZE') return true;
    if (typeof x.message === 'string' && /ENOSPC|no space left on device|database or disk is full|SQLITE_FULL/i.test(x.message)) return true;
    cur = x.cause;
  }
  return false;
}

/** Space this much above what was free when the disk filled counts as "space returned". */
const SPACE_RETURNED_BYTES = 1024 * 1024;

export class DiskWatch {
  private timer: unknown;
  private freeWhenFull = 0;
  private closed = false;

  constructor(
    private readonly d: {
      dir: string;
      pollMs: number;
      minFreeBytes: number;
      timers: Timers;
      /** the disk was found full (first time of an episode: `fresh`) */
      onFull: (message: string, fresh: boolean) => void;
      /** free space grew since it was full: resume */
      onSpace: () => void;
    },
  ) {}

  get isFull(): boolean {
    return this.timer !== undefined;
  }

  freeBytes(): number {
    try {
      const s = statfsSync(this.d.dir);
      return s.bavail * s.bsize;
    } catch {
      return Number.POSITIVE_INFINITY; // cannot tell: do not claim the disk is full
    }
  }

  /** At start: a disk below minFreeBytes is full already. */
  checkNow(): void {
    const free = this.freeBytes();
    if (free < this.d.minFreeBytes) this.full(`the data dir's disk has ${free} bytes free (below ${this.d.minFreeBytes})`);
  }

  /** A write failed for lack of space: report once per episode and watch for space to return. */
  full(message: string): void {
    if (this.closed) return;
    const fresh = !this.isFull;
    this.freeWhenFull = fresh ? this.freeBytes() : Math.min(this.freeWhenFull, this.freeBytes());
    this.d.onFull(message, fresh);
    if (fresh) this.schedule();
  }

  private schedule(): void {
    this.timer = this.d.timers.setTimeout(() => {
      if (this.closed) return;
      const free = this.freeBytes();
      if (free >= this.freeWhenFull + SPACE_RETURNED_BYTES && free >= this.d.minFreeBytes) {
        this.timer = undefined;
        this.d.onSpace();
      } else {
        this.schedule();
      }
    }, this.d.pollMs);
  }

  dispose(): void {
    this.closed = true;
    if (this.timer !== undefined) this.d.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * A small reserve file kept in the data dir. SQLite in WAL mode cannot even open its database when the disk
 * is completely full (the -shm index cannot be sized: SQLITE_IOERR_SHMSIZE): the reserve is given up to let
 * the agent start on a full disk, and made again once there is room.
 */
export const RESERVE_FILE = '.space-reserve';
const RESERVE_BYTES = 1024 * 1024;

export function ensureReserve(dataDir: string): void {
  const p = join(dataDir, RESERVE_FILE);
  try {
    if (existsSync(p)) return;
    writeFileSync(p, Buffer.alloc(RESERVE_BYTES), { mode: 0o600 });
  } catch {
    rmSync(p, { force: true }); // no room for it now: made again when space returns
  }
}

/** Opens the registry; on a full disk, gives up the reserve and tries once more. */
export function openRegistry(dataDir: string): Registry {
  const path = join(dataDir, REGISTRY_FILE);
  try {
    return Registry.open(path);
  } catch (e) {
    if (!isDiskFull(e) || !existsSync(join(dataDir, RESERVE_FILE))) throw e;
    rmSync(join(dataDir, RESERVE_FILE), { force: true });
    return Registry.open(path);
  }
}
