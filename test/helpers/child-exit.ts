/**
 * Runs a TypeScript script in a child Node process and waits for it to exit by itself: once its stdout
 * contains `marker` (the script says it has closed everything), the process gets `graceMs` to end before
 * it is killed and reported as lingering. Used by the tests that prove nothing holds the event loop open
 * after a component closes (a timer or worker left behind keeps a process — a test file, CI — alive).
 */
import { spawn } from 'node:child_process';

export interface ChildExit {
  /** the exit code, or why it did not exit (`signal X`, `still running …`) */
  code: number | string;
  out: string;
  err: string;
}

export function runUntilExit(script: string, opts: { marker: string; graceMs: number }): Promise<ChildExit> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let markedAt = 0;
  return new Promise((resolve) => {
    const watch = setInterval(() => {
      if (!markedAt && out.includes(opts.marker)) markedAt = Date.now();
      if (markedAt && Date.now() - markedAt > opts.graceMs) {
        clearInterval(watch);
        child.kill('SIGKILL');
        resolve({ code: `still running ${opts.graceMs / 1000} s after it closed`, out, err });
      }
    }, 50);
    child.on('exit', (c, signal) => {
      clearInterval(watch);
      resolve({ code: c ?? `signal ${signal}`, out, err });
    });
  });
}

/** The last line of a child's stdout, parsed as JSON (what the fixture scripts print when they are done). */
export function lastJsonLine(out: string): unknown {
  return JSON.parse(out.trim().split('\n').pop()!);
}
