/**
 * Window aggregation for agent telemetry (DESIGN.md "Telemetry"; issue 6 "Agent telemetry"): per role
 * counts, errors, a fixed-bound latency histogram with p50/p95/p99, the 10-bucket confidence histogram,
 * PSI against the manifest baseline, shadow agreement, and frame-cache hits. The clock is injected;
 * `cut()` closes the current window and starts the next one.
 */
import {
  addConfidences,
  createHistogram,
  DEFAULT_LATENCY_BOUNDS_MS,
  emptyConfidenceHistogram,
  histogramPercentiles,
  histogramQuantile,
  observe,
  psi,
  type Histogram,
} from '../../common/metrics.js';
import { ROLES, type Cohort, type MetricsWindow, type Role, type RoleMetrics } from '../../common/wire.js';

export interface RoleInfo {
  modelId?: string;
  version?: string;
  provider?: string;
  cohort?: Cohort;
  rolloutId?: string;
  /** the variant that serves (issue 21 §1); "fp32" is the base file */
  variant?: string;
  /** the manifest's baseline confidence histogram (fractions), for drift */
  baselineConfidence?: readonly number[];
}

export interface InferenceSample {
  latencyMs: number;
  ok: boolean;
  /** confidences of this request's outputs (detections' scores, the classifier's top-1) */
  confidences?: readonly number[];
}

export interface ShadowSample {
  modelId: string;
  /** 0..1: IoU-matched F1 of the two detection lists or classifier agreement */
  agreement: number;
  latencyMs: number;
  ok: boolean;
}

/** The window without the fields the sender adds (agentId, seq, channel, process). */
export type WindowBody = Pick<MetricsWindow, 'windowStart' | 'windowEnd' | 'roles' | 'frameCache'>;

interface RoleAcc {
  count: number;
  errors: number;
  latency: Histogram;
  confidence: number[];
  shadow?: { modelId: string; samples: number; agreementSum: number; errors: number; latency: Histogram };
}

export interface TelemetryRecorderOptions {
  clock?: () => number;
  latencyBoundsMs?: readonly number[];
}

export class TelemetryRecorder {
  readonly #clock: () => number;
  readonly #bounds: readonly number[];
  readonly #info = new Map<Role, RoleInfo>();
  #acc = new Map<Role, RoleAcc>();
  #frameHits = 0;
  #frameMisses = 0;
  #windowStart: number;

  constructor(opts: TelemetryRecorderOptions = {}) {
    this.#clock = opts.clock ?? Date.now;
    this.#bounds = opts.latencyBoundsMs ?? DEFAULT_LATENCY_BOUNDS_MS;
    this.#windowStart = this.#clock();
  }

  get windowStart(): number {
    return this.#windowStart;
  }

  /**
   * Sets what a role is running now. Returns true when the model changed while the current window
   * already holds requests for the old one: the caller should cut the window first so that no window
   * mixes two models (the controller judges cohorts by the model a window reports).
   */
  setRoleInfo(role: Role, info: RoleInfo | undefined): boolean {
    const prev = this.#info.get(role);
    const acc = this.#acc.get(role);
    const changed = (prev?.modelId ?? '') !== (info?.modelId ?? '') || (prev?.rolloutId ?? '') !== (info?.rolloutId ?? '') || (prev?.variant ?? '') !== (info?.variant ?? '');
    if (info) this.#info.set(role, { ...info });
    else this.#info.delete(role);
    return changed && acc !== undefined && (acc.count > 0 || acc.shadow !== undefined);
  }

  roleInfo(role: Role): RoleInfo | undefined {
    return this.#info.get(role);
  }

  #accFor(role: Role): RoleAcc {
    let a = this.#acc.get(role);
    if (!a) {
      a = { count: 0, errors: 0, latency: createHistogram(this.#bounds), confidence: emptyConfidenceHistogram() };
      this.#acc.set(role, a);
    }
    return a;
  }

  record(role: Role, s: InferenceSample): void {
    const a = this.#accFor(role);
    a.count++;
    if (!s.ok) a.errors++;
    observe(a.latency, s.latencyMs);
    if (s.ok && s.confidences) addConfidences(a.confidence, s.confidences);
  }

  /**
   * Adds output confidences to a role's histogram without counting a request: the composition root
   * counts runs from the inference host's run observer and adds the confidences the vision pipeline saw.
   */
  recordConfidences(role: Role, confidences: readonly number[]): void {
    if (confidences.length > 0) addConfidences(this.#accFor(role).confidence, confidences);
  }

  recordShadow(role: Role, s: ShadowSample): void {
    const a = this.#accFor(role);
    if (!a.shadow || a.shadow.modelId !== s.modelId) {
      a.shadow = { modelId: s.modelId, samples: 0, agreementSum: 0, errors: 0, latency: createHistogram(this.#bounds) };
    }
    if (!s.ok) {
      a.shadow.errors++;
      return;
    }
    a.shadow.samples++;
    a.shadow.agreementSum += Math.min(1, Math.max(0, s.agreement));
    observe(a.shadow.latency, s.latencyMs);
  }

  recordFrameCache(hit: boolean): void {
    if (hit) this.#frameHits++;
    else this.#frameMisses++;
  }

  /** Closes the current window and opens the next at the same instant. */
  cut(): WindowBody {
    const end = this.#clock();
    const roles: MetricsWindow['roles'] = {};
    for (const role of ROLES) {
      const info = this.#info.get(role);
      const a = this.#acc.get(role);
      if (!info && !a) continue;
      const latency = a?.latency ?? createHistogram(this.#bounds);
      const confidence = a?.confidence ?? emptyConfidenceHistogram();
      const m: RoleMetrics = {
        count: a?.count ?? 0,
        errors: a?.errors ?? 0,
        latency: { boundsMs: [...latency.boundsMs], counts: [...latency.counts], ...histogramPercentiles(latency) },
        confidenceHistogram: confidence,
      };
      if (info?.modelId) m.modelId = info.modelId;
      if (info?.version) m.version = info.version;
      if (info?.provider) m.provider = info.provider;
      if (info?.cohort) m.cohort = info.cohort;
      if (info?.rolloutId) m.rolloutId = info.rolloutId;
      if (info?.variant) m.variant = info.variant;
      if (info?.baselineConfidence && info.baselineConfidence.length === confidence.length) {
        const d = psi(info.baselineConfidence, confidence);
        if (d !== undefined) m.psi = d;
      }
      if (a?.shadow) {
        m.shadow = {
          modelId: a.shadow.modelId,
          samples: a.shadow.samples,
          agreement: a.shadow.samples > 0 ? a.shadow.agreementSum / a.shadow.samples : 0,
          latencyP95: histogramQuantile(a.shadow.latency, 0.95),
          errors: a.shadow.errors,
        };
      }
      roles[role] = m;
    }
    const body: WindowBody = {
      windowStart: new Date(this.#windowStart).toISOString(),
      windowEnd: new Date(Math.max(end, this.#windowStart + 1)).toISOString(),
      roles,
    };
    if (this.#frameHits + this.#frameMisses > 0) body.frameCache = { hits: this.#frameHits, misses: this.#frameMisses };
    this.#acc = new Map();
    this.#frameHits = 0;
    this.#frameMisses = 0;
    this.#windowStart = end;
    return body;
  }
}
