/**
 * A production install of this repo in a temp dir, the way a build machine makes one (issue 17 §3):
 * the working tree's files (git ls-files: tracked and new, as they are now), compiled output from
 * `npm run build`'s config, then `npm ci --omit=dev` — production dependencies only.
 *
 * Two shortcuts, both named here and in the test:
 * - The compiler runs from this checkout (`--outDir` into the copy): TypeScript and @types are dev
 *   dependencies, so the copy cannot compile itself after an --omit=dev install; the sources are the same files.
 * - Install scripts are skipped and the two native addons that compile from source here (better-sqlite3,
 *   keytar: their prebuilt downloads come from GitHub, which this machine cannot reach) are copied from this
 *   checkout's install of the same version; compiling them takes ~2.5 min on this 2-core box (measured:
 *   the full `npm ci --omit=dev` with scripts, 2 min 46 s). RPA_PROD_INSTALL_BUILD_NATIVE=1 compiles them
 *   instead (`npm rebuild`). Version equality is checked, so a lock change cannot slip through.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** the addons whose install script compiles them (package-lock.json: hasInstallScript) */
export const NATIVE_ADDONS = ['better-sqlite3', 'keytar'] as const;

/** The environment for npm and for the installed agent: none of the outer `npm test`'s npm_* settings or NODE_OPTIONS. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD') env[k] = v;
  return { ...env, ...extra };
}

/** Copies the working tree's files (tracked and untracked-not-ignored, deleted ones left out) from `repo` to `dest`. */
export function copyWorkingTree(repo: string, dest: string): number {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, maxBuffer: 64 << 20 })
    .toString()
    .split('\0')
    .filter(Boolean);
  let n = 0;
  for (const f of new Set(files)) {
    const src = join(repo, f);
    if (!existsSync(src) || !lstatSync(src).isFile()) continue; // deleted in the working tree, or the node_modules symlink
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    copyFileSync(src, join(dest, f));
    n++;
  }
  return n;
}

/** `npm run build`'s compiler and config (package.json scripts.build), run from `repo` into `dest`/dist. */
export function buildInto(repo: string, dest: string): void {
  const script = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['build'];
  const m = /^tsc -p (\S+)$/.exec(script ?? '');
  if (!m) throw new Error(`package.json scripts.build is not "tsc -p CONFIG": ${script}`);
  execFileSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(repo, m[1]!), '--outDir', join(dest, 'dist')], { cwd: repo, stdio: 'pipe' });
}

/** `npm ci --omit=dev` in `dir` (install scripts skipped), then the native addons (see the file comment). */
export function installProduction(repo: string, dir: string): void {
  const env = cleanEnv({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ONNXRUNTIME_NODE_INSTALL: 'skip' });
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, env, stdio: 'pipe', timeout: 240_000 });
  const version = (root: string, p: string) => (JSON.parse(readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8')) as { version: string }).version;
  for (const p of NATIVE_ADDONS) {
    const from = join(repo, 'node_modules', p, 'build', 'Release');
    if (process.env.RPA_PROD_INSTALL_BUILD_NATIVE === '1' || version(repo, p) !== version(dir, p) || !existsSync(from)) {
      execFileSync('npm', ['rebuild', p], { cwd: dir, env, stdio: 'pipe', timeout: 600_000 });
      continue;
    }
    const to = join(dir, 'node_modules', p, 'build', 'Release');
    mkdirSync(to, { recursive: true });
    for (const f of readdirSync(from)) if (f.endsWith('.node')) copyFileSync(join(from, f), join(to, f));
  }
}

/** True when some folder above `dir` holds a node_modules (modules could then resolve from outside the install). */
export function nodeModulesAbove(dir: string): string | undefined {
  for (let d = dirname(dir); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) return join(d, 'node_modules');
    if (dirname(d) === d) return undefined;
  }
}
