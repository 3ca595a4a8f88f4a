/**
 * Starts the agent core inside Electron's main process (issue 7 §1), the same core `rpa-agent run`
 * uses: createAgent with the InferenceHost as activator. Inference stays off the main thread because
 * the InferenceHost runs every onnxruntime session in a worker thread (worker-per-generation,
 * src/agent/inference/session-worker.ts); main only routes messages. No electron import.
 *
 * The bot endpoint and telemetry are attached by whoever composes them (`attach`), so the desktop
 * shows their counters as soon as the shared runtime composition provides them.
 */
import type { EndpointStats } from '../common/bridge.js';
import { createAgent, type Agent } from '../agent/agent.js';
import { loadAgentConfig, type AgentConfig } from '../agent/config.js';
import { InferenceHost } from '../agent/inference/index.js';
import type { Logger } from '../agent/runtime.js';
import { createKeytarSecretStore } from '../agent/secrets/secret-store.js';
import type { MetricsWindow } from '../common/wire.js';
import { createAgentSource, type AgentSource } from './agent-source.js';

export interface EndpointAttachment {
  stats(): EndpointStats;
  /** stop accepting requests and wait for in-flight ones (bounded by the signal) */
  drain(signal: AbortSignal): Promise<void>;
  setPaused(paused: boolean): void;
  close(): Promise<void>;
}

export interface DesktopAgentRuntime {
  agent: Agent;
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

export async function startDesktopAgent(opts: { agentConfigPath: string; logger: Logger; agentVersion: string }): Promise<DesktopAgentRuntime> {
  const config = loadAgentConfig(opts.agentConfigPath);
  const secretStore = await createKeytarSecretStore();
  const activator = new InferenceHost({ latencyBudgetMs: { detector: config.latencyBudgetMs } });
  const agent = await createAgent({ config, secretStore, activator, logger: opts.logger, agentVersion: opts.agentVersion });
  let endpoint: EndpointAttachment | undefined;
  let paused = false;
  const source = createAgentSource({
    agent,
    brokerUrl: config.broker.url,
    endpoint: () => endpoint?.stats() ?? { listening: false, clients: 0, requestsPerMinute: 0, inFlight: 0 },
    onDetectionPaused: (p) => {
      paused = p;
      endpoint?.setPaused(p);
    },
  });
  return {
    agent,
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
      await agent.close();
    },
  };
}
