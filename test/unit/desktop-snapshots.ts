/**
 * Snapshot scenarios for the desktop tests: built from wire-level objects (AgentStatus, AgentEvent,
 * MetricsWindow) parsed by their real zod schemas and mapped by the real toStatusSnapshot, so every
 * scenario is a value the agent could actually produce. Not a test file itself.
 */
import { StatusSnapshotSchema, type StatusSnapshot } from '../../src/common/bridge.js';
import { AgentEventSchema, AgentStatusSchema, MetricsWindowSchema, type AgentEvent, type MetricsWindow, type Role, type RoleStatus } from '../../src/common/wire.js';
import { toStatusSnapshot, type SnapshotInput } from '../../src/desktop/snapshot.js';

export const NOW = new Date('2026-11-23T14:30:00.000Z');
const AGENT = 'ws-0042';
export const MODEL_A = 'a'.repeat(64);
export const MODEL_B = 'b'.repeat(64);
export const MODEL_C = 'c'.repeat(64);
export const MODEL_D = 'd'.repeat(64);

function iso(msAgo: number): string {
  return new Date(NOW.getTime() - msAgo).toISOString();
}

export function metricsSeries(n = 30, opts: { role?: Role; base?: number; spikeAt?: number } = {}): MetricsWindow[] {
  const out: MetricsWindow[] = [];
  const base = opts.base ?? 18;
  for (let i = 0; i < n; i++) {
    const wave = Math.sin(i / 3) * 3;
    const spike = opts.spikeAt !== undefined && i >= opts.spikeAt ? 40 : 0;
    const p50 = base + wave + spike / 2;
    const p95 = p50 * 1.8 + spike;
    const role = opts.role ?? 'detector';
    const w = {
      agentId: AGENT,
      seq: i,
      windowStart: iso((n - i) * 60_000),
      windowEnd: iso((n - i - 1) * 60_000),
      roles: {
        [role]: {
          count: 120 + i,
          errors: 0,
          latency: { boundsMs: [10, 25, 50, 100], counts: [10, 60, 40, 10, 0], p50, p95, p99: p95 * 1.2 },
          confidenceHistogram: [0, 0, 0, 0, 1, 2, 5, 20, 50, 42],
        },
        classifier: {
          count: 300,
          errors: 0,
          latency: { boundsMs: [5, 10], counts: [200, 90, 10], p50: 4 + wave / 3, p95: 8 + wave / 2, p99: 11 },
          confidenceHistogram: [0, 0, 0, 0, 0, 1, 2, 10, 80, 207],
        },
      },
    };
    out.push(MetricsWindowSchema.parse(w));
  }
  return out;
}

let seq = 100;
export function event(e: Omit<AgentEvent, 'agentId' | 'ts' | 'seq'> & { msAgo?: number }): AgentEvent {
  const { msAgo, ...rest } = e;
  return AgentEventSchema.parse({ agentId: AGENT, ts: iso(msAgo ?? 0), seq: seq++, ...rest });
}

const detectorActive: RoleStatus = { state: 'committed', modelId: MODEL_A, name: 'ui-detector', version: '1.4.0', provider: 'cpu', cohort: 'stable' };
const classifierActive: RoleStatus = { state: 'committed', modelId: MODEL_C, name: 'ui-classifier', version: '2.1.3', provider: 'cpu', cohort: 'stable' };

function base(over: Partial<SnapshotInput> & { roles?: Partial<Record<Role, RoleStatus>> } = {}): SnapshotInput {
  const { roles, ...rest } = over;
  const status = AgentStatusSchema.parse({
    agentId: AGENT,
    online: true,
    ts: NOW.toISOString(),
    agentVersion: '0.1.0',
    platform: 'win32-x64',
    channel: 'finance-desktops',
    releaseSeq: 17,
    roles: roles ?? { detector: detectorActive, classifier: classifierActive },
  });
  return {
    status,
    metrics: metricsSeries(),
    events: [
      event({ type: 'release_accepted', channel: 'finance-desktops', releaseSeq: 17, msAgo: 3_600_000 }),
      event({ type: 'activated', role: 'detector', modelId: MODEL_A, details: { name: 'ui-detector', version: '1.4.0' }, msAgo: 3_500_000 }),
      event({ type: 'committed', role: 'detector', modelId: MODEL_A, details: { name: 'ui-detector', version: '1.4.0' }, msAgo: 1_800_000 }),
    ],
    broker: { state: 'connected', url: 'mqtts://broker.corp.example:8883', since: iso(7_200_000) },
    endpoint: { listening: true, address: '\\\\.\\pipe\\rpa-agent', clients: 2, requestsPerMinute: 42, inFlight: 0 },
    detection: { paused: false },
    update: { state: 'idle', currentVersion: '0.1.0', checkedAt: iso(600_000) },
    now: NOW,
    ...rest,
  };
}

