/** `rpa-agent call` parser: pure, no process spawned (the e2e test spawns the real binary). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCall } from '../../src/cli/agent/call.js';

test('call: method, params JSON, --png, --timeout, --json', () => {
  assert.deepEqual(parseCall(['detect', '--params', '{"minScore":0.5}', '--png', 's.png', '--timeout', '5s', '--json']), {
    kind: 'ok',
    value: { method: 'detect', params: { minScore: 0.5 }, png: 's.png', timeoutMs: 5000, json: true },
  });
  assert.deepEqual(parseCall(['health']), { kind: 'ok', value: { method: 'health', params: {}, timeoutMs: 30000, json: false } });
  assert.equal(parseCall(['--help']).kind, 'help');
});

test('call: usage errors name the problem', () => {
  const msg = (argv: string[]) => {
    const r = parseCall(argv);
    return r.kind === 'error' ? r.message : r.kind;
  };
  assert.match(msg([]), /which method/);
  assert.match(msg(['explode']), /unknown method/);
  assert.match(msg(['hello']), /unknown method/, 'the handshake is not a callable method');
  assert.match(msg(['detect', '--params', '{nope']), /not JSON/);
  assert.match(msg(['detect', '--params', '[1]']), /JSON object/);
  assert.match(msg(['health', '--png', 'x.png']), /does not apply/);
  assert.match(msg(['detect', '--png', 'x.png', '--params', '{"source":{"kind":"screen"}}']), /either/);
  assert.match(msg(['detect', '--template', 't.png']), /findElement only/);
  assert.match(msg(['detect', '--timeout', 'soon']), /--timeout/);
  assert.match(msg(['detect', 'extra']), /unexpected argument/);
  assert.match(msg(['detect', '--secret', 'x']), /Unknown option/);
});
