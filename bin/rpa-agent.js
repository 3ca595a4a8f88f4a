#!/usr/bin/env node
// Runs the compiled CLI when built (npm run build), else the TypeScript source through tsx.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

// `rpa-agent run` on Linux: glibc reads its malloc tuning only at process start, and without it RSS
// climbs ~40 % over 100 model swaps (src/agent/inference/malloc.ts, docs/BENCHMARKS-inference.md). The
// service unit sets it; when whoever started us did not, run the agent in a child that has it, forward
// signals, and exit with its code. The child ends itself if this launcher disappears (SIGKILL).
const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '131072' }; // same value as GLIBC_MALLOC_ENV in malloc.ts
const tuned = process.env.MALLOC_MMAP_THRESHOLD_ !== undefined || /glibc\.malloc\.mmap_threshold=/.test(process.env.GLIBC_TUNABLES ?? '');
if (process.platform === 'linux' && process.argv[2] === 'run' && !tuned && process.env.RPA_AGENT_NO_REEXEC !== '1') {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    // own process group: a terminal's Ctrl+C reaches only this launcher, which forwards it once (in the
    // same group the agent would get SIGINT twice and the second would cut its clean shutdown short)
    detached: true,
    env: { ...process.env, ...MALLOC_ENV, RPA_AGENT_LAUNCHER_PID: String(process.pid) },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('error', (e) => {
    process.stderr.write(`rpa-agent: cannot start the agent process: ${e.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1)));
} else {
  const launcher = Number(process.env.RPA_AGENT_LAUNCHER_PID);
  if (launcher > 0) {
    // orphaned (the launcher was killed): shut down cleanly instead of running on unseen
    setInterval(() => {
      if (process.ppid !== launcher) process.kill(process.pid, 'SIGTERM');
    }, 1000).unref();
  }
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const built = join(root, 'dist', 'src', 'cli', 'rpa-agent.js');
  if (existsSync(built)) {
    await import(pathToFileURL(built).href);
  } else {
    // tsx 4.x refuses module.register('tsx/esm') ("must be loaded with --import"); its API entry works.
    const { register: registerTsx } = await import('tsx/esm/api');
    registerTsx();
    await import(pathToFileURL(join(root, 'src', 'cli', 'rpa-agent.ts')).href);
  }
}
