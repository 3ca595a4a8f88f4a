/**
 * `/health` of the controller's HTTP server (issue 16 §5): liveness (the rollout loop is ticking) and
 * readiness (broker connected, fleet database writable), as JSON; 200 when the probe asked about holds,
 * else 503. `/health` is both; `/health/live` and `/health/ready` are one each, for orchestrators that
 * restart on liveness and route on readiness.
 */
export interface HealthSource {
  readonly instanceId: string;
  readonly startedAt: number;
  readonly tickMs: number;
  readonly lastTickAt: number | undefined;
  readonly brokerConnected: boolean;
  readonly closed: boolean;
  /** a real write to the fleet database (the heartbeat row); throws when it is not writable */
  beat(now: number): void;
}

export interface Check {
  ok: boolean;
  detail: string;
}

export interface HealthReport {
  status: 'ok' | 'unavailable';
  live: boolean;
  ready: boolean;
  instanceId: string;
  uptimeS: number;
  checks: { ticking: Check; broker: Check; store: Check };
}

/** The loop counts as alive while its last tick is younger than this many ticks (and at least 10 s). */
const LIVE_TICKS = 5;
const LIVE_MIN_MS = 10_000;

export function controllerHealth(src: HealthSource, now: number): HealthReport {
  const since = src.lastTickAt ?? src.startedAt;
  const limit = Math.max(LIVE_MIN_MS, LIVE_TICKS * src.tickMs);
  const ticking: Check = src.closed
    ? { ok: false, detail: 'controller is closing' }
    : now - since <= limit
      ? { ok: true, detail: src.lastTickAt === undefined ? 'starting' : `last tick ${now - src.lastTickAt} ms ago` }
      : { ok: false, detail: `no tick for ${now - since} ms (limit ${limit} ms)` };
  const broker: Check = src.brokerConnected ? { ok: true, detail: 'connected' } : { ok: false, detail: 'not connected to the broker (reconnecting)' };
  let store: Check;
  try {
    src.beat(now);
    store = { ok: true, detail: 'writable' };
  } catch (e) {
    store = { ok: false, detail: `not writable: ${(e as Error).message}` };
  }
  const live = ticking.ok;
  const ready = live && broker.ok && store.ok;
  return { status: ready ? 'ok' : 'unavailable', live, ready, instanceId: src.instanceId, uptimeS: Math.round((now - src.startedAt) / 1000), checks: { ticking, broker, store } };
}

/** Which probe a path asks for, or undefined when it is not a health path. */
export function healthProbe(path: string): 'all' | 'live' | 'ready' | undefined {
  return path === '/health' ? 'all' : path === '/health/live' ? 'live' : path === '/health/ready' ? 'ready' : undefined;
}

export function healthStatusCode(r: HealthReport, probe: 'all' | 'live' | 'ready'): 200 | 503 {
  const ok = probe === 'live' ? r.live : r.ready;
  return ok ? 200 : 503;
}
