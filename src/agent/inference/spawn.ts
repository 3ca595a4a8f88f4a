/**
 * Starts a session worker in both ways this code runs: compiled JS (dist/…/session-worker.js, the
 * product) and TypeScript sources under tsx (`node --import tsx`: tests, benches, the demo).
 *
 * On Node 20 a worker does not get the parent's `--import tsx` hooks in time for its entry module
 * (ERR_UNKNOWN_FILE_EXTENSION). Registering tsx inside each worker works but costs ~1 s per thread,
 * and the host starts a thread per model generation. So from sources we bundle the worker once per
 * process with esbuild (which tsx brings along) into node_modules/.cache, where `onnxruntime-node`
 * still resolves; if esbuild is not there we fall back to the tsx bootstrap.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

export function sessionWorkerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./session-worker${ext}`, import.meta.url);
}

const bundled = new Map<string, Promise<URL | undefined>>();

function findNodeModules(from: string): string | undefined {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules');
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** bundles running now: esbuild's service process is stopped when the last one ends */
let building = 0;

async function bundleOnce(entry: URL): Promise<URL | undefined> {
  try {
    const esbuild = (await import('esbuild' as string)) as {
      build(o: Record<string, unknown>): Promise<{ outputFiles: { text: string }[] }>;
      stop?(): Promise<void> | void;
    };
    const entryPath = fileURLToPath(entry);
    building++;
    // esbuild keeps a service child process (and its pipes) until stop(): whoever starts it ends it
    // (docs/ARCHITECTURE.md "Lifetimes"), so a closed host leaves nothing running.
    let out: { outputFiles: { text: string }[] };
    try {
      out = await esbuild.build({
        entryPoints: [entryPath],
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        external: ['onnxruntime-node'],
        write: false,
        logLevel: 'silent',
      });
    } finally {
      if (--building === 0) await esbuild.stop?.();
    }
    const text = out.outputFiles[0]?.text;
    const nm = findNodeModules(dirname(entryPath));
    if (!text || !nm) return undefined;
    const dir = join(nm, '.cache', 'rpa-inference');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `session-worker-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`);
    // Several processes (a test and the agent it spawns) may bundle at once: write aside, then rename,
    // so nobody ever starts a worker from a half-written file.
    if (!existsSync(file)) {
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, file);
    }
    return pathToFileURL(file);
  } catch {
    return undefined;
  }
}

/** Resolves the entry actually spawned: the entry itself for .js, a one-time bundle for .ts. */
export function resolveWorkerEntry(entry: URL): Promise<URL | undefined> {
  if (!entry.pathname.endsWith('.ts')) return Promise.resolve(entry);
  let p = bundled.get(entry.href);
  if (!p) bundled.set(entry.href, (p = bundleOnce(entry)));
  return p;
}

export async function spawnWorker(entry: URL, opts: { resourceLimits?: ResourceLimits } = {}): Promise<Worker> {
  const common = { stdout: false, stderr: false, ...(opts.resourceLimits ? { resourceLimits: opts.resourceLimits } : {}) };
  const resolved = await resolveWorkerEntry(entry);
  if (resolved) return new Worker(resolved, common);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { ...common, eval: true });
}
