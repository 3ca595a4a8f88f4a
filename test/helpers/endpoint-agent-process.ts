/**
 * A headless agent process serving only the bot endpoint, for the e2e tests and benchmarks, until the
 * agent core's `rpa-agent run` wires the endpoint in. Real: the OS credential store (secret created on
 * first start, as the agent does), the endpoint, onnxruntime inference (see endpoint-harness.ts).
 * Env: ENDPOINT_PATH (default: this user's path), ENDPOINT_LIMITS (JSON), ENDPOINT_SLOW_RUNS,
 * ENDPOINT_SERVICES=vision to serve the real vision pipeline (createVisionTestServices) instead of the harness.
 * Stdout: JSON lines — {ready, path, pid}, {alarm}, {audit} (auth failures only), {mem} on "mem\n" from stdin.
 */
import { createInterface } from 'node:readline';
import { createKeytarSecretStore } from '../../src/agent/secrets/secret-store.js';
import { getOrCreateEndpointSecret } from '../../src/agent/endpoint/secret.js';
import { startBotEndpoint } from '../../src/agent/endpoint/server.js';
import { defaultEndpointPath } from '../../src/agent/endpoint/paths.js';
import { OnnxTestServices, createVisionTestServices } from './endpoint-harness.js';
import type { BotServices } from '../../src/agent/endpoint/services.js';

const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
process.on('unhandledRejection', (e) => {
  say({ fatal: 'unhandledRejection', message: String(e) });
  process.exit(70);
});
process.on('uncaughtException', (e) => {
  say({ fatal: 'uncaughtException', message: e.message });
  process.exit(70);
});

const path = process.env.ENDPOINT_PATH || defaultEndpointPath();
const secret = await getOrCreateEndpointSecret(await createKeytarSecretStore());
let services: BotServices;
let dispose: () => Promise<void>;
let setDetectorState: (s: { state: 'rolled_back' }) => void;
if (process.env.ENDPOINT_SERVICES === 'vision') {
  const v = await createVisionTestServices();
  services = v.services;
  dispose = () => v.close();
  setDetectorState = (st) => v.setDetectorState(st);
} else {
  const h = await OnnxTestServices.create({ slowRuns: Number(process.env.ENDPOINT_SLOW_RUNS ?? 0) });
  services = h;
  dispose = () => h.dispose();
  setDetectorState = (st) => h.setDetectorState(st);
}
let ep;
try {
  ep = await startBotEndpoint({
    path,
    secret,
    services,
    agentVersion: '0.1.0-e2e',
    limits: process.env.ENDPOINT_LIMITS ? JSON.parse(process.env.ENDPOINT_LIMITS) : {},
    observer: {
      alarm: (reason, message) => say({ alarm: reason, message }),
      audit: (e) => {
        if (e.event !== 'auth_ok') say({ audit: e.event });
      },
    },
  });
} catch (e) {
  say({ error: (e as { code?: string }).code ?? 'internal', message: (e as Error).message });
  await dispose();
  process.exit(1);
}
say({ ready: true, path, pid: process.pid });

const stop = async () => {
  await ep.close();
  await dispose();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
createInterface({ input: process.stdin }).on('line', (l) => {
  if (l === 'mem') {
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    say({ mem: { rss: m.rss, heapUsed: m.heapUsed }, stats: ep.stats });
  }
  if (l === 'status-change') setDetectorState({ state: 'rolled_back' });
});
