/**
 * `rpa-agent run --config FILE`: the headless agent — the same service the tray app runs
 * (src/agent/service.ts): inference host, candidate guard, vision pipeline, bot endpoint, telemetry.
 * Prints each event (one line, or JSON with --json) and runs until SIGINT/SIGTERM.
 */
import { AgentError } from '../../common/errors.js';
import { DisposableStore, runShutdown } from '../../common/lifetime.js';
import { mallocTuned } from '../../agent/inference/malloc.js';
import type { AgentEvent } from '../../common/wire.js';
import type { ModelActivator } from '../../agent/activation.js';
import { createAgent } from '../../agent/agent.js';
import { loadAgentConfig } from '../../agent/config.js';
import { lineLogger, silentLogger } from '../../agent/runtime.js';
import { createKeytarSecretStore } from '../../agent/secrets/secret-store.js';
import { SERVICE_CLOSE_TOTAL_MS, startAgentService, type AgentService } from '../../agent/service.js';
import { parseFlags, type Command, type Parsed } from '../command.js';

export interface RunArgs {
  config: string;
  json: boolean;
  verbose: boolean;
  /** keytar service name (default rpa-edge-agent) */
  secretService: string;
  /** host (default): the full service over the InferenceHost; onnx: agent core only with the in-process activator (debugging) */
  activator: 'onnx' | 'host';
}

export function parseRunArgs(argv: string[]): Parsed<RunArgs> {
  const r = parseFlags(argv, { config: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' }, 'secret-service': { type: 'string' }, activator: { type: 'string' } });
  if (r.kind !== 'ok') return r;
  const config = (r.values.config as string | undefined) ?? process.env.RPA_AGENT_CONFIG;
  if (!config) return { kind: 'error', message: '--config FILE is required (or set RPA_AGENT_CONFIG)' };
  const secretService = (r.values['secret-service'] as string | undefined) ?? 'rpa-edge-agent';
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(secretService)) return { kind: 'error', message: '--secret-service takes a plain name' };
  const activator = (r.values.activator as string | undefined) ?? 'host';
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
  help: `--config FILE [--json] [--verbose] [--secret-service NAME] [--activator host|onnx]

Runs the agent with the JSON config FILE (broker, agentId, channel, trustFile, dataDir, limits…) until
SIGINT/SIGTERM: models verified and activated in the inference host, candidates watched by the local
guard (rolled back on a breach, committed after a clean window), the bot endpoint listening, metrics
windows sent on agents/{id}/metrics. Secrets (broker password, at-rest model key, bot-endpoint secret)
come from the OS credential store only; the endpoint secret is created on first run.
  --json       one JSON event per line on stdout
  --verbose    operational log lines (JSON) on stderr
  --activator  host (default): the full service over the inference host (worker threads, provider
               fallback, leases); onnx: the agent core alone with the in-process CPU activator
               (debugging: no endpoint, no telemetry, no guard)

Example config (relative paths are resolved against the config file's folder):
  { "broker": { "url": "mqtts://broker.corp:8883", "ca": "fleet-ca.pem", "username": "ws-0042",
                "passwordFromCredentialStore": true },
    "agentId": "ws-0042", "channel": "stable", "trustFile": "trust.json", "dataDir": "data",
    "limits": { "maxModelBytes": 536870912 }, "keepVersions": 3, "latencyBudgetMs": 100,
    "inference": { "providers": ["dml", "cpu"] }, "endpoint": { "path": "optional pipe/socket" },
    "telemetry": { "windowSec": 60 }, "vision": { "capture": true } }
Store the broker password first under service "rpa-edge-agent", account "broker-password".`,
  parse: parseRunArgs,
  async run(args, io) {
    const config = loadAgentConfig(args.config);
    const secretStore = await createKeytarSecretStore(args.secretService);
    const logger = args.verbose ? lineLogger(io.err) : silentLogger;
    // Whoever creates a resource disposes it (src/common/lifetime.ts): this command owns what it starts,
    // and ends it in reverse order through the one bounded shutdown runner.
    const owned = new DisposableStore();
    let agent;
    let service: AgentService | undefined;
    try {
      if (args.activator === 'host') {
        service = owned.add(await startAgentService({ config, secretStore, logger }), 'agent service');
        agent = service.agent;
      } else {
        // loaded only here: onnxruntime's native library in the agent process costs tens of MB, and with the
        // inference host (the default) sessions live in a session process (issue 17 §2)
        const { OnnxActivator } = await import('../../agent/activation-onnx.js');
        const activator: ModelActivator = owned.add(new OnnxActivator({ latencyBudgetMs: config.latencyBudgetMs }), 'onnx activator');
        agent = owned.add(await createAgent({ config, secretStore, activator, logger }), 'agent');
      }
    } catch (e) {
      await owned.dispose().catch(() => {});
      throw e;
    }
    const print = (e: AgentEvent) => io.out(args.json ? JSON.stringify(e) : describeEvent(e));
    // Events from start-up (restore, resume) happened inside createAgent: print them, then follow live.
    for (const e of agent.snapshot().recentEvents) print(e);
    owned.add(
      agent.subscribe((c) => {
        if (c.kind === 'event') print(c.event);
      }),
      'event printer',
    );
    if (!args.json) {
      io.err(`rpa-agent ${config.agentId} following channel ${config.channel} on ${redact(config.broker.url)} (data in ${config.dataDir})`);
      if (service?.endpointPath) io.err(`bot endpoint listening on ${service.endpointPath}`);
      // glibc reads this only at process start (src/agent/inference/malloc.ts). Session processes get it when
      // the agent spawns them; this process only from its own environment (the service unit sets it). Measured
      // idle with three models: this process 120-145 MB with it, 170 MB without (docs/BENCHMARKS.md, issue 17).
      if (service && !mallocTuned())
        io.err('note: set MALLOC_MMAP_THRESHOLD_=32768 in the agent\'s environment (assets/service/rpa-agent.service sets it) to keep its memory lower and flat over months of model swaps');
    }
    const reason = await stopRequested(io.signal);
    // the service bounds its own steps; this bound only catches a close that never returns
    const r = await runShutdown(reason, owned.drainSteps(), { stepTimeoutMs: SERVICE_CLOSE_TOTAL_MS + 2000, totalTimeoutMs: SERVICE_CLOSE_TOTAL_MS + 2000 });
    for (const s of r.steps) if (!s.ok) io.err(`shutdown: ${s.name} ${s.overran ? 'overran' : 'failed'}: ${s.error}`);
    return 0;
  },
};

/** Resolves with what stopped the agent: SIGINT, SIGTERM or the caller's signal. Leaves no listener behind. */
export function stopRequested(signal?: AbortSignal): Promise<string> {
  return new Promise<string>((resolve) => {
    const stop = (reason: string) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      signal?.removeEventListener('abort', onAbort);
      resolve(reason);
    };
    const onInt = stop('SIGINT');
    const onTerm = stop('SIGTERM');
    const onAbort = stop('aborted');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    throw new AgentError('bad_config', 'broker.url is not a URL');
  }
}

export const commands: Command[] = [runCommand];
