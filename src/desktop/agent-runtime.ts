/**
 * Starts the agent inside Electron's main process (issue 7 §1) through the SAME service `rpa-agent run`
 * uses (src/agent/service.ts: InferenceHost as activator, candidate guard, vision pipeline, bot endpoint,
 * telemetry). Inference stays off the main thread because the InferenceHost runs every onnxruntime
 * session in a worker thread; main only routes messages. No electron import.
 *
 * The desktop adds its own view of the endpoint (request counting, pause from the tray, drain on
 * shutdown) by wrapping the service's bot services, and feeds telemetry windows to the status window.
 */
import type { EndpointStats } from '../common/bridge.js';
import type { Agent } from '../agent/agent.js';
import type { SessionProcessSpawner } from '../agent/inference/index.js';
import { loadAgentConfig, type AgentConfig } from '../agent/config.js';
import type { Logger } from '../agent/runtime.js';
import { createKeytarSecretStore } from '../agent/secrets/secret-store.js';
import { startAgentService, type AgentService } from '../agent/service.js';
import type { MetricsWindow } from '../common/wire.js';
import { createAgentSource, EndpointCounter, type AgentSource } from './agent-source.js';
import { endpointAttachment, observedServices, type PauseState } from './endpoint-attachment.js';

export interface EndpointAttachment {
  stats(): EndpointStats;
  /** stop accepting requests and wait for in-flight ones (bounded by the signal) */
  drain(signal: AbortSignal): Promise<void>;
  setPaused(paused: boolean): void;
  close(): Promise<void>;
}

export interface DesktopAgentRuntime {
  agent: Agent;
  service: AgentService;
  config: AgentConfig;
  source: AgentSource;
  attachEndpoint(e: EndpointAttachment): void;
  onMetricsWindow(w: MetricsWindow): void;
  /** in-flight bot requests right now (0 when no endpoint is attached) */
  inFlight(): number;
  drainEndpoint(signal: AbortSignal): Promise<void>;
  /** agent.close(): aborts fetches, publishes the offline status, closes the registry (state saved) */
  close(): Promise<void>;
}

export async function startDesktopAgent(opts: { agentConfigPath: string; logger: Logger; agentVersion: string; sessionSpawner?: SessionProcessSpawner }): Promise<DesktopAgentRuntime> {
  const config = loadAgentConfig(opts.agentConfigPath);
  const secretStore = await createKeytarSecretStore();
  const counter = new EndpointCounter();
  const pause: PauseState = { paused: false };
  let onWindow: (w: MetricsWindow) => void = () => {};
  const service = await startAgentService({
    config,
    secretStore,
    logger: opts.logger,
    agentVersion: opts.agentVersion,
    // the tray's request counter and "paused" answer sit in front of the service's own bot services
    wrapServices: (s) => observedServices(s, counter, pause),
    onMetricsWindow: (w) => onWindow(w),
    ...(opts.sessionSpawner ? { host: { sessionSpawner: opts.sessionSpawner } } : {}),
  });
  const agent = service.agent;
  let endpoint: EndpointAttachment | undefined;
  let paused = false;
  const source = createAgentSource({
    agent,
    brokerUrl: config.broker.url,
    endpoint: () => endpoint?.stats() ?? { listening: false, clients: 0, requestsPerMinute: 0, inFlight: 0 },
    onDetectionPaused: (p) => {
      paused = p;
      service.setDetectionPaused(p);
      endpoint?.setPaused(p);
    },
  });
  onWindow = (w) => source.addMetricsWindow(w);
  if (service.endpoint && service.endpointPath) endpoint = endpointAttachment({ endpoint: service.endpoint, path: service.endpointPath, counter, pause });
  return {
    agent,
    service,
    config,
    source,
    attachEndpoint(e) {
      endpoint = e;
      e.setPaused(paused);
      source.touch();
    },
    onMetricsWindow: (w) => source.addMetricsWindow(w),
    inFlight: () => endpoint?.stats().inFlight ?? 0,
    drainEndpoint: async (signal) => {
      await endpoint?.drain(signal);
    },
    async close() {
      source.dispose();
      await endpoint?.close();
      await service.close();
    },
  };
}
