/**
 * `npm run bench`: runs the benchmarks of docs/BENCHMARKS.md one after another, each in its own process
 * with the command line recorded there, and prints a summary (exit 1 if any failed).
 *
 *   npm run bench -- [--only NAME[,NAME]] [--quick] [--list] [--help]
 *
 *   --list    the benchmarks and their command lines, without running them
 *   --only    run just these (names from --list)
 *   --quick   tiny sizes: checks that every benchmark runs on this machine (minutes, not an hour);
 *             its figures are not the ones to record
 * Before running, it checks what the selected benchmarks need from the machine (python3 with numpy and
 * onnx, which generate the benchmark models: Debian's python3-numpy and python3-onnx, installed by
 * scripts/setup.sh) and stops with a clear message instead of failing half-way.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);

interface Bench {
  name: string;
  issue: string;
  /** arguments after the script path, as docs/BENCHMARKS.md runs it */
  args: string[];
  quick: string[];
  node?: string[];
  env?: Record<string, string>;
  /** Python modules its model generator imports (with /usr/bin/python3) */
  python?: string[];
}

const BENCHES: Bench[] = [
  { name: 'distribution', issue: '2', args: ['--runs', '3'], quick: ['--runs', '1', '--mib', '8'], python: ['numpy', 'onnx'] },
  { name: 'distribution-cpu', issue: '2', args: [], quick: [], python: ['numpy', 'onnx'] },
  { name: 'publish', issue: '2', args: ['--runs', '3'], quick: ['--runs', '1', '--mib', '8'] },
  { name: 'inference-overhead', issue: '3', args: [], quick: ['2'], python: ['numpy', 'onnx'] },
  { name: 'inference-event-loop', issue: '3', args: [], quick: ['2'], python: ['numpy', 'onnx'] },
  { name: 'inference-swap-load', issue: '3', args: [], quick: ['conv', '2', '1'], python: ['numpy', 'onnx'] },
  { name: 'inference-hop', issue: '3', args: [], quick: ['50'], python: ['numpy', 'onnx'] },
  { name: 'inference-memory', issue: '3', args: ['100'], quick: ['6'], node: ['--expose-gc'], env: { MALLOC_MMAP_THRESHOLD_: '131072' }, python: ['numpy', 'onnx'] },
  { name: 'vision-detect', issue: '4', args: ['30'], quick: ['2'] },
  { name: 'vision-busy', issue: '15', args: ['30'], quick: ['2'] },
  { name: 'endpoint-bench', issue: '5', args: [], quick: ['--quick'] },
  { name: 'rollout-fleet', issue: '6', args: ['--agents', '1000', '--model-mib', '10'], quick: ['--agents', '20', '--model-mib', '0.25', '--processes', '1', '--window', '1s', '--wave-min', '1s'] },
  { name: 'footprint', issue: '17', args: [], quick: ['--idle-sec', '3', '--settle-sec', '2', '--detects', '5', '--mib', '4'], python: ['numpy', 'onnx'] },
  { name: 'swap-steps', issue: '17', args: [], quick: ['--mib', '4', '--rounds', '1'], python: ['numpy', 'onnx'] },
  { name: 'console', issue: '19', args: ['--agents', '10000'], quick: ['--agents', '300', '--windows', '2', '--requests', '20', '--loads', '2', '--updates', '3'] },
  { name: 'rollout-fetch-baseline', issue: '6', args: ['--clients', '50', '--model-mib', '10'], quick: ['--clients', '5', '--model-mib', '1'] },
  { name: 'variants', issue: '21', args: ['30'], quick: ['2'] },
];

export type RunAllArgs = { kind: 'ok'; only: string[]; quick: boolean; list: boolean } | { kind: 'error'; message: string };

export function parseRunAll(argv: readonly string[]): RunAllArgs {
  let only: string[] = [];
  let quick = false;
  let list = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--list') list = true;
    else if (a === '--only' && argv[i + 1]) only = argv[++i]!.split(',').map((s) => s.trim()).filter(Boolean);
    else return { kind: 'error', message: `unknown argument ${a} (see --help)` };
  }
  const unknown = only.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) return { kind: 'error', message: `no benchmark ${unknown.join(', ')}; --list shows them` };
  return { kind: 'ok', only, quick, list };
}

const root = resolve(import.meta.dirname, '..', '..');
const commandOf = (b: Bench, quick: boolean) => ['node', ...(b.node ?? []), '--import', 'tsx', `scripts/bench/${b.name}.ts`, ...(quick ? b.quick : b.args)];

function missingPython(modules: readonly string[]): string | undefined {
  if (modules.length === 0) return undefined;
  const r = spawnSync('/usr/bin/python3', ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (r.error) return `/usr/bin/python3 is missing (${r.error.message})`;
  return r.status === 0 ? undefined : (r.stderr.trim().split('\n').pop() ?? `python3 cannot import ${modules.join(', ')}`);
}

const args = parseRunAll(process.argv.slice(2));
if (args.kind === 'error') {
  console.error(`error[bad_argument]: ${args.message}`);
  process.exit(2);
}
const selected = BENCHES.filter((b) => args.only.length === 0 || args.only.includes(b.name));
if (args.list) {
  for (const b of selected) console.log(`${b.name.padEnd(24)} issue ${b.issue.padEnd(3)} ${Object.entries(b.env ?? {}).map(([k, v]) => `${k}=${v} `).join('')}${commandOf(b, args.quick).join(' ')}`);
  process.exit(0);
}
const python = [...new Set(selected.flatMap((b) => b.python ?? []))];
const missing = missingPython(python);
if (missing) {
  console.error(`error[bad_config]: the benchmarks generate their models with /usr/bin/python3 and ${python.join(' + ')}: ${missing}.\nInstall them with: bash scripts/setup.sh   (Debian: apt-get install python3-numpy python3-onnx)`);
  process.exit(1);
}
const results: { name: string; code: number | null; seconds: number }[] = [];
for (const b of selected) {
  const cmd = commandOf(b, args.quick);
  console.log(`\n=== ${b.name} (issue ${b.issue}): ${cmd.join(' ')}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, cmd.slice(1), { cwd: root, stdio: 'inherit', env: { ...process.env, ...(b.env ?? {}) } });
  results.push({ name: b.name, code: r.status, seconds: Math.round((performance.now() - t0) / 100) / 10 });
}
console.log(`\n=== summary${args.quick ? ' (--quick: sizes too small to record)' : ''}`);
for (const r of results) console.log(`${r.code === 0 ? 'ok    ' : `FAILED (exit ${r.code ?? 'signal'})`} ${r.name.padEnd(24)} ${r.seconds} s`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
