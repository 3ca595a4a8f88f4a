/**
 * Which session host serves the agent's sessions with process isolation (issue 17 §2), and where the native one is.
 * - 'native': the C session host (native/session-host, built by scripts/setup.sh into native/build/<platform>-<arch>/,
 *   shipped by electron-builder beside the app as resources/session-host/) over onnxruntime's shared library from
 *   onnxruntime-node. ~45 MB less per agent than a Node session process (docs/BENCHMARKS.md "Footprint, round 4").
 * - 'node': a Node (or, in the packaged app, Electron utility) process running session-worker.ts.
 * - 'auto' (the default): native when its binary and onnxruntime's library are there for this platform, else node.
 * `RPA_SESSION_HOST` names the binary explicitly (tests, a custom install).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentError } from '../../common/errors.js';
import { NativeSessionWorker } from './native-session-worker.js';
import { lowerPriority, sessionProcessEnv } from './session-process.js';

export type SessionHostSetting = 'auto' | 'native' | 'node';

export interface NativeHostPaths {
  /** the rpa-session-host executable */
  binary: string;
  /** onnxruntime's shared library it loads */
  library: string;
}

export const SESSION_HOST_ENV = 'RPA_SESSION_HOST';

const LIBRARY_NAMES: Record<string, string> = { linux: 'libonnxruntime.so.1', win32: 'onnxruntime.dll', darwin: 'libonnxruntime.1.dylib' };

/**
 * where `native/build/…` is: the repository (or install) root above this file, from sources or compiled. Never the
 * working directory: a binary found there would run as the agent, from wherever the agent was started.
 */
function installRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return here;
}

export function binaryName(platform: string = process.platform): string {
  return platform === 'win32' ? 'rpa-session-host.exe' : 'rpa-session-host';
}

/** the build output of scripts/setup.sh for a platform and architecture */
export function builtBinaryPath(platform: string = process.platform, arch: string = process.arch, root: string = installRoot()): string {
  return join(root, 'native', 'build', `${platform}-${arch}`, binaryName(platform));
}

/** onnxruntime's library inside onnxruntime-node (unpacked beside app.asar in the packaged app) */
export function onnxruntimeLibraryPath(platform: string = process.platform, arch: string = process.arch): string | undefined {
  const name = LIBRARY_NAMES[platform];
  if (!name) return undefined;
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json').replace(`app.asar${platform === 'win32' ? '\\' : '/'}`, `app.asar.unpacked${platform === 'win32' ? '\\' : '/'}`);
    return join(dirname(pkg), 'bin', 'napi-v6', platform, arch, name);
  } catch {
    return undefined;
  }
}

export interface FindNativeHostOptions {
  platform?: string;
  arch?: string;
  env?: NodeJS.ProcessEnv;
  /** Electron's process.resourcesPath in the packaged app */
  resourcesPath?: string;
  exists?: (path: string) => boolean;
}

/** The native host's binary and library when both exist here, else undefined. */
export function findNativeHost(opts: FindNativeHostOptions = {}): NativeHostPaths | undefined {
  const platform = opts.platform ?? process.platform;
  const arch = opts.arch ?? process.arch;
  const exists = opts.exists ?? existsSync;
  const env = opts.env ?? process.env;
  const resources = opts.resourcesPath ?? (process as { resourcesPath?: string }).resourcesPath;
  const candidates = [env[SESSION_HOST_ENV], resources ? join(resources, 'session-host', binaryName(platform)) : undefined, builtBinaryPath(platform, arch)];
  const binary = candidates.find((c): c is string => !!c && exists(c));
  const library = onnxruntimeLibraryPath(platform, arch);
  if (!binary || !library || !exists(library)) return undefined;
  return { binary, library };
}

/**
 * The host to use for a setting: the native paths, or undefined for the Node session process. 'native' where the
 * binary is missing is a configuration error (the agent says so at start instead of running heavier than asked).
 */
export function resolveSessionHost(setting: SessionHostSetting, find: () => NativeHostPaths | undefined = findNativeHost): { native?: NativeHostPaths; why: string } {
  if (setting === 'node') return { why: 'inference.host is "node"' };
  const found = find();
  if (found) return { native: found, why: `native session host ${found.binary} (onnxruntime ${found.library})` };
  if (setting === 'native') {
    throw new AgentError('bad_config', `inference.host is "native" but the native session host is not built for ${process.platform}-${process.arch} (run scripts/setup.sh, or set inference.host to "auto")`);
  }
  return { why: `no native session host for ${process.platform}-${process.arch}: Node session process` };
}

/** Starts a native session host (the pool's worker for process isolation); `lowerPriorityBy` for the warming one. */
export function spawnNativeSessionWorker(paths: NativeHostPaths, opts: { lowerPriorityBy?: number } = {}): NativeSessionWorker {
  const child = spawn(paths.binary, [paths.library], { stdio: ['pipe', 'pipe', 'inherit'], env: sessionProcessEnv(), windowsHide: true });
  if (opts.lowerPriorityBy && child.pid !== undefined) lowerPriority(child.pid, opts.lowerPriorityBy);
  return new NativeSessionWorker(child);
}
