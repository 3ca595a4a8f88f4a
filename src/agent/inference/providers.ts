/**
 * Execution-provider selection (issue 3 §1, DESIGN.md "Inference host"): the configured order filtered
 * by platform. onnxruntime-node throws for a provider it lacks instead of falling back, so the worker
 * tries each in turn; this module only decides the order and the per-provider session options.
 */

/** Providers that can exist per platform, in the default order. webgpu is never a default: only if asked for. */
const PLATFORM_PROVIDERS: Record<string, string[]> = {
  win32: ['dml', 'cpu'],
  linux: ['cuda', 'cpu'],
  darwin: ['coreml', 'cpu'],
};
const OPT_IN_ONLY = ['webgpu'];

export function defaultProviders(platform: string): string[] {
  return [...(PLATFORM_PROVIDERS[platform] ?? ['cpu'])];
}

/**
 * The configured list (or the platform default) with providers this platform cannot have removed,
 * duplicates removed, order kept. An empty result falls back to ['cpu'] so a bad config cannot leave a
 * role without any provider to try.
 */
export function selectProviders(platform: string, configured?: readonly string[]): string[] {
  const possible = new Set([...(PLATFORM_PROVIDERS[platform] ?? ['cpu']), ...OPT_IN_ONLY]);
  const wanted = configured && configured.length > 0 ? configured : defaultProviders(platform);
  const out: string[] = [];
  for (const p of wanted.map((s) => s.toLowerCase())) if (possible.has(p) && !out.includes(p)) out.push(p);
  return out.length > 0 ? out : ['cpu'];
}

export interface ProviderSessionOptions {
  executionProviders: string[];
  enableMemPattern?: boolean;
  executionMode?: 'sequential' | 'parallel';
}

/** DirectML needs enableMemPattern: false and sequential execution (onnxruntime DirectML EP docs). */
export function sessionOptionsFor(provider: string): ProviderSessionOptions {
  if (provider === 'dml') return { executionProviders: ['dml'], enableMemPattern: false, executionMode: 'sequential' };
  return { executionProviders: [provider] };
}

/**
 * Session options that keep a session process small (issue 17 §2: ≤ 150 MB across the agent's processes).
 * onnxruntime's CPU arena keeps the peak of every run's intermediate tensors for the life of the session
 * and never gives it back; memory patterns pre-plan (and hold) one buffer per input shape. Both are off
 * unless `cpuMemArena` asks for them: the allocations then go to malloc, which with the session process's
 * MALLOC_MMAP_THRESHOLD_ returns big blocks to the OS after each run. Nodes run one after another
 * (`sequential`), so no inter-op pool exists; inter-op threads 1 unless configured. Full graph
 * optimisation folds constants once, at load, which also frees their unfolded initialisers.
 */
export function leanSessionOptions(opts: { cpuMemArena?: boolean; interOpNumThreads?: number }): Record<string, unknown> {
  const arena = opts.cpuMemArena ?? false;
  return {
    enableCpuMemArena: arena,
    enableMemPattern: arena,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    interOpNumThreads: opts.interOpNumThreads ?? 1,
  };
}

/** DirectML sessions must not run concurrently: at most one run in flight per session. */
export function maxConcurrentRuns(provider: string): number {
  return provider === 'dml' ? 1 : Number.POSITIVE_INFINITY;
}

/**
 * Tries `create` for each provider in order and returns the first that works, with the reasons the
 * earlier ones failed. Throws the last failure when none works (the caller maps it to
 * provider_unavailable / load_failed).
 */
export async function createWithFallback<S>(
  providers: readonly string[],
  create: (provider: string) => Promise<S>,
): Promise<{ session: S; provider: string; failed: { provider: string; reason: string }[] }> {
  const failed: { provider: string; reason: string }[] = [];
  for (const provider of providers) {
    try {
      return { session: await create(provider), provider, failed };
    } catch (e) {
      failed.push({ provider, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  throw new ProvidersExhausted(failed);
}

export class ProvidersExhausted extends Error {
  constructor(readonly failed: { provider: string; reason: string }[]) {
    super(failed.map((f) => `${f.provider}: ${f.reason}`).join('; ') || 'no provider to try');
    this.name = 'ProvidersExhausted';
  }
}
