/**
 * Where the endpoint listens, and how it claims that place safely (issue 5 §1-2).
 * - Windows: \\.\pipe\rpa-edge-agent-<user>. Node cannot tighten a pipe's ACL and anyone could create the
 *   name first, so "already in use" is an alarm, never something to work around.
 * - Unix: <runtime dir>/rpa-edge-agent/endpoint.sock, the directory 0700 and owned by us, the socket 0600.
 *   A stale socket file (nobody answers) is removed; a live one is the same alarm as on Windows.
 */
import { connect, type Server } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir, userInfo } from 'node:os';
import { AgentError } from '../../common/errors.js';
import { systemTimers, type Timers } from '../../common/lifetime.js';

export interface PathEnv {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  uid: number;
  username: string;
  tmp: string;
}

export function currentPathEnv(): PathEnv {
  const u = userInfo();
  return { platform: process.platform, env: process.env, uid: u.uid, username: u.username, tmp: tmpdir() };
}

export function defaultEndpointPath(p: PathEnv = currentPathEnv()): string {
  if (p.platform === 'win32') return `\\\\.\\pipe\\rpa-edge-agent-${p.username.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  // XDG_RUNTIME_DIR is per-user and 0700 by spec; otherwise a per-uid directory we create 0700 ourselves
  const base = p.env.XDG_RUNTIME_DIR ? join(p.env.XDG_RUNTIME_DIR, 'rpa-edge-agent') : join(p.tmp, `rpa-edge-agent-${p.uid}`);
  return join(base, 'endpoint.sock');
}

export function isPipePath(path: string): boolean {
  return path.startsWith('\\\\.\\pipe\\') || path.startsWith('\\\\?\\pipe\\');
}

/** Creates (or checks) the socket's parent: a real directory, ours, mode 0700. */
export function preparePrivateDir(dir: string, uid = process.getuid?.() ?? -1): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.isSymbolicLink())
    throw new AgentError('endpoint_insecure', `${dir} is not a directory`, { path: dir });
  if (uid >= 0 && st.uid !== uid)
    throw new AgentError('endpoint_insecure', `${dir} belongs to another user (uid ${st.uid}): refusing to put the endpoint there`, { path: dir });
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** true when something accepts connections at `path` */
export function probeEndpoint(path: string, timeoutMs = 500, timers: Timers = systemTimers): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (alive: boolean) => {
      timers.clearTimeout(t);
      s.destroy();
      resolve(alive);
    };
    const t = timers.setTimeout(() => done(true), timeoutMs); // a listener that accepts slowly is still alive
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function listenOnce(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ path, readableAll: false, writableAll: false });
  });
}

export interface ClaimResult {
  /** a stale socket file was removed first */
  removedStale: boolean;
}

/**
 * Listens on `path`. EADDRINUSE is answered with `endpoint_in_use` unless (Unix only) the socket file is
 * ours and nobody answers on it: then it is stale and replaced.
 */
export async function claimEndpoint(server: Server, path: string): Promise<ClaimResult> {
  const pipe = isPipePath(path);
  if (!pipe) {
    // sockaddr_un.sun_path is 108 bytes on Linux, 104 on macOS
    if (Buffer.byteLength(path) > 103) throw new AgentError('bad_config', `socket path is too long for a Unix socket: ${path}`);
    preparePrivateDir(dirname(path));
  }
  try {
    await listenOnce(server, path);
    if (!pipe) chmodSync(path, 0o600);
    return { removedStale: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
  }
  if (pipe || (await probeEndpoint(path)))
    throw new AgentError('endpoint_in_use', `the endpoint ${path} is already in use by another process; if no other agent runs for this user, this may be a squatter`, { path });
  const st = lstatSync(path);
  if (!st.isSocket() || (process.getuid && st.uid !== process.getuid()))
    throw new AgentError('endpoint_in_use', `${path} exists and is not a stale socket of ours: refusing to remove it`, { path });
  unlinkSync(path);
  await listenOnce(server, path);
  chmodSync(path, 0o600);
  return { removedStale: true };
}
