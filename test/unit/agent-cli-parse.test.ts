import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunArgs, describeEvent, stopRequested } from '../../src/cli/agent/run.js';
import { parseStatusArgs, formatStatus } from '../../src/cli/agent/status.js';

test('rpa-agent run: parse', () => {
  assert.deepEqual(parseRunArgs(['--config', 'a.json']), { kind: 'ok', value: { config: 'a.json', json: false, verbose: false, secretService: 'rpa-edge-agent', activator: 'host' } });
  assert.deepEqual(parseRunArgs(['--config', 'a.json', '--json', '--secret-service', 'svc-1']), {
    kind: 'ok',
    value: { config: 'a.json', json: true, verbose: false, secretService: 'svc-1', activator: 'host' },
  });
  assert.equal(parseRunArgs(['--help']).kind, 'help');
  const saved = process.env.RPA_AGENT_CONFIG;
  delete process.env.RPA_AGENT_CONFIG;
  try {
    assert.equal(parseRunArgs([]).kind, 'error');
  } finally {
    if (saved !== undefined) process.env.RPA_AGENT_CONFIG = saved;
  }
  assert.equal(parseRunArgs(['--config', 'a.json', '--bogus']).kind, 'error');
  assert.equal(parseRunArgs(['--config', 'a.json', '--activator', 'gpu']).kind, 'error');
  assert.equal((parseRunArgs(['--config', 'a.json', '--activator', 'host']) as { value: { activator: string } }).value.activator, 'host');
  assert.equal(parseRunArgs(['--config', 'a.json', '--secret-service', 'a b']).kind, 'error');
});

test('rpa-agent status: parse and format', () => {
  assert.deepEqual(parseStatusArgs(['--data-dir', '/d', '--json']), { kind: 'ok', value: { dataDir: '/d', json: true } });
  assert.equal(parseStatusArgs(['--config', 'a', '--data-dir', 'b']).kind, 'error');
  const lines = formatStatus({
    agentId: 'ws-1',
    channel: 'stable',
    releaseSeq: 7,
    roles: {
      detector: { state: 'committed', modelId: 'a'.repeat(64), name: 'det', version: '1.2.0', provider: 'cpu', cohort: 'stable' },
      classifier: { state: 'fetching', pending: { modelId: 'b'.repeat(64), progress: 0.42 }, lastError: { code: 'chunk_hash_mismatch', message: 'chunk 3' } },
    },
    fetches: [],
    models: [],
  });
  assert.match(lines[0]!, /agent ws-1 {2}channel stable {2}release seq 7/);
  assert.match(lines[1]!, /detector\s+committed\s+det@1\.2\.0 \(aaaaaaaaaaaa\)\s+provider cpu/);
  assert.match(lines[2]!, /classifier\s+fetching\s+no model\s+pending bbbbbbbbbbbb 42%\s+last error \[chunk_hash_mismatch\]/);
  assert.match(lines[3]!, /similarity\s+idle/);
});

test('rpa-agent run: one line per event', () => {
  const line = describeEvent({ agentId: 'a', ts: '2026-01-01T00:00:00.000Z', seq: 3, type: 'model_rejected', role: 'detector', modelId: 'c'.repeat(64), reason: 'model_too_large', message: 'too big' });
  assert.equal(line, '2026-01-01T00:00:00.000Z model_rejected detector cccccccccccc [model_too_large]: too big');
});

test('rpa-agent secret: the account is one of the known ones and the value never comes from arguments', async () => {
  const { parseSecretArgs } = await import('../../src/cli/agent/secret.js');
  assert.deepEqual(parseSecretArgs('set', ['broker-password']), { kind: 'ok', value: { action: 'set', account: 'broker-password', json: false, secretService: 'rpa-edge-agent' } });
  assert.equal(parseSecretArgs('set', ['broker-password', 'hunter2']).kind, 'error');
  assert.equal(parseSecretArgs('set', ['nope']).kind, 'error');
  assert.equal(parseSecretArgs('check', []).kind, 'error');
});

test('rpa-agent run: a stop (signal or abort) leaves no SIGINT/SIGTERM listener behind (lifetime rule: who adds removes)', async () => {
  const listeners = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
  const before = listeners();
  const ac = new AbortController();
  const stopped = stopRequested(ac.signal);
  assert.deepEqual(listeners(), [before[0]! + 1, before[1]! + 1]);
  ac.abort();
  assert.equal(await stopped, 'aborted');
  assert.deepEqual(listeners(), before);
  // already aborted: resolves at once, and still leaves nothing
  const again = new AbortController();
  again.abort();
  assert.equal(await stopRequested(again.signal), 'aborted');
  assert.deepEqual(listeners(), before);
  // (a real SIGTERM is not sent here: node:test ends the file on it; test/e2e/agent-run-service.test.ts
  // stops the real binary with SIGTERM and SIGINT)
});
