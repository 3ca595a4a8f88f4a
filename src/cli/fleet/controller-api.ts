/**
 * Starts the controller's HTTP API (issue 19 §1) beside the rollout loop: the same fleet database,
 * the controller's broker connection and releases key (release publish, model references checked on
 * the broker), the approvers of its trust file (signed approvals), its /health.
 */
import { readFile } from 'node:fs/promises';
import type { MqttClient } from 'mqtt';
import { ApiContext, type BrokerSide } from '../../fleet/api/context.js';
import { FleetQuerySchema } from '../../fleet/api/schemas.js';
import { startApiServer, type ApiServer } from '../../fleet/api/server.js';
import { consoleHttp } from '../../fleet/web/console-http.js';
import type { HealthReport } from '../../fleet/controller/health.js';
import type { ControllerStore } from '../../fleet/controller/store.js';
import type { SigningKey } from '../../fleet/signer.js';
import type { TrustInForce } from '../../fleet/trust-follow.js';

export interface ControllerApiDeps {
  store: ControllerStore;
  client: MqttClient;
  keys: readonly SigningKey[];
  /** the trust the controller follows (issue 20 §1): approvals, releases and provenance use the keys in force */
  trust: TrustInForce | undefined;
  prefix: string;
  health: () => HealthReport;
  log: (line: string) => void;
}

export async function startControllerApi(a: { port: number; host: string; cert?: string; key?: string; clientCa?: string; insecureHttp: boolean }, d: ControllerApiDeps): Promise<ApiServer> {
  const trust = d.trust;
  const ctx = new ApiContext({
    store: d.store,
    // getters: the keys in force at each request, not those at start
    broker: brokerSide(d, trust),
    ...(trust ? { approvers: () => trust.approvers() } : {}),
    health: d.health,
    log: d.log,
  });
  // [issue 19 §4] the status view's kept cohort sums built now (one pass over the default look-back's
  // windows, ~0.8 s at 10,000 agents) rather than in the first `GET /api/v1/fleet`; later calls move them
  ctx.cohortWindow.totals(ctx.clock() - FleetQuerySchema.parse({}).sinceMs);
  const tls = a.cert && a.key ? { cert: await readFile(a.cert), key: await readFile(a.key), ...(a.clientCa ? { clientCa: await readFile(a.clientCa) } : {}) } : undefined;
  // the web console (issue 19 §2) on the same origin: its files and the live event stream
  const web = consoleHttp(ctx);
  const server = await startApiServer(ctx, { host: a.host, port: a.port, ...(tls ? { tls } : {}), insecureHttp: a.insecureHttp, extra: web.extra });
  return { ...server, close: async () => (web.close(), await server.close()) };
}

/** The API's broker side; with a followed trust its releases/models keys are getters (an object spread would freeze them). */
function brokerSide(d: ControllerApiDeps, trust: TrustInForce | undefined): BrokerSide {
  const side: BrokerSide = { client: d.client, releaseKeys: d.keys, prefix: d.prefix };
  if (trust) {
    Object.defineProperty(side, 'releasesTrust', { enumerable: true, get: () => trust.releases() });
    Object.defineProperty(side, 'modelsTrust', { enumerable: true, get: () => trust.models() });
  }
  return side;
}
