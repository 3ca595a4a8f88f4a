/**
 * `rpa-agent run --config FILE`: the headless agent. Verifies and activates the models its channel's
 * release names, prints each event (one line, or JSON with --json) and runs until SIGINT/SIGTERM.
 */
import { AgentError } from '../../common/errors.js';
import type { AgentEvent } from '../../common/wire.js';
import type { ModelActivator } from '../../agent/activation.js';
import { OnnxActivator } from '../../agent/activation-onnx.js';
import { InferenceHost } from '../../agent/inference/index.js';
import { createAgent } from '../../agent/agent.js';
import { loadAgentConfig } from '../../agent/config.js';
import { lineLogger, silentLogger } from '../../agent/runtime.js';
import { createKeytarSecretStore } from '../../agent/secrets/secret-store.js';
import { parseFlags, type Command, type Parsed } from '../command.js';

export interface RunArgs {
  config: string;
  json: boolean;
  verbose: boolean;
  /** keytar service name (default rpa-edge-agent) */
  secretService: string;
  /** onnx: the simple in-process activator (activation-onnx.ts); host: the worker-based InferenceHost */
  activator: 'onnx' | 'host';
}

export function parseRunArgs(argv: string[]): Parsed<RunArgs> {
  const r = parseFlags(argv, { config: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' }, 'secret-service': { type: 'string' }, activator: { type: 'string' } });
  if (r.kind !== 'ok') return r;
  const config = (r.values.config as string | undefined) ?? process.env.RPA_AGENT_CONFIG;
  if (!config) return { kind: 'error', message: '--config FILE is required (or set RPA_AGENT_CONFIG)' };
  const secretService = (r.values['secret-service'] as string | undefined) ?? 'rpa-edge-agent';
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(secretService)) return { kind: 'error', message: '--secret-service takes a plain name' };
  const activator = (r.values.activator as string | undefined) ?? 'onnx';
  if (activator !== 'onnx' && activator !== 'host') return { kind: 'error', message: '--activator is onnx or host' };
  return { kind: 'ok', value: { config, json: r.values.json === true, verbose: r.values.verbose === true, secretService, activator } };
}

export function describeEvent(e: AgentEvent): string {
  const id = e.modelId ? ` ${e.modelId.slice(0, 12)}` : '';
  const role = e.role ? ` ${e.role}` : '';
  const reason = e.reason ? ` [${e.reason}]` : '';
  const msg = e.message ? `: ${e.message}` : '';
  const progress = e.type === 'download_progress' && typeof e.details?.progress === 'number' ? ` ${Math.round(e.details.progress * 100)}%` : '';
  return `${e.ts} ${e.type}${role}${id}${progress}${reason}${msg}`;
}

export const runCommand: Command<RunArgs> = {
  name: 'run',
  summary: 'run the headless agent (follow the channel, verify and activate models)',
  help: `--config FILE [--json] [--verbose] [--secret-service NAME] [--activator onnx|host]

Runs the agent with the JSON config FILE (broker, agentId, channel, trustFile, dataDir, limits…) until
SIGINT/SIGTERM. Secrets (broker password, at-rest model key) come from the OS credential store only.
  --json       one JSON event per line on stdout
  --verbose    operational log lines (JSON) on stderr
  --activator  onnx (default): in-process onnxruntime CPU session per role;
               host: the inference host (worker threads, provider fallback, leases)

Example config (relative paths are resolved against the config file's folder):
  { "broker": { "url": "mqtts://broker.corp:8883", "ca": "fleet-ca.pem", "username": "ws-0042",
                "passwordFromCredentialStore": true },
    "agentId": "ws-0042", "channel": "stable", "trustFile": "trust.json", "dataDir": "data",
    "limits": { "maxModelBytes": 536870912 }, "keepVersions": 3, "latencyBudgetMs": 100 }
Store the broker password first under service "rpa-edge-agent", account "broker-password".`,
  parse: parseRunArgs,
  async run(args, io) {
    const config = loadAgentConfig(args.config);
    const secretStore = await createKeytarSecretStore(args.secretService);
    const logger = args.verbose ? lineLogger(io.err) : silentLogger;
    const activator: ModelActivator =
      args.activator === 'host'
        ? new InferenceHost({ latencyBudgetMs: { detector: config.latencyBudgetMs } })
        : new OnnxActivator({ latencyBudgetMs: config.latencyBudgetMs });
    let agent;
    try {
      agent = await createAgent({ config, secretStore, activator, logger });
    } catch (e) {
      await activator.close();
      throw e;
    }
    const print = (e: AgentEvent) => io.out(args.json ? JSON.stringify(e) : describeEvent(e));
    // Events from start-up (restore, resume) happened inside createAgent: print them, then follow live.
    for (const e of agent.snapshot().recentEvents) print(e);
    agent.subscribe((c) => {
      if (c.kind === 'event') print(c.event);
    });
    if (!args.json) io.err(`rpa-agent ${config.agentId} following channel ${config.channel} on ${redact(config.broker.url)} (data in ${config.dataDir})`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      io.signal?.addEventListener('abort', stop, { once: true });
    });
    await agent.close();
    return 0;
  },
};

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    throw new AgentError('bad_config', 'broker.url is not a URL');
  }
}

export const commands: Command<any>[] = [runCommand];
