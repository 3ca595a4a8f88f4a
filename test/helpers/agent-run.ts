/**
 * `rpa-agent run --json` as a child process, its stdout read as a stream of agent events (one JSON line each,
 * parsed with the wire schema) and its stderr kept for failure messages. Shared by the end-to-end tests that
 * start the real binary (run as a service, lazy loading, the production install); each had its own copy.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { AgentEventSchema, type AgentEvent } from '../../src/common/wire.js';

export interface AgentRun {
  child: ChildProcess;
  /** every event printed so far, in order */
  events: AgentEvent[];
  /** what the agent wrote to stderr so far */
  stderr(): string;
  /** resolves with the exit code when the process ends */
  exited: Promise<number | null>;
}

/** `node BIN run ...args` with stdout parsed as agent events. */
export function startAgentRun(bin: string, args: readonly string[], opts: Pick<SpawnOptions, 'cwd' | 'env'> = {}): AgentRun {
  const child = spawn(process.execPath, [bin, 'run', ...args], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: AgentEvent[] = [];
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let i;
    while ((i = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      if (line.trim()) events.push(AgentEventSchema.parse(JSON.parse(line)));
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, events, stderr: () => err, exited };
}

/** polls `cond` every 100 ms; on time-out the error carries the end of the agent's stderr */
export async function untilAgent(cond: () => boolean, timeoutMs: number, what: string, stderr: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; agent stderr:\n${stderr().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
