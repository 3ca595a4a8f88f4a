/**
 * Connects a running bot endpoint to the desktop: counts requests (rate and in-flight, for the window
 * and for "never update while a bot is mid-request"), answers "paused" while the user has paused
 * detection, and drains in-flight requests on shutdown. No electron import.
 */
import { AgentError } from '../common/errors.js';
import type { BotEndpoint } from '../agent/endpoint/index.js';
import type { BotServices } from '../agent/endpoint/services.js';
import { EndpointCounter } from './agent-source.js';
import type { EndpointAttachment } from './agent-runtime.js';

/** The calls that do real work (inference, storage); health/status/models.list are not counted. */
const COUNTED = ['detect', 'classify', 'findElement', 'embed', 'submitFeedback'] as const;
/** While paused, these are refused; feedback is still accepted. */
const PAUSABLE = new Set<string>(['detect', 'classify', 'findElement', 'embed']);

export interface PauseState {
  paused: boolean;
}

/** Wraps the services so every counted call is seen by `counter`, and pausable ones refused while paused. */
export function observedServices(
  services: BotServices,
  counter: EndpointCounter,
  pause: PauseState,
  /** each counted call's duration and outcome (e.g. into the telemetry recorder) */
  onRequest?: (method: (typeof COUNTED)[number], latencyMs: number, ok: boolean) => void,
): BotServices {
  const wrapped = Object.create(services) as BotServices;
  for (const name of COUNTED) {
    const original = services[name].bind(services) as (...a: unknown[]) => Promise<unknown>;
    (wrapped as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      if (pause.paused && PAUSABLE.has(name)) {
        // "busy" tells a bot to retry later, which is what it should do while a person has paused detection.
        throw new AgentError('busy', 'detection is paused by the user at this workstation; retry later');
      }
      counter.requestStarted();
      const t0 = performance.now();
      let ok = false;
      try {
        const r = await original(...args);
        ok = true;
        return r;
      } finally {
        counter.requestEnded();
        onRequest?.(name, performance.now() - t0, ok);
      }
    };
  }
  return wrapped;
}

export function endpointAttachment(opts: { endpoint: Pick<BotEndpoint, 'stats' | 'close'>; path: string; counter: EndpointCounter; pause: PauseState; pollMs?: number }): EndpointAttachment {
  let open = true;
  return {
    stats: () => ({
      listening: open,
      address: opts.path,
      clients: opts.endpoint.stats.connections,
      requestsPerMinute: opts.counter.perMinute(),
      inFlight: opts.counter.inFlight,
    }),
    setPaused(p) {
      opts.pause.paused = p;
    },
    async drain(signal) {
      // Waits for in-flight requests to finish (bounded by the shutdown step's timeout signal).
      while (opts.counter.inFlight > 0 && !signal.aborted) await new Promise((r) => setTimeout(r, opts.pollMs ?? 20));
    },
    async close() {
      open = false;
      await opts.endpoint.close();
    },
  };
}
