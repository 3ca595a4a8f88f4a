/**
 * Issue 17 §2: the CPU of each step of a big model's activation with process isolation, measured on its own (no
 * agent, no broker, no bots), so the figures hardly depend on the machine's load: the store's decrypt + sha256 of
 * the sealed blob, the graph scan, and `InferenceHost.activate` — this process's CPU (the agent's side: sending the
 * bytes to the warming and the serving process) with its GCs, and each session process's CPU (nice +10 = the
 * warming process). A small model is activated first, so the big one loads beside a serving session, as in the agent.
 * Needs /usr/bin/python3 with numpy and onnx (scripts/bench/make_big_model.py).
 *
 *   node --import tsx scripts/bench/swap-steps.ts [--mib 64] [--rounds 2]
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { InferenceHost } from '../../src/agent/inference/index.js';
import { BlobStore } from '../../src/agent/store/blob-store.js';
import { DEFAULT_SCAN_LIMITS, scanOnnx } from '../../src/common/graph-scan.js';
import type { ModelManifest } from '../../src/common/wire.js';
import { exitWithHelpIfAsked } from './help.js';

exitWithHelpIfAsked(import.meta.url);

const opts = { mib: 64, rounds: 2 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const key = ({ '--mib': 'mib', '--rounds': 'rounds' } as const)[argv[i] as '--mib'];
  const v = Number(argv[i + 1]);
  if (!key || !Number.isFinite(v) || v <= 0 || v > 1024) {
    console.error(`error[bad_argument]: ${key ? `${argv[i]} takes a number from 0 to 1024` : `unknown argument ${argv[i]} (see --help)`}`);
    process.exit(2);
  }
  opts[key] = v;
  i++;
}
if (process.platform !== 'linux') {
  console.error('error[not_supported]: reads the session processes\' CPU from /proc (Linux only)');
  process.exit(1);
}

const gcs: { kind: number; ms: number }[] = [];
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) gcs.push({ kind: (e as unknown as { detail?: { kind: number } }).detail?.kind ?? 0, ms: e.duration });
}).observe({ entryTypes: ['gc'] });

/** CPU seconds of every descendant process, by "pid niceN" (kept once a process has ended) */
const seen = new Map<string, number>();
function sampleChildren(): void {
  const walk = (pid: number) => {
    let kids: number[] = [];
    try {
      kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return;
    }
    for (const k of kids) {
      try {
        const st = readFileSync(`/proc/${k}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        seen.set(`${k} nice${f[16]}`, (Number(f[11]) + Number(f[12])) / 100);
      } catch {
        // ended meanwhile
      }
      walk(k);
    }
  };
  walk(process.pid);
}

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  gcs.length = 0;
  sampleChildren();
  const before = new Map(seen);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await new Promise((res) => setTimeout(res, 20));
  sampleChildren();
  const kids = [...seen].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0);
  const major = gcs.filter((g) => g.kind === 4).length; // NODE_PERFORMANCE_GC_MAJOR
  console.log(
    `${name.padEnd(22)} wall ${wall.toFixed(0).padStart(5)} ms  this process ${((c.user + c.system) / 1000).toFixed(0).padStart(4)} ms CPU, ${gcs.length} GCs (${major} major, ${gcs.reduce((a, g) => a + g.ms, 0).toFixed(0)} ms)  session processes: ${kids.map(([k, v]) => `${k} ${(v * 1000).toFixed(0)} ms`).join(', ') || '-'}`,
  );
  return r;
}

const work = mkdtempSync(join(tmpdir(), 'rpa-swap-steps-'));
const store = new BlobStore(join(work, 'store'), randomBytes(32), { pace: () => new Promise<void>((r) => setImmediate(r)) });
const CHUNK = 256 * 1024;

function manifestOf(bytes: Uint8Array, version: string): ModelManifest {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const chunkSha256: string[] = [];
  for (let o = 0; o < bytes.length; o += CHUNK) chunkSha256.push(createHash('sha256').update(bytes.subarray(o, o + CHUNK)).digest('hex'));
  return {
    schemaVersion: 1,
    role: 'similarity',
    name: 'swap-steps',
    version,
    sha256: sha,
    size: bytes.length,
    chunkSize: CHUNK,
    chunkSha256,
    contract: { inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1, 4] }] },
    labels: [],
    created: '2026-01-01T00:00:00Z',
  };
}

async function stored(mib: number, version: string): Promise<ModelManifest> {
  const file = join(work, `${version}.onnx`);
  execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'make_big_model.py'), file, String(mib), '7']);
  const bytes = new Uint8Array(readFileSync(file));
  const m = manifestOf(bytes, version);
  const layout = { size: bytes.length, chunkSize: CHUNK };
  const { file: partial } = store.openSealedPartial(m.sha256, layout);
  for (let i = 0; i * CHUNK < bytes.length; i++) partial.writeChunk(i, bytes.subarray(i * CHUNK, (i + 1) * CHUNK));
  await partial.sync();
  partial.close();
  await store.commitSealedPartial(m.sha256, layout);
  return m;
}

const host = new InferenceHost({ providers: ['cpu'], defaultLatencyBudgetMs: 10_000, isolation: 'process', prespawn: true });
const sampler = setInterval(sampleChildren, 50);
try {
  const small = await stored(0.1, '1.0.0');
  const big = await stored(opts.mib, '9.0.0');
  console.log(`a ${opts.mib} MiB model (make_big_model.py: a Gather over one initializer), after a 0.1 MiB one; ${opts.rounds} rounds`);
  await step('activate small', async () => host.activate({ role: 'similarity', modelId: small.sha256, manifest: small, bytes: await store.read(small.sha256), transferBytes: true }));
  for (let r = 0; r < opts.rounds; r++) {
    for (const m of [big, small]) {
      const what = m === big ? `${opts.mib} MiB` : 'small';
      const bytes = await step(`read ${what}`, () => store.read(m.sha256));
      await step(`graph scan ${what}`, async () => scanOnnx(bytes, DEFAULT_SCAN_LIMITS));
      await step(`activate ${what}`, () => host.activate({ role: 'similarity', modelId: m.sha256, manifest: m, bytes, transferBytes: true }));
      await new Promise((res) => setTimeout(res, 300));
    }
  }
} finally {
  clearInterval(sampler);
  await host.close();
  rmSync(work, { recursive: true, force: true });
}
console.log(`\nnode ${process.version}; command: node --import tsx scripts/bench/swap-steps.ts ${argv.join(' ')}`);
