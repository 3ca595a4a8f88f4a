/**
 * `npm run conformance -- --broker URL [options]`: tests an agent implementation (ours or another)
 * against the reference messages of docs/PROTOCOL.md (issue 22 §3). Usage: USAGE below.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { MqttClient } from 'mqtt';
import { AgentError, toAgentError } from '../../src/common/errors.js';
import { DEFAULT_TOPIC_PREFIX, isValidTopicSegment, topics } from '../../src/common/topics.js';
import { AgentStatusSchema } from '../../src/common/wire.js';
import { connectBroker, readRetained, redactUrl } from '../../src/fleet/mqtt.js';
import { runChecks, type CheckResult } from './checks.js';
import { defaultKeysDir, ensureConformanceKeys } from './keys.js';
import { observeAgent } from './observe.js';

const USAGE = `usage: npm run conformance -- --broker URL [options]

Tests an RPA Edge Agent implementation against the reference messages (docs/PROTOCOL.md,
"Testing another implementation"). Publishes on the broker, watches the agent's status and events:
  1 a signed manifest + chunks + release of a tiny ONNX model → release_accepted, detector committed|active
  2 the same release with a lower seq                       → release_rejected (release_replayed)
  3 a release signed by an untrusted key                    → release_rejected (untrusted_key)
  4 a tampered chunk                                        → model_rejected (chunk_hash_mismatch)
  5 an expired release                                      → release_rejected (release_expired)
The agent must follow the channel and trust the keys in <trust-keys>/trust.json (made on the first run).

  --broker URL        broker the agent is connected to (required), e.g. mqtt://127.0.0.1:1883
  --prefix P          topic prefix (default ${DEFAULT_TOPIC_PREFIX})
  --channel C         the agent's release channel (default stable)
  --agent-id ID       the agent under test (default: the one online agent on the channel)
  --trust-keys DIR    signing keys + trust.json (default $RPA_DATA_DIR/conformance, else .data/conformance)
  --timeout-ms N      per check (default 30000)
  --username U        broker user (password from $MQTT_PASSWORD)
  --json              one JSON document on stdout instead of lines
  --help              this text

Exit: 0 all checks pass, 1 a check failed or the broker is unreachable, 2 bad arguments.
Example:
  npm run conformance -- --broker mqtt://127.0.0.1:1883 --channel stable --agent-id agent-1`;

function fail(code: string, message: string, exit: number, usage = false): never {
  console.error(`error[${code}]: ${message}${usage ? `\n\n${USAGE}` : ''}`);
  process.exit(exit);
}

function args() {
  try {
    return parseArgs({
      options: {
        help: { type: 'boolean', short: 'h' },
        broker: { type: 'string' },
        prefix: { type: 'string', default: DEFAULT_TOPIC_PREFIX },
        channel: { type: 'string', default: 'stable' },
        'agent-id': { type: 'string' },
        'trust-keys': { type: 'string' },
        'timeout-ms': { type: 'string', default: '30000' },
        username: { type: 'string' },
        json: { type: 'boolean' },
      },
      allowPositionals: false,
    }).values;
  } catch (e) {
    return fail('bad_argument', (e as Error).message, 2, true);
  }
}

/** The agent under test when --agent-id is not given: the single online agent on the channel. */
async function findAgent(client: MqttClient, prefix: string, channel: string): Promise<string> {
  const msgs = await readRetained(client, topics(prefix).agentStatus('+'), { idleMs: 500, timeoutMs: 3000 });
  const online: string[] = [];
  for (const raw of msgs.values()) {
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      continue;
    }
    const s = AgentStatusSchema.safeParse(json);
    if (s.success && s.data.online && (s.data.channel === undefined || s.data.channel === channel)) online.push(s.data.agentId);
  }
  if (online.length !== 1) {
    throw new AgentError('bad_argument', `${online.length === 0 ? 'no agent is' : `${online.length} agents are`} online on channel ${channel}${online.length ? ` (${online.join(', ')})` : ''}; give --agent-id`);
  }
  return online[0]!;
}

async function main(): Promise<void> {
  const v = args();
  if (v.help) {
    console.log(USAGE);
    return;
  }
  if (!v.broker) fail('bad_argument', '--broker is required', 2, true);
  const timeoutMs = Number(v['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000) fail('bad_argument', '--timeout-ms must be an integer between 100 and 600000', 2);
  for (const [flag, val] of [['--channel', v.channel], ['--agent-id', v['agent-id']]] as const) {
    if (val !== undefined && !isValidTopicSegment(val)) fail('bad_argument', `${flag} ${JSON.stringify(val)}: letters, digits, ".", "_" or "-" (1-128)`, 2);
  }
  const prefix = v.prefix!;
  if (!/^[^#+]+$/.test(prefix) || prefix.endsWith('/')) fail('bad_argument', `--prefix ${JSON.stringify(prefix)}: no wildcards, no trailing "/"`, 2);
  const channel = v.channel!;
  const keys = await ensureConformanceKeys(resolve(v['trust-keys'] ?? defaultKeysDir()));
  const say = (line: string) => {
    if (!v.json) console.log(line);
  };
  say(`trust file for the agent under test: ${keys.trustPath}${keys.created ? ' (new keys: install it on the agent and restart it before the checks can pass)' : ''}`);

  let client: MqttClient;
  try {
    client = await connectBroker({ url: v.broker!, username: v.username, password: process.env['MQTT_PASSWORD'], connectTimeoutMs: 10_000 });
  } catch (e) {
    const err = toAgentError(e, 'broker_unreachable');
    fail(err.code === 'bad_argument' ? 'bad_argument' : 'broker_unreachable', `${redactUrl(v.broker!)}: ${err.message}`, err.code === 'bad_argument' ? 2 : 1);
  }
  let results: CheckResult[] = [];
  let agentId = v['agent-id'];
  try {
    agentId ??= await findAgent(client, prefix, channel);
    say(`agent under test: ${agentId} (channel ${channel}, prefix ${prefix}, ${timeoutMs} ms per check)`);
    const obs = await observeAgent(client, prefix, agentId);
    results = await runChecks({ client, obs, keys, prefix, channel, timeoutMs }, (r) => {
      say(`${r.pass ? 'PASS' : 'FAIL'} ${r.id} ${r.name}\n       expected: ${r.expected}\n       seen:     ${r.seen} (${r.ms} ms)`);
    });
    await obs.close();
  } catch (e) {
    const err = toAgentError(e);
    await client.endAsync().catch(() => undefined);
    fail(err.code, err.message, err.code === 'bad_argument' ? 2 : 1);
  }
  await client.endAsync().catch(() => undefined);
  const passed = results.filter((r) => r.pass).length;
  if (v.json) console.log(JSON.stringify({ ok: passed === results.length, agentId, channel, prefix, trustFile: keys.trustPath, passed, total: results.length, checks: results }, null, 2));
  else say(`${passed}/${results.length} checks passed`);
  process.exitCode = passed === results.length ? 0 : 1;
}

main().catch((e) => {
  const err = toAgentError(e);
  fail(err.code, err.message, err.code === 'bad_argument' ? 2 : 1);
});
