/**
 * `rpa-fleet controller`: runs the fleet rollout controller (DESIGN.md "Fleet controller") until
 * interrupted: subscribes to the agents' topics, keeps state in a SQLite file that the other
 * verbs (rollout, status, agents, feedback) read and write, and serves Prometheus /metrics.
 */
import { hostname } from 'node:os';
import { FleetController } from '../../fleet/controller/controller.js';
import { controllerHealth } from '../../fleet/controller/health.js';
import { controllerRegistry, serveMetrics } from '../../fleet/controller/prometheus.js';
import { loadSigningKey } from '../../fleet/keys.js';
import { readTrustFile } from '../../fleet/trust.js';
import { FollowedTrust } from '../../fleet/trust-follow.js';
import type { TrustStep } from '../../common/trust-follow.js';
import { keyIdOf } from '../../common/dsse.js';
import type { SigningKey } from '../../fleet/signer.js';
import { enforceQualityGate } from '../../fleet/quality-gate.js';
import { parseDuration, parseFlags, type Command, type CommandIO, type Parsed, type AnyCommand } from '../command.js';
import { brokerHelp, brokerOptions, connectFromFlags, listValues, parseBrokerFlags, type BrokerFlags } from './connect.js';

import { dbHelp, dbOption, dbPath, openFleetStore } from './db.js';
import { isLoopback } from '../../fleet/api/server.js';
import { startControllerApi } from './controller-api.js';

export { dbHelp, dbOption, dbPath };

export interface ControllerArgs {
  broker: BrokerFlags;
  keys: string[];
  trust?: string;
  db: string;
  /** create the database when it does not exist yet (otherwise fleet_db_missing) */
  init: boolean;
  metricsPort?: number;
  metricsHost: string;
  sharedGroup?: string;
  tickMs: number;
  clientId: string;
  json: boolean;
  /** the HTTP API (issue 19 §1): HTTPS with cert/key, or plain HTTP on loopback with insecureHttp */
  api?: { port: number; host: string; cert?: string; key?: string; clientCa?: string; insecureHttp: boolean };
}

export function parseController(argv: string[]): Parsed<ControllerArgs> {
  const r = parseFlags(argv, {
    ...brokerOptions,
    ...dbOption,
    init: { type: 'boolean' },
    key: { type: 'string', multiple: true },
    trust: { type: 'string' },
    'metrics-port': { type: 'string' },
    'metrics-host': { type: 'string' },
    'shared-group': { type: 'string' },
    tick: { type: 'string' },
    'client-id': { type: 'string' },
    json: { type: 'boolean' },
    'api-port': { type: 'string' },
    'api-host': { type: 'string' },
    'api-cert': { type: 'string' },
    'api-key': { type: 'string' },
    'api-insecure-http': { type: 'boolean' },
    'api-client-ca': { type: 'string' },
  });
  if (r.kind !== 'ok') return r;
  const v = r.values;
  const api = parseApiFlags(v);
  if (typeof api === 'string') return { kind: 'error', message: api };
  const b = parseBrokerFlags(v);
  if (!b.ok) return { kind: 'error', message: b.message };
  const keys = listValues(v['key']);
  if (keys.length === 0) return { kind: 'error', message: '--key FILE (a releases private key) is required: the controller signs each wave' };
  let metricsPort: number | undefined;
  if (v['metrics-port'] !== undefined) {
    metricsPort = Number(v['metrics-port']);
    if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) return { kind: 'error', message: '--metrics-port is a port number' };
  }
  const tickMs = parseDuration(String(v['tick'] ?? '1s'));
  if (!tickMs || tickMs < 50) return { kind: 'error', message: '--tick is a duration of at least 50ms (e.g. 1s)' };
  const group = v['shared-group'];
  if (group !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(String(group))) return { kind: 'error', message: '--shared-group is a name (letters, digits, . _ -)' };
  return {
    kind: 'ok',
    value: {
      broker: b.value,
      keys,
      ...(typeof v['trust'] === 'string' ? { trust: v['trust'] } : {}),
      db: dbPath(v),
      init: v['init'] === true,
      ...(metricsPort !== undefined ? { metricsPort } : {}),
      metricsHost: typeof v['metrics-host'] === 'string' ? v['metrics-host'] : '127.0.0.1',
      ...(group !== undefined ? { sharedGroup: String(group) } : {}),
      tickMs,
      clientId: typeof v['client-id'] === 'string' ? v['client-id'] : `rpa-fleet-controller-${hostname()}`,
      json: v['json'] === true,
      ...(api ? { api } : {}),
    },
  };
}