/** The agent-side inputs of each scenario (what an AgentViewSource would report). */
export const scenarioInputs = {
  healthy: (): SnapshotInput => base(),
  fetching: (progress = 0.42): SnapshotInput =>
    base({
      roles: {
        detector: { ...detectorActive, state: 'fetching', pending: { modelId: MODEL_B, name: 'ui-detector', version: '1.5.0', progress } },
        classifier: classifierActive,
      },
    }),
  verifying: (): SnapshotInput =>
    base({
      roles: {
        detector: { ...detectorActive, state: 'verifying', pending: { modelId: MODEL_B, name: 'ui-detector', version: '1.5.0', progress: 1 } },
        classifier: classifierActive,
      },
    }),
  canary: (): SnapshotInput =>
    base({
      roles: {
        detector: { state: 'active', modelId: MODEL_B, name: 'ui-detector', version: '1.5.0', provider: 'cpu', cohort: 'candidate', rolloutId: 'det-1.5.0-r1' },
        classifier: classifierActive,
      },
    }),
  rolledBack: (): SnapshotInput =>
    base({
      roles: {
        detector: { ...detectorActive, state: 'rolled_back', lastError: { code: 'latency_budget_exceeded', message: 'p95 240 ms over the 100 ms budget' } },
        classifier: classifierActive,
      },
      metrics: metricsSeries(30, { spikeAt: 22 }),
      events: [
        event({ type: 'activated', role: 'detector', modelId: MODEL_B, details: { name: 'ui-detector', version: '1.5.0' }, msAgo: 600_000 }),
        event({ type: 'rolled_back', role: 'detector', modelId: MODEL_B, reason: 'latency_budget_exceeded', details: { name: 'ui-detector', version: '1.5.0' } }),
      ],
    }),
  degradedCpu: (): SnapshotInput =>
    base({
      events: [
        event({ type: 'activated', role: 'detector', modelId: MODEL_A, details: { name: 'ui-detector', version: '1.4.0' }, msAgo: 60_000 }),
        event({ type: 'provider_fallback', role: 'detector', modelId: MODEL_A, reason: 'provider_unavailable', message: 'dml failed: device removed', msAgo: 59_000 }),
      ],
    }),
  rejected: (): SnapshotInput =>
    base({
      roles: { detector: { ...detectorActive, lastError: { code: 'release_expired', message: 'release expired 2026-11-22T00:00:00Z' } }, classifier: classifierActive },
      events: [event({ type: 'release_rejected', channel: 'finance-desktops', releaseSeq: 18, reason: 'release_expired', msAgo: 5_000 })],
    }),
  /** the accepted release expired while everything serves (freeze attack, issue 17 §1): only the agent's alert says so */
  releaseExpired: (): SnapshotInput => {
    const b = base({ events: [event({ type: 'release_expired', channel: 'finance-desktops', releaseSeq: 17, reason: 'release_expired', msAgo: 5_000 })] });
    return { ...b, status: { ...b.status, alerts: [{ code: 'release_expired', since: iso(5_000), message: 'the active release (seq 17) expired at 2026-11-23T14:29:55Z' }] } };
  },
  offline: (): SnapshotInput => base({ broker: { state: 'offline', url: 'mqtts://broker.corp.example:8883', since: iso(900_000), lastError: { code: 'broker_unreachable', message: 'ECONNREFUSED' } } }),
  error: (): SnapshotInput =>
    base({
      roles: { detector: { state: 'failed', lastError: { code: 'self_test_failed', message: 'output 3.2 vs 2.9' } } },
      events: [event({ type: 'activation_failed', role: 'detector', modelId: MODEL_B, reason: 'self_test_failed' })],
    }),
  paused: (): SnapshotInput => base({ detection: { paused: true, until: new Date(NOW.getTime() + 15 * 60_000).toISOString() } }),
  updateReady: (inFlight = 0): SnapshotInput =>
    base({
      update: { state: 'ready', currentVersion: '0.1.0', availableVersion: '0.2.0' },
      endpoint: { listening: true, address: '\\\\.\\pipe\\rpa-agent', clients: 1, requestsPerMinute: 6, inFlight },
    }),
};
export type ScenarioName = keyof typeof scenarioInputs;

type Builders = { [K in ScenarioName]: (...a: Parameters<(typeof scenarioInputs)[K]>) => StatusSnapshot };
/** Each scenario as the window sees it: mapped by the real toStatusSnapshot and checked by the bridge schema. */
export const scenarios = Object.fromEntries(
  Object.entries(scenarioInputs).map(([k, f]) => [k, (...a: unknown[]) => StatusSnapshotSchema.parse(toStatusSnapshot((f as (...x: unknown[]) => SnapshotInput)(...a)))]),
) as Builders;
