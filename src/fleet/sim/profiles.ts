/**
 * Simulated inference for the fleet simulator: per model, a latency distribution, an error rate, the
 * confidence of its outputs and (as a shadow candidate) its agreement with stable. Faults are injected
 * by changing a model's profile while the simulation runs.
 */
export interface ModelProfile {
  /** median latency, ms */
  latencyMs: number;
  /** spread: latency = latencyMs · exp(N(0, sigma)) (log-normal) */
  latencySigma: number;
  /** probability a request fails, 0..1 */
  errorRate: number;
  /** mean output confidence, 0..1 */
  confidence: number;
  /** as a shadow candidate: mean agreement with stable, 0..1 */
  agreement: number;
}

export const DEFAULT_PROFILE: ModelProfile = { latencyMs: 20, latencySigma: 0.25, errorRate: 0.001, confidence: 0.85, agreement: 0.97 };

/** Profiles by modelId, shared by every simulated agent of a process; unknown models get the default. */
export class ProfileBook {
  readonly #m = new Map<string, ModelProfile>();
  #default: ModelProfile;

  constructor(defaults: Partial<ModelProfile> = {}) {
    this.#default = { ...DEFAULT_PROFILE, ...defaults };
  }

  get(modelId: string): ModelProfile {
    return this.#m.get(modelId) ?? this.#default;
  }

  set(modelId: string, p: Partial<ModelProfile>): void {
    this.#m.set(modelId, { ...this.get(modelId), ...p });
  }

  setDefault(p: Partial<ModelProfile>): void {
    this.#default = { ...this.#default, ...p };
  }
}

/** Small fast PRNG (mulberry32) so a simulation can be replayed from a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