/** Pure: the API flags, undefined without --api-port, or a usage message. */
export function parseApiFlags(v: Record<string, unknown>): ControllerArgs['api'] | string {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const portText = str('api-port');
  const others = ['api-host', 'api-cert', 'api-key', 'api-insecure-http', 'api-client-ca'].filter((k) => v[k] !== undefined);
  if (portText === undefined) return others.length ? `--${others[0]} needs --api-port N` : undefined;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return '--api-port is a port number (0 = any free port)';
  const host = str('api-host') ?? '127.0.0.1';
  const cert = str('api-cert');
  const key = str('api-key');
  const insecureHttp = v['api-insecure-http'] === true;
  if ((cert === undefined) !== (key === undefined)) return '--api-cert and --api-key go together (the TLS certificate chain and its private key, PEM)';
  if (insecureHttp && cert) return '--api-insecure-http and --api-cert exclude each other';
  if (!insecureHttp && !cert) return '--api-port needs --api-cert FILE --api-key FILE (HTTPS); plain HTTP only with --api-insecure-http on a loopback --api-host';
  const clientCa = str('api-client-ca');
  if (clientCa && !cert) return '--api-client-ca needs HTTPS (--api-cert, --api-key)';
  if (insecureHttp && !isLoopback(host)) return `--api-insecure-http is allowed on a loopback --api-host only (127.0.0.1, ::1), not ${host}`;
  return { port, host, ...(cert ? { cert, key: key! } : {}), ...(clientCa ? { clientCa } : {}), insecureHttp };
}

async function runController(a: ControllerArgs, io: CommandIO): Promise<number> {
  const keys = await Promise.all(a.keys.map((k) => loadSigningKey(k, 'releases')));
  const installed = a.trust ? await readTrustFile(a.trust) : undefined;
  // A long-lived service: reconnects (the CLI default is fail-fast), and a fixed client id with a
  // persistent session, so windows sent while the controller itself reconnects wait for it at the broker.
  const client = await connectFromFlags({ ...a.broker }, io, {
    clientId: a.clientId,
    mqttOptions: { reconnectPeriod: 2000, clean: false, properties: { sessionExpiryInterval: 3600 } },
  });
  const store = openFleetStore(a.db, { create: a.init });
  const say = (line: string, data?: Record<string, unknown>) => io.out(a.json ? JSON.stringify({ ts: new Date().toISOString(), msg: line, ...(data ?? {}) }) : `${new Date().toISOString()} ${line}`);
  // [issue 20 §1] the trust in force follows `trust rotate` / `trust revoke` while the controller runs
  const trust = installed ? new FollowedTrust({ installed, client, db: store.db, prefix: a.broker.prefix, onStep: (s) => say(describeTrustStep(s, keys), { trustVersion: s.state.version, ...(s.refused ? { code: s.refused.code } : {}) }) }) : undefined;
  await trust?.start();
  const ctl = new FleetController({ client, store, releaseKeys: keys, ...(trust ? { trustInForce: trust } : {}), prefix: a.broker.prefix, tickMs: a.tickMs, ...(a.sharedGroup ? { sharedGroup: a.sharedGroup } : {}), onLog: say,
    qualityGate: (channel, role, modelId) => enforceQualityGate(store.db, channel, [{ role, modelId }], { client, modelsTrust: trust?.models(), prefix: a.broker.prefix }, 'run the controller with --trust FILE') });
  await ctl.start();
  const api = a.api ? await startControllerApi(a.api, { store, client, keys, trust, prefix: a.broker.prefix, health: () => controllerHealth(ctl, Date.now()), log: say }) : undefined;
  if (api) say(`API ${api.url}/api/v1 (OpenAPI at ${api.url}/openapi.json)`);
  const metrics = a.metricsPort !== undefined ? await serveMetrics(controllerRegistry(ctl), a.metricsPort, a.metricsHost, { health: () => controllerHealth(ctl, Date.now()) }) : undefined;
  say(`controller ${ctl.instanceId} running: db ${a.db}${metrics ? `, metrics http://${a.metricsHost}:${metrics.port}/metrics, health http://${a.metricsHost}:${metrics.port}/health` : ''}${a.sharedGroup ? `, shared group ${a.sharedGroup}` : ''}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    io.signal?.addEventListener('abort', stop, { once: true });
  });
  say('stopping');
  await api?.close();
  await ctl.close();
  await trust?.close();
  await metrics?.close();
  await client.endAsync();
  store.close();
  return 0;
}

