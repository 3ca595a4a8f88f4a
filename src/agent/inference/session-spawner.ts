/**
 * How a session process is started (issue 17 §3): injected, because the agent runs in two kinds of host.
 * - `rpa-agent run` (Node): child_process.fork of this Node binary — `nodeForkSpawner`, the default.
 * - the packaged Electron app: its runAsNode fuse is off (electron-builder.yml), so forking process.execPath
 *   does not start Node; it starts the session process with Electron's utilityProcess.fork instead
 *   (src/desktop/session-spawner-electron.ts).
 * Both give the host the same small channel: send a message (structured data; typed arrays cross as they
 * are, SharedArrayBuffers do not), receive messages, learn the pid once the child runs, see it exit, kill it.
 * The child side of the channel is worker-port.ts (process.send, or Electron's process.parentPort).
 */
import { fork } from 'node:child_process';
import type { Writable } from 'node:stream';
import { SESSION_BULK_FD_ENV } from './bulk-reader.js';

export interface SessionSpawnRequest {
  /** the session worker's entry module (plain JavaScript: the compiled file or the bundle made from sources) */
  modulePath: string;
  /** V8 / Node flags for the child (session-process.ts SESSION_PROCESS_V8_FLAGS) */
  execArgv: string[];
  env: NodeJS.ProcessEnv;
}

/** A started session process as the host drives it. */
export interface SessionChannel {
  /** the child's pid once known (utilityProcess: only after it spawned) */
  readonly pid: number | undefined;
  /** false once the child is gone or its channel closed */
  readonly connected: boolean;
  /** queues a message to the child; throws when it is gone. `written`: called once it is on its way (paces big transfers) */
  send(msg: unknown, written?: (e?: Error) => void): void;
  /** ends the child at once whatever native call it is in (SIGKILL; utilityProcess.kill()) */
  kill(): void;
  onMessage(fn: (msg: unknown) => void): void;
  /** called once, with the pid, when the child process exists (at once for a fork) */
  onSpawn(fn: (pid: number) => void): void;
  /** called once when the child ended: its exit code, 128 + n for a signal when known, else 1 */
  onExit(fn: (code: number) => void): void;
  onError(fn: (e: Error) => void): void;
  /**
   * true when a typed-array view crosses as its own bytes only (Node's V8 serialisation writes a view's
   * byteOffset..byteLength); false or absent when it would carry its whole underlying buffer (a structured
   * clone, as Electron's utilityProcess does): then a part of a big buffer must be copied out first.
   */
  readonly viewsCrossAsTheirBytes?: boolean;
  /**
   * a byte stream to the child beside the message channel (a Node fork's extra pipe, bulk-reader.ts), written
   * straight from the caller's bytes: a big model's load goes over it instead of V8-serialised parts
   * (issue 17 §2). `done` once the bytes are in the pipe. Absent for Electron's utilityProcess.
   */
  readonly bulk?: { write(bytes: Uint8Array, done: (e?: Error) => void): void };
}

export type SessionProcessSpawner = (req: SessionSpawnRequest) => SessionChannel;

/** the child's file descriptor of the bulk pipe (0–2 stdio, 3 the IPC channel) */
const BULK_FD = 4;
/** an extra pipe read as a socket by fd: exercised on Linux here, never tried on Windows, which keeps the IPC parts */
const BULK_PIPE = process.platform !== 'win32';

const SIGNAL_CODES: Record<string, number> = { SIGKILL: 137, SIGTERM: 143, SIGSEGV: 139, SIGABRT: 134 };

/** a child's exit as one code: its exit code, 128 + n for a known signal, else 128 (signal) or 1 */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? (signal ? (SIGNAL_CODES[signal] ?? 128) : 1);
}

/** Node: fork with the V8 ("advanced") serialisation, so typed arrays cross the IPC channel as they are. */
export const nodeForkSpawner: SessionProcessSpawner = (req) => {
  const child = fork(req.modulePath, [], {
    serialization: 'advanced',
    execArgv: req.execArgv,
    stdio: BULK_PIPE ? ['ignore', 'ignore', 'inherit', 'ipc', 'pipe'] : ['ignore', 'ignore', 'inherit', 'ipc'],
    env: BULK_PIPE ? { ...req.env, [SESSION_BULK_FD_ENV]: String(BULK_FD) } : req.env,
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  const pipe = (BULK_PIPE ? child.stdio[BULK_FD] : undefined) as (Writable & { unref?: () => void }) | null | undefined;
  pipe?.on('error', () => undefined); // the child gone (EPIPE): its exit fails the load
  pipe?.unref?.(); // never what keeps the agent alive
  return {
    // node:v8 DefaultSerializer._writeHostObject writes only a view's own bytes (issue 17 §2: no copy per part)
    viewsCrossAsTheirBytes: true,
    ...(pipe
      ? {
          bulk: {
            write(bytes: Uint8Array, done: (e?: Error) => void) {
              if (exited || pipe.destroyed) return done(new Error('session process is gone'));
              pipe.write(bytes, (e) => done(e ?? undefined));
            },
          },
        }
      : {}),
    get pid() {
      return child.pid;
    },
    get connected() {
      return !exited && child.connected;
    },
    send(msg, written) {
      if (exited || !child.connected) throw new Error('session process is gone');
      child.send(msg as never, written ? (e: Error | null) => written(e ?? undefined) : undefined);
    },
    kill() {
      child.kill('SIGKILL');
    },
    onMessage: (fn) => void child.on('message', fn),
    onSpawn(fn) {
      if (child.pid !== undefined) {
        const pid = child.pid;
        queueMicrotask(() => fn(pid));
      }
    },
    onExit: (fn) => void child.once('exit', (code, signal) => fn(exitCodeOf(code, signal))),
    onError: (fn) => void child.on('error', fn),
  };
};
