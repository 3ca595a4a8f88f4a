/**
 * The kinds of session process the inference tests run against (issue 17 §2): a Node session process, and the
 * native session host (native/session-host), built here once per test process with scripts/build-session-host.sh
 * when scripts/setup.sh has not built it yet. Not a test file itself.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { builtBinaryPath, onnxruntimeLibraryPath, type NativeHostPaths } from '../../src/agent/inference/native-host.js';
import { FrameReader, type Frame } from '../../src/agent/inference/native-frames.js';

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

/** a raw conversation with a host process: frames in, frames out */
export class RawHost {
  readonly child: ChildProcess;
  private readonly reader = new FrameReader();
  private readonly frames: Frame[] = [];
  private wake: (() => void) | undefined;
  stderr = '';
  constructor(binary: string, args: string[], env?: NodeJS.ProcessEnv) {
    this.child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.frames.push(...this.reader.push(d));
      this.wake?.();
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.stdin!.on('error', () => undefined);
  }
  send(parts: Uint8Array[]): void {
    for (const p of parts) this.child.stdin!.write(p);
  }
  async next(ms = 20_000): Promise<Frame> {
    const end = Date.now() + ms;
    while (this.frames.length === 0) {
      if (Date.now() > end) throw new Error('no frame from the host');
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    return this.frames.shift()!;
  }
  exited(): Promise<{ code: number | null; signal: string | null }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve({ code: this.child.exitCode, signal: this.child.signalCode });
    return new Promise((r) => this.child.once('exit', (code, signal) => r({ code, signal })));
  }
}

