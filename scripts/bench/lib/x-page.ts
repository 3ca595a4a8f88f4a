/**
 * A real screen for the vision benchmarks: an X display (Xvfb 1920x1080 started here when DISPLAY is unset, on the
 * first free display number) showing one page full-screen in Chromium's app mode. `close()` ends only what this
 * started, by process group id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PageOnScreen {
  display: string;
  close(): Promise<void>;
}

export async function showPageOnScreen(url: string, opts: { settleMs?: number; chromium?: string } = {}): Promise<PageOnScreen> {
  let xvfb: ChildProcess | undefined;
  if (!process.env.DISPLAY) {
    let n = 120;
    while (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) n++;
    xvfb = spawn('Xvfb', [`:${n}`, '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'], { stdio: 'ignore', detached: true });
    process.env.DISPLAY = `:${n}`;
    for (let i = 0; i < 50 && !existsSync(`/tmp/.X11-unix/X${n}`); i++) await sleep(100);
  }
  const profile = mkdtempSync(join(tmpdir(), 'vision-bench-'));
  const chromium = spawn(
    opts.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--disable-background-networking', `--user-data-dir=${profile}`, '--window-position=0,0', '--window-size=1920,1080', `--app=${url}`],
    { stdio: 'ignore', detached: true },
  );
  await sleep(opts.settleMs ?? 4000); // let the page paint
  return {
    display: process.env.DISPLAY!,
    async close() {
      for (const c of [chromium]) if (c.pid && c.exitCode === null) try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
      if (xvfb?.pid && xvfb.exitCode === null) {
        const exited = new Promise((r) => xvfb!.once('exit', r));
        try { process.kill(-xvfb.pid, 'SIGTERM'); } catch { /* gone */ }
        await Promise.race([exited, sleep(3000)]);
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
