/**
 * `npm run sim -- --broker URL --trust trust.json --agents 100 --channel prod [options]`
 * Runs a set of simulated agents (src/fleet/sim) against a broker: real MQTT clients, real signature
 * checks against the trust file, real chunk fetches, simulated inference. Prints a summary every 5 s.
 * Options: `npm run sim -- --help` (USAGE below).
 * Run under a parent with an IPC channel (child_process.fork), it also takes messages
 * {type:'setProfile', modelId, profile} and {type:'close'}, and sends {type:'ready'} and {type:'summary'}.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readTrustFile } from '../src/fleet/trust.js';
import { fromBase64 } from '../src/common/bytes.js';
import { startFleetSim, type ModelProfile } from '../src/fleet/sim/index.js';
import { parseDuration } from '../src/cli/command.js';

const USAGE = `usage: npm run sim -- --broker URL --trust trust.json [options]

Runs simulated agents (src/fleet/sim) against a broker: real MQTT clients, real signature checks
against the trust file, real chunk fetches, simulated inference. Prints a summary every 5 s.

  --broker URL             broker to connect to (required), e.g. mqtt://127.0.0.1:1883
  --trust FILE             the agents' trust file (required; \`rpa-fleet trust init\`)
  --agents N               how many (default 100)
  --channel C              release channel to follow (default prod)
  --id-prefix P            agent ids P0, P1, … (default sim-)   --first-index I (default 0)
  --window D               metrics window (default 60s)   --requests N per window (default 50)
  --preinstalled ID[,ID]   models the agents start with (a bundled baseline; not fetched)
  --fault MODEL:k=v[,k=v]  inject a profile for a model: latencyMs, latencySigma, errorRate, confidence, agreement
  --no-fetch               verify manifests but skip fetching bytes (control-plane load only)
  --origin-ca FILE         CA (PEM) pinned for the HTTPS origins a manifest lists   --no-origins  broker only
  --mqtt-version 5|4       (default 5)
  --prefix P               topic prefix (default rpa/v1)
  --connect-batch N        agents connecting at once (default 100)
  --quiet                  no summary lines
  --help                   this text

Example:
  npm run sim -- --broker mqtt://127.0.0.1:1883 --trust trust.json --agents 40 --channel prod --window 10s`;

function parseOrExit(): ReturnType<typeof parseSimArgs> {
  try {
    return parseSimArgs();
  } catch (e) {
    console.error(`error[bad_argument]: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const parseSimArgs = () => parseArgs({
  options: {
    help: { type: 'boolean', short: 'h' },
    broker: { type: 'string' },
    trust: { type: 'string' },
    agents: { type: 'string', default: '100' },
    channel: { type: 'string', default: 'prod' },
    'id-prefix': { type: 'string', default: 'sim-' },
    'first-index': { type: 'string', default: '0' },
    window: { type: 'string', default: '60s' },
    requests: { type: 'string', default: '50' },
    preinstalled: { type: 'string' },
    fault: { type: 'string', multiple: true },
    'no-fetch': { type: 'boolean' },
    'origin-ca': { type: 'string' },
    'no-origins': { type: 'boolean' },
    'mqtt-version': { type: 'string', default: '5' },
    prefix: { type: 'string' },
    'connect-batch': { type: 'string', default: '100' },
    quiet: { type: 'boolean' },
  },
});
const { values } = parseOrExit();

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.broker || !values.trust) {
  console.error(`error[bad_argument]: --broker and --trust are required\n\n${USAGE}`);
  process.exit(2);
}
const trustFile = await readTrustFile(values.trust);
const role = (r: 'models' | 'releases') => ({ threshold: trustFile.roles[r].threshold, keys: trustFile.roles[r].keys.map((k) => ({ publicKey: fromBase64(k.publicKey) })) });

function parseFault(s: string): [string, Partial<ModelProfile>] {
  const [model, kv] = s.split(':');
  const p: Record<string, number> = {};
  for (const pair of (kv ?? '').split(',').filter(Boolean)) {
    const [k, v] = pair.split('=');
    p[k!] = Number(v);
  }
  return [model!, p as Partial<ModelProfile>];
}

const sim = await startFleetSim({
  url: values.broker,
  count: Number(values.agents),
  channel: values.channel!,
  trust: { models: role('models'), releases: role('releases') },
  idPrefix: values['id-prefix']!,
  firstIndex: Number(values['first-index']),
  windowMs: parseDuration(values.window!) ?? 60_000,
  requestsPerWindow: Number(values.requests),
  ...(values.preinstalled ? { preinstalled: values.preinstalled.split(',') } : {}),
  ...(values['no-fetch'] ? { fetchModels: false } : {}),
  ...(values['origin-ca'] ? { originCa: readFileSync(values['origin-ca']) } : {}),
  ...(values['no-origins'] ? { useOrigins: false } : {}),
  ...(values.prefix ? { prefix: values.prefix } : {}),
  connectBatch: Number(values['connect-batch']),
  mqtt: { protocolVersion: Number(values['mqtt-version']) as 4 | 5 },
});
for (const f of values.fault ?? []) {
  const [m, p] = parseFault(f);
  sim.setProfile(m, p);
}

const summary = () => ({ type: 'summary', pid: process.pid, ...sim.summary(), rssBytes: process.memoryUsage().rss });
process.send?.({ type: 'ready', agents: sim.agents.length });
const timer = setInterval(() => {
  const s = summary();
  if (process.send) process.send(s);
  else if (!values.quiet) console.log(JSON.stringify(s));
}, process.send ? 500 : 5000);

let closing = false;
async function shutdown(code = 0): Promise<void> {
  if (closing) return;
  closing = true;
  clearInterval(timer);
  await sim.close();
  process.exit(code);
}
process.on('message', (m: { type: string; modelId?: string; profile?: Partial<ModelProfile> }) => {
  if (m.type === 'setProfile' && m.modelId && m.profile) sim.setProfile(m.modelId, m.profile);
  if (m.type === 'close') void shutdown(0);
});
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));
process.once('disconnect', () => void shutdown(0));
if (!process.send) console.log(`${sim.agents.length} simulated agents on ${values.broker}, channel ${values.channel}; Ctrl-C to stop`);