/** A controller log line for a trust statement accepted or refused; warns when its own releases key is out. */
export function describeTrustStep(s: TrustStep, keys: readonly SigningKey[]): string {
  if (s.accepted.length === 0) return `trust statement ${s.refused!.version} refused [${s.refused!.code}]: ${s.refused!.message}; trust version ${s.state.version} stays in force`;
  const mine = keys.map((k) => keyIdOf(k.publicKey));
  const inForce = new Set((s.state.roles.releases?.keys ?? []).map((k) => keyIdOf(Buffer.from(k.publicKey, 'base64'))).filter((id) => !s.state.revoked.includes(id)));
  const out = mine.filter((id) => !inForce.has(id));
  return [
    `trust version ${s.before.version} → ${s.state.version}${s.newlyRevoked.length ? `; revoked ${s.newlyRevoked.map((k) => k.slice(0, 16) + '…').join(', ')}` : ''}: releases, approvals and provenance are verified with the new keys from now on`,
    ...(s.refused ? [`; statement ${s.refused.version} refused [${s.refused.code}]: ${s.refused.message}`] : []),
    ...(out.length ? [`; WARNING: this controller's releases key ${out.map((k) => k.slice(0, 16) + '…').join(', ')} is not in force any more — agents refuse the releases it signs; restart it with the new releases key (--key)`] : []),
  ].join('');
}

const controller: Command<ControllerArgs> = {
  name: 'controller',
  summary: 'run the rollout controller (fleet state, waves, gates, rollback, /metrics)',
  help: `--broker URL --key releases.key [--db FILE] [--init] [--metrics-port 9464] [--shared-group G] [options]

Runs until interrupted. Subscribes to agents/+/status|metrics|events|feedback, stores fleet state,
rollouts and feedback in the SQLite file, signs and publishes each wave's release, and rolls back
automatically when a wave's canary cohort breaks a gate.

Options:
  --key FILE[,FILE]       releases private key(s) (threshold signing = several)
  --trust FILE            trust file whose releases role verifies releases seen on the wire, whose
                          approvers role verifies signed approvals (rollout start --approvals N) and whose
                          models role verifies provenance for channel quality gates; the controller
                          follows trust statements (trust rotate / trust revoke) while it runs
${dbHelp}
  --init                  create the database if it does not exist (otherwise: error fleet_db_missing)
  --metrics-port N        serve Prometheus /metrics and /health (liveness; readiness = broker connected and
                          database writable; JSON, 200 or 503) on this port (0 = any free port)
  --metrics-host H        address for /metrics (default 127.0.0.1)
  --shared-group G        take metrics/events/feedback through an MQTT 5 shared subscription
                          ($share/G/...) so several controllers split the stream; they share --db
  --tick D                how often rollouts are judged (default 1s)
  --client-id ID          MQTT client id (default rpa-fleet-controller-<host>); the session is persistent,
                          so give each controller instance its own id
  --json                  log lines as JSON
  --api-port N            serve the admin HTTP API (/api/v1, /openapi.json; bearer tokens from
                          \`rpa-fleet tokens create\`) on this port (0 = any free port)
  --api-host H            address for the API (default 127.0.0.1)
  --api-cert FILE         TLS certificate chain (PEM) of the API: HTTPS
  --api-key FILE          its private key (PEM)
  --api-client-ca FILE    CA (PEM) of client certificates: a verified certificate bound to a token
                          (tokens create --client-cert) authenticates instead of the bearer token
  --api-insecure-http     plain HTTP instead of HTTPS: loopback --api-host only (tests, development)
${brokerHelp}

Example:
  rpa-fleet init                  # once: creates the fleet database (or pass --init here)
  rpa-fleet controller --broker mqtt://localhost:1883 --key keys/releases.key --metrics-port 9464`,
  parse: parseController,
  run: runController,
};

export const commands: AnyCommand[] = [controller];
