import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentError } from '../../src/common/errors.js';
import { parseAgentConfig } from '../../src/agent/config.js';
import { backoffDelay } from '../../src/agent/transport/backoff.js';

const base = { broker: { url: 'mqtts://broker.example:8883', ca: 'ca.pem' }, agentId: 'ws-001', channel: 'stable', trustFile: 'trust.json', dataDir: 'data' };

test('agent config: defaults (topic prefix, limits, keepVersions, latency budget) and paths resolved against the config folder', () => {
  const c = parseAgentConfig(base, '/etc/rpa');
  assert.equal(c.topicPrefix, 'rpa/v1');
  assert.equal(c.limits.maxModelBytes, 512 * 1024 * 1024);
  assert.equal(c.limits.maxManifestBytes, 1024 * 1024);
  assert.equal(c.keepVersions, 3);
  assert.equal(c.latencyBudgetMs, 100);
  assert.equal(c.broker.rejectUnauthorized, true);
  assert.equal(c.broker.protocolVersion, 5);
  assert.equal(c.broker.ca, '/etc/rpa/ca.pem');
  assert.equal(c.trustFile, '/etc/rpa/trust.json');
});

test('agent config: bad values are bad_config naming the zod path', () => {
  const bad = (v: unknown, path: string) => {
    try {
      parseAgentConfig(v);
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof AgentError);
      assert.equal(e.code, 'bad_config');
      assert.ok(e.message.startsWith(path + ':'), e.message);
    }
  };
  bad({ ...base, agentId: 'a/b' }, 'agentId');
  bad({ ...base, agentId: '+' }, 'agentId');
  bad({ ...base, broker: { url: 'http://x' } }, 'broker.url');
  bad({ ...base, limits: { maxManifestBytes: 2 * 1024 * 1024 } }, 'limits.maxManifestBytes');
  bad({ ...base, broker: { ...base.broker, password: 'secret' } }, 'broker');
  bad({ ...base, broker: { ...base.broker, cert: 'c.pem' } }, 'broker.cert');
  bad({ ...base, keepVersions: 0 }, 'keepVersions');
  bad({ ...base, broker: { url: 'mqtt://agent:hunter2@broker:1883' } }, 'broker.url');
  bad({ ...base, channel: undefined }, 'channel');
});

test('reconnect back-off: grows exponentially to the cap, jittered within [cap/2, cap]', () => {
  assert.equal(backoffDelay(0, 1000, 30_000, () => 0), 500);
  assert.equal(backoffDelay(0, 1000, 30_000, () => 1), 1000);
  assert.equal(backoffDelay(3, 1000, 30_000, () => 0), 4000);
  assert.equal(backoffDelay(20, 1000, 30_000, () => 1), 30_000);
  const spread = new Set(Array.from({ length: 50 }, (_, i) => backoffDelay(4, 1000, 30_000, () => i / 50)));
  assert.ok(spread.size > 40, 'agents spread over the window');
});
