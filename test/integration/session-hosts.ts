/**
 * The kinds of session process the inference tests run against (issue 17 §2): a Node session process, and the
 * native session host (native/session-host), built here once per test process with scripts/build-session-host.sh
 * when scripts/setup.sh has not built it yet. Not a test file itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { builtBinaryPath, onnxruntimeLibraryPath, type NativeHostPaths } from '../../src/agent/inference/native-host.js';

const ROOT = join(import.meta.dirname, '..', '..');
let built: NativeHostPaths | undefined;

/** the native host's paths, building it first if needed (Linux: gcc from build-essential) */
export function nativeHostPaths(): NativeHostPaths {
  if (built) return built;
  const binary = builtBinaryPath(process.platform, process.arch, ROOT);
  if (!existsSync(binary)) execFileSync('bash', [join(ROOT, 'scripts', 'build-session-host.sh')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const library = onnxruntimeLibraryPath();
  if (!library || !existsSync(library)) throw new Error(`onnxruntime's library not found for ${process.platform}-${process.arch}`);
  return (built = { binary, library });
}

export interface SessionHostKind {
  name: 'node' | 'native';
  /** InferenceHost options selecting it (with isolation 'process') */
  opts: { nativeHost?: NativeHostPaths };
}

/** Both kinds on Linux (where the native host is built and tested); the Node session process elsewhere. */
export function sessionHostKinds(): SessionHostKind[] {
  const kinds: SessionHostKind[] = [{ name: 'node', opts: {} }];
  if (process.platform === 'linux') kinds.push({ name: 'native', opts: { nativeHost: nativeHostPaths() } });
  return kinds;
}
